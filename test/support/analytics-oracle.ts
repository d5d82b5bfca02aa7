// An independent oracle for GET /api/v1/analytics: every field of PRODUCT.md §7a computed with
// plain loops straight from a generated history (test/support/history.ts), read from §5's
// formulas, never from src/analytics. Badgetrail ids come in only to name things.
import { BOT_AGENTS, DAY, HOUR, type GenAward, type GenBadge, type GenEvent, type History } from './history.js';

export type Status = 'pending' | 'accepted' | 'revoked' | 'expired';
export interface OracleIds {
  tenantId: string;
  /** LMS context id → Badgetrail course id. */
  courseIds: Map<string, string>;
  /** badge externalId → Badgetrail badge id, and → the id of its module. */
  badgeIds: Map<string, string>;
  moduleIds: Map<string, string>;
}
export interface OracleQuery { scope: 'org' | 'course' | 'badge'; courseId?: string; badgeId?: string; from: Date; to: Date; status?: Status; includeTest?: boolean }

interface Fact {
  award: GenAward; badge: GenBadge; badgeId: string; awardedAt: number; acceptedAt: number | null; revoked: boolean; validUntil: number | null;
  shares: GenEvent[]; views: GenEvent[]; verifications: number; sent: number; failed: number;
}

/** A rate: null (never 0, never NaN) with a zero denominator. */
const ratio = (num: number, den: number): number | null => (den === 0 ? null : num / den);
const ms = (s: string | undefined) => (s === undefined ? null : Date.parse(s));
const human = (e: GenEvent) => e.userAgent === undefined || !BOT_AGENTS.includes(e.userAgent);

/** Continuous percentile, as PostgreSQL's percentile_cont: linear between the two nearest ranks. */
function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const rank = p * (s.length - 1);
  const below = Math.floor(rank);
  if (below === s.length - 1) return s[below]!;
  return s[below]! + (rank - below) * (s[below + 1]! - s[below]!);
}

export function oracle(h: History, ids: OracleIds, q: OracleQuery, now: Date) {
  const nowMs = now.getTime();
  const badgeByExt = new Map(h.badges.map((b) => [b.externalId, b]));
  const inScope = (b: GenBadge) => (q.scope === 'org' || !q.courseId || ids.courseIds.get(b.courseId) === q.courseId)
    && (q.scope !== 'badge' || ids.badgeIds.get(b.externalId) === q.badgeId);
  const badges = h.badges.filter(inScope);

  const eventsOf = new Map<string, GenEvent[]>();
  for (const e of h.events) eventsOf.set(e.awardExternalId, [...(eventsOf.get(e.awardExternalId) ?? []), e]);
  const statusOf = (f: Fact): Status => (f.revoked ? 'revoked' : f.validUntil !== null && f.validUntil <= nowMs ? 'expired' : f.acceptedAt !== null ? 'accepted' : 'pending');

  const facts: Fact[] = [];
  for (const a of h.awards) {
    const badge = badgeByExt.get(a.badgeExternalId)!;
    if (!inScope(badge) || (a.testAccount && !q.includeTest)) continue;
    const events = eventsOf.get(a.externalId) ?? [];
    const awardedAt = Date.parse(a.awardedAt);
    const f: Fact = {
      award: a, badge, badgeId: ids.badgeIds.get(badge.externalId)!, awardedAt, acceptedAt: ms(a.acceptedAt), revoked: a.revokedAt !== undefined,
      validUntil: badge.validForDays ? awardedAt + badge.validForDays * DAY : null,
      shares: events.filter((e) => e.type === 'shared'), views: events.filter((e) => e.type === 'viewed' && human(e)),
      verifications: events.filter((e) => e.type === 'verified' && human(e)).length,
      sent: events.filter((e) => e.type === 'notified' && e.outcome === 'sent').length, failed: events.filter((e) => e.type === 'notified' && e.outcome === 'failed').length,
    };
    if (!q.status || statusOf(f) === q.status) facts.push(f);
  }
  // Ranges are inclusive at both ends; the one before has the same length and ends just before.
  const between = (from: number, to: number) => facts.filter((f) => f.awardedAt >= from && f.awardedAt <= to);
  const from = q.from.getTime();
  const to = q.to.getTime();
  const inRange = between(from, to);
  const previous = between(from - (to - from + 1), from - 1);

  const kpis = (list: Fact[]) => {
    const accepted = list.filter((f) => f.acceptedAt !== null);
    const acceptanceRate = ratio(accepted.length, list.length);
    const shareRate = ratio(accepted.filter((f) => f.shares.length > 0).length, accepted.length);
    let views = 0; let shares = 0; let verifications = 0; let sent = 0; let failed = 0;
    for (const f of list) { views += f.views.length; shares += f.shares.length; verifications += f.verifications; sent += f.sent; failed += f.failed; }
    const waits = accepted.map((f) => (f.acceptedAt! - f.awardedAt) / HOUR);
    const buckets = { lt1h: 0, h1to24: 0, d1to7: 0, gt7d: 0, never: list.length - accepted.length };
    // `<1h`, then 1–24 h ("under 24 h is highly engaged"), then up to 7 days inclusive (`>7d` is strictly more).
    for (const w of waits) {
      if (w < 1) buckets.lt1h += 1; else if (w < 24) buckets.h1to24 += 1; else if (w <= 7 * 24) buckets.d1to7 += 1; else buckets.gt7d += 1;
    }
    return {
      badgesCreated: badges.length,
      awarded: list.length,
      acceptanceRate,
      shareRate,
      publicVisibilityRate: ratio(accepted.filter((f) => f.award.public === true).length, accepted.length),
      views,
      verifications,
      learnerEngagementScore: acceptanceRate === null ? null : (acceptanceRate * 0.6 + (shareRate ?? 0) * 0.4) * 100,
      externalImpactScore: ratio(views, shares),
      repeatEarnerRate: repeatEarners(list),
      notificationFailureRate: ratio(failed, sent + failed),
      timeToClaim: { medianHours: percentile(waits, 0.5), p90Hours: percentile(waits, 0.9), buckets },
    };
  };
  /** Learners with ≥ 2 awards neither revoked nor expired ÷ learners with ≥ 1 such award. */
  const repeatEarners = (list: Fact[]) => {
    const live = new Map<string, number>();
    for (const f of list) if (!f.revoked && !(f.validUntil !== null && f.validUntil <= nowMs)) live.set(f.award.learnerId, (live.get(f.award.learnerId) ?? 0) + 1);
    return ratio([...live.values()].filter((n) => n >= 2).length, live.size);
  };

  const current = kpis(inRange);
  const before = kpis(previous);
  const diff = (a: number | null, b: number | null) => (a === null || b === null ? null : a - b);
  const trends = {
    awarded: diff(current.awarded, before.awarded),
    acceptanceRate: diff(current.acceptanceRate, before.acceptanceRate),
    shareRate: diff(current.shareRate, before.shareRate),
    publicVisibilityRate: diff(current.publicVisibilityRate, before.publicVisibilityRate),
    views: diff(current.views, before.views),
    verifications: diff(current.verifications, before.verifications),
    learnerEngagementScore: diff(current.learnerEngagementScore, before.learnerEngagementScore),
    externalImpactScore: diff(current.externalImpactScore, before.externalImpactScore),
    repeatEarnerRate: diff(current.repeatEarnerRate, before.repeatEarnerRate),
    notificationFailureRate: diff(current.notificationFailureRate, before.notificationFailureRate),
    medianHoursToClaim: diff(current.timeToClaim.medianHours, before.timeToClaim.medianHours),
  };
  const rolling = {
    acceptanceRate7d: kpis(between(nowMs - 7 * DAY, nowMs)).acceptanceRate,
    acceptanceRate30d: kpis(between(nowMs - 30 * DAY, nowMs)).acceptanceRate,
  };

  // The gap is over qualifying completions whose award is in range. Every native award stems from a
  // qualifying completion (launch, pull, push, API, CSV and manual all record one), one award per
  // course + module + learner however often it is completed, and imported awards count exactly like
  // native ones (§7a): so each award in range stands for its learner's qualifying completion, once,
  // whether or not the imported history carried the completion row.
  const modules = badges.map((b) => {
    let qualifying = 0; let accepted = 0;
    for (const f of inRange) {
      if (f.badge !== b) continue;
      qualifying += 1;
      if (f.acceptedAt !== null) accepted += 1;
    }
    const gap = ratio(qualifying - accepted, qualifying);
    return { moduleId: ids.moduleIds.get(b.externalId)!, title: b.moduleTitle, position: b.modulePosition, qualifyingCompletions: qualifying, accepted, gap,
      flag: gap === null ? null : gap < 0.15 ? 'ok' : gap <= 0.3 ? 'watch' : 'friction' };
  });

  const perBadge = badges.map((b) => {
    const mine = inRange.filter((f) => f.badge === b);
    const k = kpis(mine);
    let shares = 0;
    for (const f of mine) shares += f.shares.length;
    return { badgeId: ids.badgeIds.get(b.externalId)!, name: b.name, awarded: mine.length, accepted: mine.filter((f) => f.acceptedAt !== null).length,
      shared: mine.filter((f) => f.shares.length > 0).length, shares, views: k.views, verifications: k.verifications,
      learnerEngagementScore: k.learnerEngagementScore, externalImpactScore: k.externalImpactScore };
  });
  let maxEis: number | null = null;
  for (const b of perBadge) if (b.externalImpactScore !== null && (maxEis === null || b.externalImpactScore > maxEis)) maxEis = b.externalImpactScore;
  const scored = perBadge.map((b) => {
    const eisTerm = b.externalImpactScore === null || !maxEis ? 0 : (b.externalImpactScore / maxEis) * 100;
    return { ...b, overallScore: b.learnerEngagementScore === null ? null : 0.65 * b.learnerEngagementScore + 0.35 * eisTerm };
  });

  const accepted = inRange.filter((f) => f.acceptedAt !== null);
  const shared = accepted.filter((f) => f.shares.length > 0);
  const tally = (keys: string[]) => {
    const out: Record<string, number> = {};
    for (const k of keys) out[k] = (out[k] ?? 0) + 1;
    return out;
  };
  const alerts: string[] = [];
  if (rolling.acceptanceRate7d !== null && rolling.acceptanceRate30d !== null && rolling.acceptanceRate30d - rolling.acceptanceRate7d > 0.15) alerts.push('claims_dropped');
  if (current.notificationFailureRate !== null && current.notificationFailureRate > 0.05) alerts.push('notifications_failing');

  return {
    scope: { type: q.scope, tenantId: ids.tenantId, courseId: q.scope === 'org' ? null : q.courseId ?? null, badgeId: q.scope === 'badge' ? q.badgeId! : null, status: q.status ?? null, includeTest: q.includeTest ?? false },
    range: { from: q.from.toISOString(), to: q.to.toISOString() },
    kpis: current,
    allTime: kpis(facts),
    trends,
    rolling,
    modules,
    badges: scored,
    funnel: { awarded: inRange.length, accepted: accepted.length, shared: shared.length, viewed: shared.filter((f) => f.views.length > 0).length },
    distribution: {
      awarding: tally(inRange.map((f) => f.award.method)),
      sharing: tally(inRange.flatMap((f) => f.shares.map((e) => e.channel!))),
      // A view imported with no source is one with neither referrer nor tag: `direct` (§4).
      viewing: tally(inRange.flatMap((f) => f.views.map((e) => e.channel ?? 'direct'))),
    },
    alertCodes: alerts,
    drivers: drivers(badges, scored, inRange, ids),
    pathways: pathways(badges, inRange, ids, repeatEarners),
  };
}

type Scored = { badgeId: string; learnerEngagementScore: number | null; externalImpactScore: number | null };

/** For each design choice: mean LES and EIS (over badges where defined) of badges with it against without. */
function drivers(badges: GenBadge[], scored: Scored[], inRange: Fact[], ids: OracleIds) {
  const mean = (xs: Array<number | null>) => {
    const d = xs.filter((x): x is number => x !== null);
    return d.length ? d.reduce((s, x) => s + x, 0) / d.length : null;
  };
  const side = (list: Scored[]) => ({ badges: list.length, learnerEngagementScore: mean(list.map((s) => s.learnerEngagementScore)), externalImpactScore: mean(list.map((s) => s.externalImpactScore)) });
  const byId = new Map(badges.map((b) => [ids.badgeIds.get(b.externalId)!, b]));
  const attr = (attribute: string, has: (b: GenBadge) => boolean) => ({
    attribute, with: side(scored.filter((s) => has(byId.get(s.badgeId)!))), without: side(scored.filter((s) => !has(byId.get(s.badgeId)!))),
  });
  const methods = [...new Set(inRange.map((f) => f.award.method))].sort();
  return [
    attr('aligned_to_skills', (b) => (b.skills ?? []).length > 0),
    attr('part_of_pathway', (b) => b.pathway !== undefined),
    attr('has_expiry', (b) => b.validForDays !== undefined),
    ...methods.map((m) => attr(`awarded_by_${m}`, (b) => inRange.some((f) => f.badge === b && f.award.method === m))),
  ];
}

/** Learners per step, repeat earners within the pathway, and the badge a learner most often earns next. */
function pathways(badges: GenBadge[], inRange: Fact[], ids: OracleIds, repeatEarners: (list: Fact[]) => number | null) {
  const names = [...new Set(badges.flatMap((b) => (b.pathway ? [b.pathway] : [])))].sort();
  return names.map((name) => {
    const steps = badges.filter((b) => b.pathway === name).sort((x, y) => x.modulePosition - y.modulePosition || x.name.localeCompare(y.name));
    const mine = inRange.filter((f) => f.badge.pathway === name && steps.includes(f.badge));
    const next = new Map<string, Map<string, number>>();
    for (const learner of new Set(mine.map((f) => f.award.learnerId))) {
      const seq = mine.filter((f) => f.award.learnerId === learner).sort((x, y) => x.awardedAt - y.awardedAt || (x.badgeId < y.badgeId ? -1 : 1));
      for (let i = 1; i < seq.length; i += 1) {
        const counts = next.get(seq[i - 1]!.badgeId) ?? new Map<string, number>();
        counts.set(seq[i]!.badgeId, (counts.get(seq[i]!.badgeId) ?? 0) + 1);
        next.set(seq[i - 1]!.badgeId, counts);
      }
    }
    return {
      name,
      repeatEarnerRate: repeatEarners(mine),
      steps: steps.map((b) => {
        const id = ids.badgeIds.get(b.externalId)!;
        let best: { badgeId: string; learners: number } | null = null;
        for (const [badgeId, learners] of next.get(id) ?? []) if (!best || learners > best.learners || (learners === best.learners && badgeId < best.badgeId)) best = { badgeId, learners };
        return { badgeId: id, name: b.name, learners: new Set(mine.filter((f) => f.badge === b).map((f) => f.award.learnerId)).size, mostCommonNext: best };
      }),
    };
  });
}
