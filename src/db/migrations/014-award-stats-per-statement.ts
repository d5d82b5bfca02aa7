// award_stats (010) counted by a statement trigger instead of a row trigger: a multi-row insert
// of events (an import chunk of 5,000, a group commit of page views, most of one award) updates
// each award's row once, with the statement's counts for it summed, instead of once per event.
// The counts are the same definitions as 010's, still additions only (so order-independent), and
// awards are upserted in award order, so two statements lock shared rows in the same order.
//
// The trigger is on the partitioned `events` and sees the rows of every partition through its
// transition table; it fires for statements on `events` itself, which is where every write goes
// (a statement straight into a partition would not be counted). No line inside the function
// bodies below ends in a semicolon (see 010's header).
export const sql = /* sql */ `
-- Two maps of counts added key by key.
create function award_stats_add(counts jsonb, more jsonb) returns jsonb language sql immutable as $fn$
  select case when more = '{}'::jsonb then counts when counts = '{}'::jsonb then more else (
    select jsonb_object_agg(key, n) from (
      select key, sum(value::int)::int as n from (select * from jsonb_each_text(counts) union all select * from jsonb_each_text(more)) x group by key) y) end
$fn$;

create function award_stats_count_statement() returns trigger language plpgsql as $fn$
begin
  insert into award_stats as s (tenant_id, award_id, shares, views, bot_views, verifications, notified_sent, notified_failed, shared_channels, view_sources)
  select c.tenant_id, c.award_id, c.shares, c.views, c.bot_views, c.verifications, c.notified_sent, c.notified_failed,
    coalesce(sc.counts, '{}'), coalesce(vs.counts, '{}')
  from (
    select tenant_id, award_id,
      count(*) filter (where type = 'shared')::int as shares,
      count(*) filter (where type = 'viewed' and not is_bot)::int as views,
      count(*) filter (where type = 'viewed' and is_bot)::int as bot_views,
      count(*) filter (where type = 'verified' and not is_bot)::int as verifications,
      count(*) filter (where type = 'notified' and metadata->>'outcome' = 'sent')::int as notified_sent,
      count(*) filter (where type = 'notified' and metadata->>'outcome' = 'failed')::int as notified_failed
    from inserted where award_id is not null and type in ('shared', 'viewed', 'verified', 'notified')
    group by tenant_id, award_id
  ) c
  left join (
    select tenant_id, award_id, jsonb_object_agg(channel, n) as counts
    from (select tenant_id, award_id, channel, count(*)::int as n from inserted
          where award_id is not null and type = 'shared' and channel is not null group by 1, 2, 3) x
    group by tenant_id, award_id
  ) sc on sc.tenant_id = c.tenant_id and sc.award_id = c.award_id
  left join (
    select tenant_id, award_id, jsonb_object_agg(source, n) as counts
    from (select tenant_id, award_id, coalesce(channel, 'direct') as source, count(*)::int as n from inserted
          where award_id is not null and type = 'viewed' and not is_bot group by 1, 2, 3) x
    group by tenant_id, award_id
  ) vs on vs.tenant_id = c.tenant_id and vs.award_id = c.award_id
  order by c.tenant_id, c.award_id
  on conflict (tenant_id, award_id) do update set
    shares = s.shares + excluded.shares,
    views = s.views + excluded.views,
    bot_views = s.bot_views + excluded.bot_views,
    verifications = s.verifications + excluded.verifications,
    notified_sent = s.notified_sent + excluded.notified_sent,
    notified_failed = s.notified_failed + excluded.notified_failed,
    shared_channels = award_stats_add(s.shared_channels, excluded.shared_channels),
    view_sources = award_stats_add(s.view_sources, excluded.view_sources)
  ; return null; end
$fn$;

-- Swapped in one transaction, with writers held off: no event is counted twice or not at all.
lock table events in share row exclusive mode;
drop trigger award_stats_count on events;
drop function award_stats_count();
create trigger award_stats_count after insert on events referencing new table as inserted
  for each statement execute function award_stats_count_statement();
`;
