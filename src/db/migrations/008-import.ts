// History imported from another badge platform keeps its ids, so a second import is refused as a
// duplicate instead of counted twice.
export const sql = /* sql */ `
alter table awards add column external_id text;
create unique index awards_external_id on awards (tenant_id, external_id) where external_id is not null;
`;
