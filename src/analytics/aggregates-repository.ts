// The aggregate queries behind GET /api/v1/analytics: counts per window of award dates, per badge ×
// method, per channel, per period and per pathway, summed in SQL so only small results reach Node.
// Without a status filter the counts and channels come from the daily rollups (rollup-repository).
import type { Db, Queryable } from '../db/index.js';
import { chainRepository, earnersOf, type ChainRepository } from './chain-repository.js';
import { orgClaimPercentiles } from './claim-percentiles.js';
import { historyFirsts } from './history-firsts.js';
import { rollupRepository, type OrgGroupRow } from './rollup-repository.js';
import { COUNTS, Params, scopedAwards, type AwardFilter, type CountsRow, type EngagementRow } from './scoped-awards.js';
import { inWindow, maskOf, type BreakdownRow, type BucketsRow, type Window } from './windows.js';

export type { Window } from './windows.js';

const DAY = 86_400_000;

export interface WindowRow extends CountsRow, BucketsRow { name: string; median_hours: number | null; p90_hours: number | null }
export interface EarnersRow { name: string; earners: number; repeaters: number }
/** A badge's sums in the range, and the methods that awarded it there (its module and course are the badge's own). */
export interface BadgeGroupRow extends EngagementRow { badge_id: string; methods: string[] }
/** A method's sums in the range. */
export interface MethodGroupRow extends EngagementRow { method: string }
export interface PeriodRow extends BreakdownRow { period: number; start: string }
export interface PathwayRow { pathway: string; badge_id: string; next_id: string | null; learners: number }
export interface PathwayEarnersRow { pathway: string; earners: number; repeaters: number }

const SUMMED = ['awarded', 'accepted', 'accepted_shared', 'accepted_public', 'shared_viewed', 'shares', 'views', 'verifications', 'sent', 'failed',
  'lt1h', 'h1to24', 'd1to7', 'gt7d'] as const;

/** Sums of a row added into another (the counters of a breakdown row). */
function addInto<R extends CountsRow & BucketsRow>(sum: R, r: CountsRow & BucketsRow): R {
  for (const k of SUMMED) sum[k] += r[k];
  return sum;
}

/** Groups per badge × method (of several window masks) as the sums per badge, with its methods, and per method. */
function perBadgeAndMethod(rows: readonly BreakdownRow[]): { badges: BadgeGroupRow[]; methods: MethodGroupRow[] } {
  const badges = new Map<string, BadgeGroupRow & CountsRow & BucketsRow>();
  const methods = new Map<string, MethodGroupRow & CountsRow & BucketsRow>();
  const zero = () => Object.fromEntries(SUMMED.map((k) => [k, 0])) as unknown as CountsRow & BucketsRow;
  for (const r of rows) {
    const b = badges.get(r.badge_id!) ?? { ...zero(), badge_id: r.badge_id!, methods: [] };
    badges.set(r.badge_id!, addInto(b, r));
    if (!b.methods.includes(r.method!)) b.methods.push(r.method!);
    methods.set(r.method!, addInto(methods.get(r.method!) ?? { ...zero(), method: r.method! }, r));
  }
  return { badges: [...badges.values()], methods: [...methods.values()] };
}

/** Per window, the sums of the rows (of window totals) whose mask holds it; median and p90 come apart (percentiles). */
function windowRowsOf(windows: readonly Window[], totals: readonly BreakdownRow[]): WindowRow[] {
  return windows.map((w, i) => {
    const out: WindowRow = { name: w.name, awarded: 0, accepted: 0, accepted_shared: 0, accepted_public: 0, shared_viewed: 0, shares: 0, views: 0, verifications: 0,
      sent: 0, failed: 0, lt1h: 0, h1to24: 0, d1to7: 0, gt7d: 0, median_hours: null, p90_hours: null };
    for (const r of totals.filter((x) => (x.mask >> i) & 1)) addInto(out, r);
    return out;
  });
}

/** The periods (grouped 2) of the first window, with their start as a date. */
const periodRowsOf = (rows: readonly BreakdownRow[]): PeriodRow[] => rows.filter((r): r is BreakdownRow & { period: number } => r.grouped === 2 && (r.mask & 1) === 1)
  .map((r) => ({ ...r, start: new Date(r.period * DAY).toISOString().slice(0, 10) }));

/**
 * The per-award pass of breakdowns: the awards of the filter, the award_stats join done once, grouped
 * by the set of windows each award falls in (a bit mask: a handful of groups), and within that by
 * badge × method and by period (UTC day, or ISO week from Monday) of the first window.
 */
function perAwardBreakdownRows(db: Queryable, f: AwardFilter, windows: readonly Window[], weekly: boolean): Promise<BreakdownRow[]> {
  const p = new Params();
  const cte = scopedAwards(f, p);
  const mask = maskOf(windows.map((w) => inWindow(w, p)));
  // the period as whole days since 1970-01-01 (UTC): a cheap grouping key
  const period = `(date_part('epoch', date_trunc(${p.add(weekly ? 'week' : 'day', '::text')}, awarded_at at time zone 'UTC')) / 86400)::int`;
  return db.query<BreakdownRow>(`${cte}, tagged as (
      select scoped.*, ${mask} as mask, case when ${inWindow(windows[0]!, p)} then ${period} end as period from scoped)
    -- grouping(): 1 per badge × method (the window totals are their sums), 2 per period
    select grouping(badge_id, period) as grouped, mask, badge_id, method, period, ${COUNTS},
      count(*) filter (where hours < 1)::int as lt1h,
      count(*) filter (where hours >= 1 and hours < 24)::int as h1to24,
      count(*) filter (where hours >= 24 and hours <= 168)::int as d1to7,
      count(*) filter (where hours > 168)::int as gt7d
    from tagged group by grouping sets ((mask, badge_id, method), (mask, period))`, p.values);
}

/** Share events per channel and human views per source, of the awards of the range, per award. */
function perAwardChannels(db: Queryable, f: AwardFilter, range: { from: Date; to: Date }): Promise<Array<{ kind: 'sharing' | 'viewing'; key: string; n: number }>> {
  const p = new Params();
  return db.query(`${scopedAwards(f, p, { awarded: inWindow({ name: 'range', ...range }, p, 'a.awarded_at') })}
    select c.kind, c.key, sum(c.value::int)::float8 as n
    from scoped cross join lateral (
      select 'sharing' as kind, key, value from jsonb_each_text(scoped.shared_channels)
      union all
      select 'viewing' as kind, key, value from jsonb_each_text(scoped.view_sources)) as c
    -- most awards were never shared or viewed: skip them before the per-row function calls
    where (scoped.shared_channels <> '{}'::jsonb or scoped.view_sources <> '{}'::jsonb) and c.value::int > 0
    group by c.kind, c.key`, p.values);
}

/**
 * The learner chains answer the organisation's repeat earners and pathways for the panel's default
 * filter: chains are per test flag (a learner's test and real awards are apart), and hold no status.
 */
const fromChains = (f: AwardFilter) => !f.courseId && !f.badgeId && !f.status && !f.includeTest;

/**
 * Past this many learners with an expired award the organisation's answer is the per-award pass:
 * their recount is that pass over their awards, on top of the chains (when most awards of a long
 * history have expired, the chains would only add to it).
 */
const RECOUNT_AT_MOST = 20_000;

/** The badges of the filter's scope, as a condition on badges. */
function badgeScope(f: AwardFilter, p: Params): string {
  return [`tenant_id = ${p.add(f.tenantId)}`, ...(f.courseId ? [`course_id = ${p.add(f.courseId)}`] : []), ...(f.badgeId ? [`id = ${p.add(f.badgeId)}`] : [])].join(' and ');
}

/**
 * On a PostgreSQL server the aggregates run with room to sort and hash in memory (with the default
 * 4 MB work_mem, a large tenant's per-award passes spill to disk), without JIT compilation, which
 * costs these one-off plans more than it saves (measured on a million awards), and without
 * parallel workers: an answer runs its aggregates side by side already, and a worker started for
 * one of them takes a core from another. The settings come with the connections (Db.withSettings):
 * set in a transaction around each statement, they cost three round trips more each (an
 * organisation's answer ran 40-odd statements then, 8 now with its API key's), and each round trip is
 * the server's CPU, which an organisation's answer is bounded by (about 60 ms of it at a million
 * awards). PGlite runs in this process, where the memory would count against ours: its settings stay.
 */
const ROOM_TO_SORT = { work_mem: '64MB', jit: 'off', max_parallel_workers_per_gather: '0' };
/** More settings for single statements, in a transaction around each (beside the connections' own). */
const withLocalSettings = (db: Db, settings: string): Queryable => (db.kind !== 'postgres' ? db : {
  query: (sql, params) => db.transaction(async (tx) => {
    await tx.query(settings);
    return tx.query(sql, params);
  }),
});

/**
 * Several statements on one snapshot (repeatable read): the learners with an expired award, the
 * chains' counts and the recount of those learners must agree.
 */
const inSnapshot = <T>(db: Db, fn: (q: Queryable) => Promise<T>): Promise<T> => db.transaction(fn, { repeatableRead: true });

/** `rollups: false` takes every aggregate from the awards themselves (to check the rollups against). */
export function aggregatesRepository(given: Db, opts: { rollups?: boolean } = {}) {
  const server = given.withSettings(ROOM_TO_SORT);
  const db: Queryable = server;
  // The organisation's count per learner streams from awards_learner in learner order; the planner,
  // seeing a quarter of a million learners, hashes them instead, at about 1.7 times the time (at 1M
  // awards). A course's few thousand awards are better found by course and hashed: left to it.
  const learnerOrder = withLocalSettings(server, 'set local enable_hashagg = off');
  const rollup = opts.rollups === false ? null : rollupRepository(db);
  // where each tenant's history starts, which only picks the cheaper of two exact reads: kept a minute
  const firsts = historyFirsts(db);
  // one snapshot per answer: the chains, the learners with an expired award and their recount must agree
  const useChains = (f: AwardFilter) => opts.rollups !== false && fromChains(f);

  /** Per window, over the awards (of the learners given, or all): learners with ≥ 1 live award, and those with ≥ 2. */
  async function perAwardEarners(f: AwardFilter, windows: readonly Window[], learners?: readonly string[], on?: Queryable): Promise<EarnersRow[]> {
    const p = new Params();
    const cte = scopedAwards(f, p, { stats: false, learners });
    const counts = windows.map((w, i) => `count(*) filter (where ${inWindow(w, p)}) as n${i}`);
    const totals = windows.map((w, i) => `json_build_object('name', ${p.add(w.name, '::text')}, 'earners', count(*) filter (where n${i} >= 1),
      'repeaters', count(*) filter (where n${i} >= 2)) as w${i}`);
    const [row] = await (on ?? (f.courseId || f.badgeId ? db : learnerOrder)).query<Record<string, EarnersRow>>(`${cte}, per_learner as (
        select ${counts.join(', ')} from scoped where live group by user_id)
      select ${totals.join(', ')} from per_learner`, p.values);
    return windows.map((_, i) => row![`w${i}`]!);
  }

  /**
   * Awards of the range of badges in a pathway (of the learners given, or all), in one pass: per
   * step and next step, the learners whose next award in the same pathway (by award time, then
   * badge id) is of next_id (null: none), and among them those with ≥ 1 and ≥ 2 live awards of the
   * pathway (counted on a learner's last award in it, where the running count is the learner's
   * total). Learners per step (a learner's awards of one badge are one at most: one per module and
   * learner, one badge per module) and per pathway are the sums of these rows.
   */
  async function perAwardPathways(f: AwardFilter, range: { from: Date; to: Date }, learners?: readonly string[], on: Queryable = db): Promise<{ steps: PathwayRow[]; earners: PathwayEarnersRow[] }> {
    const p = new Params();
    const rows = await on.query<{ pathway: string; badge_id: string; next_id: string | null; n: number; earners: number; repeaters: number }>(
      `${scopedAwards(f, p, { awarded: inWindow({ name: 'range', ...range }, p, 'a.awarded_at'), stats: false, learners })},
      -- the scope's badges (an award's course is its badge's): for a course, the planner starts from its few;
      -- the pathway's name compared byte by byte: the sort below would otherwise call strcoll per comparison
      in_pathway as (select id, pathway collate "C" as pathway from badges where ${badgeScope(f, p)} and pathway is not null),
      -- one sort by learner and pathway (awards_learner gives the learner order), one window pass
      steps as (
        select b.pathway, scoped.badge_id, lead(scoped.badge_id) over w as next_id, count(*) filter (where scoped.live) over w as live
        from scoped join in_pathway b on b.id = scoped.badge_id
        window w as (partition by scoped.user_id, b.pathway order by scoped.awarded_at, scoped.badge_id rows between unbounded preceding and current row))
      select pathway, badge_id, next_id, count(*)::int as n,
        count(*) filter (where next_id is null and live >= 1)::int as earners, count(*) filter (where next_id is null and live >= 2)::int as repeaters
      from steps group by pathway, badge_id, next_id`, p.values);
    const steps = new Map<string, PathwayRow>();
    const earners = new Map<string, PathwayEarnersRow>();
    for (const r of rows) {
      const step = steps.get(`${r.pathway} ${r.badge_id}`) ?? { pathway: r.pathway, badge_id: r.badge_id, next_id: null, learners: 0 };
      steps.set(`${r.pathway} ${r.badge_id}`, { ...step, learners: step.learners + r.n });
      const e = earners.get(r.pathway) ?? { pathway: r.pathway, earners: 0, repeaters: 0 };
      earners.set(r.pathway, { ...e, earners: e.earners + r.earners, repeaters: e.repeaters + r.repeaters });
    }
    return {
      steps: [...steps.values(), ...rows.filter((r) => r.next_id !== null).map((r) => ({ pathway: r.pathway, badge_id: r.badge_id, next_id: r.next_id, learners: r.n }))],
      earners: [...earners.values()],
    };
  }

  /**
   * The organisation's answer from the learner chains: when no learner has an award expired by now,
   * their counts alone (`unlessExpired`, one statement); otherwise, on one snapshot, the chains'
   * counts of all learners, then of those with an expired award (alive in their chains, not in the
   * answer) and their recount from the awards, for `combine` to swap in; past RECOUNT_AT_MOST such
   * learners, the per-award answer alone.
   */
  const chainAnswer = async <C, T>(f: AwardFilter, unlessExpired: (chains: ChainRepository) => Promise<C | null>,
    byChains: (chains: ChainRepository, learners?: readonly string[]) => Promise<C>, perAward: (q: Queryable, learners?: readonly string[]) => Promise<T>,
    combine: (all: C, recount: { theirs: C; exact: T } | null) => T): Promise<T> => {
    const alone = await unlessExpired(chainRepository(server));
    if (alone !== null) return combine(alone, null);
    return inSnapshot(server, async (q) => {
      const chains = chainRepository(q);
      const expired = await chains.expiredLearners(f);
      if (expired.length > RECOUNT_AT_MOST) return perAward(q);
      const all = await byChains(chains);
      return combine(all, expired.length ? { theirs: await byChains(chains, expired), exact: await perAward(q, expired) } : null);
    });
  };

  return {
    /**
     * Per window: the counts and time-to-claim buckets of its awards; per badge × method and per
     * period, those of the first window (the range). From the rollups unless a status is filtered.
     */
    async breakdowns(f: AwardFilter, windows: readonly Window[], weekly: boolean): Promise<{ windows: WindowRow[]; badges: BadgeGroupRow[]; methods: MethodGroupRow[]; periods: PeriodRow[] }> {
      // the organisation's totals come apart from its groups, per badge and per method already: those of the first window only
      if (rollup && !f.status && !f.courseId && !f.badgeId) {
        const [totals, groups] = await Promise.all([rollup.orgTotalRows(f, windows, weekly), firsts(f.tenantId).then((h) => rollup.orgGroupRows(f, windows[0]!, h.day))]);
        return {
          windows: windowRowsOf(windows, totals.filter((r) => r.grouped === 0)),
          badges: groups.filter((r): r is OrgGroupRow & BadgeGroupRow => r.grouped === 1),
          methods: groups.filter((r): r is OrgGroupRow & MethodGroupRow => r.grouped === 3),
          periods: periodRowsOf(totals),
        };
      }
      const rows = rollup && !f.status ? await rollup.breakdownRows(f, windows, weekly) : await perAwardBreakdownRows(db, f, windows, weekly);
      return { windows: windowRowsOf(windows, rows.filter((r) => r.grouped === 1)), ...perBadgeAndMethod(rows.filter((r) => r.grouped === 1 && r.mask & 1)), periods: periodRowsOf(rows) };
    },

    /**
     * Per window: median and p90 hours to claim of the accepted awards (PostgreSQL's percentile_cont).
     * The input comes sorted once: each window's aggregate sorts it again, and a sorted input takes
     * one linear pass.
     */
    async percentiles(f: AwardFilter, windows: readonly Window[]): Promise<Array<{ name: string; median_hours: number | null; p90_hours: number | null }>> {
      // the organisation's from the claim-time histogram (claim-percentiles.ts)
      if (rollup && !f.status && !f.courseId && !f.badgeId) return orgClaimPercentiles(db, f, windows);
      const p = new Params();
      const cte = scopedAwards(f, p, { stats: false });
      const columns = windows.map((w, i) => `percentile_cont(array[0.5, 0.9]::float8[]) within group (order by hours) filter (where ${inWindow(w, p)}) as w${i}`);
      const [row] = await db.query<Record<string, number[] | null>>(`${cte}
        select ${columns.join(', ')} from (select hours, awarded_at from scoped where accepted order by hours) sorted`, p.values);
      return windows.map((w, i) => ({ name: w.name, median_hours: row?.[`w${i}`]?.[0] ?? null, p90_hours: row?.[`w${i}`]?.[1] ?? null }));
    },

    /**
     * Per window: learners with ≥ 1 live award (neither revoked nor expired), and those with ≥ 2.
     * The organisation's from the learner chains (migration 022), those of its learners with an
     * expired award recounted from their awards.
     */
    async earners(f: AwardFilter, windows: readonly Window[]): Promise<EarnersRow[]> {
      if (!useChains(f)) return perAwardEarners(f, windows);
      const { chainDay } = await firsts(f.tenantId);
      return chainAnswer(f, (chains) => chains.unitsUnlessExpired(f, windows, chainDay), (chains, learners) => chains.units(f, windows, chainDay, learners),
        (q, learners) => perAwardEarners(f, windows, learners, q),
        (units, recount) => windows.map((w, i) => {
          const all = earnersOf(units.filter((u) => u.w === i));
          const mine = earnersOf(recount?.theirs.filter((u) => u.w === i) ?? []);
          const exact = recount?.exact[i] ?? { earners: 0, repeaters: 0 };
          return { name: w.name, earners: all.earners - mine.earners + exact.earners, repeaters: all.repeaters - mine.repeaters + exact.repeaters };
        }));
    },

    /** Share events per channel and human views per source, of the awards of the range. */
    channels(f: AwardFilter, range: { from: Date; to: Date }): Promise<Array<{ kind: 'sharing' | 'viewing'; key: string; n: number }>> {
      return rollup && !f.status ? rollup.channels(f, range) : perAwardChannels(db, f, range);
    },

    /**
     * Per pathway step of the range: its learners, and per next step those whose next award in the
     * pathway (by award time, then badge id) is of it; per pathway, learners with ≥ 1 and ≥ 2 live
     * awards of it. The organisation's from the learner chains, as earners().
     */
    async pathways(f: AwardFilter, range: { from: Date; to: Date }): Promise<{ steps: PathwayRow[]; earners: PathwayEarnersRow[] }> {
      if (!useChains(f)) return perAwardPathways(f, range);
      const { pathwayMonth } = await firsts(f.tenantId);
      return chainAnswer(f, (chains) => chains.pathwayRowsUnlessExpired(f, range, pathwayMonth), (chains, learners) => chains.pathwayRows(f, range, pathwayMonth, learners),
        (q, learners) => perAwardPathways(f, range, learners, q), (rows, recount) => {
        const steps = new Map<string, PathwayRow>();
        const earners = new Map<string, PathwayEarnersRow>();
        const addEarners = (pathway: string, n: number, repeaters: number) => {
          const e = earners.get(pathway) ?? { pathway, earners: 0, repeaters: 0 };
          earners.set(pathway, { pathway, earners: e.earners + n, repeaters: e.repeaters + repeaters });
        };
        for (const r of rows) {
          const at = `${r.pathway} ${r.badge_id}`;
          steps.set(at, { pathway: r.pathway, badge_id: r.badge_id, next_id: null, learners: (steps.get(at)?.learners ?? 0) + r.n });
          addEarners(r.pathway, r.firsts, r.seconds);
        }
        // the learners with an expired award: their chain counts out, their recount from the awards in
        for (const r of recount?.theirs ?? []) addEarners(r.pathway, -r.firsts, -r.seconds);
        for (const e of recount?.exact.earners ?? []) addEarners(e.pathway, e.earners, e.repeaters);
        const next = rows.filter((r) => r.prev_badge_id !== null).map((r) => ({ pathway: r.pathway, badge_id: r.prev_badge_id!, next_id: r.badge_id, learners: r.n }));
        return { steps: [...steps.values(), ...next], earners: [...earners.values()] };
      });
    },
  };
}

export type AggregatesRepository = ReturnType<typeof aggregatesRepository>;
