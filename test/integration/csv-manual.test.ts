// Instructor uploads (preview with per-row problems and row numbers, import only on confirm) and
// manual awards, through a real instructor launch.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { buildUser, launchTo, registeredPlatform } from '../support/lti.js';
import { startPlatform, type PlatformSimulator } from '../support/platform-simulator.js';

let app: TestApp;
let sim: PlatformSimulator;
let ltik: string;
let tenantId: string;
const course = { id: 'csv-101', title: 'CSV 101' };
const decode = (s: string) => s.replace(/&#x([0-9a-f]+);/gi, (_m, h: string) => String.fromCodePoint(parseInt(h, 16))).replace(/&quot;/g, '"').replace(/&amp;/g, '&');
const count = async (sql: string, params: unknown[] = []) => (await app.testDb.db.query<{ n: number }>(sql, params))[0]!.n;

beforeAll(async () => {
  app = await startTestApp();
  sim = await startPlatform();
  await registeredPlatform(app, sim);
  ({ ltik } = await launchTo(app, sim, buildUser('instructor'), { context: course }));
  tenantId = (await app.testDb.db.query<{ tenant_id: string }>('select tenant_id from courses where lms_context_id = $1', [course.id]))[0]!.tenant_id;
  await app.built.services.badges.create(tenantId, { courseId: course.id, moduleId: 'w1', moduleTitle: 'Week 1: Basics', name: 'Basics', criteria: 'Score 50 %.', rule: { minScore: 0.5 } });
});
afterAll(async () => {
  await app?.close();
  await sim?.close();
});

async function preview(csv: string) {
  const body = new FormData();
  body.set('ltik', ltik);
  body.set('file', new Blob([csv], { type: 'text/csv' }), 'completions.csv');
  const res = await fetch(`${app.url}/app/csv/preview`, { method: 'POST', body });
  return { res, html: await res.text() };
}

describe('CSV upload', () => {
  it('previews valid rows and lists each problem with its row number, importing nothing', async () => {
    const { res, html } = await preview([
      'learner_id,email,name,module,score,max_score,completed_at',
      'u1,ann@school.example,Ann,Week 1: Basics,80,100,2026-11-20',
      'u2,bob@school.example,Bob,Week 1: Basics,30,100,2026-11-20',
      'u3,not-an-email,Cat,Week 9,80,100,2026-11-20',
      'u4,,Dan,week 1: basics,120,100,someday',
    ].join('\n'));
    expect(res.status).toBe(200);
    expect(html).toContain('2 row(s) cannot be imported');
    expect(decode(html)).toContain('Row 4: email "not-an-email" is not an address; module "Week 9" is not a module of this course');
    expect(decode(html)).toContain('Row 5: score 120 exceeds max_score 100; completed_at "someday" is not a date');
    expect(html).toContain('Import 2 row(s)');
    expect(await count('select count(*)::int as n from completions')).toBe(0);

    const rows = decode(/name="rows" value="([^"]*)"/.exec(html)![1]!);
    const done = await fetch(`${app.url}/app/csv/confirm`, { method: 'POST', body: new URLSearchParams({ ltik, rows }) });
    expect(done.status).toBe(200);
    const summary = await done.text();
    expect(summary).toContain('<strong>1</strong> awarded');
    expect(summary).toContain('<strong>1</strong> below_threshold');
    expect(await count(`select count(*)::int as n from awards where method = 'csv'`)).toBe(1);
    expect(await count(`select count(*)::int as n from completions where source = 'csv'`)).toBe(2);
  });

  it('refuses a file that is not CSV, or has no usable rows, with 400 and imports nothing', async () => {
    const broken = await preview('learner_id,module,score\n"u1,Week 1: Basics,80\n');
    expect(broken.res.status).toBe(400);
    expect(broken.html).toContain('not valid CSV');
    const noColumns = await preview('who,what\nu1,x\n');
    expect(noColumns.res.status).toBe(400);
    expect(noColumns.html).toContain('Missing column(s): learner_id, module, score');
    const tampered = await fetch(`${app.url}/app/csv/confirm`, { method: 'POST', body: new URLSearchParams({ ltik, rows: '[{"row":2}]' }) });
    expect(tampered.status).toBe(400);
    expect(await count(`select count(*)::int as n from completions where source = 'csv'`)).toBe(2);
  });

  it('is for instructors only', async () => {
    const learner = await launchTo(app, sim, buildUser('learner'), { context: course });
    expect((await fetch(`${app.url}/app/csv?ltik=${learner.ltik}`)).status).toBe(403);
    expect((await fetch(`${app.url}/app/awards/new?ltik=${learner.ltik}`)).status).toBe(403);
  });
});

describe('manual award', () => {
  it('awards a learner of the course, whatever the rule', async () => {
    const learner = buildUser('learner', { name: 'Eve Manual' });
    await launchTo(app, sim, learner, { context: course });
    const page = await (await fetch(`${app.url}/app/awards/new?ltik=${ltik}`)).text();
    expect(page).toContain('Eve Manual');
    const learnerId = new RegExp(`<option value="([0-9a-f-]{36})">Eve Manual`).exec(page)![1]!;
    const moduleId = /<select id="moduleId" name="moduleId"><option value="([0-9a-f-]{36})">/.exec(page)![1]!;
    const res = await fetch(`${app.url}/app/awards/manual`, { method: 'POST', body: new URLSearchParams({ ltik, learnerId, moduleId }), redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(await count(`select count(*)::int as n from awards a join users u on u.id = a.user_id where u.lms_user_id = $1 and a.method = 'manual'`, [learner.sub])).toBe(1);
    const refused = await fetch(`${app.url}/app/awards/manual`, { method: 'POST', body: new URLSearchParams({ ltik, learnerId: '00000000-0000-4000-8000-000000000000', moduleId }) });
    expect(refused.status).toBe(400);
  });
});
