// An award waiting in the signing queue kept its credential's claims whole (012): about 1.8 kB of
// JSON an award, most of it its badge's and issuer's, the same for every award of the badge. Built,
// sent and parsed a thousand times a batch, they cost the ingest a tenth of the database's CPU
// (a batch of 1,000: 190 ms with them, 165 without) and more of the server's. Now what the awards
// of a badge share (public URL, issuer, achievement) is kept once, in credential_inputs, and an
// award keeps its recipient identity (the salted hash: the learner's email or LMS id may change
// before it is signed); with the award's own columns (id, learner, salt, award time, expiry, status
// entry) these give the credential exactly as it was at issuance. A row of credential_inputs is
// named by a hash of its content and never changed or deleted: no key from awards to it, which
// would cost a lookup per award. Awards queued with their claims whole (by an earlier version)
// are signed as before.
//
// An unsigned award is now some 400 bytes, not 2 kB, and signing writes a new version of each
// (its token out of line, in TOAST, the identity gone): for that update to stay heap-only (017), a
// page must keep room for the new versions of most of its rows. Of 1,000 awards signed on
// PostgreSQL 15, 233 updates were not heap-only at fillfactor 80 (each an entry in every index of
// awards), 5 at 65, none at 60 or 50: new pages of awards are filled to 55 %.
export const sql = /* sql */ `
create table credential_inputs (
  id         uuid primary key,
  tenant_id  uuid not null references tenants(tenant_id),
  body       json not null
);
alter table awards add column credential_inputs_id uuid, add column credential_identity json;
alter table awards drop constraint awards_credential_held,
  add constraint awards_credential_held check (num_nonnulls(credential_jwt, credential_claims, credential_identity) = 1
    and (credential_identity is null) = (credential_inputs_id is null));
alter table awards set (fillfactor = 55);
`;
