// PGlite: real PostgreSQL compiled to WebAssembly, in this process. One process per data dir.
import { mkdirSync } from 'node:fs';
import { PGlite, types, type Transaction } from '@electric-sql/pglite';
import type { Db, Queryable } from './types.js';

// bigint and numeric arrive as numbers from both engines (see pg.ts), so callers see one shape.
const parsers = {
  [types.INT8]: (v: string) => Number(v),
  [types.NUMERIC]: (v: string) => Number(v),
};

export interface PgliteOptions {
  /** A directory, or undefined for an in-memory database. */
  dataDir?: string;
  /** A dump of an already migrated database (tests clone one per file). */
  snapshot?: Blob;
}

export async function openPglite(opts: PgliteOptions = {}): Promise<Db & { dump(): Promise<Blob> }> {
  // PGlite does not create missing parent folders of its data directory.
  if (opts.dataDir) mkdirSync(opts.dataDir, { recursive: true });
  const pg = await PGlite.create({
    ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
    ...(opts.snapshot ? { loadDataDir: opts.snapshot } : {}),
    parsers,
  });
  const wrap = (q: PGlite | Transaction): Queryable => ({
    async query<T>(sql: string, params: readonly unknown[] = []) {
      const res = await q.query<T>(sql, params as unknown[]);
      return res.rows;
    },
  });
  const base = wrap(pg);
  const db: Db & { dump(): Promise<Blob> } = {
    kind: 'pglite',
    query: base.query,
    async exec(sql) {
      await pg.exec(sql);
    },
    transaction: (fn, opts) => pg.transaction(async (tx) => {
      if (opts?.repeatableRead) await tx.query('set transaction isolation level repeatable read');
      return fn(wrap(tx));
    }),
    withSettings: () => db,
    async close() {
      if (!pg.closed) await pg.close();
    },
    dump: () => pg.dumpDataDir('none'),
  };
  return db;
}
