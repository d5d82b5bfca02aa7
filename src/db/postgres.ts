// A PostgreSQL server through node-postgres.
import pg from 'pg';
import type { Db, Queryable } from './types.js';

const INT8 = 20;
const NUMERIC = 1700;
const INT8_ARRAY = 1016;
const NUMERIC_ARRAY = 1231;
const typeParsers: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) => {
    if (oid === INT8 || oid === NUMERIC) return (v: string) => Number(v);
    if (oid === INT8_ARRAY || oid === NUMERIC_ARRAY) {
      const parseArray = pg.types.getTypeParser(oid as never, 'text') as (v: string) => Array<string | null>;
      return (v: string) => parseArray(v).map((x) => (x === null ? null : Number(x)));
    }
    return pg.types.getTypeParser(oid, format as 'text');
  }) as pg.CustomTypesConfig['getTypeParser'],
};

/**
 * How long an idle connection stays open. node-postgres closes it after 10 s by default, and a new
 * backend loads its catalog caches again on first use of each table: at a million awards, a panel
 * opened after a quiet spell took 80 ms instead of 45 on fresh connections. Ten idle connections
 * cost the server a few MB each.
 */
const IDLE_CONNECTION_MS = 10 * 60_000;

/** A setting's name and plain value, as the server's startup options take them (no quoting needed). */
const SETTING = /^[a-z_.]+$/;
const PLAIN_VALUE = /^[\w.]+$/;

export async function openPostgres(connectionString: string, max = 10): Promise<Db> {
  const newPool = (options?: string) => {
    const pool = new pg.Pool({ connectionString, max, types: typeParsers, idleTimeoutMillis: IDLE_CONNECTION_MS, ...(options ? { options } : {}) });
    // An idle client dropped by the server (restart, timeout) is removed from the pool and the next
    // query connects anew; without a listener the error would end the process.
    pool.on('error', () => undefined);
    return pool;
  };
  const pool = newPool();
  // Fail at start, with the server's own message, rather than on the first request.
  await pool.query('select 1');
  // Pools whose connections start with settings (withSettings), one per set of settings.
  const tuned = new Map<string, Db>();
  const main = dbOf(pool, (settings) => {
    const options = Object.entries(settings).map(([name, value]) => {
      if (!SETTING.test(name) || !PLAIN_VALUE.test(value)) throw new Error(`not a plain setting: ${name} = ${value}`);
      return `-c ${name}=${value}`;
    }).join(' ');
    let db = tuned.get(options);
    if (!db) tuned.set(options, (db = dbOf(newPool(options), () => { throw new Error('settings are given to the main pool'); })));
    return db;
  }, async () => {
    await Promise.all([...tuned.values()].map((db) => db.close()));
  });
  return main;
}

function dbOf(pool: pg.Pool, withSettings: Db['withSettings'], closeOthers: () => Promise<void> = async () => undefined): Db {
  const wrap = (c: pg.Pool | pg.PoolClient): Queryable => ({
    async query<T>(sql: string, params: readonly unknown[] = []) {
      const res = await c.query(sql, params as unknown[]);
      return res.rows as T[];
    },
  });
  const base = wrap(pool);
  return {
    kind: 'postgres',
    query: base.query,
    async exec(sql) {
      await pool.query(sql);
    },
    async transaction(fn, opts) {
      const client = await pool.connect();
      try {
        // the isolation level with the begin: one round trip, not two
        await client.query(opts?.repeatableRead ? 'begin isolation level repeatable read' : 'begin');
        const out = await fn(wrap(client));
        await client.query('commit');
        return out;
      } catch (err) {
        await client.query('rollback').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    withSettings,
    async close() {
      await closeOthers();
      await pool.end();
    },
  };
}
