// AGS write-back against the simulated Moodle: the first claim creates one gradebook column for the
// badge (through a token obtained with a JWT client assertion), every claim posts a full score.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { buildUser, launchTo, registeredPlatform } from '../support/lti.js';
import { startPlatform, type PlatformSimulator } from '../support/platform-simulator.js';

let app: TestApp;
let sim: PlatformSimulator;
let tenantId: string;
let key: string;
const course = { id: 'ags-101', title: 'Grades 101' };

beforeAll(async () => {
  app = await startTestApp();
  sim = await startPlatform({ product: 'moodle' });
  await registeredPlatform(app, sim);
  await launchTo(app, sim, buildUser('instructor'), { context: course });
  tenantId = (await app.testDb.db.query<{ tenant_id: string }>('select tenant_id from courses where lms_context_id = $1', [course.id]))[0]!.tenant_id;
  key = (await app.built.services.tenants.createApiKey(tenantId)).key;
  await app.built.services.badges.create(tenantId, { courseId: course.id, moduleId: 'm-ags', moduleTitle: 'Module 2: Statistics', name: 'Statistician', criteria: 'c' });
});
afterAll(async () => {
  await app?.close();
  await sim?.close();
});

async function claimAs(name: string) {
  const learner = buildUser('learner', { name });
  const { ltik } = await launchTo(app, sim, learner, { context: course });
  const res = await fetch(`${app.url}/api/v1/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ completions: [{ courseId: course.id, moduleId: 'm-ags', learner: { id: learner.sub }, score: 1, maxScore: 1, completedAt: new Date().toISOString() }] }) });
  const awardId = (await res.json()).results[0].awardId;
  const accept = await fetch(`${app.url}/app/awards/${awardId}/accept`, { method: 'POST', body: new URLSearchParams({ ltik }), redirect: 'manual' });
  expect(accept.status).toBe(303);
  return learner;
}

describe('AGS write-back', () => {
  it('creates one column per badge and scores each claim in it', async () => {
    const ann = await claimAs('Ann');
    const items = sim.ags.lineItems.filter((i) => i.tag === 'badgetrail-claim');
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ label: 'Module 2: Statistics: badge claimed', scoreMaximum: 1 });
    expect(sim.ags.scores.map((s) => [s.score.userId, s.score.scoreGiven, s.score.gradingProgress])).toEqual([[ann.sub, 1, 'FullyGraded']]);
    expect(sim.tokenRequests.some((t) => t.ok && t.scopes.some((sc) => sc.endsWith('/scope/score')))).toBe(true);

    const bob = await claimAs('Bob');
    expect(sim.ags.lineItems.filter((i) => i.tag === 'badgetrail-claim')).toHaveLength(1);
    expect(sim.ags.scores.map((s) => s.score.userId)).toEqual([ann.sub, bob.sub]);
  });
});
