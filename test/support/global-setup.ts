// Migrate once per test run, clone per file: a dump of a migrated PGlite (embedded), or a template
// database on the PostgreSQL server when DATABASE_URL is set.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { migrate, openPglite, openPostgres } from '../../src/db/index.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteSnapshot: string;
    pgTemplate: string;
  }
}

export default async function setup(project: TestProject) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'badgetrail-test-'));
  const url = process.env.DATABASE_URL;
  let template = '';
  if (url) {
    template = `badgetrail_tpl_${process.pid}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`drop database if exists ${template}`);
    await admin.query(`create database ${template}`);
    const db = await openPostgres(withDatabase(url, template), 2);
    await migrate(db);
    await db.close();
    await admin.end();
    project.provide('pgliteSnapshot', '');
  } else {
    const db = await openPglite();
    await migrate(db);
    const snapshot = path.join(dir, 'migrated.tar');
    writeFileSync(snapshot, Buffer.from(await (await db.dump()).arrayBuffer()));
    await db.close();
    project.provide('pgliteSnapshot', snapshot);
  }
  project.provide('pgTemplate', template);
  return async () => {
    rmSync(dir, { recursive: true, force: true });
    if (url && template) {
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      // Per-file databases made from the template are dropped by their files; drop any left over.
      const left = await admin.query<{ datname: string }>(`select datname from pg_database where datname like $1`, [`bt_test_${process.pid}_%`]);
      for (const r of left.rows) await admin.query(`drop database if exists ${r.datname} with (force)`);
      await admin.query(`drop database if exists ${template} with (force)`);
      await admin.end();
    }
  };
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
