// Awards issued in bulk (completion API, CSV, event push, LMS pull, imports) are stored with their
// credential's claims and signed moments later by the signing queue (awards/signing-queue.ts), on
// every core, so that ingest is not bounded by one core's RS256 rate. Until then `credential_jwt`
// is null; whatever serves the VC-JWT signs an unsigned award first. Exactly one of the two holds
// the credential.
export const sql = /* sql */ `
alter table awards alter column credential_jwt drop not null;
alter table awards add column credential_claims json;
alter table awards add constraint awards_credential_held check ((credential_jwt is null) <> (credential_claims is null));
-- the queue: only unsigned awards are in this index, oldest first
create index awards_unsigned on awards (awarded_at) where credential_jwt is null;
`;
