// LMS pull: an admin's connection to the LMS's own API per platform (token sealed), and the ids
// courses and users have in that API (Canvas's numeric ids differ from LTI's).
export const sql = /* sql */ `
create table lms_connections (
  tenant_id     uuid not null references tenants(tenant_id),
  platform_id   uuid primary key references platforms(id) on delete cascade,
  kind          text not null check (kind in ('canvas', 'moodle')),
  base_url      text not null,
  sealed_token  text not null,
  last_run_at   timestamptz,
  last_error    text,
  created_at    timestamptz not null default now()
);
alter table courses add column lms_api_id text;
alter table users add column lms_api_id text;
create index users_lms_api_id on users (tenant_id, platform_id, lms_api_id);
`;
