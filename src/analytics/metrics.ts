// The metric formulas of PRODUCT.md §5, as pure functions over facts about awards. A rate with a
// zero denominator is null, never 0 and never NaN. Queries (and rollups) only gather the facts.

export interface AwardFact {
  awardId: string;
  badgeId: string;
  learnerId: string;
  moduleId: string;
  method: 'lms' | 'api' | 'csv' | 'manual';
  awardedAt: Date;
  acceptedAt: Date | null;
  revokedAt: Date | null;
  validUntil: Date | null;
  isPublic: boolean;
  /** `shared` events, `viewed` and `verified` events by people (bots left out), notification outcomes. */
  shares: number;
  views: number;
  verifications: number;
  notifiedSent: number;
  notifiedFailed: number;
}

export const rate = (num: number, den: number): number | null => (den === 0 ? null : num / den);

/** Continuous percentile with linear interpolation, as PostgreSQL's percentile_cont. */
export function percentileCont(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * p;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

const HOUR = 3_600_000;

export function timeToClaim(awards: readonly AwardFact[]) {
  const hours = awards.filter((a) => a.acceptedAt).map((a) => (a.acceptedAt!.getTime() - a.awardedAt.getTime()) / HOUR);
  const buckets = { lt1h: 0, h1to24: 0, d1to7: 0, gt7d: 0, never: awards.length - hours.length };
  for (const h of hours) {
    if (h < 1) buckets.lt1h += 1;
    else if (h < 24) buckets.h1to24 += 1;
    else if (h <= 168) buckets.d1to7 += 1;
    else buckets.gt7d += 1;
  }
  return { medianHours: percentileCont(hours, 0.5), p90Hours: percentileCont(hours, 0.9), buckets };
}

/** Counts over a set of awards: all that engagement, the funnel and notification failures need. */
export interface AwardCounts {
  awarded: number;
  accepted: number;
  /** accepted with ≥ 1 share; of those, with ≥ 1 view; accepted and currently public */
  acceptedShared: number;
  sharedViewed: number;
  acceptedPublic: number;
  shares: number;
  views: number;
  verifications: number;
  notifiedSent: number;
  notifiedFailed: number;
}

export const NO_AWARDS: AwardCounts = { awarded: 0, accepted: 0, acceptedShared: 0, sharedViewed: 0, acceptedPublic: 0, shares: 0, views: 0, verifications: 0, notifiedSent: 0, notifiedFailed: 0 };

export function countAwards(awards: readonly AwardFact[]): AwardCounts {
  const c = { ...NO_AWARDS };
  for (const a of awards) {
    c.awarded += 1;
    if (a.acceptedAt) c.accepted += 1;
    if (a.acceptedAt && a.shares > 0) c.acceptedShared += 1;
    if (a.acceptedAt && a.shares > 0 && a.views > 0) c.sharedViewed += 1;
    if (a.acceptedAt && a.isPublic) c.acceptedPublic += 1;
    c.shares += a.shares;
    c.views += a.views;
    c.verifications += a.verifications;
    c.notifiedSent += a.notifiedSent;
    c.notifiedFailed += a.notifiedFailed;
  }
  return c;
}

/** The counts a badge's, module's, course's or period's figures are made of (the windows' KPIs take all of AwardCounts). */
export type EngagementCounts = Pick<AwardCounts, 'awarded' | 'accepted' | 'acceptedShared' | 'shares' | 'views' | 'verifications'>;

export function engagementOf(c: EngagementCounts) {
  const acceptanceRate = rate(c.accepted, c.awarded);
  const shareRate = rate(c.acceptedShared, c.accepted);
  // With awards but none accepted there is nothing to share: the share term adds nothing.
  const learnerEngagementScore = acceptanceRate === null ? null : (acceptanceRate * 0.6 + (shareRate ?? 0) * 0.4) * 100;
  return {
    acceptanceRate,
    shareRate,
    views: c.views,
    shares: c.shares,
    verifications: c.verifications,
    learnerEngagementScore,
    externalImpactScore: rate(c.views, c.shares),
  };
}

/** Accepted awards currently public ÷ accepted awards. */
export const publicVisibilityRateOf = (c: AwardCounts) => rate(c.acceptedPublic, c.accepted);

export const engagement = (awards: readonly AwardFact[]) => {
  const c = countAwards(awards);
  return { ...engagementOf(c), publicVisibilityRate: publicVisibilityRateOf(c) };
};

/**
 * Learners with ≥ 2 awards neither revoked nor expired ÷ learners with ≥ 1 such award, among the
 * awards given (§5 elides the noun: "learners with ≥ 1" is ≥ 1 award not revoked or expired). A
 * learner whose only award was revoked or has expired holds no credential: not an earner at all.
 */
export function repeatEarnerRate(awards: readonly AwardFact[], now: Date): number | null {
  const live = liveAwardsPerLearner(awards, now);
  return rate([...live.values()].filter((n) => n >= 2).length, live.size);
}

function liveAwardsPerLearner(awards: readonly AwardFact[], now: Date): Map<string, number> {
  const live = new Map<string, number>();
  for (const a of awards) {
    if (a.revokedAt || (a.validUntil && a.validUntil <= now)) continue;
    live.set(a.learnerId, (live.get(a.learnerId) ?? 0) + 1);
  }
  return live;
}

export const notificationFailureRateOf = (c: AwardCounts): number | null => rate(c.notifiedFailed, c.notifiedFailed + c.notifiedSent);
export const notificationFailureRate = (awards: readonly AwardFact[]) => notificationFailureRateOf(countAwards(awards));

/** awarded → accepted → shared → viewed, each stage through all the earlier ones: never widens. */
export const funnelOf = (c: AwardCounts) => ({ awarded: c.awarded, accepted: c.accepted, shared: c.acceptedShared, viewed: c.sharedViewed });
export const funnel = (awards: readonly AwardFact[]) => funnelOf(countAwards(awards));

export type GapFlag = 'ok' | 'watch' | 'friction';
export const gapFlag = (gap: number | null): GapFlag | null => (gap === null ? null : gap < 0.15 ? 'ok' : gap <= 0.3 ? 'watch' : 'friction');

/** Per module: (qualifying completions − those whose award is accepted) ÷ qualifying completions. */
export function completionToClaimGap(qualifying: ReadonlyArray<{ moduleId: string; learnerId: string; accepted: boolean }>) {
  const byModule = new Map<string, { total: number; accepted: number }>();
  for (const q of qualifying) {
    const m = byModule.get(q.moduleId) ?? { total: 0, accepted: 0 };
    m.total += 1;
    if (q.accepted) m.accepted += 1;
    byModule.set(q.moduleId, m);
  }
  return new Map([...byModule].map(([moduleId, m]) => [moduleId, gapOf(m.total, m.accepted)] as const));
}

export function gapOf(qualifyingCompletions: number, accepted: number) {
  const gap = rate(qualifyingCompletions - accepted, qualifyingCompletions);
  return { qualifyingCompletions, accepted, gap, flag: gapFlag(gap) };
}

/** 0.65 × LES + 0.35 × (EIS ÷ the highest EIS in scope × 100); the EIS term is 0 when undefined. */
export function overallScores(badges: ReadonlyArray<{ badgeId: string; les: number | null; eis: number | null }>): Map<string, number | null> {
  const defined = badges.map((b) => b.eis).filter((e): e is number => e !== null);
  const maxEis = defined.length ? Math.max(...defined) : null;
  return new Map(badges.map((b) => {
    if (b.les === null) return [b.badgeId, null];
    const eisTerm = b.eis === null || !maxEis ? 0 : (b.eis / maxEis) * 100;
    return [b.badgeId, 0.65 * b.les + 0.35 * eisTerm];
  }));
}

/** Value in range minus value in the previous equal range; null when either is null. */
export const trend = (current: number | null, previous: number | null): number | null => (current === null || previous === null ? null : current - previous);

export interface Alert { code: string; message: string }

export function alerts(o: { acceptance7d: number | null; acceptance30d: number | null; notificationFailureRate: number | null }): Alert[] {
  const out: Alert[] = [];
  if (o.acceptance7d !== null && o.acceptance30d !== null && (o.acceptance30d - o.acceptance7d) * 100 > 15) {
    out.push({ code: 'claims_dropped', message: 'Claims dropped: the 7-day acceptance rate is more than 15 points under the 30-day rate. Check notification delivery.' });
  }
  if (o.notificationFailureRate !== null && o.notificationFailureRate > 0.05) {
    out.push({ code: 'notifications_failing', message: 'More than 5 % of claim notifications failed: check notification delivery.' });
  }
  return out;
}

const mean = (xs: Array<number | null>): number | null => {
  const defined = xs.filter((x): x is number => x !== null);
  return defined.length ? defined.reduce((a, b) => a + b, 0) / defined.length : null;
};

export interface BadgeScore { badgeId: string; les: number | null; eis: number | null }

/** For one badge attribute: mean LES and EIS of the badges with it against those without, with counts. */
export function driver(attribute: string, scores: readonly BadgeScore[], has: (badgeId: string) => boolean) {
  const side = (list: readonly BadgeScore[]) => ({ badges: list.length, learnerEngagementScore: mean(list.map((b) => b.les)), externalImpactScore: mean(list.map((b) => b.eis)) });
  // one pass, one question per badge: an organisation's drivers ask it of a thousand badges each
  const [withIt, without]: [BadgeScore[], BadgeScore[]] = [[], []];
  for (const b of scores) (has(b.badgeId) ? withIt : without).push(b);
  return { attribute, with: side(withIt), without: side(without) };
}

/** What a pathway's panel needs, gathered over the awards of its badges (see pathway()). */
export interface PathwayFacts {
  /** badge → learners with an award of it */
  learners: ReadonlyMap<string, number>;
  /** badge → next badge (a learner's next award in the pathway by award time) → learners */
  next: ReadonlyMap<string, ReadonlyMap<string, number>>;
  /** learners with ≥ 1 award neither revoked nor expired, and with ≥ 2 */
  earners: number;
  repeaters: number;
}

/**
 * A pathway's ordered steps: learners who reached each, the repeat earner rate within the pathway,
 * and the most common next badge (by award time) after each step: most learners, then badge id.
 */
export function pathwayOf(steps: ReadonlyArray<{ badgeId: string; name: string }>, facts: PathwayFacts) {
  return {
    repeatEarnerRate: rate(facts.repeaters, facts.earners),
    steps: steps.map((s) => {
      const counts = [...(facts.next.get(s.badgeId) ?? new Map<string, number>()).entries()].sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0]));
      return { badgeId: s.badgeId, name: s.name, learners: facts.learners.get(s.badgeId) ?? 0, mostCommonNext: counts[0] ? { badgeId: counts[0][0], learners: counts[0][1] } : null };
    }),
  };
}

/** pathwayOf over the award facts themselves. */
export function pathway(steps: ReadonlyArray<{ badgeId: string; name: string }>, awards: readonly AwardFact[], now: Date) {
  const ids = new Set(steps.map((s) => s.badgeId));
  const mine = awards.filter((a) => ids.has(a.badgeId));
  const byLearner = new Map<string, AwardFact[]>();
  for (const a of mine) byLearner.set(a.learnerId, [...(byLearner.get(a.learnerId) ?? []), a]);
  const next = new Map<string, Map<string, number>>();
  for (const list of byLearner.values()) {
    const ordered = [...list].sort((x, y) => x.awardedAt.getTime() - y.awardedAt.getTime() || x.badgeId.localeCompare(y.badgeId));
    for (let i = 0; i + 1 < ordered.length; i += 1) {
      const counts = next.get(ordered[i]!.badgeId) ?? new Map<string, number>();
      counts.set(ordered[i + 1]!.badgeId, (counts.get(ordered[i + 1]!.badgeId) ?? 0) + 1);
      next.set(ordered[i]!.badgeId, counts);
    }
  }
  const learners = new Map([...ids].map((id) => [id, new Set(mine.filter((a) => a.badgeId === id).map((a) => a.learnerId)).size]));
  const live = liveAwardsPerLearner(mine, now);
  return pathwayOf(steps, { learners, next, earners: live.size, repeaters: [...live.values()].filter((n) => n >= 2).length });
}
