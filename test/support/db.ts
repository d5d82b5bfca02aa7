// A fresh, migrated database per test file: a PGlite clone of the run's snapshot, or a database
// created from the run's template on the PostgreSQL server.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { inject } from 'vitest';
import { openPglite, openPostgres, type Db } from '../../src/db/index.js';

export interface TestDb {
  db: Db;
  /** The connection string of this file's own database (PostgreSQL runs only). */
  url: string | undefined;
  drop(): Promise<void>;
}

export async function createTestDb(): Promise<TestDb> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    const db = await openPglite({ snapshot: new Blob([readFileSync(inject('pgliteSnapshot'))]) });
    return { db, url: undefined, drop: () => db.close() };
  }
  // The template's owner process id keeps parallel runs apart; the suffix keeps files apart.
  const name = `bt_test_${inject('pgTemplate').split('_').pop()}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create database ${name} template ${inject('pgTemplate')}`);
  await admin.end();
  const own = new URL(url);
  own.pathname = `/${name}`;
  const db = await openPostgres(own.toString(), 5);
  return {
    db,
    url: own.toString(),
    async drop() {
      await db.close();
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

/** A never migrated database of this run's engine (named like createTestDb's, so the run's teardown drops it if its file does not). */
export async function createEmptyDb(): Promise<{ db: Db; drop(): Promise<void> }> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    const fresh = await openPglite();
    return { db: fresh, drop: () => fresh.close() };
  }
  const name = `bt_test_${inject('pgTemplate').split('_').pop()}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const own = new URL(url);
  own.pathname = `/${name}`;
  const fresh = await openPostgres(own.toString(), 2);
  return {
    db: fresh,
    async drop() {
      await fresh.close();
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}
