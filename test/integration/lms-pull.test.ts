// LMS pull against local HTTP servers that answer as the Canvas REST API and Moodle's web services
// document: graded work on badge activities becomes completions and awards, once.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { buildWorld, type World } from '../support/builders.js';

let app: TestApp;
const servers: http.Server[] = [];
async function serve(build: (a: express.Express) => void): Promise<string> {
  const a = express();
  build(a);
  const s = http.createServer(a);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  servers.push(s);
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  for (const s of servers) s.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  await app?.close();
});

const awardsIn = async (w: World) => (await app.testDb.db.query<{ lms_user_id: string; method: string }>(
  `select u.lms_user_id, a.method from awards a join users u on u.id = a.user_id where a.course_id = $1 order by u.lms_user_id`, [w.courseId]));

describe('Moodle web services', () => {
  it('reads grade items with gradereport_user_get_grade_items and awards by the rule', async () => {
    const w = await buildWorld(app, 'Moodle College');
    await app.testDb.db.query(`update courses set lms_api_id = '7' where id = $1`, [w.courseId]);
    await app.built.services.badges.create(w.tenantId, { courseId: w.lmsContextId, moduleId: '42', moduleTitle: 'Quiz', name: 'Quizzer', criteria: 'c', rule: { minScore: 0.6 } });
    const calls: Record<string, string>[] = [];
    const base = await serve((a) => a.post('/webservice/rest/server.php', express.urlencoded({ extended: false }), (req, res) => {
      calls.push(req.body);
      if (req.body.wstoken !== 'moodle-token') return res.json({ exception: 'moodle_exception', errorcode: 'invalidtoken', message: 'Invalid token - token not found' });
      res.json({ usergrades: [
        { courseid: 7, userid: 101, userfullname: 'Ann', gradeitems: [
          { id: 1, itemname: 'Quiz', itemtype: 'mod', itemmodule: 'quiz', iteminstance: 3, cmid: 42, graderaw: 8, grademax: 10, gradedategraded: 1795600000 },
          { id: 2, itemname: 'Course total', itemtype: 'course', graderaw: 8, grademax: 10 },
        ] },
        { courseid: 7, userid: 102, userfullname: 'Bob', gradeitems: [{ id: 1, itemtype: 'mod', cmid: 42, graderaw: 5, grademax: 10, gradedategraded: 1795600000 }] },
        { courseid: 7, userid: 103, userfullname: 'Cat', gradeitems: [{ id: 1, itemtype: 'mod', cmid: 42, graderaw: null, grademax: 10 }] },
      ] });
    }));
    await app.built.services.lmsPull.connect(w.platformId, 'moodle', base, 'moodle-token');
    const first = await app.built.services.lmsPull.pullCourse(w.tenantId, w.courseId);
    expect(calls[0]).toMatchObject({ wsfunction: 'gradereport_user_get_grade_items', courseid: '7', moodlewsrestformat: 'json' });
    expect(first.results.map((r) => r.status).sort()).toEqual(['awarded', 'below_threshold']);
    expect(await awardsIn(w)).toEqual([{ lms_user_id: '101', method: 'lms' }]);
    // The same grades again store nothing new.
    const again = await app.built.services.lmsPull.pullCourse(w.tenantId, w.courseId);
    expect(again.results).toEqual([]);
    const completions = await app.testDb.db.query<{ n: number }>(`select count(*)::int as n from completions where course_id = $1 and source = 'lms_pull'`, [w.courseId]);
    expect(completions[0]!.n).toBe(2);
  });

  it('reports a refused token and keeps the error on the connection', async () => {
    const w = await buildWorld(app, 'Moodle Two');
    await app.testDb.db.query(`update courses set lms_api_id = '8' where id = $1`, [w.courseId]);
    const base = await serve((a) => a.post('/webservice/rest/server.php', (_req, res) => res.json({ exception: 'moodle_exception', errorcode: 'invalidtoken', message: 'Invalid token' })));
    await app.built.services.lmsPull.connect(w.platformId, 'moodle', base, 'wrong');
    await expect(app.built.services.lmsPull.pullCourse(w.tenantId, w.courseId)).rejects.toThrow(/invalidtoken/);
    const row = await app.testDb.db.query<{ last_error: string }>('select last_error from lms_connections where platform_id = $1', [w.platformId]);
    expect(row[0]!.last_error).toContain('invalidtoken');
  });
});

describe('Canvas REST', () => {
  it('reads graded submissions page by page and awards learners it knows', async () => {
    const w = await buildWorld(app, 'Canvas College');
    await app.testDb.db.query(`update courses set lms_api_id = '55' where id = $1`, [w.courseId]);
    // Canvas learners are known from their launches (custom canvas_user_id); 9003 never launched.
    for (const [sub, api] of [['lti-ann', '9001'], ['lti-bob', '9002']]) {
      await app.testDb.db.query(`insert into users (tenant_id, id, platform_id, lms_user_id, lms_api_id) values ($1, gen_random_uuid(), $2, $3, $4)`, [w.tenantId, w.platformId, sub, api]);
    }
    await app.built.services.badges.create(w.tenantId, { courseId: w.lmsContextId, moduleId: '777', moduleTitle: 'Essay', name: 'Essayist', criteria: 'c', rule: { minScore: 0.8 } });
    const auth: string[] = [];
    const base = await serve((a) => a.get('/api/v1/courses/55/students/submissions', (req, res) => {
      auth.push(req.get('authorization') ?? '');
      const page = req.query.page === '2' ? 2 : 1;
      if (page === 1) {
        res.set('Link', `<http://${req.get('host')}/api/v1/courses/55/students/submissions?student_ids[]=all&include[]=assignment&per_page=100&page=2>; rel="next"`);
        return res.json([
          { id: 1, user_id: 9001, assignment_id: 777, score: 9, workflow_state: 'graded', graded_at: '2026-11-20T10:00:00Z', assignment: { id: 777, points_possible: 10 } },
          { id: 2, user_id: 9002, assignment_id: 777, score: null, workflow_state: 'submitted', submitted_at: '2026-11-20T10:00:00Z', assignment: { id: 777, points_possible: 10 } },
        ]);
      }
      res.json([
        { id: 3, user_id: 9003, assignment_id: 777, score: 10, workflow_state: 'graded', graded_at: '2026-11-21T10:00:00Z', assignment: { id: 777, points_possible: 10 } },
        { id: 4, user_id: 9002, assignment_id: 888, score: 10, workflow_state: 'graded', graded_at: '2026-11-21T10:00:00Z', assignment: { id: 888, points_possible: 10 } },
      ]);
    }));
    await app.built.services.lmsPull.connect(w.platformId, 'canvas', base, 'canvas-token');
    const result = await app.built.services.lmsPull.pullCourse(w.tenantId, w.courseId);
    expect(auth).toEqual(['Bearer canvas-token', 'Bearer canvas-token']);
    expect(result.pulled).toBe(3);
    expect(result.unknownLearners).toBe(1);
    expect(await awardsIn(w)).toEqual([{ lms_user_id: 'lti-ann', method: 'lms' }]);
  });

  it('refuses a connection of an unknown platform or kind', async () => {
    await expect(app.built.services.lmsPull.connect('00000000-0000-4000-8000-000000000000', 'canvas', 'https://canvas.example', 't')).rejects.toThrow(/unknown platform/);
    await expect(app.built.services.lmsPull.connect('00000000-0000-4000-8000-000000000000', 'blackboard', 'https://x.example', 't')).rejects.toThrow(/canvas or moodle/);
  });
});

describe('admin command', () => {
  it('platform connect stores the connection (token sealed) and refuses bad input with one line', async () => {
    const { runAdminCommand } = await import('../../src/admin/commands.js');
    const w = await buildWorld(app, 'CLI College');
    const services = { tenants: app.built.services.tenants, platforms: app.built.services.lti.platforms, signingKeys: app.built.services.signingKeys, lmsPull: app.built.services.lmsPull };
    const ok = await runAdminCommand(['platform', 'connect', '--id', w.platformId, '--kind', 'moodle', '--base-url', 'https://moodle.school.example', '--token', 'secret-ws-token'], services);
    expect(ok.code).toBe(0);
    const stored = await app.testDb.db.query<{ kind: string; sealed_token: string }>('select kind, sealed_token from lms_connections where platform_id = $1', [w.platformId]);
    expect(stored[0]!.kind).toBe('moodle');
    expect(stored[0]!.sealed_token).not.toContain('secret-ws-token');
    const bad = await runAdminCommand(['platform', 'connect', '--id', w.platformId, '--kind', 'moodle', '--base-url', 'not a url', '--token', 't'], services);
    expect(bad.code).not.toBe(0);
    expect(bad.out).toEqual(['error: --base-url must be an http(s) URL']);
  });
});

describe('completion states for "completed" rules', () => {
  async function enrolLearner(w: World, sub: string, apiId: string) {
    const id = (await app.testDb.db.query<{ id: string }>(`insert into users (tenant_id, id, platform_id, lms_user_id, lms_api_id) values ($1, gen_random_uuid(), $2, $3, $4) returning id`, [w.tenantId, w.platformId, sub, apiId]))[0]!.id;
    await app.testDb.db.query(`insert into enrolments (tenant_id, course_id, user_id, roles) values ($1, $2, $3, $4)`, [w.tenantId, w.courseId, id, ['http://purl.imsglobal.org/vocab/lis/v2/membership#Learner']]);
  }

  it('Moodle: activity completion (core_completion_get_activities_completion_status) awards completed, not failed', async () => {
    const w = await buildWorld(app, 'Moodle Completion');
    await app.testDb.db.query(`update courses set lms_api_id = '9' where id = $1`, [w.courseId]);
    await app.built.services.badges.create(w.tenantId, { courseId: w.lmsContextId, moduleId: '61', moduleTitle: 'Reading', name: 'Reader', criteria: 'Complete the reading.' });
    await enrolLearner(w, '201', '201');
    await enrolLearner(w, '202', '202');
    const base = await serve((a) => a.post('/webservice/rest/server.php', express.urlencoded({ extended: false }), (req, res) => {
      if (req.body.wsfunction === 'gradereport_user_get_grade_items') return res.json({ usergrades: [] });
      const state = req.body.userid === '201' ? 1 : 3;
      res.json({ statuses: [{ cmid: 61, modname: 'page', instance: 1, state, timecompleted: 1795600000, tracking: 1 }, { cmid: 62, state: 1, timecompleted: 1795600000 }], warnings: [] });
    }));
    await app.built.services.lmsPull.connect(w.platformId, 'moodle', base, 'tok');
    const result = await app.built.services.lmsPull.pullCourse(w.tenantId, w.courseId);
    expect(result.results.map((r) => r.status)).toEqual(['awarded']); // 202's "complete, failed" is not a completion
    expect(await awardsIn(w)).toEqual([{ lms_user_id: '201', method: 'lms' }]);
  });

  it('Canvas: module progress per student counts a completed module', async () => {
    const w = await buildWorld(app, 'Canvas Modules');
    await app.testDb.db.query(`update courses set lms_api_id = '66' where id = $1`, [w.courseId]);
    await app.built.services.badges.create(w.tenantId, { courseId: w.lmsContextId, moduleId: '5001', moduleTitle: 'Unit 1', name: 'Unit One', criteria: 'Complete Unit 1.' });
    await enrolLearner(w, 'lti-zed', '9100');
    const students: string[] = [];
    const base = await serve((a) => {
      a.get('/api/v1/courses/66/students/submissions', (_req, res) => res.json([]));
      a.get('/api/v1/courses/66/modules', (req, res) => {
        students.push(String(req.query.student_id));
        res.json([{ id: 5001, name: 'Unit 1', position: 1, state: 'completed', completed_at: '2026-11-22T08:00:00Z' }, { id: 5002, name: 'Unit 2', state: 'started' }]);
      });
    });
    await app.built.services.lmsPull.connect(w.platformId, 'canvas', base, 'tok');
    await app.built.services.lmsPull.pullCourse(w.tenantId, w.courseId);
    expect(students).toEqual(['9100']);
    expect(await awardsIn(w)).toEqual([{ lms_user_id: 'lti-zed', method: 'lms' }]);
  });
});
