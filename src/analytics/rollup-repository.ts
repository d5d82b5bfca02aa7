// The count breakdowns and the channel distribution from the rollups of migrations 013 and 019 for
// the whole UTC days of each window, and from the awards (scoped-awards.ts) for the partial days at
// its edges: the sums of the per-award pass, for a filter without status (a status depends on now).
// A course or a badge reads its day rows; the organisation reads tenant_day_counts for the window
// totals and the timeline, and award_month_counts for a range's whole months per badge (and for an
// edge month it holds most of, less that month's other days).
import type { Queryable } from '../db/index.js';
import { Params, scopedAwards, type AwardFilter } from './scoped-awards.js';
import { edgeMonthsOf, inWholeMonths, maskOf, onPartialDays, onWholeDays, outsideWholeMonths, type BreakdownRow, type Window } from './windows.js';

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

/** One award of `scoped` as a unit: its counters as a rollup row holds them. */
const AWARD_UNIT = `1 as awarded, accepted::int as accepted, (accepted and shares > 0)::int as accepted_shared, (accepted and is_public)::int as accepted_public,
  (accepted and shares > 0 and views > 0)::int as shared_viewed, shares, views, verifications, sent, failed,
  (hours < 1)::int as lt1h, (hours >= 1 and hours < 24)::int as h1to24, (hours >= 24 and hours <= 168)::int as d1to7, (hours > 168)::int as gt7d`;
/** A rollup row (alias d) as a unit. */
const ROLLUP_UNIT_COLUMNS = ['awarded', 'accepted', 'accepted_shared', 'accepted_public', 'shared_viewed', 'shares', 'views', 'verifications', 'sent', 'failed',
  'lt1h', 'h1to24', 'd1to7', 'gt7d'].map((c) => `d.${c}`);
const ROLLUP_UNIT = ROLLUP_UNIT_COLUMNS.join(', ');
/** A rollup row (alias d) taken back: its counters negated. */
const NEGATED_ROLLUP_UNIT = ROLLUP_UNIT_COLUMNS.map((c) => `-${c}`).join(', ');

/** The period as whole days since 1970-01-01, a Thursday: weeks start on the Monday 3 days before. */
const periodOf = (weekly: boolean) => (weekly ? `(day - date '1970-01-01') - ((day - date '1970-01-01') % 7 + 10) % 7` : `day - date '1970-01-01'`);

/** The organisation's rollup rows (alias d) of a tenant-wide table: the tenant, and test accounts unless included. */
const tenantScope = (f: AwardFilter, p: Params) => [`d.tenant_id = ${p.add(f.tenantId)}`, ...(f.includeTest ? [] : ['not d.is_test'])].join(' and ');

export function rollupRepository(db: Queryable) {
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
          select ${maskOf(partial)} as mask, (awarded_at at time zone 'UTC')::date as day, badge_id, module_id, course_id, method, ${AWARD_UNIT}
          from scoped
          union all
          select ${maskOf(whole)}, d.day, d.badge_id, d.module_id, d.course_id, d.method, ${ROLLUP_UNIT}
          -- a row all of whose awards moved away or went is all zeros: no group of its own
          from award_day_counts d where ${rollupScope(f, p)} and d.awarded <> 0 and (${whole.join(' or ')}))
        -- grouping(): 1 per badge × method (the window totals are their sums), 2 per period
        select grouping(badge_id, period) as grouped, mask, badge_id, module_id, course_id, method, period, ${SUMS}
        from (select units.*, case when (mask & 1) = 1 then ${period} end as period from units) u
        group by grouping sets ((mask, badge_id, module_id, course_id, method), (mask, period))`, p.values);
    },

    /**
     * The organisation's window totals (grouped 0) and periods of the first window (grouped 2, as
     * breakdownRows), from tenant_day_counts for whole days and the awards for partial ones.
     */
    async orgTotalRows(f: AwardFilter, windows: readonly Window[], weekly: boolean): Promise<BreakdownRow[]> {
      const p = new Params();
      const partial = windows.map((w) => onPartialDays(w, p));
      const cte = scopedAwards(f, p, { awarded: windows.map((w) => onPartialDays(w, p, 'a.awarded_at')).join(' or ') });
      const whole = windows.map((w) => onWholeDays(w, p, 'd.day'));
      return db.query<BreakdownRow>(`${cte}, units as (
          select ${maskOf(partial)} as mask, (awarded_at at time zone 'UTC')::date as day, ${AWARD_UNIT} from scoped
          union all
          select ${maskOf(whole)}, d.day, ${ROLLUP_UNIT} from tenant_day_counts d where ${tenantScope(f, p)} and d.awarded <> 0 and (${whole.join(' or ')}))
        select case when grouping(period) = 1 then 0 else 2 end as grouped, mask, null as badge_id, null as module_id, null as course_id, null as method, period, ${SUMS}
        from (select units.*, case when (mask & 1) = 1 then ${periodOf(weekly)} end as period from units) u
        group by grouping sets ((mask), (mask, period))`, p.values);
    },

    /**
     * The organisation's sums per badge × method of the range (grouped 1, mask 1, as breakdownRows):
     * award_month_counts for its whole months, award_day_counts for its other whole days (or, where
     * they are most of their month, that month's row less its other days), the awards for its
     * partial days. A group whose units sum to no award has none in the range: it is left out.
     */
    async orgGroupRows(f: AwardFilter, range: Window): Promise<BreakdownRow[]> {
      const p = new Params();
      const cte = scopedAwards(f, p, { awarded: onPartialDays(range, p, 'a.awarded_at') });
      const rows = (unit: string, table: string, where: string) => `select d.badge_id, d.module_id, d.course_id, d.method, ${unit} from ${table} d
          where ${tenantScope(f, p)} and d.awarded <> 0 and ${where}`;
      const edges = edgeMonthsOf(range);
      const date = (day: string) => p.add(day, '::date');
      const days = edges === null ? [rows(ROLLUP_UNIT, 'award_day_counts', `${onWholeDays(range, p, 'd.day')} and ${outsideWholeMonths(range, p, 'd.day')}`)]
        : edges.map((e) => (!e.complement ? rows(ROLLUP_UNIT, 'award_day_counts', `d.day >= ${date(e.first)} and d.day <= ${date(e.last)}`)
          : rows(NEGATED_ROLLUP_UNIT, 'award_day_counts', `d.day >= ${date(e.month)} and d.day <= ${date(e.monthEnd)} and not (d.day >= ${date(e.first)} and d.day <= ${date(e.last)})`)));
      // the months read whole: the range's whole months, and the edge months read less their other days (one scan)
      const complemented = (edges ?? []).filter((e) => e.complement).map((e) => date(e.month));
      const months = complemented.length ? `(${inWholeMonths(range, p, 'd.month')} or d.month in (${complemented.join(', ')}))` : inWholeMonths(range, p, 'd.month');
      return db.query<BreakdownRow>(`${cte}, units as (
          select badge_id, module_id, course_id, method, ${AWARD_UNIT} from scoped
          union all
          ${rows(ROLLUP_UNIT, 'award_month_counts', months)}
          ${days.map((d) => `union all ${d}`).join('\n')})
        select 1 as grouped, 1 as mask, badge_id, module_id, course_id, method, null as period, ${SUMS}
        from units group by badge_id, module_id, course_id, method having sum(awarded) <> 0`, p.values);
    },

    /** Share events per channel and human views per source, of the awards of the range (the organisation's per tenant day). */
    async channels(f: AwardFilter, range: { from: Date; to: Date }): Promise<Array<{ kind: 'sharing' | 'viewing'; key: string; n: number }>> {
      const p = new Params();
      const w: Window = { name: 'range', ...range };
      const org = !f.courseId && !f.badgeId;
      return db.query(`${scopedAwards(f, p, { awarded: onPartialDays(w, p, 'a.awarded_at') })}
        select c.kind, c.key, sum(c.n)::float8 as n from (
          select 'sharing' as kind, e.key, e.value::int as n from scoped cross join lateral jsonb_each_text(scoped.shared_channels) e
          union all
          select 'viewing', e.key, e.value::int from scoped cross join lateral jsonb_each_text(scoped.view_sources) e
          union all
          select d.kind, d.key, d.n from ${org ? 'tenant_day_channels' : 'award_day_channels'} d
          where ${org ? tenantScope(f, p) : rollupScope(f, p)} and ${onWholeDays(w, p, 'd.day')}) c
        group by c.kind, c.key having sum(c.n) > 0`, p.values);
    },
  };
}
