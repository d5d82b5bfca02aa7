// Views benchmark: requests per second and p99 latency of the public credential page (GET
// /ob/credentials/:id of a public award, as a browser: each request records a `viewed` event, since
// the load generator keeps no cookie) under autocannon on the loopback, against a trivial express
// handler served and loaded the same way in the same run. autocannon runs in a child process
// (load-generator.mjs), so its load shares neither the server's event loop nor its memory. 30
// connections by default: at 10 each one waits out a group commit's round trip (~3 ms), and the
// figure measured that wait, not what the server can serve.
import express from 'express';
import type { BuiltApp } from '../src/app.js';
import type { Db } from '../src/db/index.js';
import { askChild, sampleRss, serve, type BenchResult } from './measure.js';
import { benchWorld } from './world.js';

const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';

interface LoadFigures { total: number; duration: number; p50: number; p99: number; non2xx: number; errors: number }

async function load(url: string, seconds: number, connections: number) {
  const r = await askChild<LoadFigures>(new URL('./load-generator.mjs', import.meta.url), { url, connections, duration: seconds, headers: { 'user-agent': BROWSER, accept: 'text/html' } },
    'the load generator');
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`${url}: ${r.non2xx} non-2xx answers, ${r.errors} errors`);
  return { perSecond: r.total / (r.duration || seconds), p99: r.p99, p50: r.p50, total: r.total };
}

export async function benchViews(built: BuiltApp, db: Db, opts: { seconds: number; connections: number }): Promise<BenchResult[]> {
  const w = await benchWorld(built, db, 'Views Bench University', 1);
  const [res] = await built.services.completions.ingest(w.tenantId, [{ courseId: w.context, moduleId: 'm1', learner: { id: 'viewer-1', name: 'Ada' }, score: 1, maxScore: 1, completedAt: new Date().toISOString() }], { source: 'api' });
  if (!res || res.status !== 'awarded' || !('awardId' in res) || !res.awardId) throw new Error('no award to view');
  const { awards } = built.services;
  const { award } = await awards.accept((await awards.find(res.awardId))!, 'lms');
  await awards.setVisibility(award, true);

  const trivial = express();
  trivial.get('/', (_req, r) => { r.type('html').send('<!doctype html><title>ok</title><p>ok</p>'); });
  const raw = await serve(trivial);
  const app = await serve(built.app);
  try {
    const page = `${app.url}/ob/credentials/${award.id}`;
    await load(page, 2, opts.connections); // warm up
    const base = await load(raw.url, opts.seconds, opts.connections);
    const before = (await db.query<{ n: number }>('select count(*)::int as n from events where award_id = $1 and type = $2', [award.id, 'viewed']))[0]!.n;
    const rss = sampleRss();
    const real = await load(page, opts.seconds, opts.connections);
    const peak = rss.stop();
    const recorded = (await db.query<{ n: number }>('select count(*)::int as n from events where award_id = $1 and type = $2', [award.id, 'viewed']))[0]!.n - before;
    process.stderr.write(`  views: ${real.total} page requests in ${opts.seconds} s (${recorded} viewed events recorded), trivial handler ${base.total}; ${opts.connections} connections\n`);
    return [
      { name: 'trivial express handler', value: base.perSecond },
      { name: '  its p99 latency', value: base.p99, unit: 'ms' },
      { name: 'public credential page (records a view)', value: real.perSecond, ratio: real.perSecond / base.perSecond, target: '≥ 3,000 /s' },
      { name: '  its p50 latency', value: real.p50, unit: 'ms' },
      { name: '  its p99 latency', value: real.p99, unit: 'ms', target: '≤ 50 ms' },
      { name: 'peak RSS during the page load', value: peak, unit: 'MB', target: '≤ 400 MB' },
    ];
  } finally {
    await app.close();
    await raw.close();
  }
}
