// The aggregate rows of the repositories turned into the inputs of the formulas (metrics.ts) and the
// KPI block of the answer. Pure: no SQL here, no I/O.
import type { EarnersRow, WindowRow } from './aggregates-repository.js';
import { engagementOf, NO_AWARDS, notificationFailureRateOf, publicVisibilityRateOf, rate, type AwardCounts, type EngagementCounts } from './metrics.js';
import type { CountsRow, EngagementRow } from './scoped-awards.js';

export const countsOf = (r: CountsRow): AwardCounts => ({
  awarded: r.awarded, accepted: r.accepted, acceptedShared: r.accepted_shared, sharedViewed: r.shared_viewed, acceptedPublic: r.accepted_public,
  shares: r.shares, views: r.views, verifications: r.verifications, notifiedSent: r.sent, notifiedFailed: r.failed,
});

const engagementCountsOf = (r: EngagementRow): EngagementCounts => ({
  awarded: r.awarded, accepted: r.accepted, acceptedShared: r.accepted_shared, shares: r.shares, views: r.views, verifications: r.verifications,
});

/** Adds a row's counts to a sum, field by field as engagementCountsOf maps them (no copy: the organisation sums thousands of rows). */
function addRow(sum: EngagementCounts, r: EngagementRow): void {
  sum.awarded += r.awarded; sum.accepted += r.accepted; sum.acceptedShared += r.accepted_shared; sum.shares += r.shares; sum.views += r.views; sum.verifications += r.verifications;
}

/** Counts summed per key of the rows (badge, module, course, method, period), keys in first-seen order. */
export function sumBy<R extends EngagementRow>(rows: readonly R[], key: (r: R) => string): Map<string, EngagementCounts> {
  const out = new Map<string, EngagementCounts>();
  for (const r of rows) {
    const k = key(r);
    const sum = out.get(k);
    if (sum) addRow(sum, r);
    else out.set(k, engagementCountsOf(r));
  }
  return out;
}

/** One window of award dates: its counts, time to claim and learners holding live awards. */
export interface WindowFacts {
  counts: AwardCounts;
  timeToClaim: { medianHours: number | null; p90Hours: number | null; buckets: { lt1h: number; h1to24: number; d1to7: number; gt7d: number; never: number } };
  earners: number;
  repeaters: number;
}

export function windowFacts(rows: readonly WindowRow[], earners: readonly EarnersRow[], name: string): WindowFacts {
  const r = rows.find((x) => x.name === name);
  const e = earners.find((x) => x.name === name);
  const counts = r ? countsOf(r) : NO_AWARDS;
  return {
    counts,
    timeToClaim: {
      medianHours: r?.median_hours ?? null,
      p90Hours: r?.p90_hours ?? null,
      buckets: { lt1h: r?.lt1h ?? 0, h1to24: r?.h1to24 ?? 0, d1to7: r?.d1to7 ?? 0, gt7d: r?.gt7d ?? 0, never: counts.awarded - counts.accepted },
    },
    earners: e?.earners ?? 0,
    repeaters: e?.repeaters ?? 0,
  };
}

/** The KPI block of §7a (kpis, allTime) for one window. */
export function kpis(w: WindowFacts, badgesCreated: number) {
  const e = engagementOf(w.counts);
  return {
    badgesCreated,
    awarded: w.counts.awarded,
    acceptanceRate: e.acceptanceRate,
    shareRate: e.shareRate,
    publicVisibilityRate: publicVisibilityRateOf(w.counts),
    views: e.views,
    verifications: e.verifications,
    learnerEngagementScore: e.learnerEngagementScore,
    externalImpactScore: e.externalImpactScore,
    repeatEarnerRate: rate(w.repeaters, w.earners),
    notificationFailureRate: notificationFailureRateOf(w.counts),
    timeToClaim: w.timeToClaim,
  };
}
