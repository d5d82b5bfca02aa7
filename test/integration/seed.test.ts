// `admin seed` (PRODUCT.md §7b): a synthetic history through the import path, checked through
// GET /api/v1/analytics — awards, bots kept as events but out of views, test accounts out by
// default, a module where the gap jumps, LinkedIn the top sharing channel, a long tail of claim
// delays — and bad flags refused in one line before anything is written.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAdminCommand, type AdminServices } from '../../src/admin/commands.js';
import { fixedClock } from '../../src/shared/index.js';
import { startTestApp, type TestApp } from '../support/app.js';

const NOW = new Date('2026-12-15T12:00:00.000Z');
const DAY = 86_400_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SIZE = ['--learners', '150', '--courses', '2', '--modules', '4', '--days', '90'];

let app: TestApp;
let services: AdminServices;
let tenantId: string;
let key: string;
let firstRun: { code: number; out: string[] };

type Analytics = {
  kpis: { awarded: number; views: number; timeToClaim: { medianHours: number | null; p90Hours: number | null; buckets: Record<string, number> } };
  modules: Array<{ position: number; gap: number | null; qualifyingCompletions: number }>;
  distribution: { sharing: Record<string, number>; viewing: Record<string, number> };
};

async function analytics(query: string): Promise<Analytics> {
  const res = await fetch(`${app.url}/api/v1/analytics?from=${new Date(NOW.getTime() - 100 * DAY).toISOString()}&to=${NOW.toISOString()}&${query}`, { headers: { authorization: `Bearer ${key}` } });
  expect(res.status).toBe(200);
  return res.json() as Promise<Analytics>;
}

const count = async (sql: string, params: unknown[]) => (await app.testDb.db.query<{ n: number }>(sql, params))[0]!.n;

beforeAll(async () => {
  app = await startTestApp({ clock: fixedClock(NOW) });
  const s = app.built.services;
  services = { tenants: s.tenants, platforms: s.lti.platforms, signingKeys: s.signingKeys, importer: s.importer, clock: fixedClock(NOW) };
  firstRun = await runAdminCommand(['seed', ...SIZE], services);
  tenantId = firstRun.out.at(-1)!;
  key = (await s.tenants.createApiKey(tenantId)).key;
}, 180_000);
afterAll(async () => {
  await app?.close();
});

describe('admin seed', () => {
  it('leaves the tables its triggers rewrite vacuumed and every table it loaded analysed', async () => {
    const counts = await app.testDb.db.query<{ relname: string; vacuum_count: number; analyze_count: number }>(
      `select relname, vacuum_count::int, analyze_count::int from pg_stat_user_tables
        where relname in ('awards', 'award_stats', 'award_day_counts', 'award_month_counts', 'tenant_day_counts', 'tenant_day_channels', 'completions')`);
    const of = (name: string) => counts.find((c) => c.relname === name)!;
    for (const table of ['awards', 'award_stats', 'award_day_counts', 'award_month_counts', 'tenant_day_counts', 'tenant_day_channels']) expect(of(table).vacuum_count, table).toBeGreaterThanOrEqual(1);
    for (const table of ['awards', 'award_stats', 'award_day_counts', 'completions']) expect(of(table).analyze_count, table).toBeGreaterThanOrEqual(1);
    // the statistics are current: award_stats is written only by the import's triggers here
    const [stats] = await app.testDb.db.query<{ reltuples: number }>("select reltuples::int as reltuples from pg_class where relname = 'award_stats'");
    expect(stats!.reltuples).toBe(await count('select count(*)::int as n from award_stats where tenant_id = $1', [tenantId]));
  });

  it('creates a tenant, a platform and the courses, and says what it imported and how long it took', async () => {
    expect(firstRun.code, firstRun.out.join('\n')).toBe(0);
    expect(tenantId).toMatch(UUID);
    const text = firstRun.out.join('\n');
    expect(text).toMatch(/created tenant/);
    expect(text).toMatch(/registered platform/);
    expect(text).toMatch(/courses: 2 created/);
    expect(text).toMatch(/imported 8 badges, [\d,]+ completions, [\d,]+ awards, [\d,]+ events/);
    expect(text).toMatch(/took \d+\.\d s/);
    expect(text).not.toMatch(/refused/);
    const courses = await app.built.services.courses.listCourses(tenantId);
    expect(courses.map((c) => c.badges)).toEqual([4, 4]);
  });

  it('imports awards that analytics count, test accounts left out by default', async () => {
    const org = await analytics('');
    expect(org.kpis.awarded).toBeGreaterThan(100);
    const withTest = await analytics('includeTest=true');
    expect(withTest.kpis.awarded).toBeGreaterThan(org.kpis.awarded);
    expect(await count('select count(*)::int as n from awards where tenant_id = $1 and is_test', [tenantId])).toBe(withTest.kpis.awarded - org.kpis.awarded);
  });

  it('keeps bot hits as events (about 10 %) but out of the view counts', async () => {
    const org = await analytics('');
    const views = await count(`select count(*)::int as n from events e join awards a on a.id = e.award_id where e.tenant_id = $1 and e.type = 'viewed' and not a.is_test and not e.is_bot`, [tenantId]);
    const bots = await count(`select count(*)::int as n from events where tenant_id = $1 and type = 'viewed' and is_bot`, [tenantId]);
    const all = await count(`select count(*)::int as n from events where tenant_id = $1 and type = 'viewed'`, [tenantId]);
    expect(bots).toBeGreaterThan(0);
    expect(bots / all).toBeGreaterThan(0.03);
    expect(bots / all).toBeLessThan(0.2);
    expect(org.kpis.views).toBe(views);
  });

  it('has views per share heavy-tailed and claim delays with a long tail', async () => {
    const perShare = await app.testDb.db.query<{ n: number }>(
      `select count(*) filter (where type = 'viewed')::int as n from events where tenant_id = $1 and award_id in
         (select award_id from events where tenant_id = $1 and type = 'shared' group by award_id having count(*) = 1) group by award_id`, [tenantId]);
    const ns = perShare.map((r) => r.n);
    const mean = ns.reduce((a, b) => a + b, 0) / ns.length;
    expect(Math.max(...ns)).toBeGreaterThan(3 * mean);
    const { timeToClaim } = (await analytics('')).kpis;
    expect(timeToClaim.buckets.gt7d).toBeGreaterThan(0);
    expect(timeToClaim.p90Hours!).toBeGreaterThan(4 * timeToClaim.medianHours!);
  });

  it('makes the completion-to-claim gap jump at a module of each course', async () => {
    for (const course of await app.built.services.courses.listCourses(tenantId)) {
      const { modules } = await analytics(`scope=course&courseId=${course.id}`);
      const gaps = [...modules].sort((a, b) => a.position - b.position).map((m) => m.gap ?? 0);
      const jumps = gaps.slice(1).map((g, i) => g - gaps[i]!);
      expect(Math.max(...jumps), `gaps ${gaps.join(', ')}`).toBeGreaterThan(0.2);
    }
  });

  it('skews sharing to LinkedIn', async () => {
    const { sharing } = (await analytics('')).distribution;
    const top = Object.entries(sharing).sort((a, b) => b[1] - a[1])[0]![0];
    expect(top).toMatch(/^linkedin/);
    const total = Object.values(sharing).reduce((a, b) => a + b, 0);
    expect(((sharing.linkedin_profile ?? 0) + (sharing.linkedin_post ?? 0)) / total).toBeGreaterThan(0.4);
  });

  it('refuses the same seed twice in a tenant in one line, adding nothing', async () => {
    const tables = ['awards', 'events', 'completions', 'courses'];
    const before = await Promise.all(tables.map((t) => count(`select count(*)::int as n from ${t} where tenant_id = $1`, [tenantId])));
    const again = await runAdminCommand(['seed', ...SIZE, '--tenant', tenantId], services);
    expect(again.code).toBe(1);
    expect(again.out).toEqual(['error: this tenant already holds the history of seed 1; give another --seed']);
    expect(await Promise.all(tables.map((t) => count(`select count(*)::int as n from ${t} where tenant_id = $1`, [tenantId])))).toEqual(before);
  });

  it('refuses bad flags with a one-line reason, before writing anything', async () => {
    const tenants = (await app.built.services.tenants.list()).length;
    const cases: Array<[string[], RegExp]> = [
      [['seed', '--learners', 'abc', '--courses', '1', '--modules', '1', '--days', '1'], /^error: --learners must be a whole number/],
      [['seed', '--learners', '0', '--courses', '1', '--modules', '1', '--days', '1'], /^error: --learners must be a whole number from 1/],
      [['seed', '--learners', '10', '--courses', '1', '--modules', '1.5', '--days', '1'], /^error: --modules must be a whole number/],
      [['seed', '--learners', '10', '--courses', '1', '--modules', '2'], /^error: missing --days/],
      [['seed', '--learners', '10', '--courses', '1', '--modules', '2', '--days', '9', '--name', 'x'], /^error: seed does not take --name/],
      [['seed', '--learnrs', '10'], /^error: .*learnrs/],
      [['seed', '--learners', '10', '--courses', '1', '--modules', '2', '--days', '9', '--tenant', randomUUID()], /^error: unknown tenant/],
      [['seed', '--learners', '10', '--courses', '1', '--modules', '2', '--days', '9', '--tenant', 'nope'], /^error: not a tenant id/],
      [['seed', '--learners', '10', '--courses', '1', '--modules', '2', '--days', '9', '--views', '0'], /^error: --views must be a whole number from 1 to 200/],
    ];
    for (const [argv, reason] of cases) {
      const r = await runAdminCommand(argv, services);
      expect(r.code, argv.join(' ')).not.toBe(0);
      expect(r.out, argv.join(' ')).toHaveLength(1);
      expect(r.out[0]).toMatch(reason);
    }
    expect((await app.built.services.tenants.list()).length).toBe(tenants);
  });

  it('takes --views, the mean views a share brings, for histories of many more events', async () => {
    const meanViewsPerShare = async () => (await app.testDb.db.query<{ m: number }>(
      `select (count(*) filter (where type = 'viewed'))::float8 / nullif(count(*) filter (where type = 'shared'), 0) as m from events where tenant_id = $1`, [tenantId]))[0]!.m;
    const before = await meanViewsPerShare();
    const r = await runAdminCommand(['seed', ...SIZE, '--tenant', tenantId, '--seed', '2', '--views', '20'], services);
    expect(r.code, r.out.join('\n')).toBe(0);
    // Half the shares now bring about 20 views instead of 3.5: the mean more than doubles.
    expect(await meanViewsPerShare()).toBeGreaterThan(2 * before);
  });
});
