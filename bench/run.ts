// `npm run bench -- [issuance] [ingest] [views] [analytics]`: runs the benchmarks in this process,
// on PGlite (in a scratch folder) or on the PostgreSQL server of DATABASE_URL (a scratch database, dropped
// afterwards), and prints each figure with its ratio to the raw operation measured in the same run
// and, where the issue sets one, its target beside it. Sizes come from the environment (BENCH_*).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { buildApp, type BuiltApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { migrate, openPglite, openPostgres, type Db } from '../src/db/index.js';
import { createLogger, limitHeapGrowth } from '../src/shared/index.js';
import { benchAnalytics, measureAnalytics } from './analytics.js';
import { benchIngest } from './ingest.js';
import { benchIssuance } from './issuance.js';
import { peakRss, type BenchResult } from './measure.js';
import { benchViews } from './views.js';

const env = (name: string, fallback: number) => {
  const v = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} must be a positive number`);
  return v;
};

const all: Record<string, (built: BuiltApp, db: Db) => Promise<BenchResult[]>> = {
  issuance: (b, db) => benchIssuance(b, db, { awards: env('BENCH_AWARDS', 2000), diAwards: env('BENCH_DI_AWARDS', 100) }),
  ingest: (b, db) => benchIngest(b, db, { completions: env('BENCH_COMPLETIONS', 10_000), concurrency: env('BENCH_INGEST_CLIENTS', 2), databaseUrl: process.env.DATABASE_URL ?? '' }),
  views: (b, db) => benchViews(b, db, { seconds: env('BENCH_VIEW_SECONDS', 10), connections: env('BENCH_VIEW_CONNECTIONS', 30) }),
  analytics: (b, db) => benchAnalytics(b, db, {
    learners: env('BENCH_LEARNERS', 2_000), courses: env('BENCH_COURSES', 10), modules: env('BENCH_MODULES', 5), days: env('BENCH_DAYS', 180), runs: env('BENCH_ANALYTICS_RUNS', 20), orgWarmup: env('BENCH_ORG_WARMUP', 10),
    ...(process.env.BENCH_VIEWS ? { views: env('BENCH_VIEWS', 3) } : {}),
  }),
};
const which = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const selected = which.length ? which : Object.keys(all);
for (const name of selected) if (!(name in all)) throw new Error(`unknown benchmark: ${name} (known: ${Object.keys(all).join(', ')})`);

// A history seeded once (`npm run admin -- seed` into a PostgreSQL database; at a million awards it
// takes 35-45 minutes here) is measured again with BENCH_SEEDED_DATABASE_URL naming that database:
// the analytics bench then times its largest tenant, seeds nothing and drops nothing.
const seededUrl = process.env.BENCH_SEEDED_DATABASE_URL;
if (seededUrl) {
  all.analytics = async (b, db) => {
    const tenant = await db.query<{ tenant_id: string }>('select tenant_id from awards group by 1 order by count(*) desc limit 1');
    if (!tenant[0]) throw new Error('BENCH_SEEDED_DATABASE_URL names a database without awards');
    return measureAnalytics(b, db, tenant[0].tenant_id, { days: env('BENCH_DAYS', 180), runs: env('BENCH_ANALYTICS_RUNS', 20), orgWarmup: env('BENCH_ORG_WARMUP', 10) });
  };
  if (selected.some((name) => name !== 'analytics')) throw new Error('BENCH_SEEDED_DATABASE_URL measures the analytics bench alone: name it (npm run bench -- analytics)');
}

async function scratchDatabase(): Promise<{ db: Db; engine: string; drop(): Promise<void> }> {
  if (seededUrl) {
    const db = await openPostgres(seededUrl);
    return { db, engine: `PostgreSQL, seeded (${seededUrl.replace(/\/\/[^@]*@/, '//')})`, drop: () => db.close() };
  }
  const url = process.env.DATABASE_URL;
  if (!url) {
    // on disk in a scratch folder, as `npm start` keeps it in ./data: in memory, the database's
    // files would be counted in the process's RSS (5.3 GB at 158k awards)
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'badgetrail-bench-'));
    const db = await openPglite({ dataDir });
    return {
      db, engine: `PGlite (${dataDir})`,
      async drop() {
        await db.close();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }
  const name = `bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const u = new URL(url);
  u.pathname = `/${name}`;
  const db = await openPostgres(u.toString());
  return {
    db, engine: `PostgreSQL (${url.replace(/\/\/[^@]*@/, '//')})`,
    async drop() {
      await db.close();
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

const fmt = (v: number) => (v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(v >= 10 ? 1 : 2));

// the server's own heap setting (src/main.ts), so that the RSS measured is what it would use
limitHeapGrowth();
const { db, engine, drop } = await scratchDatabase();
try {
  await migrate(db);
  const config = loadConfig({ NODE_ENV: 'test', PUBLIC_URL: 'https://badges.bench.example', SECRET_KEY: 'bench-secret-key-bench-secret-key-0123456789', LOG_LEVEL: 'silent' });
  const built = await buildApp({ config, db, logger: createLogger('silent') });
  console.log(`Badgetrail benchmarks · ${engine} · Node ${process.version} · ${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length} · ${new Date().toISOString().slice(0, 10)}`);
  for (const name of selected) {
    const started = Date.now();
    const results = await all[name]!(built, db);
    console.log(`\n${name} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
    for (const r of results) {
      const unit = r.unit ?? '/s';
      const ratio = r.ratio === undefined ? '' : `  ratio ${r.ratio.toFixed(r.ratio < 0.1 || r.ratioTarget ? 3 : 2)}${r.ratioTarget ? ` (target ${r.ratioTarget})` : ''}`;
      const target = r.target ? `  [target ${r.target}]` : '';
      console.log(`  ${r.name.padEnd(46)} ${fmt(r.value).padStart(9)} ${unit.padEnd(3)}${ratio}${target}`);
    }
  }
  console.log(`\npeak RSS of the whole run: ${fmt(peakRss())} MB`);
  await built.close();
} finally {
  await drop();
}
