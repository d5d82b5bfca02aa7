// GET /api/v1/analytics (PRODUCT.md §7a): SQL aggregates of a scope, filtered (aggregates-repository),
// turned by the pure formulas of metrics.ts into every metric of §5 for the range, all time, the
// previous equal range (trends) and the last 7 / 30 days. No per-award row reaches Node.
import type { Db } from '../db/index.js';
import type { Clock } from '../shared/index.js';
import { aggregatesRepository, type AggregatesRepository, type PathwayRow, type Window } from './aggregates-repository.js';
import { isWeekly, perCourseOf, timelineOf } from './breakdowns.js';
import { alerts, driver, engagementOf, funnelOf, gapOf, NO_AWARDS, overallScores, pathwayOf, rate, trend } from './metrics.js';
import { analyticsRepository, type BadgeAttributes, type Scope } from './repository.js';
import type { AwardFilter, AwardStatus } from './scoped-awards.js';
import { kpis, sumBy, windowFacts } from './summaries.js';

export type { AwardStatus } from './scoped-awards.js';
export interface AnalyticsQuery extends Scope { scope: 'org' | 'course' | 'badge'; from: Date; to: Date; status?: AwardStatus }

const DAY = 86_400_000;

/** Code-unit order (the keys are ASCII): the answer's maps come by name, whatever order the plan gave their rows in. */
const byName = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);

/** Every aggregate the answer is made of, queried at once (the pool runs them side by side on PostgreSQL). */
async function gather(agg: AggregatesRepository, repo: ReturnType<typeof analyticsRepository>, q: AnalyticsQuery, f: AwardFilter) {
  const span = q.to.getTime() - q.from.getTime();
  const range = { from: q.from, to: q.to };
  // Awards in range by award date (a cohort): their later events count whenever they happened.
  // breakdowns() takes its per badge and per period groups from the first window: the range.
  const windows: Window[] = [
    { name: 'range', ...range },
    { name: 'previous', from: new Date(q.from.getTime() - span - 1), to: new Date(q.from.getTime() - 1) },
    { name: 'all', from: null, to: null },
  ];
  const rolling: Window[] = [
    { name: 'd7', from: new Date(f.now.getTime() - 7 * DAY), to: f.now },
    { name: 'd30', from: new Date(f.now.getTime() - 30 * DAY), to: f.now },
  ];
  const [{ badges: badgeList, modules: moduleList }, breakdowns, percentiles, earners, channels, pathways] = await Promise.all([
    repo.badgesAndModules(q), agg.breakdowns(f, [...windows, ...rolling], isWeekly(q.from, q.to)), agg.percentiles(f, windows), agg.earners(f, windows),
    agg.channels(f, range), agg.pathways(f, range),
  ]);
  const { badges, methods, periods } = breakdowns;
  const windowRows = breakdowns.windows.map((w) => ({ ...w, ...percentiles.find((x) => x.name === w.name) }));
  return { badgeList, moduleList, windowRows, earners, badges, methods, channels, periods, steps: pathways.steps, pathwayEarners: pathways.earners };
}

type Gathered = Awaited<ReturnType<typeof gather>>;

/** Mean LES and EIS of badges with each attribute (and each awarding method of the range) against those without. */
function drivers(g: Gathered, attrs: ReadonlyMap<string, BadgeAttributes>, scores: Array<{ badgeId: string; les: number | null; eis: number | null }>) {
  // the badges each method awarded in the range, as sets: the drivers ask once per badge and method
  const awardedBy = new Map<string, Set<string>>();
  for (const r of g.badges) for (const m of r.methods) awardedBy.set(m, (awardedBy.get(m) ?? new Set<string>()).add(r.badge_id));
  const methods = [...awardedBy.keys()].sort();
  return [
    driver('aligned_to_skills', scores, (id) => attrs.get(id)!.alignedToSkills),
    driver('part_of_pathway', scores, (id) => attrs.get(id)!.pathway !== null),
    driver('has_expiry', scores, (id) => attrs.get(id)!.hasExpiry),
    ...methods.map((m) => driver(`awarded_by_${m}`, scores, (id) => awardedBy.get(m)!.has(id))),
  ];
}

/** Rows grouped by a key, each group in the rows' order. */
function groupBy<R>(rows: readonly R[], key: (r: R) => string | null): Map<string, R[]> {
  const out = new Map<string, R[]>();
  for (const r of rows) {
    const k = key(r);
    if (k === null) continue;
    const group = out.get(k);
    if (group) group.push(r);
    else out.set(k, [r]);
  }
  return out;
}

function pathways(g: Gathered) {
  // grouped once: an organisation has hundreds of pathways and thousands of step rows
  const [stepsOf, badgesOf] = [groupBy(g.steps, (r) => r.pathway), groupBy(g.badgeList, (b) => b.pathway)];
  const earnersOf = new Map(g.pathwayEarners.map((r) => [r.pathway, r]));
  const names = [...badgesOf.keys()].sort();
  return names.map((name) => {
    const mine = stepsOf.get(name) ?? [];
    const next = new Map<string, Map<string, number>>();
    for (const r of mine.filter((x): x is PathwayRow & { next_id: string } => x.next_id !== null)) {
      next.set(r.badge_id, (next.get(r.badge_id) ?? new Map<string, number>()).set(r.next_id, r.learners));
    }
    const e = earnersOf.get(name);
    const steps = [...badgesOf.get(name)!].sort((x, y) => x.position - y.position || x.name.localeCompare(y.name));
    return {
      name,
      ...pathwayOf(steps.map((b) => ({ badgeId: b.id, name: b.name })), {
        learners: new Map(mine.filter((r) => r.next_id === null).map((r) => [r.badge_id, r.learners])), next, earners: e?.earners ?? 0, repeaters: e?.repeaters ?? 0,
      }),
    };
  });
}

/** `rollups: false` computes every aggregate from the awards themselves, to check the rollups against. */
export function createAnalytics(deps: { db: Db; clock: Clock; rollups?: boolean }) {
  const repo = analyticsRepository(deps.db);
  const agg = aggregatesRepository(deps.db, { rollups: deps.rollups ?? true });

  return {
    async compute(q: AnalyticsQuery) {
      const now = deps.clock.now();
      const g = await gather(agg, repo, q, { tenantId: q.tenantId, courseId: q.courseId ?? null, badgeId: q.badgeId ?? null, includeTest: q.includeTest, status: q.status, now });
      const current = kpis(windowFacts(g.windowRows, g.earners, 'range'), g.badgeList.length);
      const before = kpis(windowFacts(g.windowRows, g.earners, 'previous'), g.badgeList.length);
      const numeric = ['awarded', 'acceptanceRate', 'shareRate', 'publicVisibilityRate', 'views', 'verifications', 'learnerEngagementScore', 'externalImpactScore', 'repeatEarnerRate', 'notificationFailureRate'] as const;
      const acceptance = (name: string) => {
        const c = windowFacts(g.windowRows, g.earners, name).counts;
        return rate(c.accepted, c.awarded);
      };
      const rolling = { acceptanceRate7d: acceptance('d7'), acceptanceRate30d: acceptance('d30') };

      const byBadge = sumBy(g.badges, (r) => r.badge_id);
      const perBadge = g.badgeList.map((b) => {
        const c = byBadge.get(b.id) ?? NO_AWARDS;
        const e = engagementOf(c);
        return { badgeId: b.id, name: b.name, awarded: c.awarded, accepted: c.accepted, shared: c.acceptedShared,
          shares: e.shares, views: e.views, verifications: e.verifications, learnerEngagementScore: e.learnerEngagementScore, externalImpactScore: e.externalImpactScore,
          overallScore: null as number | null };
      });
      const scores = perBadge.map((b) => ({ badgeId: b.badgeId, les: b.learnerEngagementScore, eis: b.externalImpactScore }));
      const overall = overallScores(scores);
      // set on the rows themselves: a copy per badge (a spread of eleven keys) cost an organisation's answer 1.5 ms
      for (const b of perBadge) b.overallScore = overall.get(b.badgeId) ?? null;
      // a badge's module and course are its own (awards_badge_fkey): the rows per badge name neither
      const badgeOf = new Map(g.badgeList.map((b) => [b.id, b]));
      const byModule = sumBy(g.badges, (r) => badgeOf.get(r.badge_id)!.moduleId);
      const byCourse = sumBy(g.badges, (r) => badgeOf.get(r.badge_id)!.courseId);
      const channel = (kind: 'sharing' | 'viewing') => Object.fromEntries(g.channels.filter((r) => r.kind === kind).sort((x, y) => byName(x.key, y.key)).map((r) => [r.key, r.n]));

      return {
        drivers: drivers(g, badgeOf, scores),
        pathways: pathways(g),
        scope: { type: q.scope, tenantId: q.tenantId, courseId: q.courseId ?? null, badgeId: q.badgeId ?? null, status: q.status ?? null, includeTest: q.includeTest },
        range: { from: q.from.toISOString(), to: q.to.toISOString() },
        kpis: current,
        allTime: kpis(windowFacts(g.windowRows, g.earners, 'all'), g.badgeList.length),
        trends: {
          ...(Object.fromEntries(numeric.map((k) => [k, trend(current[k], before[k])])) as Record<(typeof numeric)[number], number | null>),
          medianHoursToClaim: trend(current.timeToClaim.medianHours, before.timeToClaim.medianHours),
        },
        rolling,
        modules: g.moduleList.map((m) => {
          const c = byModule.get(m.id);
          const gap = c ? gapOf(c.awarded, c.accepted) : null;
          return { moduleId: m.id, title: m.title, position: m.position, qualifyingCompletions: gap?.qualifyingCompletions ?? 0, accepted: gap?.accepted ?? 0, gap: gap?.gap ?? null, flag: gap?.flag ?? null };
        }),
        badges: perBadge,
        funnel: funnelOf(windowFacts(g.windowRows, g.earners, 'range').counts),
        distribution: {
          awarding: Object.fromEntries([...sumBy(g.methods, (r) => r.method)].sort(([x], [y]) => byName(x, y)).map(([m, c]) => [m, c.awarded])),
          sharing: channel('sharing'),
          viewing: channel('viewing'),
        },
        timeline: timelineOf(sumBy(g.periods, (r) => r.start), q.from, q.to),
        courses: perCourseOf(new Map([...byCourse].sort(([x], [y]) => byName(x, y)))),
        alerts: alerts({ acceptance7d: rolling.acceptanceRate7d, acceptance30d: rolling.acceptanceRate30d, notificationFailureRate: current.notificationFailureRate }),
      };
    },
    rate,
    courseOf: repo.courseOf,
  };
}

export type Analytics = ReturnType<typeof createAnalytics>;
