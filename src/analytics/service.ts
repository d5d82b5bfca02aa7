// GET /api/v1/analytics (PRODUCT.md §7a): the facts of a scope, filtered, turned into every metric
// of §5 for the range, all time, the previous equal range (trends) and the last 7 / 30 days.
import type { Db } from '../db/index.js';
import type { Clock } from '../shared/index.js';
import {
  alerts, completionToClaimGap, driver, engagement, pathway, funnel, notificationFailureRate, overallScores, rate, repeatEarnerRate, timeToClaim, trend, type AwardFact,
} from './metrics.js';
import { perCourse, timeline } from './breakdowns.js';
import { analyticsRepository, type Scope } from './repository.js';

export type AwardStatus = 'pending' | 'accepted' | 'revoked' | 'expired';
export interface AnalyticsQuery extends Scope { scope: 'org' | 'course' | 'badge'; from: Date; to: Date; status?: AwardStatus }

const DAY = 86_400_000;

export function createAnalytics(deps: { db: Db; clock: Clock }) {
  const repo = analyticsRepository(deps.db);

  const statusOf = (a: AwardFact, now: Date): AwardStatus => (a.revokedAt ? 'revoked' : a.validUntil && a.validUntil <= now ? 'expired' : a.acceptedAt ? 'accepted' : 'pending');

  function kpis(awards: AwardFact[], badgesCreated: number, now: Date) {
    const e = engagement(awards);
    return {
      badgesCreated,
      awarded: awards.length,
      acceptanceRate: e.acceptanceRate,
      shareRate: e.shareRate,
      publicVisibilityRate: e.publicVisibilityRate,
      views: e.views,
      verifications: e.verifications,
      learnerEngagementScore: e.learnerEngagementScore,
      externalImpactScore: e.externalImpactScore,
      repeatEarnerRate: repeatEarnerRate(awards, now),
      notificationFailureRate: notificationFailureRate(awards),
      timeToClaim: timeToClaim(awards),
    };
  }

  return {
    async compute(q: AnalyticsQuery) {
      const now = deps.clock.now();
      const [all, badgeList, moduleList] = await Promise.all([repo.awardFacts(q), repo.badges(q), repo.modules(q)]);
      const filtered = q.status ? all.filter((a) => statusOf(a, now) === q.status) : all;
      // Awards in range by award date (a cohort): their later events count whenever they happened.
      const within = (from: Date, to: Date) => filtered.filter((a) => a.awardedAt >= from && a.awardedAt <= to);
      const span = q.to.getTime() - q.from.getTime();
      const inRange = within(q.from, q.to);
      const previous = within(new Date(q.from.getTime() - span - 1), new Date(q.from.getTime() - 1));
      const current = kpis(inRange, badgeList.length, now);
      const before = kpis(previous, badgeList.length, now);
      const numeric = ['awarded', 'acceptanceRate', 'shareRate', 'publicVisibilityRate', 'views', 'verifications', 'learnerEngagementScore', 'externalImpactScore', 'repeatEarnerRate', 'notificationFailureRate'] as const;
      const rolling = {
        acceptanceRate7d: engagement(within(new Date(now.getTime() - 7 * DAY), now)).acceptanceRate,
        acceptanceRate30d: engagement(within(new Date(now.getTime() - 30 * DAY), now)).acceptanceRate,
      };

      const gaps = completionToClaimGap(inRange.map((a) => ({ moduleId: a.moduleId, learnerId: a.learnerId, accepted: a.acceptedAt !== null })));
      const perBadge = badgeList.map((b) => {
        const awards = inRange.filter((a) => a.badgeId === b.id);
        const e = engagement(awards);
        return { badgeId: b.id, name: b.name, awarded: awards.length, accepted: awards.filter((a) => a.acceptedAt).length, shared: awards.filter((a) => a.acceptedAt && a.shares > 0).length,
          shares: e.shares, views: e.views, verifications: e.verifications, learnerEngagementScore: e.learnerEngagementScore, externalImpactScore: e.externalImpactScore };
      });
      const overall = overallScores(perBadge.map((b) => ({ badgeId: b.badgeId, les: b.learnerEngagementScore, eis: b.externalImpactScore })));
      const count = (pick: (a: (typeof inRange)[number]) => Record<string, number>) => inRange.reduce<Record<string, number>>((acc, a) => {
        for (const [k, v] of Object.entries(pick(a))) if (v > 0) acc[k] = (acc[k] ?? 0) + v;
        return acc;
      }, {});

      const scores = perBadge.map((b) => ({ badgeId: b.badgeId, les: b.learnerEngagementScore, eis: b.externalImpactScore }));
      const attrs = new Map(badgeList.map((b) => [b.id, b]));
      const methods = [...new Set(inRange.map((a) => a.method))].sort();
      const drivers = [
        driver('aligned_to_skills', scores, (id) => attrs.get(id)!.alignedToSkills),
        driver('part_of_pathway', scores, (id) => attrs.get(id)!.pathway !== null),
        driver('has_expiry', scores, (id) => attrs.get(id)!.hasExpiry),
        ...methods.map((m) => driver(`awarded_by_${m}`, scores, (id) => inRange.some((a) => a.badgeId === id && a.method === m))),
      ];
      const pathwayNames = [...new Set(badgeList.flatMap((b) => (b.pathway ? [b.pathway] : [])))].sort();
      const pathways = pathwayNames.map((name) => ({
        name,
        ...pathway(badgeList.filter((b) => b.pathway === name).sort((x, y) => x.position - y.position || x.name.localeCompare(y.name)).map((b) => ({ badgeId: b.id, name: b.name })), inRange, now),
      }));

      return {
        drivers,
        pathways,
        scope: { type: q.scope, tenantId: q.tenantId, courseId: q.courseId ?? null, badgeId: q.badgeId ?? null, status: q.status ?? null, includeTest: q.includeTest },
        range: { from: q.from.toISOString(), to: q.to.toISOString() },
        kpis: current,
        allTime: kpis(filtered, badgeList.length, now),
        trends: {
          ...(Object.fromEntries(numeric.map((k) => [k, trend(current[k], before[k])])) as Record<(typeof numeric)[number], number | null>),
          medianHoursToClaim: trend(current.timeToClaim.medianHours, before.timeToClaim.medianHours),
        },
        rolling,
        modules: moduleList.map((m) => {
          const g = gaps.get(m.id);
          return { moduleId: m.id, title: m.title, position: m.position, qualifyingCompletions: g?.qualifyingCompletions ?? 0, accepted: g?.accepted ?? 0, gap: g?.gap ?? null, flag: g?.flag ?? null };
        }),
        badges: perBadge.map((b) => ({ ...b, overallScore: overall.get(b.badgeId) ?? null })),
        funnel: funnel(inRange),
        distribution: {
          awarding: count((a) => ({ [a.method]: 1 })),
          sharing: count((a) => a.sharedChannels),
          viewing: count((a) => a.viewSources),
        },
        timeline: timeline(inRange, q.from, q.to),
        courses: perCourse(inRange, [...new Set(inRange.map((a) => a.courseId))].sort()),
        alerts: alerts({ acceptance7d: rolling.acceptanceRate7d, acceptance30d: rolling.acceptanceRate30d, notificationFailureRate: current.notificationFailureRate }),
      };
    },
    rate,
    courseOf: repo.courseOf,
  };
}

export type Analytics = ReturnType<typeof createAnalytics>;
