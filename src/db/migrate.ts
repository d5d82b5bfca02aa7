// Applies pending migrations. An advisory lock keeps two starting servers from racing.
import { systemClock, type Clock } from '../shared/index.js';
import { migrations, type Migration } from './migrations/index.js';
import { ensureEventPartitions, monthsAhead } from './partitions.js';
import type { Db } from './types.js';

const LOCK_ID = 4242_0001;

export async function migrate(db: Db, list: readonly Migration[] = migrations, clock: Clock = systemClock): Promise<number[]> {
  // Under the same lock as the migrations: two servers starting on a fresh database must not race.
  await db.transaction(async (tx) => {
    await tx.query('select pg_advisory_xact_lock($1)', [LOCK_ID]);
    await tx.query(`create table if not exists schema_migrations (
      version integer primary key, name text not null, applied_at timestamptz not null default now())`);
  });
  const applied: number[] = [];
  for (const m of list) {
    const done = await db.transaction(async (tx) => {
      await tx.query('select pg_advisory_xact_lock($1)', [LOCK_ID]);
      const seen = await tx.query('select 1 from schema_migrations where version = $1', [m.version]);
      if (seen.length > 0) return false;
      for (const statement of splitStatements(m.sql)) await tx.query(statement);
      await tx.query('insert into schema_migrations (version, name) values ($1, $2)', [m.version, m.name]);
      return true;
    });
    if (done) applied.push(m.version);
  }
  // Every start keeps a year of monthly event partitions ahead (a no-op before migration 11).
  const now = clock.now();
  await ensureEventPartitions(db, { from: now, until: monthsAhead(now, 12) });
  return applied;
}

// Whole-line comments go, then a ';' at a line end ends a statement, so each runs on its own inside
// the migration's transaction on both engines. Dollar-quoted bodies (functions, DO blocks) are kept
// whole, whatever they contain; quoted semicolons elsewhere are not supported.
export function splitStatements(sql: string): string[] {
  const statements: string[] = [];
  let current = '';
  let at = 0;
  while (at < sql.length) {
    const opener = /\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/g;
    opener.lastIndex = at;
    const open = opener.exec(sql);
    const [first, ...rest] = sql.slice(at, open ? open.index : sql.length).replace(/^\s*--.*$/gm, '').split(/;\s*$/m);
    current += first;
    for (const piece of rest) {
      statements.push(current);
      current = piece;
    }
    if (!open) break;
    const close = sql.indexOf(open[0], open.index + open[0].length);
    if (close < 0) throw new Error(`unterminated dollar quote ${open[0]} in a migration`);
    current += sql.slice(open.index, close + open[0].length);
    at = close + open[0].length;
  }
  statements.push(current);
  return statements.map((s) => s.trim()).filter((s) => s.length > 0);
}
