// The event log partitioned by month of occurred_at (PRODUCT.md §8), on both engines: PGlite is
// PostgreSQL 18 and the server 14+, and both have declarative partitioning and plpgsql.
//
// The table is rebuilt, not altered (PostgreSQL cannot partition a table in place): the old one is
// renamed, a partitioned copy made with LIKE (columns, defaults, checks, identity), its rows copied
// with their ids, its sequence moved past the old one, and then its indexes, foreign keys and
// triggers re-created from their definitions as they stood before, so that whatever earlier
// migrations added to events comes along. Indexes are built after the copy (faster), triggers too,
// so the copy does not fire them again (a trigger maintaining a rollup would count rows twice).
//
// A primary key of a partitioned table must contain the partition key: (tenant_id, id, occurred_at).
// ids stay unique all the same: they come from the identity sequence.
//
// Partitions: one per month that holds events, the current month and 12 ahead (migrate() extends
// this at every start), and events_default for anything else (events of an older or farther month
// land there and are read like any other). ensure_event_partitions skips a month of which the
// default partition already holds events, since PostgreSQL refuses to create it then; moving those
// rows out of events_default is not done.
export const sql = /* sql */ `
-- Writers wait until the new table is in place.
lock table events in access exclusive mode;

-- Months (UTC) from from_month to until, both included; returns each month it had to act on:
-- created, or left to events_default (created = false) because that holds events of the month.
create or replace function ensure_event_partitions(from_month timestamptz, until timestamptz)
returns table (month text, created boolean) language plpgsql as $fn$
declare
  m timestamp := date_trunc('month', from_month at time zone 'UTC');
  last_month timestamp := date_trunc('month', until at time zone 'UTC');
  lo timestamptz;
  hi timestamptz;
  part text;
begin
  while m <= last_month loop
    part := 'events_' || to_char(m, 'YYYY_MM');
    lo := m at time zone 'UTC';
    hi := (m + interval '1 month') at time zone 'UTC';
    if to_regclass(part) is null then
      month := to_char(m, 'YYYY-MM');
      created := not exists (select 1 from events_default e where e.occurred_at >= lo and e.occurred_at < hi);
      if created then
        execute format('create table %I partition of events for values from (%L) to (%L)', part, lo, hi);
      end if;
      return next;
    end if;
    m := m + interval '1 month';
  end loop;
end
$fn$;

-- What to re-create on the new table, captured while the old one is still called events, so the
-- definitions name public.events. Constraint-backed indexes (the primary key) are made anew.
create temporary table events_rebuild on commit drop as
  select 1 as step, pg_get_indexdef(i.indexrelid) as ddl
    from pg_index i
   where i.indrelid = 'events'::regclass and not exists (select 1 from pg_constraint c where c.conindid = i.indexrelid)
  union all
  select 2, format('alter table events add constraint %I %s', c.conname, pg_get_constraintdef(c.oid))
    from pg_constraint c where c.conrelid = 'events'::regclass and c.contype = 'f'
  union all
  select 3, pg_get_triggerdef(t.oid)
    from pg_trigger t where t.tgrelid = 'events'::regclass and not t.tgisinternal;

alter table events rename to events_unpartitioned;
create table events (like events_unpartitioned including all excluding indexes) partition by range (occurred_at);
create table events_default partition of events default;

select count(*) from (
  select ensure_event_partitions(d.m, d.m)
    from (select min(occurred_at) as m from events_unpartitioned group by date_trunc('month', occurred_at at time zone 'UTC')) d
  union all
  select ensure_event_partitions(now(), now() + interval '12 months')
) made;

insert into events overriding system value select * from events_unpartitioned;

-- No id is handed out twice: the new sequence starts after the old one's last value.
select setval(
  pg_get_serial_sequence('events', 'id'),
  greatest(coalesce(pg_sequence_last_value(pg_get_serial_sequence('events_unpartitioned', 'id')::regclass), 0), coalesce((select max(id) from events_unpartitioned), 0), 1),
  pg_sequence_last_value(pg_get_serial_sequence('events_unpartitioned', 'id')::regclass) is not null or exists (select 1 from events_unpartitioned));

drop table events_unpartitioned;

alter table events add primary key (tenant_id, id, occurred_at);

do $do$
declare
  r record;
begin
  -- The identity's sequence got a free name while the old one still existed; give it the usual one.
  if (select relname from pg_class where oid = pg_get_serial_sequence('events', 'id')::regclass) <> 'events_id_seq' then
    execute format('alter sequence %s rename to events_id_seq', pg_get_serial_sequence('events', 'id'));
  end if;
  for r in select ddl from events_rebuild order by step, ddl loop
    execute r.ddl;
  end loop;
end
$do$;
`;
