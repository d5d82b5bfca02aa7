// Monthly partitions of `events` (migration 011), created ahead of time so that new events land in
// their month's partition rather than in events_default. The DDL itself is the database function
// ensure_event_partitions, which the migration also uses; this runs it under a lock.
import type { Db } from './types.js';

// Two servers starting at once on one PostgreSQL must not both create the same partition.
const LOCK_ID = 4242_0002;

export interface EventPartitionReport {
  /** Months (YYYY-MM) whose partition was created now. */
  created: string[];
  /** Months left to events_default because it already holds events of theirs (moving them is not done). */
  skipped: string[];
}

/**
 * Makes sure every month from `from` to `until` (both included, in UTC) has its partition. Idempotent;
 * does nothing while `events` is not partitioned (a database not yet migrated to 11).
 */
export async function ensureEventPartitions(db: Db, range: { from: Date; until: Date }): Promise<EventPartitionReport> {
  return db.transaction(async (tx) => {
    await tx.query('select pg_advisory_xact_lock($1)', [LOCK_ID]);
    const partitioned = await tx.query(`select 1 from pg_partitioned_table where partrelid = to_regclass('events')`);
    if (partitioned.length === 0) return { created: [], skipped: [] };
    const rows = await tx.query<{ month: string; created: boolean }>('select month, created from ensure_event_partitions($1, $2) order by month', [
      range.from,
      range.until,
    ]);
    return { created: rows.filter((r) => r.created).map((r) => r.month), skipped: rows.filter((r) => !r.created).map((r) => r.month) };
  });
}

/** The first instant (UTC) of the month `n` months after the month of `d`. */
export function monthsAhead(d: Date, n: number): Date {
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + n, 1));
}
