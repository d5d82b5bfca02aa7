// NRPS roster sync: an instructor's launch brings in the course's members from the platform, so
// learners who never opened the tool can be awarded and counted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { buildUser, launchTo, registeredPlatform, ROLE } from '../support/lti.js';
import { startPlatform, type PlatformSimulator } from '../support/platform-simulator.js';

let app: TestApp;
let sim: PlatformSimulator;
beforeAll(async () => {
  app = await startTestApp();
  sim = await startPlatform();
  await registeredPlatform(app, sim);
});
afterAll(async () => {
  await app?.close();
  await sim?.close();
});

describe('roster sync', () => {
  it('imports active members with their roles on an instructor launch; test accounts marked; inactive ones left out', async () => {
    sim.members.push(
      { sub: 'nrps-ann', name: 'Ann Roster', email: 'ann@school.example', roles: [ROLE.learner] },
      { sub: 'nrps-tess', name: 'Test Student', roles: [ROLE.learner, ROLE.testUser] },
      { sub: 'nrps-gone', name: 'Gone Away', roles: [ROLE.learner], status: 'Inactive' },
    );
    const course = { id: 'nrps-101', title: 'Roster 101' };
    const { ltik } = await launchTo(app, sim, buildUser('instructor'), { context: course });
    const rows = await app.testDb.db.query<{ lms_user_id: string; name: string | null; is_test: boolean; learner: boolean }>(
      `select u.lms_user_id, u.name, u.is_test, exists (select 1 from unnest(e.roles) r where r like '%#Learner') as learner
       from enrolments e join users u on u.id = e.user_id join courses c on c.id = e.course_id
       where c.lms_context_id = $1 and u.lms_user_id like 'nrps-%' order by u.lms_user_id`, [course.id]);
    expect(rows).toEqual([
      { lms_user_id: 'nrps-ann', name: 'Ann Roster', is_test: false, learner: true },
      { lms_user_id: 'nrps-tess', name: 'Test Student', is_test: true, learner: true },
    ]);
    const page = await (await fetch(`${app.url}/app/awards/new?ltik=${ltik}`)).text();
    expect(page).toContain('Ann Roster (ann@school.example)');
    expect(sim.tokenRequests.some((t) => t.ok && t.scopes.some((s) => s.endsWith('contextmembership.readonly')))).toBe(true);
  });
});
