// Coarser rollups for the organisation's panel. At a million awards award_day_counts holds half a
// million rows (about three awards per badge and day: a day rollup hardly compresses), and an
// organisation's year read all of them, and every channel row of the year.
//
//   award_month_counts   per UTC month of award × course × module × badge × method × test account:
//                        the per-badge and per-course breakdowns of a range's whole months;
//   tenant_day_counts    per UTC day × test account: a window's totals and the timeline;
//   tenant_day_channels  per UTC day × test account × channel or source: the distribution.
//
// They are sums of award_day_counts and award_day_channels rows, written by the same statement
// that writes those: each rollup trigger's upsert (015) becomes one statement whose CTE sums the
// contribution per day key once, and whose data-modifying CTEs add those sums, grouped coarser, to
// the coarser tables. Every change is still an addition, in key order per table, in the same table
// order for every trigger, so the coarser rows too do not depend on the order events arrive in.
//
// award_day_counts gets an index by day (the organisation's edge days of a range) and room for
// updates in place (fillfactor), since every counter update would otherwise also write it.
import { CHANNEL_KEY, COUNTERS, KEY, list } from './013-daily-rollup.js';
import { rollupTriggerFunctions } from './015-leaner-count-triggers.js';

const MONTH = `date_trunc('month', c.day::timestamp)::date`;
export const nonZero = (sums: readonly string[]) => `(${sums.join(', ')}) <> (${sums.map(() => '0').join(', ')})`;

/** An upsert adding the sums of CTE c's `counters`, grouped by `groups` (expressions on c), to `table`'s `key`. */
export function addTo(table: string, key: readonly string[], groups: readonly string[], counters: readonly string[]): string {
  const sums = counters.map((c) => `sum(c.${c})`);
  const positions = groups.map((_, i) => String(i + 1)).join(', ');
  return `insert into ${table} as d (${list(key)}, ${list(counters)})
      select ${groups.join(', ')}, ${sums.join(', ')} from c
      group by ${positions} having ${nonZero(sums)} order by ${positions}
      on conflict (${list(key)}) do update set ${counters.map((c) => `${c} = d.${c} + excluded.${c}`).join(', ')}`;
}

/**
 * 013's upsertCounts, its sums also added per month and per tenant day (and to the `more` upserts
 * of CTE c, between the two: 026's all-time rows).
 */
export const upsertCountsRolled = (units: string, more: readonly string[] = []) => `with c as (
      select ${list(KEY, 'u.')}, ${COUNTERS.map((c) => `sum(u.${c}) as ${c}`).join(', ')}
      from (${units}) u
      group by ${list(KEY, 'u.')}
      having ${nonZero(COUNTERS.map((c) => `sum(u.${c})`))}),
    months as (${addTo('award_month_counts', ['tenant_id', 'course_id', 'badge_id', 'month', 'module_id', 'method', 'is_test'],
      ['c.tenant_id', 'c.course_id', 'c.badge_id', MONTH, 'c.module_id', 'c.method', 'c.is_test'], COUNTERS)}),${more.map((m, i) => `\n    more${i + 1} as (${m}),`).join('')}
    tenant_days as (${addTo('tenant_day_counts', ['tenant_id', 'day', 'is_test'], ['c.tenant_id', 'c.day', 'c.is_test'], COUNTERS)})
    insert into award_day_counts as d (${list(KEY)}, ${list(COUNTERS)})
    select ${list(KEY, 'c.')}, ${list(COUNTERS, 'c.')} from c
    order by ${list(KEY, 'c.')}
    on conflict (${list(KEY)}) do update set ${COUNTERS.map((c) => `${c} = d.${c} + excluded.${c}`).join(', ')}`;

/** 013's upsertChannels, its sums also added per tenant day. */
export const upsertChannelsRolled = (units: string) => `with c as (
      select ${list(CHANNEL_KEY, 'u.')}, sum(u.n) as n
      from (${units}) u
      group by ${list(CHANNEL_KEY, 'u.')}
      having sum(u.n) <> 0),
    tenant_days as (${addTo('tenant_day_channels', ['tenant_id', 'day', 'is_test', 'kind', 'key'], ['c.tenant_id', 'c.day', 'c.is_test', 'c.kind', 'c.key'], ['n'])})
    insert into award_day_channels as d (${list(CHANNEL_KEY)}, n)
    select ${list(CHANNEL_KEY, 'c.')}, c.n from c
    order by ${list(CHANNEL_KEY, 'c.')}
    on conflict (${list(CHANNEL_KEY)}) do update set n = d.n + excluded.n`;

export const counterColumns = COUNTERS.map((c) => `  ${c.padEnd(16)} integer not null default 0,`).join('\n');
const sumsOf = (cols: readonly string[]) => cols.map((c) => `sum(${c})`).join(', ');

export const sql = /* sql */ `
create table award_month_counts (
  tenant_id        uuid not null references tenants(tenant_id),
  course_id        uuid not null,
  badge_id         uuid not null,
  month            date not null check (extract(day from month) = 1),
  module_id        uuid not null,
  method           text not null,
  is_test          boolean not null,
${counterColumns}
  primary key (tenant_id, course_id, badge_id, month, module_id, method, is_test)
) with (fillfactor = 70);

create table tenant_day_counts (
  tenant_id        uuid not null references tenants(tenant_id),
  day              date not null,
  is_test          boolean not null,
${counterColumns}
  primary key (tenant_id, day, is_test)
) with (fillfactor = 70);

create table tenant_day_channels (
  tenant_id  uuid not null references tenants(tenant_id),
  day        date not null,
  is_test    boolean not null,
  kind       text not null check (kind in ('sharing', 'viewing')),
  key        text not null,
  n          integer not null default 0,
  primary key (tenant_id, day, is_test, kind, key)
) with (fillfactor = 70);

create index award_day_counts_day on award_day_counts (tenant_id, day);
alter table award_day_counts set (fillfactor = 70);

-- No award or event may be written between the backfill and the new triggers (as 013).
lock table awards in share row exclusive mode;
lock table award_stats in share row exclusive mode;

${rollupTriggerFunctions({ counts: upsertCountsRolled, channels: upsertChannelsRolled })}

insert into award_month_counts (tenant_id, course_id, badge_id, month, module_id, method, is_test, ${list(COUNTERS)})
select tenant_id, course_id, badge_id, date_trunc('month', day::timestamp)::date, module_id, method, is_test, ${sumsOf(COUNTERS)}
from award_day_counts group by 1, 2, 3, 4, 5, 6, 7 having ${nonZero(COUNTERS.map((c) => `sum(${c})`))};

insert into tenant_day_counts (tenant_id, day, is_test, ${list(COUNTERS)})
select tenant_id, day, is_test, ${sumsOf(COUNTERS)}
from award_day_counts group by 1, 2, 3 having ${nonZero(COUNTERS.map((c) => `sum(${c})`))};

insert into tenant_day_channels (tenant_id, day, is_test, kind, key, n)
select tenant_id, day, is_test, kind, key, sum(n) from award_day_channels group by 1, 2, 3, 4, 5 having sum(n) <> 0;
`;
