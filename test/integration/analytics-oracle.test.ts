// Issue 5's done-criterion: a generated history imported through POST /api/v1/import, then every
// field of GET /api/v1/analytics against an oracle computed independently from the same history
// (PRODUCT.md §5, §7a), over scopes, status filters, test accounts and ranges; and, with fast-check
// over fresh tenants of the database, the organisation equal to the sum of its courses.
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/shared/index.js';
import { oracle, type OracleIds, type OracleQuery } from '../support/analytics-oracle.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { buildWorld } from '../support/builders.js';
import { BOT_AGENTS, DAY, generateHistory, type History } from '../support/history.js';

const NOW = new Date('2026-12-15T12:00:00.000Z');
const START = new Date('2026-09-20T00:00:00.000Z');
let app: TestApp;

beforeAll(async () => {
  app = await startTestApp({ clock: fixedClock(NOW) });
});
afterAll(async () => {
  await app?.close();
});

/** A tenant with `courses` courses on one platform, an org-wide API key, and a history imported into it. */
async function importedTenant(seed: number, courses: number, learners: number) {
  const w = await buildWorld(app, `Oracle ${seed}`);
  const contexts = [w.lmsContextId];
  const courseIds = new Map([[w.lmsContextId, w.courseId]]);
  for (let i = 1; i < courses; i += 1) {
    const id = randomUUID();
    const ctx = `ctx-${id.slice(0, 8)}`;
    await app.testDb.db.query('insert into courses (tenant_id, id, platform_id, lms_context_id, title) values ($1, $2, $3, $4, $5)', [w.tenantId, id, w.platformId, ctx, `Course ${i + 1}`]);
    contexts.push(ctx);
    courseIds.set(ctx, id);
  }
  const key = (await app.built.services.tenants.createApiKey(w.tenantId)).key;
  const history = generateHistory({ seed, courses: contexts, now: NOW, start: START, learners, prefix: `h${seed}` });
  const res = await fetch(`${app.url}/api/v1/import`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(history) });
  expect(res.status).toBe(200);
  const r = await res.json() as Record<'badges' | 'completions' | 'awards' | 'events', Array<{ status: string; id?: string; error?: string }>>;
  for (const part of ['badges', 'completions', 'awards', 'events'] as const) {
    expect(r[part].filter((x) => x.status !== 'imported'), part).toEqual([]);
    expect(r[part]).toHaveLength(history[part].length);
  }
  const badgeIds = new Map(history.badges.map((b, i) => [b.externalId, r.badges[i]!.id!]));
  const moduleIds = new Map<string, string>();
  for (const [ext, id] of badgeIds) moduleIds.set(ext, (await app.built.services.badges.get(id))!.moduleId);
  const ids: OracleIds = { tenantId: w.tenantId, courseIds, badgeIds, moduleIds };
  return { history, ids, key, courses: [...courseIds.values()] };
}

async function analytics(key: string, query: string) {
  const res = await fetch(`${app.url}/api/v1/analytics?${query}`, { headers: { authorization: `Bearer ${key}` } });
  expect(res.status, query).toBe(200);
  return res.json() as Promise<Record<string, unknown>>;
}

/** Deep equality with floating point numbers to 9 decimals, and no key missing or extra. */
function expectSame(actual: unknown, expected: unknown, path: string): void {
  if (expected === null || typeof expected !== 'object') {
    if (typeof expected === 'number' && !Number.isInteger(expected)) {
      expect(typeof actual, path).toBe('number');
      expect(actual as number, path).toBeCloseTo(expected, 9);
    } else expect(actual, path).toBe(expected);
    return;
  }
  expect(actual !== null && typeof actual === 'object', path).toBe(true);
  if (Array.isArray(expected)) {
    expect(Array.isArray(actual), path).toBe(true);
    expect((actual as unknown[]).length, `${path}.length`).toBe(expected.length);
    expected.forEach((e, i) => expectSame((actual as unknown[])[i], e, `${path}[${i}]`));
    return;
  }
  const a = actual as Record<string, unknown>;
  expect(Object.keys(a).sort(), `${path} keys`).toEqual(Object.keys(expected).sort());
  for (const [k, v] of Object.entries(expected)) expectSame(a[k], v, `${path}.${k}`);
}

const byKey = <T>(list: T[], key: keyof T) => [...list].sort((x, y) => String(x[key]).localeCompare(String(y[key])));

async function compare(t: { history: History; ids: OracleIds; key: string }, q: OracleQuery, query: string) {
  const got = await analytics(t.key, query);
  const want = oracle(t.history, t.ids, q, NOW);
  const { alertCodes, modules, badges, ...rest } = want;
  const { alerts, modules: gotModules, badges: gotBadges, ...gotRest } = got as Record<string, unknown> & { alerts: Array<{ code: string; message: string }>; modules: Array<{ moduleId: string; position: number }>; badges: Array<{ badgeId: string }> };
  // The panel's breakdowns (timeline, per course) ride along beyond §7a: every §7a key is compared.
  expectSame(Object.fromEntries(Object.keys(rest).map((k) => [k, gotRest[k]])), rest, query);
  // Modules in course order; badges and modules compared by id (their name order is the database's collation).
  const positions = gotModules.map((m) => m.position);
  expect(positions, `${query} modules order`).toEqual([...positions].sort((x, y) => x - y));
  expectSame(byKey(gotModules, 'moduleId'), byKey(modules, 'moduleId'), `${query} modules`);
  expectSame(byKey(gotBadges, 'badgeId'), byKey(badges, 'badgeId'), `${query} badges`);
  expect(alerts.map((a) => a.code), `${query} alerts`).toEqual(alertCodes);
  for (const a of alerts) expect(a.message.length).toBeGreaterThan(10);
  return { got, want };
}

describe('analytics against an independent oracle', () => {
  let t: Awaited<ReturnType<typeof importedTenant>>;
  const from = new Date('2026-11-01T00:00:00.000Z');
  const to = new Date('2026-11-30T23:59:59.999Z');
  const range = 'from=2026-11-01&to=2026-11-30';
  beforeAll(async () => {
    t = await importedTenant(4, 3, 22);
  }, 180_000);

  it('generates a history that exercises every metric', () => {
    const { awards, events, completions } = t.history;
    const at = (s: string) => Date.parse(s);
    expect(awards.length).toBeGreaterThan(60);
    expect(awards.length).toBeLessThan(300);
    expect(new Set(awards.map((a) => a.method))).toEqual(new Set(['lms', 'api', 'csv', 'manual']));
    expect(awards.some((a) => at(a.awardedAt) < from.getTime() && at(a.awardedAt) >= from.getTime() - 30 * DAY)).toBe(true);
    expect(awards.some((a) => at(a.awardedAt) > NOW.getTime() - 7 * DAY)).toBe(true);
    expect(awards.some((a) => a.acceptedAt && at(a.awardedAt) <= to.getTime() && at(a.acceptedAt) > to.getTime())).toBe(true);
    expect(awards.some((a) => a.revokedAt) && awards.some((a) => a.testAccount) && awards.some((a) => a.public)).toBe(true);
    expect(t.history.badges.some((b) => b.validForDays) && t.history.badges.some((b) => b.pathway) && t.history.badges.some((b) => b.skills)).toBe(true);
    const days = new Map(t.history.badges.map((b) => [b.externalId, b.validForDays]));
    const expired = awards.filter((a) => !a.revokedAt && days.get(a.badgeExternalId) && at(a.awardedAt) + days.get(a.badgeExternalId)! * DAY <= NOW.getTime());
    expect(expired.some((a) => at(a.awardedAt) >= from.getTime() && at(a.awardedAt) <= to.getTime())).toBe(true);
    expect(events.some((e) => e.type === 'viewed' && e.userAgent && BOT_AGENTS.includes(e.userAgent))).toBe(true);
    expect(events.some((e) => e.type === 'notified' && e.outcome === 'failed')).toBe(true);
    expect(events.some((e) => e.type === 'viewed' && !e.channel) && events.some((e) => e.type === 'viewed' && !e.userAgent)).toBe(true);
    expect(events.some((e) => e.type === 'verified') && events.some((e) => at(e.occurredAt) > to.getTime())).toBe(true);
    const badgeOf = (c: { courseId: string; moduleId: string }) => t.history.badges.find((b) => b.courseId === c.courseId && b.moduleId === c.moduleId)!;
    const awarded = new Set(awards.map((a) => `${a.badgeExternalId}\n${a.learnerId}`));
    const qualifies = (c: (typeof completions)[number]) => c.score >= badgeOf(c).rule.minScore * 100;
    expect(completions.some((c) => !qualifies(c))).toBe(true);
    expect(completions.some((c) => qualifies(c) && !awarded.has(`${badgeOf(c).externalId}\n${c.learnerId}`))).toBe(true);
    const completed = new Set(completions.map((c) => `${badgeOf(c).externalId}\n${c.learnerId}`));
    expect(awards.some((a) => !completed.has(`${a.badgeExternalId}\n${a.learnerId}`))).toBe(true);
  });

  it('organisation scope over a range: every field', async () => {
    const { want } = await compare(t, { scope: 'org', from, to }, range);
    expect(want.kpis.awarded).toBeGreaterThan(10);
    expect(want.kpis.timeToClaim.medianHours).not.toBeNull();
  });

  it('each course scope, and the default range (the 30 days up to now)', async () => {
    for (const courseId of t.courses) {
      await compare(t, { scope: 'course', courseId, from, to }, `scope=course&courseId=${courseId}&${range}`);
      await compare(t, { scope: 'course', courseId, from: new Date(NOW.getTime() - 30 * DAY), to: NOW }, `scope=course&courseId=${courseId}`);
    }
  });

  it('badge scope, with and without the course', async () => {
    const withPath = t.history.badges.find((b) => b.pathway)!;
    for (const b of [t.history.badges[0]!, withPath]) {
      const badgeId = t.ids.badgeIds.get(b.externalId)!;
      const courseId = t.ids.courseIds.get(b.courseId)!;
      await compare(t, { scope: 'badge', badgeId, from, to }, `scope=badge&badgeId=${badgeId}&${range}`);
      await compare(t, { scope: 'badge', badgeId, courseId, from, to }, `scope=badge&badgeId=${badgeId}&courseId=${courseId}&${range}`);
    }
  });

  it('status filters, test accounts included, and a range given to the minute', async () => {
    for (const status of ['pending', 'accepted', 'revoked', 'expired'] as const) {
      await compare(t, { scope: 'org', from, to, status }, `${range}&status=${status}`);
    }
    await compare(t, { scope: 'org', from, to, includeTest: true }, `${range}&includeTest=true`);
    await compare(t, { scope: 'course', courseId: t.courses[1]!, from, to, includeTest: true, status: 'accepted' }, `scope=course&courseId=${t.courses[1]}&${range}&includeTest=true&status=accepted`);
    const f = new Date('2026-10-15T06:30:00.000Z');
    const e = new Date('2026-12-10T18:00:00.000Z');
    await compare(t, { scope: 'org', from: f, to: e }, `from=${f.toISOString()}&to=${e.toISOString()}`);
    await compare(t, { scope: 'org', from: new Date('2020-01-01T00:00:00.000Z'), to: new Date('2020-01-31T23:59:59.999Z') }, 'from=2020-01-01&to=2020-01-31');
  });
});

describe('imported events name the channels analytics group by (§4)', () => {
  it('refuses a share without a known channel and a notification without an outcome; a view without a source is direct', async () => {
    const t = await importedTenant(99, 2, 4);
    const award = t.history.awards.find((a) => a.acceptedAt && !a.testAccount)!;
    const occurredAt = award.acceptedAt!;
    const events = [
      { awardExternalId: award.externalId, type: 'shared', occurredAt },
      { awardExternalId: award.externalId, type: 'shared', channel: 'myspace', occurredAt },
      { awardExternalId: award.externalId, type: 'viewed', channel: 'carrier_pigeon', occurredAt },
      { awardExternalId: award.externalId, type: 'notified', channel: 'email', occurredAt },
      { awardExternalId: award.externalId, type: 'viewed', occurredAt, userAgent: 'Mozilla/5.0 Firefox/128.0' },
    ];
    const res = await fetch(`${app.url}/api/v1/import`, { method: 'POST', headers: { authorization: `Bearer ${t.key}`, 'content-type': 'application/json' }, body: JSON.stringify({ events }) });
    const r = await res.json() as { events: Array<{ status: string; error?: string }> };
    expect(r.events.map((e) => e.status)).toEqual(['invalid', 'invalid', 'invalid', 'invalid', 'imported']);
    expect(r.events[0]!.error).toMatch(/channel/);
    expect(r.events[3]!.error).toMatch(/outcome/);
    const history = { ...t.history, events: [...t.history.events, events[4] as History['events'][number]] };
    await compare({ ...t, history }, { scope: 'org', from: START, to: NOW }, `from=${START.toISOString()}&to=${NOW.toISOString()}`);
  });
});

describe('the organisation is the sum of its courses (fast-check, database)', () => {
  it('awarded, funnel stages and awarding methods', async () => {
    await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.integer({ min: 0, max: 80 }), fc.integer({ min: 1, max: 60 }), async (seed, startDay, days) => {
      const t = await importedTenant(seed, 2 + (seed % 2), 6);
      const from = new Date(START.getTime() + startDay * DAY);
      const to = new Date(from.getTime() + days * DAY - 1);
      const range = `from=${from.toISOString()}&to=${to.toISOString()}`;
      const org = await analytics(t.key, range) as { kpis: { awarded: number }; funnel: Record<string, number>; distribution: { awarding: Record<string, number> } };
      const sum = { awarded: 0, funnel: {} as Record<string, number>, awarding: {} as Record<string, number> };
      for (const courseId of t.courses) {
        const c = await analytics(t.key, `scope=course&courseId=${courseId}&${range}`) as typeof org;
        sum.awarded += c.kpis.awarded;
        for (const [k, v] of Object.entries(c.funnel)) sum.funnel[k] = (sum.funnel[k] ?? 0) + v;
        for (const [k, v] of Object.entries(c.distribution.awarding)) sum.awarding[k] = (sum.awarding[k] ?? 0) + v;
      }
      expect(org.kpis.awarded).toBe(sum.awarded);
      expect(org.funnel).toEqual(sum.funnel);
      expect(org.distribution.awarding).toEqual(sum.awarding);
      expect(org.kpis.awarded).toBe(oracle(t.history, t.ids, { scope: 'org', from, to }, NOW).kpis.awarded);
    }), { numRuns: 6 });
  }, 600_000);
});
