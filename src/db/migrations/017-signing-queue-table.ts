// The signing queue (012) as a table of its own instead of a partial index on awards. That index
// names credential_jwt, so storing a VC-JWT was never a heap-only (HOT) update: each one wrote a
// new entry into every index of awards, and after a bulk load of a million awards those indexes
// held three entries per award (the index-only passes of analytics read them all). Now signing
// touches no indexed column, and awards leave a fifth of each new page free, so the signed version
// of a row usually fits beside the old one and no index changes. Awards enter the queue by a
// trigger (whatever inserts them unsigned) and leave it when their token is stored.
export const sql = /* sql */ `
create table award_signing_queue (
  award_id    uuid primary key references awards(id) on delete cascade,
  tenant_id   uuid not null,
  awarded_at  timestamptz not null
);
create index award_signing_queue_order on award_signing_queue (awarded_at, award_id);

create function award_signing_enqueue() returns trigger language plpgsql as $fn$
begin
  insert into award_signing_queue (award_id, tenant_id, awarded_at)
  select id, tenant_id, awarded_at from new_awards where credential_jwt is null
  ; return null; end
$fn$;

-- the index drop below takes the strongest lock anyway: take it first, not by an upgrade a writer could deadlock
lock table awards in access exclusive mode;
create trigger award_signing_enqueue after insert on awards referencing new table as new_awards
  for each statement execute function award_signing_enqueue();
insert into award_signing_queue (award_id, tenant_id, awarded_at) select id, tenant_id, awarded_at from awards where credential_jwt is null;
drop index awards_unsigned;
alter table awards set (fillfactor = 80);
`;
