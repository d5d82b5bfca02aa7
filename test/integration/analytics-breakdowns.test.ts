// The panel's breakdowns beside §7a (timeline per day or ISO week, per course), which the oracle does
// not cover: compute()'s SQL aggregates against the pure functions of breakdowns.ts over the award
// facts themselves, for daily and weekly ranges, ranges given to the minute, and a status filter.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAnalytics, perCourse, timeline, type AnalyticsQuery } from '../../src/analytics/index.js';
import { analyticsRepository } from '../../src/analytics/repository.js';
import { fixedClock } from '../../src/shared/index.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { buildWorld } from '../support/builders.js';
import { DAY, generateHistory } from '../support/history.js';

const NOW = new Date('2026-12-15T12:00:00.000Z');
const START = new Date('2026-09-20T00:00:00.000Z');
let app: TestApp;
let tenantId: string;

beforeAll(async () => {
  app = await startTestApp({ clock: fixedClock(NOW) });
  const w = await buildWorld(app, 'Breakdowns');
  tenantId = w.tenantId;
  const key = (await app.built.services.tenants.createApiKey(w.tenantId)).key;
  const history = generateHistory({ seed: 7, courses: [w.lmsContextId], now: NOW, start: START, learners: 20, prefix: 'bd7' });
  const res = await fetch(`${app.url}/api/v1/import`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(history) });
  expect(res.status).toBe(200);
}, 180_000);
afterAll(async () => {
  await app?.close();
});

describe('timeline and per-course breakdowns', () => {
  it('equal the pure breakdowns over the award facts of the range', async () => {
    const analytics = createAnalytics({ db: app.testDb.db, clock: fixedClock(NOW) });
    const statusOf = (a: { revokedAt: Date | null; validUntil: Date | null; acceptedAt: Date | null }) =>
      (a.revokedAt ? 'revoked' : a.validUntil && a.validUntil <= NOW ? 'expired' : a.acceptedAt ? 'accepted' : 'pending');
    const facts = await analyticsRepository(app.testDb.db).awardFacts({ tenantId, includeTest: false });
    const ranges: Array<[Date, Date, AnalyticsQuery['status']]> = [
      [new Date('2026-11-01T00:00:00.000Z'), new Date('2026-11-30T23:59:59.999Z'), undefined],
      [new Date('2026-10-15T06:30:00.000Z'), new Date('2026-12-10T18:00:00.000Z'), undefined],
      [START, NOW, undefined],
      [new Date(NOW.getTime() - 100 * DAY), NOW, 'accepted'],
    ];
    let seen = 0;
    for (const [from, to, status] of ranges) {
      const r = await analytics.compute({ scope: 'org', tenantId, includeTest: false, from, to, ...(status ? { status } : {}) });
      const inRange = facts.filter((a) => a.awardedAt >= from && a.awardedAt <= to && (!status || statusOf(a) === status));
      expect(r.timeline).toEqual(timeline(inRange, from, to));
      expect(r.courses).toEqual(perCourse(inRange, [...new Set(inRange.map((a) => a.courseId))].sort()));
      seen += inRange.length;
    }
    expect(seen).toBeGreaterThan(50);
  });
});
