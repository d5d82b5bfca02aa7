// A seeded generator of a realistic badge history in the shape of POST /api/v1/import (PRODUCT.md
// §7a): courses, modules with badges, completions, awards of every method and their later events.
// Plain data, so the analytics oracle can compute every metric from it without the database.

export type Method = 'lms' | 'api' | 'csv' | 'manual';
export interface GenBadge {
  externalId: string; courseId: string; moduleId: string; moduleTitle: string; modulePosition: number; name: string; description: string; criteria: string;
  skills?: Array<{ name: string; url?: string }>; pathway?: string; rule: { minScore: number }; validForDays?: number;
}
export interface GenCompletion { courseId: string; moduleId: string; learnerId: string; score: number; maxScore: number; completedAt: string }
export interface GenAward {
  externalId: string; badgeExternalId: string; learnerId: string; testAccount?: boolean; method: Method; awardedAt: string;
  acceptedAt?: string; revokedAt?: string; public?: boolean;
}
export interface GenEvent { awardExternalId: string; type: 'notified' | 'shared' | 'viewed' | 'verified'; channel?: string; outcome?: 'sent' | 'failed'; occurredAt: string; userAgent?: string }
export interface History { badges: GenBadge[]; completions: GenCompletion[]; awards: GenAward[]; events: GenEvent[] }

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

/** Link-preview bots and crawlers (§4): never views. */
export const BOT_AGENTS = ['LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)', 'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)',
  'facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)', 'Twitterbot/1.0'];
export const HUMAN_AGENTS = ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0'];
const SHARE_CHANNELS = ['linkedin_profile', 'linkedin_post', 'x', 'facebook', 'email', 'copy_link', 'embed', 'download'];
const VIEW_SOURCES = ['linkedin', 'email', 'embed', 'search', 'direct', 'other'];

/** mulberry32: small, fast and the same on every machine. */
export function prng(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  return {
    next,
    chance: (p: number) => next() < p,
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!,
  };
}
type Rng = ReturnType<typeof prng>;

export interface HistoryOptions {
  seed: number;
  /** The LMS context ids of the courses (2–3), all of one tenant and platform. */
  courses: readonly string[];
  /** The injected clock's now: nothing happens after it. */
  now: Date;
  /** The first award date; the last is just before now. */
  start: Date;
  learners?: number;
  /** Prefix of every external id, so several histories can live in one database. */
  prefix?: string;
}

/** Delay to claim: exact bucket edges (1 h, 24 h, 7 d) on purpose, and every bucket. */
function claimDelay(r: Rng): number {
  const k = r.next();
  if (k < 0.06) return r.pick([HOUR, 24 * HOUR, 7 * DAY]);
  if (k < 0.3) return r.int(1, 59) * 60_000;
  if (k < 0.6) return r.int(61, 1439) * 60_000 + r.int(0, 59_999);
  if (k < 0.8) return r.int(25, 167) * HOUR + r.int(0, 3_599_999);
  return r.int(169, 500) * HOUR;
}

export function generateHistory(o: HistoryOptions): History {
  const r = prng(o.seed);
  const p = o.prefix ?? `s${o.seed}`;
  const now = o.now.getTime();
  const iso = (t: number) => new Date(t).toISOString();
  const h: History = { badges: [], completions: [], awards: [], events: [] };
  const learners = Array.from({ length: o.learners ?? 18 }, (_, i) => `${p}-learner-${i + 1}`);
  const testers = [`${p}-test-1`, `${p}-test-2`];
  let awardNo = 0;

  for (const [ci, course] of o.courses.entries()) {
    const modules = r.int(3, 4);
    const pathway = r.chance(0.8) ? `${p} Path ${ci + 1}` : undefined;
    for (let m = 1; m <= modules; m += 1) {
      const minPct = r.pick([0, 50, 60, 70, 80]);
      const badge: GenBadge = {
        externalId: `${p}-badge-${ci + 1}-${m}`, courseId: course, moduleId: `${p}-c${ci + 1}-mod-${m}`, moduleTitle: `Course ${ci + 1} module ${m}`,
        modulePosition: m, name: `${p} Badge ${ci + 1}.${m}`, description: 'Generated', criteria: `Complete module ${m} with at least ${minPct} %.`,
        rule: { minScore: minPct / 100 },
        ...(r.chance(0.5) ? { skills: [{ name: `Skill ${ci + 1}.${m}`, url: `https://skills.example/${ci + 1}-${m}` }] } : {}),
        ...(pathway && r.chance(0.7) ? { pathway } : {}),
        ...(r.chance(0.45) ? { validForDays: r.pick([14, 20, 30, 365]) } : {}),
      };
      h.badges.push(badge);
      const cohort = [...learners.filter(() => r.chance(0.75)), ...testers.filter(() => r.chance(0.6))];
      for (const learnerId of cohort) {
        const testAccount = testers.includes(learnerId);
        const startedAt = o.start.getTime() + r.next() * (now - o.start.getTime() - 2 * HOUR);
        let awardedAt: number | null = null;
        let method: Method = r.pick(['lms', 'lms', 'lms', 'api', 'api', 'csv', 'manual']);
        if (r.chance(0.85 - 0.08 * m)) {
          // A completion (and sometimes a failed attempt before it): awarded when it meets the rule.
          if (minPct > 0 && r.chance(0.2)) h.completions.push({ courseId: course, moduleId: badge.moduleId, learnerId, score: Math.max(0, minPct - r.int(1, 30)), maxScore: 100, completedAt: iso(startedAt - DAY) });
          const score = r.chance(0.8) ? r.int(minPct, 100) : Math.max(0, minPct - r.int(1, 40));
          h.completions.push({ courseId: course, moduleId: badge.moduleId, learnerId, score, maxScore: 100, completedAt: iso(startedAt) });
          // Another platform's history may hold a qualifying completion it never awarded.
          if (score >= minPct && r.chance(0.95)) awardedAt = startedAt + r.int(1, 600) * 1000;
        } else if (r.chance(0.25)) {
          // Bulk or hand issuance without a completion behind it.
          awardedAt = startedAt;
          method = r.pick(['csv', 'manual', 'api']);
        }
        if (awardedAt === null || awardedAt >= now) continue;
        awardNo += 1;
        const ext = `${p}-award-${awardNo}`;
        const award: GenAward = { externalId: ext, badgeExternalId: badge.externalId, learnerId, method, awardedAt: iso(awardedAt), ...(testAccount ? { testAccount: true } : {}) };
        const acceptedAt = r.chance(0.68) ? awardedAt + claimDelay(r) : null;
        if (acceptedAt !== null && acceptedAt < now) {
          award.acceptedAt = iso(acceptedAt);
          if (r.chance(0.55)) award.public = true;
        }
        const claimed = award.acceptedAt ? acceptedAt! : null;
        if (r.chance(0.1)) award.revokedAt = iso(Math.min(now - 1, (claimed ?? awardedAt) + r.int(1, 20 * 24) * HOUR));
        h.awards.push(award);
        addEvents(h, r, ext, awardedAt, claimed, now);
      }
    }
  }
  return h;
}

function addEvents(h: History, r: Rng, ext: string, awardedAt: number, acceptedAt: number | null, now: number) {
  const at = (base: number, maxHours: number) => Math.min(now - 1, base + r.int(1, maxHours * 60) * 60_000);
  const push = (e: Omit<GenEvent, 'awardExternalId'>) => h.events.push({ awardExternalId: ext, ...e });
  if (r.chance(0.75)) {
    const notices = r.chance(0.2) ? 2 : 1;
    for (let i = 0; i < notices; i += 1) push({ type: 'notified', channel: r.pick(['email', 'email', 'lms']), outcome: r.chance(0.88) ? 'sent' : 'failed', occurredAt: new Date(at(awardedAt, 2)).toISOString() });
  }
  if (acceptedAt === null) return;
  const shares = r.chance(0.45) ? r.int(1, 3) : 0;
  for (let i = 0; i < shares; i += 1) push({ type: 'shared', channel: r.pick(SHARE_CHANNELS), occurredAt: new Date(at(acceptedAt, 24 * 20)).toISOString() });
  // Views follow shares; a public page is also found without one (search, a typed link).
  const views = shares > 0 ? r.int(0, 5) : r.chance(0.15) ? r.int(1, 2) : 0;
  for (let i = 0; i < views; i += 1) {
    const bot = r.chance(0.25);
    const ua = bot ? r.pick(BOT_AGENTS) : r.chance(0.9) ? r.pick(HUMAN_AGENTS) : undefined;
    push({ type: 'viewed', ...(r.chance(0.9) ? { channel: r.pick(VIEW_SOURCES) } : {}), occurredAt: new Date(at(acceptedAt, 24 * 30)).toISOString(), ...(ua ? { userAgent: ua } : {}) });
  }
  if (r.chance(0.3)) {
    const bot = r.chance(0.2);
    push({ type: 'verified', channel: r.pick(VIEW_SOURCES), occurredAt: new Date(at(acceptedAt, 24 * 30)).toISOString(), userAgent: bot ? r.pick(BOT_AGENTS) : r.pick(HUMAN_AGENTS) });
  }
}
