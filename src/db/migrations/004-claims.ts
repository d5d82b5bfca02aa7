// Claim links: an unguessable token per award (only its hash is kept) with an expiry.
export const sql = /* sql */ `
alter table awards add column claim_token_hash text;
alter table awards add column claim_expires_at timestamptz;
create unique index awards_claim_token on awards (claim_token_hash) where claim_token_hash is not null;
`;
