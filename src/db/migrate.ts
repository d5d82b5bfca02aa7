// Applies pending migrations. An advisory lock keeps two starting servers from racing.
import { migrations, type Migration } from './migrations/index.js';
import type { Db } from './types.js';

const LOCK_ID = 4242_0001;

export async function migrate(db: Db, list: readonly Migration[] = migrations): Promise<number[]> {
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
  return applied;
}

// Our migrations contain no functions or quoted semicolons, so, once whole-line comments are gone,
// a split on ';' at line ends runs them statement by statement inside one transaction on both engines.
function splitStatements(sql: string): string[] {
  return sql
    .replace(/^\s*--.*$/gm, '')
    .split(/;\s*$/m)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
