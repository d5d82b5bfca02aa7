// A synthetic, realistic badge history in the shape of POST /api/v1/import (PRODUCT.md §7a), so a
// demo (and a benchmark) has analytics worth looking at: claims with a long tail of delays, sharing
// skewed to LinkedIn, heavy-tailed views per share, bot hits, test accounts, and a module where the
// completion-to-claim gap jumps. Deterministic for a given seed.

export interface HistoryModule { moduleId: string; title: string; badge: string; minScore: number; skills?: string[]; pathway?: string; validForDays?: number; claimRate: number }
export interface HistoryOptions { courseId: string; modules: HistoryModule[]; learners: number; testAccounts: number; days: number; now: Date; seed: number; prefix: string }

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** mulberry32: a small seeded PRNG; Math.random cannot be seeded. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function pick<T>(rand: () => number, weighted: ReadonlyArray<readonly [T, number]>): T {
  const total = weighted.reduce((n, [, w]) => n + w, 0);
  let r = rand() * total;
  for (const [v, w] of weighted) if ((r -= w) < 0) return v;
  return weighted[weighted.length - 1]![0];
}

const SHARE_CHANNELS = [['linkedin_profile', 40], ['linkedin_post', 15], ['x', 10], ['facebook', 8], ['email', 12], ['copy_link', 10], ['embed', 3], ['download', 2]] as const;
const VIEW_SOURCE: Record<string, string> = { linkedin_profile: 'linkedin', linkedin_post: 'linkedin', email: 'email', embed: 'embed', x: 'other', facebook: 'other', copy_link: 'direct', download: 'direct' };
const BOTS = ['LinkedInBot/1.0 (compatible; Mozilla/5.0; +http://www.linkedin.com)', 'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)', 'facebookexternalhit/1.1', 'Twitterbot/1.0'];
const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';

/** Hours from award to claim: most within a day, a long tail over weeks. */
const claimDelayHours = (rand: () => number) => (rand() < 0.55 ? rand() * 6 : rand() < 0.7 ? 6 + rand() * 42 : 48 + -Math.log(1 - rand()) * 120);

/** Views per share: heavy-tailed (most shares get a few views, some get many). */
const viewsPerShare = (rand: () => number) => Math.min(60, Math.floor(-Math.log(1 - rand()) * 3.5));

export function generateHistory(o: HistoryOptions) {
  const rand = prng(o.seed);
  const iso = (t: number) => new Date(t).toISOString();
  const start = o.now.getTime() - o.days * DAY;
  const badges = o.modules.map((m, i) => ({
    externalId: `${o.prefix}-badge-${i + 1}`, courseId: o.courseId, moduleId: m.moduleId, moduleTitle: m.title, modulePosition: i + 1, name: m.badge,
    description: `Awarded for completing ${m.title}.`, criteria: `Complete ${m.title}${m.minScore ? ` with a score of at least ${m.minScore * 100} %` : ''}.`,
    rule: { minScore: m.minScore }, skills: (m.skills ?? []).map((name) => ({ name })), ...(m.pathway ? { pathway: m.pathway } : {}), ...(m.validForDays ? { validForDays: m.validForDays } : {}),
  }));
  const completions: Array<Record<string, unknown>> = [];
  const awards: Array<Record<string, unknown>> = [];
  const events: Array<Record<string, unknown>> = [];
  for (let l = 0; l < o.learners + o.testAccounts; l += 1) {
    const learnerId = `${o.prefix}-learner-${l + 1}`;
    const testAccount = l >= o.learners;
    // Learners start across the whole period, so recent weeks have awards (and rolling rates) too.
    let t = start + rand() * o.days * DAY * 0.9;
    for (const [i, m] of o.modules.entries()) {
      // Fewer learners reach each later module; each module takes a few days.
      if (rand() > 0.92 - i * 0.06) break;
      t += (1 + rand() * 6) * DAY;
      if (t > o.now.getTime() - HOUR) break;
      completions.push({ courseId: o.courseId, moduleId: m.moduleId, learnerId, score: 80 + Math.floor(rand() * 21), maxScore: 100, completedAt: iso(t) });
      const externalId = `${o.prefix}-award-${l + 1}-${i + 1}`;
      const awardedAt = t + 60_000;
      const claimedAt = rand() < m.claimRate ? awardedAt + claimDelayHours(rand) * HOUR : null;
      const accepted = claimedAt !== null && claimedAt < o.now.getTime();
      const isPublic = accepted && rand() < 0.7;
      awards.push({
        externalId, badgeExternalId: badges[i]!.externalId, learnerId, ...(testAccount ? { testAccount } : {}),
        method: pick(rand, [['lms', 70], ['csv', 12], ['api', 12], ['manual', 6]] as const), awardedAt: iso(awardedAt),
        ...(accepted ? { acceptedAt: iso(claimedAt) } : {}), ...(isPublic ? { public: true } : {}),
      });
      events.push({ awardExternalId: externalId, type: 'notified', channel: 'email', outcome: rand() < 0.03 ? 'failed' : 'sent', occurredAt: iso(awardedAt + 60_000) });
      if (accepted && rand() < 0.45) shareAndView(rand, externalId, claimedAt!, o.now.getTime(), events);
    }
  }
  return { badges, completions, awards, events };
}

/** Shares of a claimed award, the views each brings (10 % of hits are bots) and some verifications; nothing after `now`. */
function shareAndView(rand: () => number, awardExternalId: string, claimedAt: number, now: number, events: Array<Record<string, unknown>>) {
  const iso = (t: number) => new Date(t).toISOString();
  const shares = 1 + (rand() < 0.25 ? 1 : 0);
  for (let s = 0; s < shares; s += 1) {
    const channel = pick(rand, SHARE_CHANNELS);
    const sharedAt = claimedAt + rand() * 12 * HOUR;
    if (sharedAt > now) continue;
    events.push({ awardExternalId, type: 'shared', channel, occurredAt: iso(sharedAt) });
    const views = viewsPerShare(rand);
    for (let v = 0; v < views; v += 1) {
      const at = sharedAt + -Math.log(1 - rand()) * 2 * DAY;
      if (at + 30_000 > now) continue;
      const bot = rand() < 0.1;
      const source = bot ? VIEW_SOURCE[channel]! : rand() < 0.85 ? VIEW_SOURCE[channel]! : pick(rand, [['search', 1], ['direct', 2], ['other', 1]] as const);
      events.push({ awardExternalId, type: 'viewed', channel: source, occurredAt: iso(at), userAgent: bot ? BOTS[Math.floor(rand() * BOTS.length)] : BROWSER });
      if (!bot && rand() < 0.2) events.push({ awardExternalId, type: 'verified', channel: source, occurredAt: iso(at + 30_000), userAgent: BROWSER });
    }
  }
}
