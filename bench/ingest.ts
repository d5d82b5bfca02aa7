// Ingest benchmark: completions per second through POST /api/v1/completions (batches of 1,000,
// over a real HTTP server on 127.0.0.1; every completion new and qualifying, so each becomes an
// award, its VC-JWT signed by the signing queue on every core) against a raw multi-row INSERT of
// the same rows into a scratch table, in the same batches. Two figures for the new ones: answered
// (the awards committed, their tokens queued) and signed (until the queue is empty, measured from
// the same start). The same batches sent again (all duplicates: no signing) ride along.
import type { BuiltApp } from '../src/app.js';
import type { Db } from '../src/db/index.js';
import { sampleRss, serve, type BenchResult } from './measure.js';
import { benchWorld } from './world.js';
import { performance } from 'node:perf_hooks';

const BATCH = 1_000;

export async function benchIngest(built: BuiltApp, db: Db, opts: { completions: number; concurrency: number }): Promise<BenchResult[]> {
  const modules = 5;
  const w = await benchWorld(built, db, 'Ingest Bench University', modules);
  const batches = Math.max(1, Math.ceil(opts.completions / BATCH));
  const t0 = Date.parse('2026-11-01T00:00:00Z');
  const batch = (b: number) => Array.from({ length: BATCH }, (_, i) => {
    const n = b * BATCH + i;
    return { courseId: w.context, moduleId: `m${(n % modules) + 1}`, learner: { id: `learner-${Math.floor(n / modules)}`, name: `Learner ${n}` }, score: 8, maxScore: 10, completedAt: new Date(t0 + n * 1000).toISOString() };
  });
  const server = await serve(built.app);
  const post = async (items: unknown[]) => {
    const res = await fetch(`${server.url}/api/v1/completions`, { method: 'POST', headers: { authorization: `Bearer ${w.key}`, 'content-type': 'application/json' }, body: JSON.stringify({ completions: items }) });
    if (res.status !== 200) throw new Error(`completions answered ${res.status}: ${await res.text()}`);
    return (await res.json()) as { results: Array<{ status: string }> };
  };
  try {
    // Warm up (key pair, compiled paths) on a learner outside the measured set.
    await post([{ courseId: w.context, moduleId: 'm1', learner: { id: 'warm-up' }, score: 1, maxScore: 1, completedAt: new Date(t0).toISOString() }]);
    const rss = sampleRss();
    let start = performance.now();
    // `concurrency` clients post batches side by side (a pipeline with several connections).
    let nextBatch = 0;
    await Promise.all(Array.from({ length: opts.concurrency }, async () => {
      while (nextBatch < batches) {
        const r = await post(batch(nextBatch++));
        if (r.results.some((x) => x.status !== 'awarded')) throw new Error('a fresh completion was not awarded');
      }
    }));
    const apiSeconds = (performance.now() - start) / 1000;
    await built.services.awards.signing.drain();
    const signedSeconds = (performance.now() - start) / 1000;
    if ((await built.services.awards.signing.backlog()) !== 0) throw new Error('the signing queue did not empty');
    start = performance.now();
    for (let b = 0; b < batches; b += 1) {
      const r = await post(batch(b));
      if (r.results.some((x) => x.status !== 'duplicate')) throw new Error('a resent completion was not a duplicate');
    }
    const dupSeconds = (performance.now() - start) / 1000;
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
      { name: 'peak RSS during ingest', value: peak, unit: 'MB', target: '≤ 400 MB' },
    ];
  } finally {
    await server.close();
  }
}
