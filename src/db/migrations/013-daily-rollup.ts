// Daily rollups of the awards for the analytics panel (issue 7: the panel reads rollups, not raw
// events): per UTC day of award × course × module × badge × method × test account, the sums the
// count breakdowns of src/analytics take per award (scoped-awards.ts COUNTS and the time-to-claim
// buckets), and per day × course × module × badge × test account the share channels and human view
// sources. Statement triggers on awards and on award_stats (itself kept by the trigger on events)
// keep both current in the writing transaction, one upsert per table and statement, so a bulk
// statement (an import chunk, a group commit of page views) costs one aggregated write, not one
// per row.
//
// Each trigger takes the old contribution of the awards it touches away and adds the new one; rows
// of one key are summed first and written in key order (so two statements lock shared rows in the
// same order), every change an addition: the rows do not depend on the order awards, updates and
// events arrive in. A contribution depends on two rows written by different transactions, the
// award and its award_stats: a trigger on awards locks the award_stats rows (creating empty ones
// when an update finds none, so that a concurrent first event waits for it), and a trigger on
// award_stats reads the awards afresh, so whichever commits second sees the other's row.
//
// awards_awarded (tenant, award time, and the columns they read) serves the per-award passes that
// remain. The SQL is built here from one definition of a contribution; no line inside the function
// bodies ends in a semicolon (see 010's header).

export const KEY = ['tenant_id', 'course_id', 'badge_id', 'day', 'module_id', 'method', 'is_test'];
export const COUNTERS = ['awarded', 'accepted', 'accepted_shared', 'accepted_public', 'shared_viewed', 'shares', 'views', 'verifications', 'sent', 'failed',
  'lt1h', 'h1to24', 'd1to7', 'gt7d'];
export const CHANNEL_KEY = ['tenant_id', 'day', 'course_id', 'badge_id', 'module_id', 'is_test', 'kind', 'key'];
/** The columns of an award its contribution depends on. */
export const AWARD_COLUMNS = ['tenant_id', 'course_id', 'badge_id', 'module_id', 'method', 'is_test', 'awarded_at', 'accepted_at', 'is_public'];

export const list = (cols: readonly string[], alias = '') => cols.map((c) => `${alias}${c}`).join(', ');

/**
 * One award's row of award_day_counts times sign, from award alias a and award_stats alias s (null:
 * none yet). hours as scopedAwards computes it (whole milliseconds, float8), buckets as breakdowns draws them.
 */
export function countsOf(a: string, s: string | null, sign: 1 | -1): string {
  const stat = (c: string) => (s ? `coalesce(${s}.${c}, 0)` : '0');
  const ok = `${a}.accepted_at is not null`;
  const hours = `(round((date_part('epoch', ${a}.accepted_at) - date_part('epoch', ${a}.awarded_at)) * 1000) / 3600000)`;
  const one = (condition: string) => `${sign} * coalesce(${condition}, false)::int`;
  return [
    `${a}.tenant_id`, `${a}.course_id`, `${a}.badge_id`, `(${a}.awarded_at at time zone 'UTC')::date as day`, `${a}.module_id`, `${a}.method`, `${a}.is_test`,
    `${sign} as awarded`, `${one(ok)} as accepted`, `${one(`${ok} and ${stat('shares')} > 0`)} as accepted_shared`, `${one(`${ok} and ${a}.is_public`)} as accepted_public`,
    `${one(`${ok} and ${stat('shares')} > 0 and ${stat('views')} > 0`)} as shared_viewed`,
    `${sign} * ${stat('shares')} as shares`, `${sign} * ${stat('views')} as views`, `${sign} * ${stat('verifications')} as verifications`,
    `${sign} * ${stat('notified_sent')} as sent`, `${sign} * ${stat('notified_failed')} as failed`,
    `${one(`${hours} < 1`)} as lt1h`, `${one(`${hours} >= 1 and ${hours} < 24`)} as h1to24`, `${one(`${hours} >= 24 and ${hours} <= 168`)} as d1to7`, `${one(`${hours} > 168`)} as gt7d`,
  ].join(', ');
}

/** An award's rows of award_day_channels times sign: `select` and the joins to follow `from` (award alias a, award_stats alias s). */
export const channelsOf = (a: string, s: string, sign: 1 | -1) => ({
  select: `${a}.tenant_id, (${a}.awarded_at at time zone 'UTC')::date as day, ${a}.course_id, ${a}.badge_id, ${a}.module_id, ${a}.is_test, k.kind, e.key, ${sign} * e.value::int as n`,
  joins: `cross join lateral (values ('sharing', ${s}.shared_channels), ('viewing', ${s}.view_sources)) k (kind, counts) cross join lateral jsonb_each_text(k.counts) e`,
});

/** The contribution rows of `units` summed per key, written in key order; keys whose sums are all zero are left alone. */
export const upsertCounts = (units: string) => `insert into award_day_counts as d
    select ${list(KEY, 'c.')}, ${COUNTERS.map((c) => `sum(c.${c})`).join(', ')}
    from (${units}) c
    group by ${list(KEY, 'c.')}
    having (${COUNTERS.map((c) => `sum(c.${c})`).join(', ')}) <> (${COUNTERS.map(() => '0').join(', ')})
    order by ${list(KEY, 'c.')}
    on conflict (${list(KEY)}) do update set ${COUNTERS.map((c) => `${c} = d.${c} + excluded.${c}`).join(', ')}`;

export const upsertChannels = (units: string) => `insert into award_day_channels as d
    select ${list(CHANNEL_KEY, 'c.')}, sum(c.n)
    from (${units}) c
    group by ${list(CHANNEL_KEY, 'c.')}
    having sum(c.n) <> 0
    order by ${list(CHANNEL_KEY, 'c.')}
    on conflict (${list(CHANNEL_KEY)}) do update set n = d.n + excluded.n`;

export const stats = (s: string, a: string) => `award_stats ${s} on ${s}.tenant_id = ${a}.tenant_id and ${s}.award_id = ${a}.id`;
/** Locks the award_stats rows (alias s) of the awards in `from` against concurrent events, in award order as the events trigger writes them. */
export const lockStats = (from: string) => `perform 1 from ${from} order by s.tenant_id, s.award_id for share of s`;
export const plpgsql = (statements: readonly string[]) => `begin\n  ${statements.join('\n  ; ')}\n  ; return null\n; end`;

/** The rows a trigger works on: a FROM list (joins that follow may be added) and a condition. */
export interface Rows { from: string; where: string }
export const select = (what: string, r: Rows, joins = '') => `select ${what} from ${r.from} ${joins} where ${r.where}`;
const channelRows = (a: string, s: string, sign: 1 | -1, r: Rows) => select(channelsOf(a, s, sign).select, r, channelsOf(a, s, sign).joins);
export const withStats = (table: string, a: string, join = 'join'): Rows => ({ from: `${table} ${a} ${join} ${stats('s', a)}`, where: 'true' });
export const withAward = (table: string, s: string): Rows => ({ from: `${table} ${s} join awards a on a.id = ${s}.award_id and a.tenant_id = ${s}.tenant_id`, where: 'true' });

// Old and new rows are never joined to each other: a trigger's plan is made once, for the size of
// the first transition table it sees, and a join of two of them without an index is quadratic.
// Each side is summed on its own (what did not change cancels out in the sums), and the updated
// awards whose contribution changes are those with two distinct rows in the union of both sides
// (an award's tenant never changes).
const changedAwards = `(select x.tenant_id, x.id from (select id, ${list(AWARD_COLUMNS)} from old_awards union select id, ${list(AWARD_COLUMNS)} from new_awards) x
    group by x.tenant_id, x.id having count(*) > 1)`;

const awardsInserted = plpgsql([
  lockStats(withStats('new_awards', 'n').from),
  upsertCounts(select(countsOf('n', 's', 1), withStats('new_awards', 'n', 'left join'))),
  upsertChannels(channelRows('n', 's', 1, withStats('new_awards', 'n'))),
]);

const awardsUpdated = plpgsql([
  `if not exists ${changedAwards} then return null\n  ; end if`,
  // a concurrent first event of these awards must wait for this transaction (see the header)
  `insert into award_stats (tenant_id, award_id) select c.tenant_id, c.id from ${changedAwards} c order by c.tenant_id, c.id on conflict do nothing`,
  lockStats(`award_stats s where (s.tenant_id, s.award_id) in (select c.tenant_id, c.id from ${changedAwards} c)`),
  upsertCounts(`${select(countsOf('o', 's', -1), withStats('old_awards', 'o', 'left join'))} union all ${select(countsOf('n', 's', 1), withStats('new_awards', 'n', 'left join'))}`),
  upsertChannels(`${channelRows('o', 's', -1, withStats('old_awards', 'o'))} union all ${channelRows('n', 's', 1, withStats('new_awards', 'n'))}`),
]);

const awardsDeleted = plpgsql([
  lockStats(withStats('old_awards', 'o').from),
  upsertCounts(select(countsOf('o', 's', -1), withStats('old_awards', 'o', 'left join'))),
  upsertChannels(channelRows('o', 's', -1, withStats('old_awards', 'o'))),
]);

const statsInserted = plpgsql([
  upsertCounts(`${select(countsOf('a', 'n', 1), withAward('new_stats', 'n'))} union all ${select(countsOf('a', null, -1), withAward('new_stats', 'n'))}`),
  upsertChannels(channelRows('a', 'n', 1, withAward('new_stats', 'n'))),
]);

const statsUpdated = plpgsql([
  upsertCounts(`${select(countsOf('a', 'o', -1), withAward('old_stats', 'o'))} union all ${select(countsOf('a', 'n', 1), withAward('new_stats', 'n'))}`),
  upsertChannels(`${channelRows('a', 'o', -1, withAward('old_stats', 'o'))} union all ${channelRows('a', 'n', 1, withAward('new_stats', 'n'))}`),
]);

// Index lookups from the transition table, whatever its size: a hash or merge join planned for a
// large one would scan all of awards or award_stats for every later one-row statement.
const triggerFunction = (name: string, body: string) => `create function ${name}() returns trigger language plpgsql
  set enable_hashjoin = off set enable_mergejoin = off as $fn$
${body}
$fn$;`;

export const sql = /* sql */ `
create table award_day_counts (
  tenant_id        uuid not null references tenants(tenant_id),
  course_id        uuid not null,
  badge_id         uuid not null,
  day              date not null,
  module_id        uuid not null,
  method           text not null,
  is_test          boolean not null,
${COUNTERS.map((c) => `  ${c.padEnd(16)} integer not null default 0,`).join('\n')}
  primary key (${list(KEY)})
);
-- badge scope without its course
create index award_day_counts_badge on award_day_counts (tenant_id, badge_id, day);

create table award_day_channels (
  tenant_id  uuid not null references tenants(tenant_id),
  day        date not null,
  course_id  uuid not null,
  badge_id   uuid not null,
  module_id  uuid not null,
  is_test    boolean not null,
  kind       text not null check (kind in ('sharing', 'viewing')),
  key        text not null,
  n          integer not null default 0,
  primary key (${list(CHANNEL_KEY)})
);

-- The per-award passes of analytics (time-to-claim percentiles, repeat earners, pathways, and the
-- partial days at a window's edges) read these columns from the index alone: the awards heap
-- carries the credentials and is wide.
create index awards_awarded on awards (tenant_id, awarded_at) include (accepted_at, user_id, badge_id, course_id, is_test, revoked_at, valid_until);

${triggerFunction('award_day_awards_inserted', awardsInserted)}

${triggerFunction('award_day_awards_updated', awardsUpdated)}

${triggerFunction('award_day_awards_deleted', awardsDeleted)}

${triggerFunction('award_day_stats_inserted', statsInserted)}

${triggerFunction('award_day_stats_updated', statsUpdated)}

-- No award or event may be written between the backfill and the triggers: hold writers off until
-- this commits (awards first, as the writers lock them).
lock table awards in share row exclusive mode;
lock table award_stats in share row exclusive mode;

create trigger award_day_inserted after insert on awards referencing new table as new_awards
  for each statement execute function award_day_awards_inserted();
create trigger award_day_updated after update on awards referencing old table as old_awards new table as new_awards
  for each statement execute function award_day_awards_updated();
create trigger award_day_deleted after delete on awards referencing old table as old_awards
  for each statement execute function award_day_awards_deleted();
create trigger award_day_stats_inserted after insert on award_stats referencing new table as new_stats
  for each statement execute function award_day_stats_inserted();
create trigger award_day_stats_updated after update on award_stats referencing old table as old_stats new table as new_stats
  for each statement execute function award_day_stats_updated();

${upsertCounts(`select ${countsOf('a', 's', 1)} from awards a left join ${stats('s', 'a')}`)};

${upsertChannels(`select ${channelsOf('a', 's', 1).select} from awards a join ${stats('s', 'a')} ${channelsOf('a', 's', 1).joins}`)};
`;
