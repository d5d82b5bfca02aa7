// Per-award rollup of the counted events (PRODUCT.md §8: the panel reads rollups, not raw events).
// A row trigger on events keeps it current in the inserting transaction, whatever writes the event.
//
// Every update is an addition (integers, and jsonb counters bumped one key at a time), so the rows
// do not depend on the order events arrive in, and concurrent inserts for one award serialise on
// its row lock instead of losing a count. The trigger is a row trigger on `events` itself: on a
// partitioned `events` (PostgreSQL 13+) it is inherited by every partition, present and future.
// A migration that recreates `events` must recreate the trigger after copying the rows over, not
// before (the copy would count twice).
//
// No line inside the function bodies below ends in a semicolon, so the statement splitter of migrate()
// keeps each body whole even without reading dollar quotes.
export const sql = /* sql */ `
create table award_stats (
  tenant_id        uuid not null references tenants(tenant_id),
  award_id         uuid not null,
  shares           integer not null default 0,
  views            integer not null default 0,
  bot_views        integer not null default 0,
  verifications    integer not null default 0,
  notified_sent    integer not null default 0,
  notified_failed  integer not null default 0,
  shared_channels  jsonb not null default '{}',
  view_sources     jsonb not null default '{}',
  primary key (tenant_id, award_id)
);

-- counts with one more under key; a null key (nothing to count) leaves them as they are.
create function award_stats_bump(counts jsonb, key text) returns jsonb language sql immutable as $fn$
  select case when key is null then counts else counts || jsonb_build_object(key, coalesce((counts->>key)::int, 0) + 1) end
$fn$;

-- The same definitions as a recount over events: shares of any client, views and verifications by
-- people only (bots apart), views without a source as 'direct', shares without a channel uncounted.
create function award_stats_count() returns trigger language plpgsql as $fn$
begin
  insert into award_stats as s (tenant_id, award_id, shares, views, bot_views, verifications, notified_sent, notified_failed, shared_channels, view_sources)
  values (new.tenant_id, new.award_id,
    (new.type = 'shared')::int,
    (new.type = 'viewed' and not new.is_bot)::int,
    (new.type = 'viewed' and new.is_bot)::int,
    (new.type = 'verified' and not new.is_bot)::int,
    (new.type = 'notified' and coalesce(new.metadata->>'outcome' = 'sent', false))::int,
    (new.type = 'notified' and coalesce(new.metadata->>'outcome' = 'failed', false))::int,
    award_stats_bump('{}', case when new.type = 'shared' then new.channel end),
    award_stats_bump('{}', case when new.type = 'viewed' and not new.is_bot then coalesce(new.channel, 'direct') end))
  on conflict (tenant_id, award_id) do update set
    shares = s.shares + excluded.shares,
    views = s.views + excluded.views,
    bot_views = s.bot_views + excluded.bot_views,
    verifications = s.verifications + excluded.verifications,
    notified_sent = s.notified_sent + excluded.notified_sent,
    notified_failed = s.notified_failed + excluded.notified_failed,
    shared_channels = award_stats_bump(s.shared_channels, case when new.type = 'shared' then new.channel end),
    view_sources = award_stats_bump(s.view_sources, case when new.type = 'viewed' and not new.is_bot then coalesce(new.channel, 'direct') end)
  ; return null; end
$fn$;

-- No event may land between the backfill and the trigger: hold off writers until this commits.
lock table events in share row exclusive mode;

create trigger award_stats_count after insert on events for each row
  when (new.award_id is not null and new.type in ('shared', 'viewed', 'verified', 'notified'))
  execute function award_stats_count();

insert into award_stats (tenant_id, award_id, shares, views, bot_views, verifications, notified_sent, notified_failed, shared_channels, view_sources)
select c.tenant_id, c.award_id, c.shares, c.views, c.bot_views, c.verifications, c.notified_sent, c.notified_failed,
  coalesce(sc.counts, '{}'), coalesce(vs.counts, '{}')
from (
  select tenant_id, award_id,
    count(*) filter (where type = 'shared') as shares,
    count(*) filter (where type = 'viewed' and not is_bot) as views,
    count(*) filter (where type = 'viewed' and is_bot) as bot_views,
    count(*) filter (where type = 'verified' and not is_bot) as verifications,
    count(*) filter (where type = 'notified' and metadata->>'outcome' = 'sent') as notified_sent,
    count(*) filter (where type = 'notified' and metadata->>'outcome' = 'failed') as notified_failed
  from events where award_id is not null and type in ('shared', 'viewed', 'verified', 'notified')
  group by tenant_id, award_id
) c
left join (
  select tenant_id, award_id, jsonb_object_agg(channel, n) as counts
  from (select tenant_id, award_id, channel, count(*) as n from events
        where award_id is not null and type = 'shared' and channel is not null group by 1, 2, 3) x
  group by tenant_id, award_id
) sc on sc.tenant_id = c.tenant_id and sc.award_id = c.award_id
left join (
  select tenant_id, award_id, jsonb_object_agg(source, n) as counts
  from (select tenant_id, award_id, coalesce(channel, 'direct') as source, count(*) as n from events
        where award_id is not null and type = 'viewed' and not is_bot group by 1, 2, 3) x
  group by tenant_id, award_id
) vs on vs.tenant_id = c.tenant_id and vs.award_id = c.award_id;
`;
