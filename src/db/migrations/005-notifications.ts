// The notification queue: kept in the database so nothing is lost on a restart; the claim token
// a message carries is sealed (only its hash is on the award).
export const sql = /* sql */ `
create table notifications (
  tenant_id        uuid not null references tenants(tenant_id),
  id               uuid primary key,
  award_id         uuid not null references awards(id) on delete cascade,
  channel          text not null default 'email' check (channel in ('email')),
  recipient        text not null,
  sealed_payload   text not null,
  status           text not null default 'queued' check (status in ('queued', 'sent', 'failed')),
  attempts         integer not null default 0,
  next_attempt_at  timestamptz not null default now(),
  last_error       text,
  created_at       timestamptz not null default now(),
  sent_at          timestamptz
);
create index notifications_due on notifications (status, next_attempt_at);
create index notifications_award on notifications (tenant_id, award_id);
`;
