// The count breakdowns and the channel distribution from the rollups of migrations 013, 019 and 026
// for the whole UTC days of each window, and from the awards (scoped-awards.ts) for the partial days
// at its edges (or a partial day's row less its awards outside the window): the sums of the
// per-award pass, for a filter without status (a status depends on now). A course or a badge reads
// its day rows; the organisation reads tenant_day_counts for the window totals and the timeline,
// and award_month_counts for a range's whole months per badge (and for an edge month it holds most
// of, less that month's other days), or award_total_counts less the rest of the history.
import type { Queryable } from '../db/index.js';
import { Params, scopedAwards, type AwardFilter, type EngagementRow } from './scoped-awards.js';
import {
  awardReads, dailyReads, DAY, firstMonthFrom, isoDay, maskOf, monthlyReads, monthStartOf, onPartialDays, onWholeDays, wholeMonthsOf, type BreakdownRow,
  type Window,
} from './windows.js';

/** The rollup rows (alias d) of the filter's scope. */
function rollupScope(f: AwardFilter, p: Params): string {
  const where = [`d.tenant_id = ${p.add(f.tenantId)}`];
  if (f.courseId) where.push(`d.course_id = ${p.add(f.courseId)}`);
  if (f.badgeId) where.push(`d.badge_id = ${p.add(f.badgeId)}`);
  if (!f.includeTest) where.push('not d.is_test');
  return where.join(' and ');
}

/** The sums of a group of units (a unit is one award, or one rollup row of many). */
const SUMS = `sum(awarded)::int as awarded, sum(accepted)::int as accepted, sum(accepted_shared)::int as accepted_shared,
  sum(accepted_public)::int as accepted_public, sum(shared_viewed)::int as shared_viewed,
  sum(shares)::float8 as shares, sum(views)::float8 as views, sum(verifications)::float8 as verifications,
  sum(sent)::float8 as sent, sum(failed)::float8 as failed,
  coalesce(sum(lt1h), 0)::int as lt1h, coalesce(sum(h1to24), 0)::int as h1to24, coalesce(sum(d1to7), 0)::int as d1to7, coalesce(sum(gt7d), 0)::int as gt7d`;

/**
 * The sums of a group of units that a badge's, module's, course's and method's figures use
 * (EngagementRow): the organisation's groups carry no others, the windows' totals come apart.
 */
const GROUP_SUMS = `sum(awarded)::int as awarded, sum(accepted)::int as accepted, sum(accepted_shared)::int as accepted_shared,
  sum(shares)::float8 as shares, sum(views)::float8 as views, sum(verifications)::float8 as verifications`;

/** Every awarding method (the check constraint on awards.method, migration 002). */
export const AWARD_METHODS = ['lms', 'api', 'csv', 'manual'] as const;

/**
 * The organisation's groups from CTE `units` (rollup rows and awards, added or taken back), in one
 * aggregation: per badge, with the methods whose units sum to an award of it in the range (grouped
 * 1), and per method (grouped 3). A group whose units sum to no award has none in the range: it is
 * left out (its other sums are nothing then too: each award's units come and go whole). Summed per
 * badge × method first and regrouped, the same rows took twice the time (two hash aggregations of
 * 4,000 groups at 1M awards); the methods are four, so each is a filtered sum. A quarter as many
 * rows as per badge × method reach Node, where parsing them was a good part of an answer's time;
 * and only what Node cannot know: a badge's module and course are its own (awards_badge_fkey), the
 * methods' order is not used. The methods come as one text, comma-separated (splitMethods): as a
 * text[], parsing the arrays cost Node 2.7 ms of an organisation's 1,004 rows at 1M awards.
 */
const methodsAwarded = `concat_ws(',', ${AWARD_METHODS.map((m) => `case when sum(awarded) filter (where method = '${m}') <> 0 then '${m}' end`).join(', ')})`;
const PER_BADGE_AND_METHOD = `
  select case when grouping(method) = 1 then 1 else 3 end as grouped, badge_id, method,
    case when grouping(method) = 1 then ${methodsAwarded} end as methods, ${GROUP_SUMS}
  from units group by grouping sets ((badge_id), (method)) having sum(awarded) <> 0`;

/** A row of the organisation's groups (PER_BADGE_AND_METHOD): a badge's (grouped 1) or a method's (grouped 3). */
export interface OrgGroupRow extends EngagementRow { grouped: 1 | 3; badge_id: string | null; method: string | null; methods: string[] | null }

/** A row of PER_BADGE_AND_METHOD as it comes: its methods one text. */
type OrgGroupText = Omit<OrgGroupRow, 'methods'> & { methods: string | null };

/** The rows of PER_BADGE_AND_METHOD with their methods' text split, in place (a badge's group has one method at least: its awards). */
function splitMethods(rows: OrgGroupText[]): OrgGroupRow[] {
  for (const r of rows as Array<{ methods: string | string[] | null }>) if (typeof r.methods === 'string') r.methods = r.methods.split(',');
  return rows as unknown as OrgGroupRow[];
}

/** One award of `scoped` as a unit: its counters as a rollup row holds them. */
const AWARD_UNIT_COLUMNS: ReadonlyArray<readonly [string, string]> = [['1', 'awarded'], ['accepted::int', 'accepted'], ['(accepted and shares > 0)::int', 'accepted_shared'],
  ['(accepted and is_public)::int', 'accepted_public'], ['(accepted and shares > 0 and views > 0)::int', 'shared_viewed'], ['shares', 'shares'], ['views', 'views'],
  ['verifications', 'verifications'], ['sent', 'sent'], ['failed', 'failed'], ['(hours < 1)::int', 'lt1h'], ['(hours >= 1 and hours < 24)::int', 'h1to24'],
  ['(hours >= 24 and hours <= 168)::int', 'd1to7'], ['(hours > 168)::int', 'gt7d']];
const AWARD_UNIT = AWARD_UNIT_COLUMNS.map(([e, c]) => `${e} as ${c}`).join(', ');
/** An award taken back: its counters negated. */
const NEGATED_AWARD_UNIT = AWARD_UNIT_COLUMNS.map(([e, c]) => `-(${e}) as ${c}`).join(', ');
/** A rollup row (alias d) as a unit. */
const ROLLUP_UNIT_COLUMNS = ['awarded', 'accepted', 'accepted_shared', 'accepted_public', 'shared_viewed', 'shares', 'views', 'verifications', 'sent', 'failed',
  'lt1h', 'h1to24', 'd1to7', 'gt7d'].map((c) => `d.${c}`);
const ROLLUP_UNIT = ROLLUP_UNIT_COLUMNS.join(', ');
/** A rollup row (alias d) taken back: its counters negated. */
const NEGATED_ROLLUP_UNIT = ROLLUP_UNIT_COLUMNS.map((c) => `-${c}`).join(', ');

/**
 * A day's rows of award_day_counts for the whole organisation, as a fraction of a day's awards read
 * with their counters: at 1M awards about 1,100 rows against 2,700 awards, each row cheaper to sum.
 */
const DAY_ROWS_COST = 0.15;

/** The period as whole days since 1970-01-01, a Thursday: weeks start on the Monday 3 days before. */
const periodOf = (weekly: boolean) => (weekly ? `(day - date '1970-01-01') - ((day - date '1970-01-01') % 7 + 10) % 7` : `day - date '1970-01-01'`);

/** The organisation's rollup rows (alias d) of a tenant-wide table: the tenant, and test accounts unless included. */
const tenantScope = (f: AwardFilter, p: Params) => [`d.tenant_id = ${p.add(f.tenantId)}`, ...(f.includeTest ? [] : ['not d.is_test'])].join(' and ');

type Bounded = Window & { from: Date; to: Date };

/** Month starts (epoch ms) in [a, b). */
function monthsBetween(a: number, b: number): number {
  let n = 0;
  for (let m = monthStartOf(a) === a ? a : firstMonthFrom(a); m < b; m = firstMonthFrom(m + 1)) n++;
  return n;
}

/** The range's whole UTC months. */
function ownWholeMonths(range: Bounded): number {
  const inside = wholeMonthsOf(range);
  return inside ? monthsBetween(Date.parse(inside.first!), Date.parse(inside.end!)) : 0;
}

/** Fewer whole months than this never read less as the totals (they and the edge months' days are two). */
const MIN_MONTHS_AS_TOTAL = 3;

/**
 * Whether the range's sums per badge read fewer rows as award_total_counts less what lies outside
 * it (the history's months before its first month and after its last, up to now) than as its own
 * whole months: a month's rows are about as many as the totals', and the edge months' days alike.
 */
export function readsLessAsTotal(range: Bounded, firstDay: number, now: Date): boolean {
  const own = ownWholeMonths(range);
  if (own < MIN_MONTHS_AS_TOTAL) return false;
  const before = monthsBetween(monthStartOf(firstDay * DAY), monthStartOf(range.from.getTime()));
  const after = monthsBetween(firstMonthFrom(range.to.getTime() + 1), now.getTime() + 1);
  // the totals, and the days of the range's first and last month outside it, about a month's rows each
  return 1 + before + after + 1 < own;
}

export function rollupRepository(db: Queryable) {
  /**
   * orgGroupRows as award_total_counts less the awards outside the range: the history's months
   * before the month of its start and after the month of its end, those months' other days, and
   * the awards of its first day before it and of its last day after it.
   */
  async function orgGroupRowsAsTotal(f: AwardFilter, range: Bounded): Promise<OrgGroupRow[]> {
    const p = new Params();
    const [from, to] = [range.from.getTime(), range.to.getTime()];
    const [fromDay, toDay] = [Math.floor(from / DAY), Math.floor(to / DAY)];
    const at = (ms: number) => p.add(new Date(ms), '::timestamptz');
    const date = (ms: number) => p.add(isoDay(Math.floor(ms / DAY)), '::date');
    const outside = (column: string) => `((${column} >= ${at(fromDay * DAY)} and ${column} < ${at(from)}) or (${column} > ${at(to)} and ${column} < ${at((toDay + 1) * DAY)}))`;
    const cte = scopedAwards(f, p, { awarded: outside('a.awarded_at') });
    const rows = (unit: string, table: string, where: string) => `select d.badge_id, d.method, ${unit} from ${table} d
        where ${tenantScope(f, p)} and d.awarded <> 0 and ${where}`;
    const [fromMonth, toMonth] = [monthStartOf(from), monthStartOf(to)];
    return splitMethods(await db.query<OrgGroupText>(`${cte}, units as (
        ${rows(ROLLUP_UNIT, 'award_total_counts', 'true')}
        union all
        ${rows(NEGATED_ROLLUP_UNIT, 'award_month_counts', `(d.month < ${date(fromMonth)} or d.month > ${date(toMonth)})`)}
        union all
        ${rows(NEGATED_ROLLUP_UNIT, 'award_day_counts', `((d.day >= ${date(fromMonth)} and d.day < ${date(fromDay * DAY)}) or (d.day > ${date(toDay * DAY)} and d.day < ${date(firstMonthFrom(to + 1))}))`)}
        union all
        select badge_id, method, ${NEGATED_AWARD_UNIT} from scoped)${PER_BADGE_AND_METHOD}`, p.values));
  }

  return {
    /**
     * The rows of aggregatesRepository.breakdowns: per window mask, the sums per badge × method and
     * per period (UTC day, or ISO week from Monday) of the first window. A rollup row carries the bits
     * of the windows that hold its whole day, an award those of the windows it is a partial day of.
     */
    async breakdownRows(f: AwardFilter, windows: readonly Window[], weekly: boolean): Promise<BreakdownRow[]> {
      const p = new Params();
      const partial = windows.map((w) => onPartialDays(w, p));
      const cte = scopedAwards(f, p, { awarded: windows.map((w) => onPartialDays(w, p, 'a.awarded_at')).join(' or ') });
      const whole = windows.map((w) => onWholeDays(w, p, 'd.day'));
      const period = periodOf(weekly);
      return db.query<BreakdownRow>(`${cte}, units as (
          select ${maskOf(partial)} as mask, (awarded_at at time zone 'UTC')::date as day, badge_id, method, ${AWARD_UNIT}
          from scoped
          union all
          select ${maskOf(whole)}, d.day, d.badge_id, d.method, ${ROLLUP_UNIT}
          -- a row all of whose awards moved away or went is all zeros: no group of its own
          from award_day_counts d where ${rollupScope(f, p)} and d.awarded <> 0 and (${whole.join(' or ')}))
        -- grouping(): 1 per badge × method (the window totals are their sums), 2 per period
        select grouping(badge_id, period) as grouped, mask, badge_id, method, period, ${SUMS}
        from (select units.*, case when (mask & 1) = 1 then ${period} end as period from units) u
        group by grouping sets ((mask, badge_id, method), (mask, period))`, p.values);
    },

    /**
     * The organisation's window totals (grouped 0) and periods of the first window (grouped 2, as
     * breakdownRows), from tenant_day_counts for whole days and the awards for partial ones, or
     * for a partial day with fewer awards outside the window than in it, its row less those.
     */
    async orgTotalRows(f: AwardFilter, windows: readonly Window[], weekly: boolean): Promise<BreakdownRow[]> {
      const p = new Params();
      const reads = windows.map((w) => dailyReads(w, p, f.now, { day: 'd.day', at: 'awarded_at' }));
      const filter = windows.map((w) => awardReads(w, p, f.now, 'a.awarded_at')).flatMap((r) => [r.plus, r.minus]).filter((c) => c !== 'false');
      const cte = scopedAwards(f, p, { awarded: filter.length ? filter.join(' or ') : 'false' });
      const day = `(awarded_at at time zone 'UTC')::date as day`;
      return db.query<BreakdownRow>(`${cte}, units as (
          select ${maskOf(reads.map((r) => r.plus))} as mask, ${day}, ${AWARD_UNIT} from scoped where ${reads.map((r) => r.plus).join(' or ')}
          union all
          select ${maskOf(reads.map((r) => r.minus))}, ${day}, ${NEGATED_AWARD_UNIT} from scoped where ${reads.map((r) => r.minus).join(' or ')}
          union all
          select ${maskOf(reads.map((r) => r.days))}, d.day, ${ROLLUP_UNIT} from tenant_day_counts d
          where ${tenantScope(f, p)} and d.awarded <> 0 and (${reads.map((r) => r.days).join(' or ')}))
        select case when grouping(period) = 1 then 0 else 2 end as grouped, mask, null as badge_id, null as method, period, ${SUMS}
        from (select units.*, case when (mask & 1) = 1 then ${periodOf(weekly)} end as period from units) u
        group by grouping sets ((mask), (mask, period))`, p.values);
    },

    /**
     * The organisation's sums of the range per badge and per method (PER_BADGE_AND_METHOD), from
     * its sums per badge × method: award_month_counts for its whole months, award_day_counts for
     * its other whole days (or, where they are most of their month, that month's row less its
     * other days), the awards for its partial days (or their rows less the awards outside); or,
     * for a range holding most of the history (which starts on `firstDay`: HistoryFirsts.day),
     * award_total_counts less what lies outside it (orgGroupRowsAsTotal).
     */
    async orgGroupRows(f: AwardFilter, range: Window, firstDay: number | null): Promise<OrgGroupRow[]> {
      if (range.from && range.to && firstDay !== null && readsLessAsTotal(range as Bounded, firstDay, f.now)) return orgGroupRowsAsTotal(f, range as Bounded);
      const p = new Params();
      const filter = awardReads(range, p, f.now, 'a.awarded_at', DAY_ROWS_COST);
      const cte = scopedAwards(f, p, { awarded: `${filter.plus} or ${filter.minus}` });
      const { plus, minus } = awardReads(range, p, f.now, 'awarded_at', DAY_ROWS_COST);
      const rows = (unit: string, table: string, where: string) => `select d.badge_id, d.method, ${unit} from ${table} d
          where ${tenantScope(f, p)} and d.awarded <> 0 and ${where}`;
      // whole months and edge months read as their row (one scan), the other days added or taken back
      const reads = monthlyReads(range, p, f.now, { month: 'd.month', day: 'd.day' }, DAY_ROWS_COST);
      const takenBack = reads.minusDays === 'false' ? '' : `union all ${rows(NEGATED_ROLLUP_UNIT, 'award_day_counts', reads.minusDays)}`;
      return splitMethods(await db.query<OrgGroupText>(`${cte}, units as (
          select badge_id, method, ${AWARD_UNIT} from scoped where ${plus}
          union all
          select badge_id, method, ${NEGATED_AWARD_UNIT} from scoped where ${minus}
          union all
          ${rows(ROLLUP_UNIT, 'award_month_counts', reads.months)}
          union all
          ${rows(ROLLUP_UNIT, 'award_day_counts', reads.days)}
          ${takenBack})${PER_BADGE_AND_METHOD}`, p.values));
    },

    /** Share events per channel and human views per source, of the awards of the range (the organisation's per tenant day). */
    async channels(f: AwardFilter, range: { from: Date; to: Date }): Promise<Array<{ kind: 'sharing' | 'viewing'; key: string; n: number }>> {
      const p = new Params();
      const w: Window = { name: 'range', ...range };
      const org = !f.courseId && !f.badgeId;
      const filter = awardReads(w, p, f.now, 'a.awarded_at');
      const { plus, minus, days } = dailyReads(w, p, f.now, { day: 'd.day', at: 'awarded_at' });
      // an award's share and view counts, added or (on a day read as its row less them) taken back
      const sign = `case when ${plus} then 1 when ${minus} then -1 else 0 end`;
      return db.query(`${scopedAwards(f, p, { awarded: `${filter.plus} or ${filter.minus}` })}, signed as (select ${sign} as sign, shared_channels, view_sources from scoped)
        select c.kind, c.key, sum(c.n)::float8 as n from (
          select 'sharing' as kind, e.key, signed.sign * e.value::int as n from signed cross join lateral jsonb_each_text(signed.shared_channels) e
          union all
          select 'viewing', e.key, signed.sign * e.value::int from signed cross join lateral jsonb_each_text(signed.view_sources) e
          union all
          select d.kind, d.key, d.n from ${org ? 'tenant_day_channels' : 'award_day_channels'} d
          where ${org ? tenantScope(f, p) : rollupScope(f, p)} and ${days}) c
        group by c.kind, c.key having sum(c.n) > 0`, p.values);
    },
  };
}
