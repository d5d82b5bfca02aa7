// Completions in: the Completion API (per-item results, limits, idempotency under concurrency) and
// the completion launch of a placed module link. Each qualifying completion becomes one award.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { buildBadge, buildWorld, type World } from '../support/builders.js';
import { buildUser, launchTo, registeredPlatform } from '../support/lti.js';
import { startPlatform, type PlatformSimulator } from '../support/platform-simulator.js';

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

const post = (body: unknown, k = key) => fetch(`${app.url}/api/v1/completions`, {
  method: 'POST', headers: { authorization: `Bearer ${k}`, 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body),
});
const count = async (table: string) => (await app.testDb.db.query<{ n: number }>(`select count(*)::int as n from ${table}`))[0]!.n;
const completion = (moduleId: string, learnerId: string, score = 90, over: Record<string, unknown> = {}) => ({
  courseId: w.lmsContextId, moduleId, learner: { id: learnerId, email: `${learnerId}@school.example` }, score, maxScore: 100, completedAt: '2026-11-20T10:00:00Z', ...over,
});

describe('Completion API', () => {
  it('answers each item: awarded, duplicate, below_threshold, no_badge, invalid', async () => {
    const badge = await buildBadge(app, w, { rule: { minScore: 0.8 } });
    const mod = badge.moduleId;
    const external = (await app.testDb.db.query<{ external_id: string }>('select external_id from modules where id = $1', [mod]))[0]!.external_id;
    const res = await post({ completions: [
      completion(external, 'ann'),
      completion(external, 'ann', 95),
      completion(external, 'bob', 79),
      completion('no-such-module', 'cat'),
      { ...completion(external, 'dan'), courseId: 'no-such-course' },
      completion(external, 'eve', 120),
      { ...completion(external, 'fay'), completedAt: 'yesterday' },
      { courseId: w.lmsContextId },
    ] });
    expect(res.status).toBe(200);
    const { results } = await res.json();
    expect(results.map((r: { status: string }) => r.status)).toEqual(['awarded', 'duplicate', 'below_threshold', 'no_badge', 'no_badge', 'invalid', 'invalid', 'invalid']);
    expect(results.map((r: { index: number }) => r.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(results[1].awardId).toBe(results[0].awardId);
    expect(results[5].error).toContain('score must not exceed maxScore');
    expect(results[6].error).toContain('completedAt');
    // Stored: the three completions of known modules (two by ann, bob's below the rule).
    const rows = await app.testDb.db.query<{ qualifies: boolean; award_id: string | null; source: string }>('select qualifies, award_id, source from completions where module_id = $1 order by created_at, qualifies desc', [mod]);
    expect(rows.map((r) => [r.qualifies, r.award_id !== null, r.source])).toEqual([[true, true, 'api'], [true, true, 'api'], [false, false, 'api']]);
    const award = await app.built.services.awards.find(results[0].awardId);
    expect(award?.method).toBe('api');
  });

  it('finds a module by its LMS ids or by ours, in any mix, and only in its own course', async () => {
    const badge = await buildBadge(app, w, { rule: { minScore: 0.5 } });
    const external = (await app.testDb.db.query<{ external_id: string }>('select external_id from modules where id = $1', [badge.moduleId]))[0]!.external_id;
    const other = await buildWorld(app);
    const sibling = { id: randomUUID(), lmsContextId: `ctx-sibling-${randomUUID().slice(0, 8)}` };
    await app.testDb.db.query('insert into courses (tenant_id, id, platform_id, lms_context_id, title) values ($1, $2, $3, $4, $5)', [w.tenantId, sibling.id, w.platformId, sibling.lmsContextId, 'Sibling']);
    const res = await post({ completions: [
      completion(external, 'ids-1'),
      { ...completion(badge.moduleId, 'ids-2'), courseId: w.courseId },
      { ...completion(external, 'ids-3'), courseId: w.courseId },
      completion(badge.moduleId, 'ids-4'),
      // the module's ids under another course of the tenant, and under another tenant's course
      { ...completion(external, 'ids-5'), courseId: sibling.lmsContextId },
      { ...completion(badge.moduleId, 'ids-6'), courseId: sibling.id },
      { ...completion(badge.moduleId, 'ids-7'), courseId: other.courseId },
      { ...completion(external, 'ids-8'), courseId: other.lmsContextId },
    ] });
    expect(res.status).toBe(200);
    const { results } = await res.json();
    expect(results.map((r: { status: string }) => r.status)).toEqual(['awarded', 'awarded', 'awarded', 'awarded', 'no_badge', 'no_badge', 'no_badge', 'no_badge']);
    const awarded = await app.testDb.db.query<{ n: number }>('select count(*)::int as n from awards where badge_id = $1', [badge.id]);
    expect(awarded[0]!.n).toBe(4);
  });

  it('refuses a batch over 1,000 items with 413 and stores nothing', async () => {
    const before = [await count('completions'), await count('awards')];
    const res = await post({ completions: Array.from({ length: 1001 }, (_, i) => completion('m', `l${i}`)) });
    expect(res.status).toBe(413);
    expect((await res.json()).error.code).toBe('batch_too_large');
    expect([await count('completions'), await count('awards')]).toEqual(before);
  });

  it('refuses malformed JSON, a missing key and a wrong shape', async () => {
    expect((await post('{"completions": [')).status).toBe(400);
    expect((await post({ completions: [] }, 'bt_wrong')).status).toBe(401);
    const res = await post({ items: [] });
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBe('invalid_batch');
  });

  it('issues one award when the same completion is posted five times at once', async () => {
    const badge = await buildBadge(app, w, { rule: { minScore: 0 } });
    const external = (await app.testDb.db.query<{ external_id: string }>('select external_id from modules where id = $1', [badge.moduleId]))[0]!.external_id;
    const responses = await Promise.all(Array.from({ length: 5 }, () => post({ completions: [completion(external, 'zoe')] })));
    const statuses = await Promise.all(responses.map(async (r) => (await r.json()).results[0].status));
    expect(statuses.filter((s) => s === 'awarded')).toHaveLength(1);
    expect(statuses.filter((s) => s === 'duplicate')).toHaveLength(4);
    const awards = await app.testDb.db.query<{ n: number }>('select count(*)::int as n from awards where badge_id = $1', [badge.id]);
    expect(awards[0]!.n).toBe(1);
  });

  it('keeps a course-scoped key inside its course, and a tenant key inside its tenant', async () => {
    // A second course of the same tenant, with a badge.
    const secondCourse = (await app.testDb.db.query<{ id: string }>(
      `insert into courses (tenant_id, id, platform_id, lms_context_id, title) values ($1, gen_random_uuid(), $2, 'ctx-second', 'Second') returning id`, [w.tenantId, w.platformId]))[0]!.id;
    const badge = await app.built.services.badges.create(w.tenantId, { courseId: 'ctx-second', moduleId: 'second-m1', moduleTitle: 'Second M1', name: 'Second badge', criteria: 'c' });
    const firstCourseKey = (await app.built.services.tenants.createApiKey(w.tenantId, w.courseId)).key;
    const item = { ...completion('second-m1', 'max'), courseId: 'ctx-second' };
    expect((await (await post({ completions: [item] }, firstCourseKey)).json()).results[0].status).toBe('no_badge');
    const other = await buildWorld(app, 'South College');
    const otherKey = (await app.built.services.tenants.createApiKey(other.tenantId)).key;
    expect((await (await post({ completions: [item] }, otherKey)).json()).results[0].status).toBe('no_badge');
    expect((await app.testDb.db.query<{ n: number }>('select count(*)::int as n from completions where course_id = $1', [secondCourse]))[0]!.n).toBe(0);
    // The tenant key reaches it.
    expect((await (await post({ completions: [item] })).json()).results[0].status).toBe('awarded');
    expect((await app.testDb.db.query<{ n: number }>('select count(*)::int as n from awards where badge_id = $1', [badge.id]))[0]!.n).toBe(1);
  });
});

describe('completion launch', () => {
  let sim: PlatformSimulator;
  beforeAll(async () => {
    sim = await startPlatform();
    await registeredPlatform(app, sim);
  });
  afterAll(async () => {
    await sim?.close();
  });

  it('turns a learner launch of a placed module link into a completion and an award, shown in "my badges"', async () => {
    const course = { id: 'course-launch', title: 'Launch 101' };
    // The instructor's first launch creates the course; a badge is defined for a new module.
    await launchTo(app, sim, buildUser('instructor'), { context: course });
    const courseRow = (await app.testDb.db.query<{ id: string; tenant_id: string }>('select id, tenant_id from courses where lms_context_id = $1', [course.id]))[0]!;
    const badge = await app.built.services.badges.create(courseRow.tenant_id, { courseId: course.id, moduleId: 'mod-a', moduleTitle: 'Module A', name: 'Module A badge', criteria: 'Open the completion link.' });
    const learner = buildUser('learner');
    const { location, html } = await launchTo(app, sim, learner, { context: course, custom: { badgetrail_target: 'module', badgetrail_module: badge.moduleId } });
    expect(location).toMatch(/^\/app\/me/);
    expect(html).toContain('Module A badge');
    expect(html).toContain('waiting for you');
    const rows = await app.testDb.db.query<{ source: string; method: string }>(
      `select c.source, a.method from completions c join awards a on a.id = c.award_id join users u on u.id = c.user_id where u.lms_user_id = $1`, [learner.sub]);
    expect(rows).toEqual([{ source: 'launch', method: 'lms' }]);
    // Launching again completes again, but awards nothing new.
    await launchTo(app, sim, learner, { context: course, custom: { badgetrail_target: 'module', badgetrail_module: badge.moduleId } });
    const awards = await app.testDb.db.query<{ n: number }>('select count(*)::int as n from awards where badge_id = $1', [badge.id]);
    expect(awards[0]!.n).toBe(1);
  });
});
