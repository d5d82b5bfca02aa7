// Ingest benchmark: completions per second through POST /api/v1/completions (batches of 1,000,
// over a real HTTP server on 127.0.0.1; every completion new and qualifying, so each becomes an
// award, its VC-JWT signed by the signing queue on every core) against a raw multi-row INSERT of
// the same rows into a scratch table, in the same batches. Two figures for the new ones: answered
// (the awards committed, their tokens queued) and signed (until the queue is empty, measured from
// the same start). The same batches sent again (all duplicates: no signing) ride along. The
// clients post from a child process (ingest-clients.mjs), so that the RSS measured is the server's.
import type { BuiltApp } from '../src/app.js';
import type { Db } from '../src/db/index.js';
import { askChild, cpuMeter, isLocalPostgres, sampleRss, serve, type BenchResult } from './measure.js';
import { benchWorld } from './world.js';
import { performance } from 'node:perf_hooks';

const BATCH = 1_000;

interface ClientOptions { url: string; key: string; context: string; modules: number; t0: number; size: number; batches: number; concurrency: number; expect: 'awarded' | 'duplicate' }

/** Posts every batch from ingest-clients.mjs; the seconds the posting took there. */
async function postFromChild(o: ClientOptions): Promise<number> {
  const r = await askChild<{ seconds?: number; error?: string }>(new URL('./ingest-clients.mjs', import.meta.url), o, 'the ingest clients');
  if (r.error !== undefined || r.seconds === undefined) throw new Error(r.error ?? 'no figures from the ingest clients');
  return r.seconds;
}

export async function benchIngest(built: BuiltApp, db: Db, opts: { completions: number; concurrency: number; databaseUrl: string }): Promise<BenchResult[]> {
  const modules = 5;
  const w = await benchWorld(built, db, 'Ingest Bench University', modules);
  const batches = Math.max(1, Math.ceil(opts.completions / BATCH));
  const t0 = Date.parse('2026-11-01T00:00:00Z');
  const batch = (b: number) => Array.from({ length: BATCH }, (_, i) => {
    const n = b * BATCH + i;
    return { courseId: w.context, moduleId: `m${(n % modules) + 1}`, learner: { id: `learner-${Math.floor(n / modules)}`, name: `Learner ${n}` }, score: 8, maxScore: 10, completedAt: new Date(t0 + n * 1000).toISOString() };
  });
  const server = await serve(built.app);
  const clients = { url: server.url, key: w.key, context: w.context, modules, t0, size: BATCH, batches };
  try {
    // Warm up (key pair, compiled paths) on a learner outside the measured set.
    const res = await fetch(`${server.url}/api/v1/completions`, { method: 'POST', headers: { authorization: `Bearer ${w.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ completions: [{ courseId: w.context, moduleId: 'm1', learner: { id: 'warm-up' }, score: 1, maxScore: 1, completedAt: new Date(t0).toISOString() }] }) });
    if (res.status !== 200) throw new Error(`completions answered ${res.status}: ${await res.text()}`);
    const rss = sampleRss();
    // `concurrency` clients post batches side by side (a pipeline with several connections).
    const cpu = cpuMeter({ localPostgres: isLocalPostgres(db.kind, opts.databaseUrl) });
    const apiSeconds = await postFromChild({ ...clients, concurrency: opts.concurrency, expect: 'awarded' });
    const cpuUsed = cpu.stop();
    let start = performance.now();
    await built.services.awards.signing.drain();
    const signedSeconds = apiSeconds + (performance.now() - start) / 1000;
    if ((await built.services.awards.signing.backlog()) !== 0) throw new Error('the signing queue did not empty');
    const dupSeconds = await postFromChild({ ...clients, concurrency: 1, expect: 'duplicate' });
    const peak = rss.stop();

    // The raw operation: the same rows, one multi-row INSERT per batch, into a scratch table.
    await db.exec('drop table if exists bench_raw_completions; create table bench_raw_completions (course_id text, module_id text, learner_id text, learner_name text, score numeric, max_score numeric, completed_at timestamptz)');
    start = performance.now();
    for (let b = 0; b < batches; b += 1) {
      await db.query(
        `insert into bench_raw_completions select x.course_id, x.module_id, x.learner_id, x.learner_name, x.score, x.max_score, x.completed_at
         from jsonb_to_recordset($1::jsonb) as x(course_id text, module_id text, learner_id text, learner_name text, score numeric, max_score numeric, completed_at timestamptz)`,
        [JSON.stringify(batch(b).map((c) => ({ course_id: c.courseId, module_id: c.moduleId, learner_id: c.learner.id, learner_name: c.learner.name, score: c.score, max_score: c.maxScore, completed_at: c.completedAt })))]);
    }
    const rawSeconds = (performance.now() - start) / 1000;
    await db.exec('drop table bench_raw_completions');
    const n = batches * BATCH;
    process.stderr.write(`  ingest: ${n} completions in ${apiSeconds.toFixed(2)} s (new; all signed after ${signedSeconds.toFixed(2)} s), ${dupSeconds.toFixed(2)} s (resent); raw insert ${rawSeconds.toFixed(2)} s\n`);
    const api = n / apiSeconds;
    const raw = n / rawSeconds;
    return [
      { name: `raw multi-row INSERT, batches of ${BATCH}`, value: raw },
      { name: `completions via API, new (each awarded, VC-JWT queued), ${opts.concurrency} client${opts.concurrency > 1 ? 's' : ''}`, value: api, ratio: api / raw, target: '≥ 5,000 /s' },
      { name: `the same, until every VC-JWT is signed`, value: n / signedSeconds, ratio: n / signedSeconds / raw },
      { name: `completions via API, resent (duplicates)`, value: n / dupSeconds, ratio: n / dupSeconds / raw },
      // the CPU behind the rate (the clients' process apart): steadier than the rate on a machine whose speed drifts
      { name: `CPU per ${BATCH} new completions, server process`, value: cpuUsed.processMs / batches, unit: 'ms' },
      ...(cpuUsed.postgresMs !== null ? [{ name: `CPU per ${BATCH} new completions, PostgreSQL server`, value: cpuUsed.postgresMs / batches, unit: 'ms' }] : []),
      { name: 'peak RSS during ingest', value: peak, unit: 'MB', target: '≤ 400 MB' },
    ];
  } finally {
    await server.close();
  }
}
