// GET /api/v1/exports/:dataset.(csv|xlsx) over a known history: files read back with csv-parse and
// exceljs, rows equal to the database and to the analytics API, scopes and filters, authorisation,
// formula injection, and streaming: keyset pages, backpressure and a reader that goes away.
import { Writable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAnalytics, type AnalyticsQuery } from '../../src/analytics/index.js';
import type { Queryable } from '../../src/db/index.js';
import { createExports, type Dataset, type Format } from '../../src/exports/index.js';
import { systemClock } from '../../src/shared/index.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { buildBadge, buildLearner, buildWorld, type World } from '../support/builders.js';
import { buildUser, launchTo, registeredPlatform } from '../support/lti.js';
import { startPlatform, type PlatformSimulator } from '../support/platform-simulator.js';

let app: TestApp;
let w: World, other: World, w2: World; // w2: a second course of w's tenant
let key: string, otherKey: string, courseKey: string;
const ids: Record<string, string> = {};
const day = (d: number, h = 0) => new Date(Date.UTC(2026, 10, d, h));
const RANGE = 'from=2026-11-10&to=2026-11-19';
const END = new Date('2026-11-19T23:59:59.999Z');
const INJECTION = '=HYPERLINK("https://evil.example","click")';

async function event(awardId: string, type: string, channel: string | null, at: Date, opts: { bot?: boolean; outcome?: string } = {}) {
  await app.testDb.db.query(
    `insert into events (tenant_id, award_id, course_id, badge_id, module_id, learner_id, type, channel, is_bot, occurred_at, metadata)
     select tenant_id, id, course_id, badge_id, module_id, user_id, $2, $3, $4, $5, $6::jsonb from awards where id = $1`,
    [awardId, type, channel, opts.bot ?? false, at, JSON.stringify(opts.outcome ? { outcome: opts.outcome } : {})]);
}
const issue = async (tenantId: string, badgeId: string, userId: string, at: Date) =>
  (await app.built.services.awards.issue({ tenantId, badgeId, userId, method: 'api', awardedAt: at })).award.id;
const sql = (text: string, params: unknown[] = []) => app.testDb.db.query(text, params);

beforeAll(async () => {
  app = await startTestApp();
  w = await buildWorld(app);
  other = await buildWorld(app, 'Elsewhere');
  const c2 = (await sql('select gen_random_uuid() as id'))[0]!.id as string;
  await sql('insert into courses (tenant_id, id, platform_id, lms_context_id, title) values ($1, $2, $3, $4, $5)', [w.tenantId, c2, w.platformId, 'ctx-second', 'Statistics 202']);
  w2 = { ...w, courseId: c2, lmsContextId: 'ctx-second' };
  key = (await app.built.services.tenants.createApiKey(w.tenantId)).key;
  otherKey = (await app.built.services.tenants.createApiKey(other.tenantId)).key;
  courseKey = (await app.built.services.tenants.createApiKey(w.tenantId, w.courseId)).key;
  ids.b1 = (await buildBadge(app, w, { name: 'Data, "Quoted" & ünïcode ✓' })).id;
  ids.b2 = (await buildBadge(app, w, { name: 'Second' })).id;
  ids.b3 = (await buildBadge(app, w2, { name: 'Third' })).id;
  const [l0, l1, l2, l3] = await Promise.all([0, 1, 2, 3].map((i) => buildLearner(app, w, { name: i === 3 ? INJECTION : `Learner ${i}` })));
  const tester = await buildLearner(app, w, { name: 'Student View', isTest: true });
  // a2 has a1's awarded_at (the keyset breaks ties by id); `old` is before the range.
  const plan = [['a0', 'b1', l0, 10], ['a1', 'b1', l1, 12], ['a2', 'b1', l2, 12], ['a3', 'b1', l3, 12], ['test', 'b1', tester, 13],
    ['c0', 'b2', l0, 14], ['c1', 'b2', l1, 15], ['d0', 'b3', l2, 16], ['old', 'b2', l3, 2]] as const;
  for (const [name, badge, learner, d] of plan) ids[name] = await issue(w.tenantId, ids[badge]!, learner!, day(d));
  // Microsecond award times: a cursor kept as a JS Date (milliseconds) would repeat or skip rows.
  await sql(`update awards set awarded_at = '2026-11-12 00:00:00.000123+00' where id = any($1)`, [[ids.a1, ids.a2]]);
  await sql('update awards set accepted_at = $2, is_public = true where id = any($1)', [[ids.a0, ids.c0, ids.d0, ids.c1], day(17)]);
  await sql('update awards set revoked_at = $2 where id = $1', [ids.c1, day(18)]);
  await sql('update awards set valid_until = $2 where id = $1', [ids.d0, day(18)]); // expired by now
  for (const [award, type, channel, at, opts] of [
    ['a0', 'shared', 'linkedin_profile', day(17, 1)], ['a0', 'viewed', 'linkedin', day(17, 2)], ['a0', 'viewed', 'linkedin', day(17, 3), { bot: true }],
    ['a0', 'verified', 'direct', day(17, 4)], ['a1', 'notified', 'email', day(12, 1), { outcome: 'failed' }], ['test', 'viewed', 'direct', day(14)], ['old', 'viewed', 'direct', day(14)],
  ] as const) await event(ids[award]!, type, channel, at, opts);
  await issue(other.tenantId, (await buildBadge(app, other)).id, await buildLearner(app, other), day(11));
});
afterAll(() => app?.close());

const get = (file: string, query: string, k: string | null = key) =>
  fetch(`${app.url}/api/v1/exports/${file}?${query}`, k ? { headers: { authorization: `Bearer ${k}` } } : {});
async function csvOf(file: string, query: string, k: string | null = key): Promise<Array<Record<string, string>>> {
  const res = await get(file, query, k);
  expect(res.status, await res.clone().text()).toBe(200);
  return parse(await res.text(), { bom: true, columns: true }) as Array<Record<string, string>>;
}
async function xlsxOf(body: ArrayBuffer | Buffer): Promise<unknown[][]> {
  const book = new ExcelJS.Workbook();
  await book.xlsx.load(body as ArrayBuffer);
  return book.worksheets[0]!.getRows(1, book.worksheets[0]!.rowCount)!.map((row) => (row.values as unknown[]).slice(1));
}
const analytics = async (query: string) => (await fetch(`${app.url}/api/v1/analytics?${query}`, { headers: { authorization: `Bearer ${key}` } })).json();

/** The oracle: the awards of a tenant in range, straight from the table, in keyset order. */
async function expectedAwards(o: { tenantId?: string; courseId?: string; status?: string; includeTest?: boolean } = {}): Promise<string[]> {
  const rows = await sql(`select id, accepted_at, revoked_at, valid_until, is_test, course_id from awards
    where tenant_id = $1 and awarded_at between $2 and $3 order by awarded_at, id`, [o.tenantId ?? w.tenantId, day(10), END]);
  const statusOf = (r: Record<string, unknown>) => (r.revoked_at ? 'revoked' : r.valid_until && (r.valid_until as Date) <= new Date() ? 'expired' : r.accepted_at ? 'accepted' : 'pending');
  return rows.filter((r) => (o.includeTest || !r.is_test) && (!o.courseId || r.course_id === o.courseId) && (!o.status || statusOf(r) === o.status)).map((r) => r.id as string);
}

describe('awards and events exports', () => {
  it('streams the awards of the range as RFC 4180 CSV with one row per award', async () => {
    const res = await get('awards.csv', RANGE);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv; charset=utf-8/);
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="badgetrail-awards-${new Date().toISOString().slice(0, 10)}.csv"`);
    const bytes = Buffer.from(await res.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]); // UTF-8 with a BOM, for spreadsheet programs
    const text = bytes.toString('utf8');
    expect(text.startsWith('\uFEFFawardId,courseId,courseTitle,moduleId,')).toBe(true);
    expect(text).toContain('"Data, ""Quoted"" & ünïcode ✓"');
    expect(text).toContain('\r\n');
    const rows = parse(text, { bom: true, columns: true }) as Array<Record<string, string>>;
    expect(rows.map((r) => r.awardId)).toEqual(await expectedAwards());
    const a0 = rows.find((r) => r.awardId === ids.a0)!;
    expect(a0).toMatchObject({ badgeId: ids.b1, badgeName: 'Data, "Quoted" & ünïcode ✓', courseId: w.courseId, courseTitle: 'Data Science 101', learnerName: 'Learner 0',
      method: 'api', awardedAt: day(10).toISOString(), acceptedAt: day(17).toISOString(), revokedAt: '', status: 'accepted', isPublic: 'true', testAccount: 'false',
      shares: '1', views: '1', verifications: '1' });
    expect(rows.find((r) => r.awardId === ids.a1)!.awardedAt).toBe('2026-11-12T00:00:00.000Z');
    expect(Object.fromEntries(rows.map((r) => [r.awardId, r.status]))).toMatchObject({ [ids.a1!]: 'pending', [ids.c1!]: 'revoked', [ids.d0!]: 'expired' });
  });

  it('filters by course, badge, status and test accounts as the analytics do', async () => {
    const idsOf = async (q: string, k = key) => (await csvOf('awards.csv', `${RANGE}&${q}`, k)).map((r) => r.awardId);
    expect(await idsOf(`courseId=${w2.courseId}`)).toEqual(await expectedAwards({ courseId: w2.courseId }));
    expect(await idsOf(`scope=badge&badgeId=${ids.b2}`)).toEqual([ids.c0, ids.c1]);
    for (const status of ['pending', 'accepted', 'revoked', 'expired']) expect(await idsOf(`status=${status}`)).toEqual(await expectedAwards({ status }));
    const withTest = await idsOf('includeTest=true');
    expect(withTest).toEqual(await expectedAwards({ includeTest: true }));
    expect(withTest).toContain(ids.test);
    expect(await idsOf('')).not.toContain(ids.test);
    expect(await idsOf('', courseKey)).toEqual(await expectedAwards({ courseId: w.courseId }));
  });

  it('exports the events of the awards in range (a cohort), bots marked, with the outcome', async () => {
    const rows = await csvOf('events.csv', RANGE);
    const expected = await sql(`select e.id from events e join awards a on a.id = e.award_id
      where a.tenant_id = $1 and a.awarded_at between $2 and $3 and not a.is_test order by e.id`, [w.tenantId, day(10), END]);
    expect(rows.map((r) => Number(r.eventId))).toEqual(expected.map((e) => e.id));
    expect(rows.map((r) => r.awardId)).not.toContain(ids.old);
    expect(rows.map((r) => r.awardId)).not.toContain(ids.test);
    expect(rows.filter((r) => r.awardId === ids.a0 && r.type === 'viewed').map((r) => r.isBot).sort()).toEqual(['false', 'true']);
    expect(rows.find((r) => r.type === 'notified')).toMatchObject({ awardId: ids.a1, channel: 'email', outcome: 'failed', badgeName: 'Data, "Quoted" & ünïcode ✓', courseTitle: 'Data Science 101' });
    expect((await csvOf('events.csv', `${RANGE}&includeTest=true`)).map((r) => r.awardId)).toContain(ids.test);
  });

  it('writes XLSX with dates as dates and text never as a formula', async () => {
    const res = await get('awards.xlsx', RANGE);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="badgetrail-awards-\d{4}-\d{2}-\d{2}\.xlsx"$/);
    const [header, ...rows] = await xlsxOf(await res.arrayBuffer());
    expect(header![0]).toBe('awardId');
    expect(rows.map((r) => r[0])).toEqual(await expectedAwards());
    const col = (name: string) => header!.indexOf(name);
    const a0 = rows.find((r) => r[0] === ids.a0)!;
    expect(a0[col('awardedAt')]).toEqual(day(10));
    expect(a0[col('shares')]).toBe(1);
    expect(a0[col('isPublic')]).toBe(true);
    expect(rows.find((r) => r[0] === ids.a3)![col('learnerName')]).toBe(INJECTION);
  });

  it('neutralises a cell that a spreadsheet would run as a formula', async () => {
    const text = await (await get('awards.csv', RANGE)).text();
    expect(text).toContain(`"'${INJECTION.replaceAll('"', '""')}"`);
    expect(text).not.toMatch(/(^|,)"?=HYPERLINK/m);
    const row = (await csvOf('awards.csv', RANGE)).find((r) => r.awardId === ids.a3)!;
    expect(row.learnerName).toBe(`'${INJECTION}`);
  });
});

describe('badges and modules exports', () => {
  const cellOf = (v: string, k: string) => (v === '' ? null : ['badgeId', 'name', 'moduleId', 'title', 'flag'].includes(k) ? v : Number(v));
  it.each([RANGE, `${RANGE}&courseId=$w2`, `scope=badge&badgeId=$b1&${RANGE}&status=pending`, 'from=2020-01-01&to=2020-01-31'])('equal the analytics API for %s', async (template) => {
    const query = template.replace('$w2', w2.courseId).replace('$b1', ids.b1!);
    const api = await analytics(query);
    for (const dataset of ['badges', 'modules'] as const) {
      const rows = (await csvOf(`${dataset}.csv`, query)).map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, cellOf(v, k)])));
      expect(rows).toEqual(api[dataset]);
      const [header, ...x] = await xlsxOf(await (await get(`${dataset}.xlsx`, query)).arrayBuffer());
      expect(x.map((r) => Object.fromEntries(header!.map((k, i) => [k, r[i] ?? null])))).toEqual(api[dataset]);
    }
    expect(api.badges.length).toBeGreaterThan(0);
  });
});

describe('authorisation and bad input', () => {
  it('keeps tenants and courses apart', async () => {
    expect((await get('awards.csv', RANGE, null)).status).toBe(401);
    expect((await get('awards.csv', `courseId=${w.courseId}`, otherKey)).status).toBe(404);
    expect((await get('events.csv', `scope=badge&badgeId=${ids.b1}`, otherKey)).status).toBe(404);
    const theirs = await csvOf('awards.csv', RANGE, otherKey);
    expect(theirs.map((r) => r.awardId)).toEqual(await expectedAwards({ tenantId: other.tenantId }));
    expect(theirs).toHaveLength(1);
    expect((await csvOf('events.csv', RANGE, otherKey)).every((r) => r.awardId === theirs[0]!.awardId)).toBe(true);
    expect((await get('awards.csv', 'scope=org', courseKey)).status).toBe(403);
    expect((await get('awards.csv', `courseId=${w2.courseId}`, courseKey)).status).toBe(404);
    expect((await get('badges.csv', `scope=badge&badgeId=${ids.b3}`, courseKey)).status).toBe(404);
  });

  it('answers 400 and 404 in the JSON error shape and changes nothing', async () => {
    const count = async () => (await sql('select (select count(*) from awards)::int as a, (select count(*) from events)::int as e'))[0];
    const before = await count();
    for (const [file, query, status, code] of [
      ['awards.csv', 'scope=planet', 400, 'invalid_query'], ['events.xlsx', 'from=yesterday', 400, 'invalid_query'],
      ['awards.csv', 'from=2026-11-20&to=2026-11-10', 400, 'invalid_range'], ['awards.csv', 'colour=red', 400, 'invalid_query'],
      ['grades.csv', RANGE, 404, 'export_not_found'], ['awards.pdf', RANGE, 404, 'export_not_found'], ['awards.csv.exe', RANGE, 404, 'export_not_found'],
      ['badges.csv', `scope=badge&badgeId=${crypto.randomUUID()}`, 404, 'badge_not_found'],
    ] as const) {
      const res = await get(file, query);
      expect(res.status, `${file}?${query}`).toBe(status);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect((await res.json()).error).toMatchObject({ code });
    }
    expect(await count()).toEqual(before);
  });
});

describe('launch sessions', () => {
  let sim: PlatformSimulator;
  const ltik: Record<string, string> = {};
  const awardOf: Record<string, string> = {};
  const courseOf: Record<string, string> = {};
  beforeAll(async () => {
    sim = await startPlatform();
    await registeredPlatform(app, sim);
    for (const c of ['exp-a', 'exp-b']) {
      ltik[c] = (await launchTo(app, sim, buildUser('instructor'), { context: { id: c, title: `Course ${c}` } })).ltik;
      const row = (await sql('select tenant_id, id, platform_id from courses where lms_context_id = $1', [c]))[0]!;
      const world = { tenantId: row.tenant_id as string, platformId: row.platform_id as string, courseId: row.id as string, lmsContextId: c };
      courseOf[c] = world.courseId;
      awardOf[c] = await issue(world.tenantId, (await buildBadge(app, world)).id, await buildLearner(app, world), day(11));
    }
    ltik.admin = (await launchTo(app, sim, buildUser('admin'), { context: { id: 'exp-a' } })).ltik;
    ltik.learner = (await launchTo(app, sim, buildUser('learner'), { context: { id: 'exp-a' } })).ltik;
  });
  afterAll(() => sim?.close());

  it('give an instructor their course, an admin the whole tenant, a learner nothing', async () => {
    const awardsFor = async (token: string, q = '') => (await csvOf('awards.csv', `${RANGE}&ltik=${token}${q}`, null)).map((r) => r.awardId);
    expect(await awardsFor(ltik['exp-a']!)).toEqual([awardOf['exp-a']]);
    expect((await get('awards.csv', `${RANGE}&ltik=${ltik['exp-a']}&courseId=${courseOf['exp-b']}`, null)).status).toBe(404);
    expect((await get('awards.csv', `${RANGE}&ltik=${ltik['exp-a']}&scope=org`, null)).status).toBe(403);
    expect((await get('awards.csv', `${RANGE}&ltik=${ltik['exp-a']}&courseId=${w.courseId}`, null)).status).toBe(404);
    expect((await awardsFor(ltik.admin!)).sort()).toEqual([awardOf['exp-a'], awardOf['exp-b']].sort());
    expect(await awardsFor(ltik.admin!, `&courseId=${courseOf['exp-b']}`)).toEqual([awardOf['exp-b']]);
    expect((await get('awards.csv', `${RANGE}&ltik=${ltik.learner}`, null)).status).toBe(403);
    expect((await get('awards.csv', `${RANGE}&ltik=forged`, null)).status).toBe(401);
  });
});

/** The real database, with every query's row count noted (nothing is stubbed). */
function counted(db: Queryable): Queryable & { pages: number[] } {
  const pages: number[] = [];
  return { pages, async query<T>(text: string, params?: readonly unknown[]) { const rows = await db.query<T>(text, params); pages.push(rows.length); return rows; } };
}

/** A reader that can be held (it takes nothing until released) or that hangs up after its first chunk. */
class Reader extends Writable {
  chunks: Buffer[] = [];
  bytes = 0;
  private held: Array<() => void> = [];
  constructor(private mode: 'flow' | 'hold' | 'hangup', private hangupAt = 64 * 2 ** 20) { super({ highWaterMark: 16 * 1024 }); }
  override _write(chunk: Buffer, _enc: string, done: (e?: Error | null) => void) {
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    // A writer that loops (a lossy cursor) hangs up rather than hanging the test.
    if (this.mode === 'hangup' || this.bytes >= this.hangupAt) return this.destroy();
    if (this.mode === 'hold') this.held.push(() => done());
    else done();
  }
  release() { this.mode = 'flow'; this.held.splice(0).forEach((f) => f()); }
  text() { return Buffer.concat(this.chunks).toString('utf8'); }
}

describe('streaming', () => {
  const queryOf = (tenantId: string, extra: Partial<AnalyticsQuery> = {}): AnalyticsQuery =>
    ({ scope: 'org', tenantId, includeTest: false, from: day(10), to: END, ...extra });
  const exporter = (db: Queryable, pageSize: number) => createExports({ db, analytics: createAnalytics({ db: app.testDb.db, clock: systemClock }), clock: systemClock, pageSize });
  async function run(dataset: Dataset, format: Format, pageSize: number, q: AnalyticsQuery, reader = new Reader('flow')) {
    const db = counted(app.testDb.db);
    const ex = exporter(db, pageSize);
    const outcome = await ex.write(reader, format, await ex.table(dataset, q));
    return { outcome, reader, pages: db.pages };
  }

  it.each([2, 3])('crosses page boundaries of %i rows giving every row exactly once', async (size) => {
    for (const q of [queryOf(w.tenantId), queryOf(w.tenantId, { includeTest: true }), queryOf(w.tenantId, { status: 'accepted' })]) {
      const awards = await run('awards', 'csv', size, q);
      expect(awards.outcome).toBe('complete');
      const rows = parse(awards.reader.text(), { bom: true, columns: true }) as Array<Record<string, string>>;
      expect(rows.map((r) => r.awardId)).toEqual(await expectedAwards({ includeTest: q.includeTest, ...(q.status ? { status: q.status } : {}) }));
      expect(Math.max(...awards.pages)).toBeLessThanOrEqual(size);
      const events = await run('events', 'xlsx', size, q);
      const [, ...eventRows] = await xlsxOf(Buffer.concat(events.reader.chunks));
      const direct = await csvOf('events.csv', `${RANGE}${q.includeTest ? '&includeTest=true' : ''}${q.status ? `&status=${q.status}` : ''}`);
      expect(eventRows.map((r) => String(r[0]))).toEqual(direct.map((r) => r.eventId));
      expect(events.pages.length).toBeGreaterThanOrEqual(Math.ceil(direct.length / size));
    }
  });

  describe('a large export', () => {
    let big: World;
    const N = 20_000;
    beforeAll(async () => {
      big = await buildWorld(app, 'Big University');
      const awardId = await issue(big.tenantId, (await buildBadge(app, big)).id, await buildLearner(app, big), day(11));
      await sql(`insert into events (tenant_id, award_id, course_id, badge_id, module_id, learner_id, type, channel, is_bot, occurred_at)
        select a.tenant_id, a.id, a.course_id, a.badge_id, a.module_id, a.user_id, 'viewed', 'direct', g % 10 = 0, a.awarded_at + g * interval '1 second'
        from awards a, generate_series(1, ${N - 1}) g where a.id = $1`, [awardId]);
    });

    it.each(['csv', 'xlsx'] as const)('reads pages of 500, never far ahead of a reader that has stopped reading (%s)', async (format) => {
      const reader = new Reader('hold');
      const db = counted(app.testDb.db);
      const ex = exporter(db, 500);
      const done = ex.write(reader, format, await ex.table('events', queryOf(big.tenantId)));
      // Held: a page or two is written (the zip and the reader buffer some), then the writer waits for 'drain'.
      await new Promise((r) => setTimeout(r, 400));
      expect(db.pages.length).toBeLessThanOrEqual(format === 'csv' ? 2 : 4);
      if (format === 'csv') expect(reader.chunks).toHaveLength(1);
      reader.release();
      expect(await done).toBe('complete');
      expect(db.pages).toHaveLength(N / 500 + 1); // 40 full pages, then an empty one
      expect(Math.max(...db.pages)).toBe(500);
      const rows = format === 'csv'
        ? (parse(reader.text(), { bom: true, columns: true }) as Array<Record<string, string>>).map((r) => [r.eventId, r.isBot])
        : (await xlsxOf(Buffer.concat(reader.chunks))).slice(1).map((r) => [String(r[0]), String(r[13])]);
      expect(rows).toHaveLength(N);
      expect(new Set(rows.map((r) => r[0])).size).toBe(N);
      expect(rows.filter((r) => r[1] === 'true')).toHaveLength(Math.floor((N - 1) / 10));
    });

    it.each(['csv', 'xlsx'] as const)('stops reading when the reader hangs up (%s)', async (format) => {
      const { outcome, pages } = await run('events', format, 500, queryOf(big.tenantId), new Reader('hangup'));
      expect(outcome).toBe('aborted');
      expect(pages.length).toBeLessThanOrEqual(3);
      // A reader that hangs up while the zip is being finished (its last bytes): no waiting forever.
      const whole = await run('events', format, 1000, queryOf(w.tenantId));
      const late = await run('events', format, 1000, queryOf(w.tenantId), new Reader('flow', whole.reader.bytes - 100));
      expect(late.outcome).toBe('aborted');
    });

    it.each(['csv', 'xlsx'] as const)('survives a client that disconnects over HTTP (%s)', async (format) => {
      const bigKey = (await app.built.services.tenants.createApiKey(big.tenantId)).key;
      const hangup = new AbortController();
      const res = await fetch(`${app.url}/api/v1/exports/events.${format}?${RANGE}`, { headers: { authorization: `Bearer ${bigKey}` }, signal: hangup.signal });
      await res.body!.getReader().read();
      hangup.abort();
      expect((await get('modules.csv', RANGE)).status).toBe(200);
    });
  });
});
