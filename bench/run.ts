// `npm run bench -- [issuance]`: runs the benchmarks in this process, on PGlite (in memory) or on
// the PostgreSQL server of DATABASE_URL (a scratch database, dropped afterwards), and prints each
// figure with its ratio to the raw operation measured in the same run.
import os from 'node:os';
import pg from 'pg';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { migrate, openPglite, openPostgres, type Db } from '../src/db/index.js';
import { createLogger } from '../src/shared/index.js';
import { benchIssuance } from './issuance.js';
import type { BenchResult } from './measure.js';

const which = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const all = { issuance: benchIssuance } as const;
const selected = which.length ? which : Object.keys(all);
for (const name of selected) if (!(name in all)) throw new Error(`unknown benchmark: ${name} (known: ${Object.keys(all).join(', ')})`);

async function scratchDatabase(): Promise<{ db: Db; engine: string; drop(): Promise<void> }> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    const db = await openPglite();
    return { db, engine: 'PGlite (in memory)', drop: () => db.close() };
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

const { db, engine, drop } = await scratchDatabase();
try {
  await migrate(db);
  const config = loadConfig({ NODE_ENV: 'test', PUBLIC_URL: 'https://badges.bench.example', SECRET_KEY: 'bench-secret-key-bench-secret-key-0123456789', LOG_LEVEL: 'silent' });
  const built = await buildApp({ config, db, logger: createLogger('silent') });
  console.log(`Badgetrail benchmarks · ${engine} · Node ${process.version} · ${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length} · ${new Date().toISOString().slice(0, 10)}`);
  for (const name of selected) {
    const results: BenchResult[] = await all[name as keyof typeof all](built, db, { awards: Number(process.env.BENCH_AWARDS ?? 2000), diAwards: Number(process.env.BENCH_DI_AWARDS ?? 100) });
    console.log(`\n${name}`);
    for (const r of results) {
      const ratio = r.ratio === undefined ? '' : `  ratio ${r.ratio.toFixed(2)}${r.target ? ` (target ≥ ${r.target})` : ''}`;
      console.log(`  ${r.name.padEnd(40)} ${r.perSecond.toFixed(0).padStart(8)}${r.name.includes('RSS') ? '' : ' /s'}${ratio}`);
    }
  }
  await built.close();
} finally {
  await drop();
}
