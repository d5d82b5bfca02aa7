// A synthetic, realistic badge history in the shape of POST /api/v1/import (PRODUCT.md §7a), for
// demos, `admin seed` and benchmarks: claims with a long tail of delays, sharing skewed to
// LinkedIn, heavy-tailed views per share, bot hits, test accounts, and a module where the
// completion-to-claim gap jumps. Deterministic for a given seed; produced in chunks, so a history
// of a million awards never sits in memory at once. Plain data: it knows nothing of the database.

export interface HistoryModule { moduleId: string; title: string; badge: string; minScore: number; skills?: string[]; pathway?: string; validForDays?: number; claimRate: number }
export interface SyntheticCourse { courseId: string; modules: HistoryModule[] }
/** `viewsPerShare`: the mean of the heavy-tailed views a share brings (3.5 when not given). */
export interface SyntheticOptions { courses: SyntheticCourse[]; learners: number; testAccounts: number; days: number; now: Date; seed: number; prefix: string; viewsPerShare?: number }
export interface HistoryOptions { courseId: string; modules: HistoryModule[]; learners: number; testAccounts: number; days: number; now: Date; seed: number; prefix: string }

type Item = Record<string, unknown>;
export interface HistoryChunk { badges: Item[]; completions: Item[]; awards: Item[]; events: Item[] }

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
type Rand = () => number;

function pick<T>(rand: Rand, weighted: ReadonlyArray<readonly [T, number]>): T {
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
const claimDelayHours = (rand: Rand) => (rand() < 0.55 ? rand() * 6 : rand() < 0.7 ? 6 + rand() * 42 : 48 + -Math.log(1 - rand()) * 120);

/** Views per share: heavy-tailed (most shares get a few views, some get many), about `mean` on average. */
const viewsPerShare = (rand: Rand, mean: number) => Math.min(Math.round(17 * mean), Math.floor(-Math.log(1 - rand()) * mean));

/**
 * C courses of M modules each, for `admin seed`: claim rates drift down along a course and fall
 * sharply at its middle module (where the gap jumps), then partly recover.
 */
export function syntheticCourses(prefix: string, courses: number, modules: number): Array<SyntheticCourse & { title: string }> {
  const jump = Math.floor(modules / 2);
  return Array.from({ length: courses }, (_, c) => ({
    courseId: `${prefix}-course-${c + 1}`,
    title: `Synthetic course ${c + 1}`,
    modules: Array.from({ length: modules }, (_, i) => ({
      moduleId: `${prefix}-c${c + 1}-m${i + 1}`,
      title: `Module ${i + 1}${i === jump && modules > 1 ? ': capstone assessment' : ''}`,
      badge: `Course ${c + 1} · module ${i + 1}`,
      minScore: i % 3 === 0 ? 0 : 0.7,
      ...(i % 2 === 1 ? { skills: [`Skill ${c + 1}.${i + 1}`] } : {}),
      ...(c % 2 === 0 ? { pathway: `Synthetic pathway ${c + 1}` } : {}),
      ...(i === modules - 1 && modules > 1 ? { validForDays: 365 } : {}),
      claimRate: modules > 1 && i === jump ? 0.42 : i > jump && modules > 1 ? 0.7 : Math.max(0.6, 0.9 - 0.02 * i),
    })),
  }));
}

function badgesOf(o: SyntheticOptions): Item[] {
  const single = o.courses.length === 1;
  return o.courses.flatMap((c, ci) => c.modules.map((m, i) => ({
    externalId: single ? `${o.prefix}-badge-${i + 1}` : `${o.prefix}-badge-${ci + 1}-${i + 1}`, courseId: c.courseId, moduleId: m.moduleId, moduleTitle: m.title, modulePosition: i + 1, name: m.badge,
    description: `Awarded for completing ${m.title}.`, criteria: `Complete ${m.title}${m.minScore ? ` with a score of at least ${m.minScore * 100} %` : ''}.`,
    rule: { minScore: m.minScore }, skills: (m.skills ?? []).map((name) => ({ name })), ...(m.pathway ? { pathway: m.pathway } : {}), ...(m.validForDays ? { validForDays: m.validForDays } : {}),
  })));
}

/**
 * The history in chunks of about `chunkAwards` awards (whole learners per chunk); the first chunk
 * carries the badges. Each learner takes one course, and with several courses a quarter take a
 * second one; fewer learners reach each later module.
 */
export function* syntheticHistory(o: SyntheticOptions, chunkAwards = 2_000): Generator<HistoryChunk> {
  const rand = prng(o.seed);
  const iso = (t: number) => new Date(t).toISOString();
  const now = o.now.getTime();
  const start = now - o.days * DAY;
  const single = o.courses.length === 1;
  const badges = badgesOf(o);
  let chunk: HistoryChunk = { badges, completions: [], awards: [], events: [] };
  for (let l = 0; l < o.learners + o.testAccounts; l += 1) {
    const learnerId = `${o.prefix}-learner-${l + 1}`;
    const testAccount = l >= o.learners;
    const taken = single ? [0] : [l % o.courses.length, ...(rand() < 0.25 ? [Math.floor(rand() * o.courses.length)] : [])];
    for (const ci of new Set(taken)) {
      const course = o.courses[ci]!;
      const badgeBase = o.courses.slice(0, ci).reduce((n, c) => n + c.modules.length, 0);
      // Learners start across the whole period, so recent weeks have awards (and rolling rates) too.
      let t = start + rand() * o.days * DAY * 0.9;
      for (const [i, m] of course.modules.entries()) {
        if (rand() > Math.max(0.3, 0.92 - i * 0.06)) break;
        t += (1 + rand() * 6) * DAY;
        if (t > now - HOUR) break;
        chunk.completions.push({ courseId: course.courseId, moduleId: m.moduleId, learnerId, score: 80 + Math.floor(rand() * 21), maxScore: 100, completedAt: iso(t) });
        const externalId = single ? `${o.prefix}-award-${l + 1}-${i + 1}` : `${o.prefix}-award-${l + 1}-${ci + 1}-${i + 1}`;
        const awardedAt = t + 60_000;
        const claimedAt = rand() < m.claimRate ? awardedAt + claimDelayHours(rand) * HOUR : null;
        const accepted = claimedAt !== null && claimedAt < now;
        const isPublic = accepted && rand() < 0.7;
        chunk.awards.push({
          externalId, badgeExternalId: badges[badgeBase + i]!.externalId, learnerId, ...(testAccount ? { testAccount } : {}),
          method: pick(rand, [['lms', 70], ['csv', 12], ['api', 12], ['manual', 6]] as const), awardedAt: iso(awardedAt),
          ...(accepted ? { acceptedAt: iso(claimedAt) } : {}), ...(isPublic ? { public: true } : {}),
        });
        chunk.events.push({ awardExternalId: externalId, type: 'notified', channel: 'email', outcome: rand() < 0.03 ? 'failed' : 'sent', occurredAt: iso(awardedAt + 60_000) });
        if (accepted && rand() < 0.45) shareAndView(rand, externalId, claimedAt!, now, chunk.events, o.viewsPerShare ?? 3.5);
      }
    }
    if (chunk.awards.length >= chunkAwards) {
      yield chunk;
      chunk = { badges: [], completions: [], awards: [], events: [] };
    }
  }
  if (chunk.badges.length || chunk.awards.length || chunk.completions.length) yield chunk;
}

/** One course's whole history at once (the demo's size). */
export function generateHistory(o: HistoryOptions): HistoryChunk {
  const { courseId, modules, ...rest } = o;
  const all: HistoryChunk = { badges: [], completions: [], awards: [], events: [] };
  for (const c of syntheticHistory({ ...rest, courses: [{ courseId, modules }] }, Number.POSITIVE_INFINITY)) {
    for (const k of ['badges', 'completions', 'awards', 'events'] as const) all[k].push(...c[k]);
  }
  return all;
}

/** Shares of a claimed award, the views each brings (10 % of hits are bots) and some verifications; nothing after `now`. */
function shareAndView(rand: Rand, awardExternalId: string, claimedAt: number, now: number, events: Item[], meanViews: number) {
  const iso = (t: number) => new Date(t).toISOString();
  const shares = 1 + (rand() < 0.25 ? 1 : 0);
  for (let s = 0; s < shares; s += 1) {
    const channel = pick(rand, SHARE_CHANNELS);
    const sharedAt = claimedAt + rand() * 12 * HOUR;
    if (sharedAt > now) continue;
    events.push({ awardExternalId, type: 'shared', channel, occurredAt: iso(sharedAt) });
    const views = viewsPerShare(rand, meanViews);
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
