// Analytics benchmark: a history seeded through `admin seed` (the import path), then p50 / p95 of
// GET /api/v1/analytics over HTTP at course and at organisation scope (requested from a child
// process, analytics-client.mjs), against one full sequential scan of the events table measured in
// the same run (index scans off). The seed's own rate rides along.
import { performance } from 'node:perf_hooks';
import type { BuiltApp } from '../src/app.js';
import { runAdminCommand } from '../src/admin/commands.js';
import type { Db } from '../src/db/index.js';
import { askChild, percentile, sampleRss, serve, type BenchResult } from './measure.js';

export interface AnalyticsBenchOptions {
  learners: number; courses: number; modules: number; days: number; runs: number; views?: number;
  /** Organisation requests made, untimed, before the timed ones (BENCH_ORG_WARMUP). */
  orgWarmup: number;
}

async function fullScan(db: Db): Promise<{ ms: number; rows: number }> {
  return db.transaction(async (tx) => {
    await tx.query('set local enable_indexscan = off');
    await tx.query('set local enable_indexonlyscan = off');
    await tx.query('set local enable_bitmapscan = off');
    const start = performance.now();
    const rows = (await tx.query<{ n: number }>('select count(*)::int as n from events'))[0]!.n;
    return { ms: performance.now() - start, rows };
  });
}

interface ClientRequests { url: string; key: string; range: string; warm: string[]; course: string[]; org: string[] }

/** Times the requests from analytics-client.mjs, a process of its own; each request's ms, in order (the warm-up's too). */
async function requestFromChild(o: ClientRequests): Promise<{ warm: number[]; course: number[]; org: number[] }> {
  const r = await askChild<{ warm?: number[]; course?: number[]; org?: number[]; error?: string }>(new URL('./analytics-client.mjs', import.meta.url), o, 'the analytics client');
  if (r.error !== undefined || !r.warm || !r.course || !r.org) throw new Error(r.error ?? 'no timings from the analytics client');
  return { warm: r.warm, course: r.course, org: r.org };
}

export async function benchAnalytics(built: BuiltApp, db: Db, o: AnalyticsBenchOptions): Promise<BenchResult[]> {
  const { tenants, lti, signingKeys, importer } = built.services;
  const seedRss = sampleRss();
  const seeded = await runAdminCommand(['seed', '--learners', String(o.learners), '--courses', String(o.courses), '--modules', String(o.modules), '--days', String(o.days),
    ...(o.views ? ['--views', String(o.views)] : [])], { tenants, platforms: lti.platforms, signingKeys, importer });
  // The seeded awards wait in the signing queue: the queries are timed once it is empty.
  const signStart = performance.now();
  await built.services.awards.signing.drain();
  const signSeconds = (performance.now() - signStart) / 1000;
  const seedPeak = seedRss.stop();
  if (seeded.code !== 0) throw new Error(seeded.out.join('\n'));
  for (const line of seeded.out.slice(0, -1)) process.stderr.write(`  seed: ${line}\n`);
  process.stderr.write(`  seed: the signing queue was empty ${signSeconds.toFixed(1)} s after the seed ended\n`);
  const tenantId = seeded.out.at(-1)!;
  const awards = (await db.query<{ n: number }>('select count(*)::int as n from awards where tenant_id = $1', [tenantId]))[0]!.n;
  const seconds = Number(/took ([\d.]+) s/.exec(seeded.out.join('\n'))?.[1]);
  return [
    { name: `seed via import path (${awards} awards, ${seconds.toFixed(0)} s)`, value: awards / seconds },
    { name: 'peak RSS during the seed', value: seedPeak, unit: 'MB', target: '≤ 400 MB' },
    ...await measureAnalytics(built, db, tenantId, o),
  ];
}

/**
 * The timed part: the requests and the scan, on a tenant already seeded (by benchAnalytics, or by
 * an earlier `admin seed` into the database BENCH_SEEDED_DATABASE_URL names, as bench/run.ts does).
 */
export async function measureAnalytics(built: BuiltApp, db: Db, tenantId: string, o: Pick<AnalyticsBenchOptions, 'days' | 'runs' | 'orgWarmup'>): Promise<BenchResult[]> {
  const { tenants, courses } = built.services;
  const awards = (await db.query<{ n: number }>('select count(*)::int as n from awards where tenant_id = $1', [tenantId]))[0]!.n;
  const key = (await tenants.createApiKey(tenantId)).key;
  const courseIds = (await courses.listCourses(tenantId)).map((c) => c.id);
  const now = Date.now();
  const range = `from=${new Date(now - o.days * 86_400_000).toISOString()}&to=${new Date(now).toISOString()}`;

  // A history seeded by an import ends with awards still waiting for their VC-JWT (the signing
  // queue yields to issuance while the seed runs): signed first, so that no signing runs beside
  // the requests timed.
  const signed = await built.services.awards.signing.drain();
  if (signed > 0) process.stderr.write(`  analytics: signed ${signed} awards the seed left in the signing queue first\n`);
  const server = await serve(built.app);
  try {
    // Warm up as a running server is warm: its pool's connections open, each with the catalog
    // caches of the tables the panel reads (a fresh backend loads them on first use, which cost the
    // first requests 40-100 ms at a million awards), and the organisation's code compiled by V8's
    // optimiser (after one warm-up request its first timed answers ran 10-25 ms slower, and the
    // rest drifted down over the twenty). The courses timed are not among those warmed: their own
    // rows are read for the first time. The warm-up's times are printed too.
    const warm = courseIds.slice(-3);
    const timed = courseIds.length > warm.length ? courseIds.slice(0, -warm.length) : courseIds;
    const rss = sampleRss();
    const { warm: warmMs, course, org } = await requestFromChild({
      url: server.url, key, range,
      warm: [...warm.map((id) => `scope=course&courseId=${id}`), ...Array.from({ length: o.orgWarmup }, () => '')],
      course: Array.from({ length: o.runs }, (_, i) => `scope=course&courseId=${timed[i % timed.length]}`),
      org: Array.from({ length: Math.max(3, Math.ceil(o.runs / 2)) }, () => ''),
    });
    const peak = rss.stop();
    const scans = [await fullScan(db), await fullScan(db), await fullScan(db)];
    const scan = percentile(scans.map((s) => s.ms), 0.5);
    process.stderr.write(`  analytics: tenant of ${awards} awards; events table ${scans[0]!.rows} rows; ${course.length} course and ${org.length} org requests\n`);
    const inOrder = (xs: readonly number[]) => xs.map((x) => x.toFixed(0)).join(' ');
    process.stderr.write(`  analytics: untimed warm-up, ${warm.length} course and ${o.orgWarmup} org requests (ms, in order): ${inOrder(warmMs)}\n`);
    process.stderr.write(`  analytics: org requests timed (ms, in order): ${inOrder(org)}\n`);
    const orgP95 = percentile(org, 0.95);
    return [
      { name: `full scan of events (${scans[0]!.rows} rows)`, value: scan, unit: 'ms' },
      { name: 'course scope p50', value: percentile(course, 0.5), unit: 'ms', ratio: percentile(course, 0.5) / scan },
      { name: 'course scope p95', value: percentile(course, 0.95), unit: 'ms', ratio: percentile(course, 0.95) / scan, target: '≤ 100 ms' },
      { name: 'org scope p50', value: percentile(org, 0.5), unit: 'ms', ratio: percentile(org, 0.5) / scan },
      { name: 'org scope p95', value: orgP95, unit: 'ms', ratio: orgP95 / scan, target: '≤ 300 ms', ratioTarget: '≤ 0.1' },
      { name: 'peak RSS during the queries', value: peak, unit: 'MB', target: '≤ 400 MB' },
    ];
  } finally {
    await server.close();
  }
}
