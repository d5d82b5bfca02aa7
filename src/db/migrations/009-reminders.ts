// Reminders of unclaimed awards go through the same notification queue as the first claim email;
// the kind tells the worker to word the message as a reminder and to mark its `notified` event.
export const sql = /* sql */ `
alter table notifications add column kind text not null default 'claim' check (kind in ('claim', 'reminder'));
create index notifications_award_kind on notifications (tenant_id, award_id, kind, created_at);
`;
