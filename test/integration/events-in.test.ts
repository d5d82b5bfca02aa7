// xAPI statements and Caliper GradeEvents become completions: authenticated per tenant, mapped to
// the module whose id is the activity, scored against the badge's rule.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mapCaliperEvent, mapXapiStatement } from '../../src/completions/index.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { buildWorld, type World } from '../support/builders.js';

let app: TestApp;
let w: World;
let key: string;
const ACTIVITY = 'https://moodle.school.example/mod/quiz/view.php?id=42';
const ASSIGNMENT = 'https://school.instructure.com/courses/7/assignments/99';

beforeAll(async () => {
  app = await startTestApp();
  w = await buildWorld(app);
  key = (await app.built.services.tenants.createApiKey(w.tenantId)).key;
  await app.built.services.badges.create(w.tenantId, { courseId: w.lmsContextId, moduleId: ACTIVITY, moduleTitle: 'Quiz 1', name: 'Quiz Master', criteria: 'Pass the quiz with 70 %.', rule: { minScore: 0.7 } });
  await app.built.services.badges.create(w.tenantId, { courseId: w.lmsContextId, moduleId: ASSIGNMENT, moduleTitle: 'Essay', name: 'Essayist', criteria: 'Score 8 of 10.', rule: { minScore: 0.8 } });
});
afterAll(async () => {
  await app?.close();
});

const statement = (name: string, verb: string, scaled?: number) => ({
  id: crypto.randomUUID(),
  actor: { objectType: 'Agent', name: 'Ann Example', account: { homePage: 'https://moodle.school.example', name } },
  verb: { id: `http://adlnet.gov/expapi/verbs/${verb}`, display: { 'en-US': verb } },
  object: { objectType: 'Activity', id: ACTIVITY },
  ...(scaled === undefined ? {} : { result: { score: { scaled }, success: scaled >= 0.5 } }),
  timestamp: '2026-11-24T09:30:00Z',
});
const awardsOf = async (lmsUserId: string) => (await app.testDb.db.query<{ method: string }>(
  'select a.method from awards a join users u on u.id = a.user_id where u.lms_user_id = $1', [lmsUserId])).map((r) => r.method);
const basic = (k: string) => `Basic ${Buffer.from(`lrs:${k}`).toString('base64')}`;

describe('xAPI', () => {
  it('records passed/completed statements, awards by the rule, answers statement ids', async () => {
    const batch = [statement('u-ann', 'passed', 0.9), statement('u-bob', 'passed', 0.6), statement('u-cat', 'experienced'), statement('u-dan', 'completed')];
    const res = await fetch(`${app.url}/xapi/statements`, { method: 'POST', headers: { authorization: basic(key), 'content-type': 'application/json', 'x-experience-api-version': '1.0.3' }, body: JSON.stringify(batch) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(batch.map((s) => s.id));
    expect(await awardsOf('u-ann')).toEqual(['lms']);
    expect(await awardsOf('u-bob')).toEqual([]); // 0.6 < 0.7: stored, not awarded
    expect(await awardsOf('u-cat')).toEqual([]); // not a completion verb: nothing stored
    expect(await awardsOf('u-dan')).toEqual(['lms']); // completed without a score counts in full
    const stored = await app.testDb.db.query<{ lms_user_id: string; source: string; qualifies: boolean }>(
      'select u.lms_user_id, c.source, c.qualifies from completions c join users u on u.id = c.user_id order by u.lms_user_id');
    expect(stored).toEqual([{ lms_user_id: 'u-ann', source: 'xapi', qualifies: true }, { lms_user_id: 'u-bob', source: 'xapi', qualifies: false }, { lms_user_id: 'u-dan', source: 'xapi', qualifies: true }]);
  });

  it('refuses bad credentials (401) and a missing version header (400), storing nothing', async () => {
    const before = (await app.testDb.db.query<{ n: number }>('select count(*)::int as n from completions'))[0]!.n;
    const body = JSON.stringify(statement('u-eve', 'passed', 1));
    expect((await fetch(`${app.url}/xapi/statements`, { method: 'POST', headers: { authorization: basic('bt_nope'), 'content-type': 'application/json', 'x-experience-api-version': '1.0.3' }, body })).status).toBe(401);
    expect((await fetch(`${app.url}/xapi/statements`, { method: 'POST', body })).status).toBe(401);
    const noVersion = await fetch(`${app.url}/xapi/statements`, { method: 'POST', headers: { authorization: basic(key), 'content-type': 'application/json' }, body });
    expect(noVersion.status).toBe(400);
    expect((await noVersion.json()).error.code).toBe('xapi_version');
    expect((await app.testDb.db.query<{ n: number }>('select count(*)::int as n from completions'))[0]!.n).toBe(before);
  });

  it('maps statements as the spec shapes them (unit)', () => {
    const now = new Date('2026-11-25T00:00:00Z');
    expect(mapXapiStatement({ ...statement('x', 'passed', 0.75), actor: { mbox: 'mailto:zoe@school.example' } }, now)).toEqual({ ok: { activityId: ACTIVITY, learner: { id: 'zoe@school.example', email: 'zoe@school.example' }, score: 0.75, maxScore: 1, completedAt: '2026-11-24T09:30:00.000Z' } });
    expect(mapXapiStatement({ ...statement('x', 'passed', 2) }, now)).toEqual({ invalid: 'result.score.scaled must be a number from -1 to 1' });
    expect(mapXapiStatement({ ...statement('x', 'passed'), actor: {} }, now)).toEqual({ invalid: 'actor needs account.name or mbox' });
    expect(mapXapiStatement({ ...statement('x', 'completed'), result: { success: false } }, now)).toMatchObject({ ok: { score: 0 } });
  });
});

describe('Caliper', () => {
  const gradeEvent = (learner: string, scoreGiven: number) => ({
    '@context': 'http://purl.imsglobal.org/ctx/caliper/v1p2', id: `urn:uuid:${crypto.randomUUID()}`, type: 'GradeEvent', action: 'Graded',
    actor: { id: 'https://school.instructure.com/users/1', type: 'Person' },
    object: { id: 'urn:attempt:1', type: 'Attempt', assignee: { id: learner, type: 'Person' }, assignable: { id: ASSIGNMENT, type: 'AssignableDigitalResource' } },
    generated: { id: 'urn:score:1', type: 'Score', scoreGiven, maxScore: 10 },
    eventTime: '2026-11-24T12:00:00.000Z',
  });

  it('turns GradeEvents into completions and awards by the rule', async () => {
    const envelope = { sensor: 'https://school.instructure.com', sendTime: '2026-11-24T12:00:01.000Z', dataVersion: 'http://purl.imsglobal.org/ctx/caliper/v1p2', data: [gradeEvent('urn:canvas:user:11', 9), gradeEvent('urn:canvas:user:12', 7), { type: 'NavigationEvent' }] };
    const res = await fetch(`${app.url}/caliper/events`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(envelope) });
    expect(res.status).toBe(200);
    const { results } = await res.json();
    expect(results.map((r: { status: string }) => r.status)).toEqual(['awarded', 'below_threshold', 'ignored']);
    expect(await awardsOf('urn:canvas:user:11')).toEqual(['lms']);
  });

  it('refuses bad credentials with 401 and a body that is not an envelope with 400', async () => {
    expect((await fetch(`${app.url}/caliper/events`, { method: 'POST', headers: { authorization: 'Bearer bt_nope', 'content-type': 'application/json' }, body: '{"data":[]}' })).status).toBe(401);
    expect((await fetch(`${app.url}/caliper/events`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: '{"events":[]}' })).status).toBe(400);
  });

  it('maps GradeEvents (unit)', () => {
    const now = new Date();
    expect(mapCaliperEvent(gradeEvent('urn:u', 12), now)).toMatchObject({ ok: { score: 10, maxScore: 10 } });
    expect(mapCaliperEvent({ ...gradeEvent('urn:u', 5), generated: {} }, now)).toEqual({ invalid: 'generated.scoreGiven and a positive maxScore are required' });
  });
});
