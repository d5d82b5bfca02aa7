// Completions: every normalised completion is kept (history and the gap metric need them), and
// points at the award it produced, if any.
export const sql = /* sql */ `
create table completions (
  tenant_id     uuid not null references tenants(tenant_id),
  id            uuid primary key,
  course_id     uuid not null references courses(id) on delete cascade,
  module_id     uuid not null references modules(id) on delete cascade,
  user_id       uuid not null references users(id) on delete cascade,
  score         numeric not null check (score >= 0),
  max_score     numeric not null check (max_score > 0),
  completed_at  timestamptz not null,
  source        text not null check (source in ('launch', 'api', 'csv', 'manual', 'xapi', 'caliper', 'lms_pull')),
  qualifies     boolean not null,
  award_id      uuid references awards(id),
  created_at    timestamptz not null default now()
);
create index completions_learner on completions (tenant_id, course_id, module_id, user_id);
`;
