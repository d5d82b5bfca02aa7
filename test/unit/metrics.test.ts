// The §5 formulas against hand-computed expectations, zero denominators, ties and a single badge;
// and their invariants under fast-check: rates in [0, 1], LES in [0, 100], gap in [0, 1], a funnel
// that never widens.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  alerts, completionToClaimGap, engagement, funnel, gapFlag, notificationFailureRate, overallScores, percentileCont,
  repeatEarnerRate, timeToClaim, trend, type AwardFact,
} from '../../src/analytics/metrics.js';

const T0 = new Date('2026-11-01T00:00:00Z');
const hours = (h: number) => new Date(T0.getTime() + h * 3_600_000);
let n = 0;
function award(over: Partial<AwardFact> = {}): AwardFact {
  n += 1;
  return { awardId: `a${n}`, badgeId: 'b1', learnerId: `l${n}`, moduleId: 'm1', method: 'lms', awardedAt: T0, acceptedAt: null, revokedAt: null, validUntil: null, isPublic: false, shares: 0, views: 0, verifications: 0, notifiedSent: 0, notifiedFailed: 0, ...over };
}

describe('hand-computed', () => {
  const awards = [
    award({ acceptedAt: hours(0.5), shares: 2, views: 6, isPublic: true, verifications: 1, notifiedSent: 1 }),
    award({ acceptedAt: hours(10), shares: 0, notifiedSent: 1 }),
    award({ acceptedAt: hours(48), shares: 1, views: 0, isPublic: true, notifiedFailed: 1 }),
    award({ notifiedSent: 1 }),
  ];

  it('acceptance, share, visibility, LES and EIS', () => {
    const e = engagement(awards);
    expect(e.acceptanceRate).toBe(0.75);
    expect(e.shareRate).toBeCloseTo(2 / 3, 12);
    expect(e.publicVisibilityRate).toBeCloseTo(2 / 3, 12);
    expect(e.views).toBe(6);
    expect(e.shares).toBe(3);
    expect(e.verifications).toBe(1);
    expect(e.learnerEngagementScore).toBeCloseTo((0.75 * 0.6 + (2 / 3) * 0.4) * 100, 10);
    expect(e.externalImpactScore).toBe(2);
  });

  it('time to claim: continuous median and p90, buckets including never', () => {
    const t = timeToClaim(awards);
    expect(t.medianHours).toBe(10);
    expect(t.p90Hours).toBeCloseTo(10 + (48 - 10) * 0.8, 10); // position (3 − 1) × 0.9 = 1.8
    expect(t.buckets).toEqual({ lt1h: 1, h1to24: 1, d1to7: 1, gt7d: 0, never: 1 });
  });

  it('funnel, notification failure rate', () => {
    expect(funnel(awards)).toEqual({ awarded: 4, accepted: 3, shared: 2, viewed: 1 });
    expect(notificationFailureRate(awards)).toBe(0.25);
  });

  it('zero denominators are null, never 0 or NaN', () => {
    expect(engagement([])).toMatchObject({ acceptanceRate: null, shareRate: null, publicVisibilityRate: null, learnerEngagementScore: null, externalImpactScore: null });
    const none = engagement([award(), award()]);
    expect(none.acceptanceRate).toBe(0);
    expect(none.shareRate).toBeNull();
    expect(none.learnerEngagementScore).toBe(0);
    expect(timeToClaim([]).medianHours).toBeNull();
    expect(notificationFailureRate([award()])).toBeNull();
    expect(repeatEarnerRate([], T0)).toBeNull();
  });

  it('repeat earners: revoked and expired awards do not count towards the two', () => {
    const now = hours(1000);
    const rows = [
      award({ learnerId: 'ann' }), award({ learnerId: 'ann' }),
      award({ learnerId: 'bob' }), award({ learnerId: 'bob', revokedAt: hours(5) }),
      award({ learnerId: 'cat' }), award({ learnerId: 'cat', validUntil: hours(10) }),
      award({ learnerId: 'dan' }),
    ];
    expect(repeatEarnerRate(rows, now)).toBe(0.25);
  });

  it('gap per module with its flags at 15 % and 30 %', () => {
    const q = (moduleId: string, accepted: boolean) => ({ moduleId, learnerId: `l${++n}`, accepted });
    const gaps = completionToClaimGap([q('m1', true), q('m1', true), q('m1', true), q('m1', true), q('m1', false), q('m2', false), q('m2', true)]);
    expect(gaps.get('m1')).toEqual({ qualifyingCompletions: 5, accepted: 4, gap: 0.2, flag: 'watch' });
    expect(gaps.get('m2')).toEqual({ qualifyingCompletions: 2, accepted: 1, gap: 0.5, flag: 'friction' });
    expect([gapFlag(0.149), gapFlag(0.15), gapFlag(0.3), gapFlag(0.301), gapFlag(null)]).toEqual(['ok', 'watch', 'watch', 'friction', null]);
  });

  it('overall score: EIS normalised by the highest in scope; ties; a single badge; undefined EIS', () => {
    const s = overallScores([{ badgeId: 'x', les: 80, eis: 2 }, { badgeId: 'y', les: 60, eis: 4 }, { badgeId: 'z', les: 50, eis: null }, { badgeId: 't', les: 60, eis: 4 }]);
    expect(s.get('x')).toBeCloseTo(0.65 * 80 + 0.35 * 50, 10);
    expect(s.get('y')).toBeCloseTo(0.65 * 60 + 35, 10);
    expect(s.get('t')).toBe(s.get('y'));
    expect(s.get('z')).toBeCloseTo(0.65 * 50, 10);
    expect(overallScores([{ badgeId: 'only', les: 40, eis: 3 }]).get('only')).toBeCloseTo(0.65 * 40 + 35, 10);
    expect(overallScores([{ badgeId: 'nothing', les: 40, eis: 0 }]).get('nothing')).toBeCloseTo(26, 10);
    expect(overallScores([{ badgeId: 'no-les', les: null, eis: 1 }]).get('no-les')).toBeNull();
  });

  it('trends and alerts', () => {
    expect(trend(0.5, 0.75)).toBe(-0.25);
    expect(trend(null, 0.5)).toBeNull();
    expect(alerts({ acceptance7d: 0.5, acceptance30d: 0.7, notificationFailureRate: 0.02 }).map((a) => a.code)).toEqual(['claims_dropped']);
    expect(alerts({ acceptance7d: 0.6, acceptance30d: 0.7, notificationFailureRate: 0.06 }).map((a) => a.code)).toEqual(['notifications_failing']);
    expect(alerts({ acceptance7d: null, acceptance30d: 0.7, notificationFailureRate: null })).toEqual([]);
    expect(percentileCont([3, 1, 2], 0.5)).toBe(2);
  });
});

describe('invariants (fast-check)', () => {
  const fact = fc.record({
    learner: fc.integer({ min: 0, max: 5 }),
    acceptedAfterH: fc.option(fc.double({ min: 0, max: 500, noNaN: true })),
    shares: fc.nat(5), views: fc.nat(20), verifications: fc.nat(3), isPublic: fc.boolean(), revoked: fc.boolean(), sent: fc.nat(2), failed: fc.nat(2),
  }).map((r) => award({ learnerId: `p${r.learner}`, acceptedAt: r.acceptedAfterH === null ? null : hours(r.acceptedAfterH), shares: r.shares, views: r.views, verifications: r.verifications, isPublic: r.isPublic, revokedAt: r.revoked ? hours(1) : null, notifiedSent: r.sent, notifiedFailed: r.failed }));

  it('rates in [0, 1], LES in [0, 100], the funnel never widens, buckets add up', () => {
    fc.assert(fc.property(fc.array(fact, { maxLength: 40 }), (awards) => {
      const e = engagement(awards);
      for (const r of [e.acceptanceRate, e.shareRate, e.publicVisibilityRate, repeatEarnerRate(awards, hours(1000)), notificationFailureRate(awards)]) {
        if (r !== null) expect(r >= 0 && r <= 1).toBe(true);
      }
      if (e.learnerEngagementScore !== null) expect(e.learnerEngagementScore >= 0 && e.learnerEngagementScore <= 100).toBe(true);
      const f = funnel(awards);
      expect(f.awarded >= f.accepted && f.accepted >= f.shared && f.shared >= f.viewed).toBe(true);
      const b = timeToClaim(awards).buckets;
      expect(b.lt1h + b.h1to24 + b.d1to7 + b.gt7d + b.never).toBe(awards.length);
    }));
  });

  it('gap in [0, 1] for any completions', () => {
    fc.assert(fc.property(fc.array(fc.record({ moduleId: fc.constantFrom('m1', 'm2', 'm3'), learnerId: fc.string(), accepted: fc.boolean() })), (q) => {
      for (const g of completionToClaimGap(q).values()) expect(g.gap! >= 0 && g.gap! <= 1).toBe(true);
    }));
  });
});

describe('performance drivers and pathways', () => {
  it('compares mean LES and EIS of badges with an attribute against those without, with counts', async () => {
    const { driver } = await import('../../src/analytics/metrics.js');
    const scores = [{ badgeId: 'a', les: 80, eis: 2 }, { badgeId: 'b', les: 60, eis: null }, { badgeId: 'c', les: 30, eis: 1 }];
    expect(driver('aligned_to_skills', scores, (id) => id !== 'c')).toEqual({
      attribute: 'aligned_to_skills',
      with: { badges: 2, learnerEngagementScore: 70, externalImpactScore: 2 },
      without: { badges: 1, learnerEngagementScore: 30, externalImpactScore: 1 },
    });
    expect(driver('has_expiry', scores, () => false).with).toEqual({ badges: 0, learnerEngagementScore: null, externalImpactScore: null });
  });

  it('counts learners per step, the repeat earner rate within the pathway and the most common next badge', async () => {
    const { pathway } = await import('../../src/analytics/metrics.js');
    const steps = [{ badgeId: 's1', name: 'Step 1' }, { badgeId: 's2', name: 'Step 2' }, { badgeId: 's3', name: 'Step 3' }];
    const rows = [
      award({ learnerId: 'ann', badgeId: 's1', awardedAt: hours(1) }), award({ learnerId: 'ann', badgeId: 's2', awardedAt: hours(2) }), award({ learnerId: 'ann', badgeId: 's3', awardedAt: hours(3) }),
      award({ learnerId: 'bob', badgeId: 's1', awardedAt: hours(1) }), award({ learnerId: 'bob', badgeId: 's3', awardedAt: hours(5) }),
      award({ learnerId: 'cat', badgeId: 's1', awardedAt: hours(1) }), award({ learnerId: 'cat', badgeId: 's2', awardedAt: hours(9) }),
      award({ learnerId: 'dan', badgeId: 's1', awardedAt: hours(1) }),
      award({ learnerId: 'eve', badgeId: 'elsewhere', awardedAt: hours(1) }),
    ];
    const p = pathway(steps, rows, hours(100));
    expect(p.steps.map((s) => [s.badgeId, s.learners, s.mostCommonNext])).toEqual([
      ['s1', 4, { badgeId: 's2', learners: 2 }],
      ['s2', 2, { badgeId: 's3', learners: 1 }],
      ['s3', 2, null],
    ]);
    expect(p.repeatEarnerRate).toBe(0.75);
  });
});
