// POST /api/v1/import: another platform's history counts in analytics exactly like native data;
// a second import is refused item by item as duplicates; bots in userAgent are left out of views.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { buildWorld, type World } from '../support/builders.js';

let app: TestApp;
let w: World;
let key: string;
beforeAll(async () => {
  app = await startTestApp();
  w = await buildWorld(app);
  key = (await app.built.services.tenants.createApiKey(w.tenantId)).key;
});
afterAll(async () => {
  await app?.close();
});

const post = async (body: unknown, k = key) => fetch(`${app.url}/api/v1/import`, { method: 'POST', headers: { authorization: `Bearer ${k}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

const history = () => ({
  badges: [
    { externalId: 'cred-1', courseId: w.lmsContextId, moduleId: 'mod-1', moduleTitle: 'Module 1', modulePosition: 1, name: 'Imported One', criteria: 'c', rule: { minScore: 0.5 } },
    { externalId: 'cred-2', courseId: w.lmsContextId, moduleId: 'mod-2', moduleTitle: 'Module 2', modulePosition: 2, name: 'Imported Two', criteria: 'c' },
    { externalId: 'cred-bad', courseId: 'nowhere', moduleId: 'x', moduleTitle: 'X', name: 'X', criteria: 'c' },
  ],
  completions: [
    { courseId: w.lmsContextId, moduleId: 'mod-1', learnerId: 'u1', score: 9, maxScore: 10, completedAt: '2026-10-01T10:00:00Z' },
    { courseId: w.lmsContextId, moduleId: 'mod-1', learnerId: 'u2', score: 2, maxScore: 10, completedAt: '2026-10-01T10:00:00Z' },
    { courseId: w.lmsContextId, moduleId: 'mod-1', learnerId: 'u3', score: 20, maxScore: 10, completedAt: '2026-10-01T10:00:00Z' },
  ],
  awards: [
    { externalId: 'aw-1', badgeExternalId: 'cred-1', learnerId: 'u1', method: 'lms', awardedAt: '2026-10-02T00:00:00Z', acceptedAt: '2026-10-02T05:00:00Z', public: true },
    { externalId: 'aw-2', badgeExternalId: 'cred-1', learnerId: 'u4', method: 'csv', awardedAt: '2026-10-03T00:00:00Z' },
    { externalId: 'aw-3', badgeExternalId: 'cred-2', learnerId: 'u1', method: 'manual', awardedAt: '2026-10-04T00:00:00Z', acceptedAt: '2026-10-05T00:00:00Z', revokedAt: '2026-10-20T00:00:00Z' },
    { externalId: 'aw-test', badgeExternalId: 'cred-2', learnerId: 'tester', testAccount: true, method: 'lms', awardedAt: '2026-10-04T00:00:00Z', acceptedAt: '2026-10-04T01:00:00Z' },
    { externalId: 'aw-4', badgeExternalId: 'nope', learnerId: 'u5', method: 'lms', awardedAt: '2026-10-04T00:00:00Z' },
    { externalId: 'aw-5', badgeExternalId: 'cred-1', learnerId: 'u6', method: 'fax', awardedAt: '2026-10-04T00:00:00Z' },
  ],
  events: [
    { awardExternalId: 'aw-1', type: 'shared', channel: 'linkedin_profile', occurredAt: '2026-10-02T06:00:00Z' },
    { awardExternalId: 'aw-1', type: 'viewed', channel: 'linkedin', occurredAt: '2026-10-02T07:00:00Z', userAgent: 'Mozilla/5.0 Chrome/120' },
    { awardExternalId: 'aw-1', type: 'viewed', channel: 'linkedin', occurredAt: '2026-10-02T07:00:01Z', userAgent: 'LinkedInBot/1.0' },
    { awardExternalId: 'aw-2', type: 'notified', channel: 'email', outcome: 'failed', occurredAt: '2026-10-03T00:01:00Z' },
    { awardExternalId: 'aw-1', type: 'notified', channel: 'email', outcome: 'sent', occurredAt: '2026-10-02T00:01:00Z' },
    { awardExternalId: 'aw-1', type: 'accepted', occurredAt: '2026-10-02T05:00:00Z' },
    { awardExternalId: 'aw-9', type: 'viewed', occurredAt: '2026-10-02T05:00:00Z' },
  ],
});

describe('history import', () => {
  it('imports per item and analytics count it like native data', async () => {
    const res = await post(history());
    expect(res.status).toBe(200);
    const r = await res.json();
    expect(r.badges.map((x: { status: string }) => x.status)).toEqual(['imported', 'imported', 'not_found']);
    expect(r.completions.map((x: { status: string }) => x.status)).toEqual(['imported', 'imported', 'invalid']);
    expect(r.awards.map((x: { status: string }) => x.status)).toEqual(['imported', 'imported', 'imported', 'imported', 'not_found', 'invalid']);
    expect(r.events.map((x: { status: string }) => x.status)).toEqual(['imported', 'imported', 'imported', 'imported', 'imported', 'invalid', 'not_found']);

    const a = await (await fetch(`${app.url}/api/v1/analytics?from=2026-10-01&to=2026-10-31`, { headers: { authorization: `Bearer ${key}` } })).json();
    expect(a.kpis.awarded).toBe(3); // the test account's award is left out
    expect(a.kpis.acceptanceRate).toBeCloseTo(2 / 3, 12); // aw-3 was accepted, then revoked: still accepted
    expect(a.kpis.views).toBe(1); // LinkedInBot left out
    expect(a.kpis.notificationFailureRate).toBe(0.5);
    expect(a.kpis.timeToClaim.medianHours).toBe(14.5); // 5 h and 24 h
    expect(a.distribution.awarding).toEqual({ lms: 1, csv: 1, manual: 1 });
    expect(Object.keys(a.distribution.awarding)).toEqual(['csv', 'lms', 'manual']);
    const withTest = await (await fetch(`${app.url}/api/v1/analytics?from=2026-10-01&to=2026-10-31&includeTest=true`, { headers: { authorization: `Bearer ${key}` } })).json();
    expect(withTest.kpis.awarded).toBe(4);

    // Imported awards are real credentials, and the revoked one is revoked for verifiers.
    const revoked = r.awards[2].id as string;
    // Imported awards wait in the signing queue: the VC-JWT as the queue stores it is what a verifier gets.
    await app.built.services.awards.signing.drain();
    const jwt = (await app.built.services.awards.find(revoked))!.credentialJwt!;
    const verify = await (await fetch(`${app.url}/ob/verify`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: jwt })).json();
    expect(verify.checks.find((c: { check: string }) => c.check === 'status')).toMatchObject({ ok: false });
  });

  it('refuses a second import of the same history as duplicates, changing nothing', async () => {
    const before = (await app.testDb.db.query<{ n: number }>('select count(*)::int as n from events'))[0]!.n;
    const { badges, awards } = history();
    const r = await (await post({ badges: badges.slice(0, 2), awards: awards.slice(0, 4) })).json();
    expect(r.badges.map((x: { status: string }) => x.status)).toEqual(['duplicate', 'duplicate']);
    expect(r.awards.map((x: { status: string }) => x.status)).toEqual(['duplicate', 'duplicate', 'duplicate', 'duplicate']);
    expect((await app.testDb.db.query<{ n: number }>('select count(*)::int as n from events'))[0]!.n).toBe(before);
  });

  it('refuses a course key and a malformed body', async () => {
    const courseKey = (await app.built.services.tenants.createApiKey(w.tenantId, w.courseId)).key;
    expect((await post({ badges: [] }, courseKey)).status).toBe(403);
    const bad = await post({ records: [] });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.code).toBe('invalid_import');
  });
});
