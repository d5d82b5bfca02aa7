// AGS write-back: the course's line-items service as the platform last announced it in a launch,
// and the gradebook column made for each badge.
export const sql = /* sql */ `
alter table courses add column ags_lineitems_url text;
alter table courses add column ags_scopes text[] not null default '{}';
alter table badges add column ags_line_item_url text;
`;
