// Where a tenant's history starts in the organisation's rollups: the first day of tenant_day_counts
// (awards), of learner_chain_days (repeat earners) and the first month of pathway_link_months
// (pathways). Each only decides which of two exact ways to read a range reads fewer rows (all time
// less what lies outside the range, or the range itself), so a start a minute old costs at worst a
// slower answer, never a wrong one. Kept per tenant for KEPT_MS, and read in one statement for
// all three, not one before each of three aggregates.
import { performance } from 'node:perf_hooks';
import type { Queryable } from '../db/index.js';

/** Days since 1970-01-01 (a month: its first day), null where the table holds nothing of the tenant's. */
export interface HistoryFirsts { day: number | null; chainDay: number | null; pathwayMonth: number | null }

const KEPT_MS = 60_000;

export function historyFirsts(db: Queryable): (tenantId: string) => Promise<HistoryFirsts> {
  const kept = new Map<string, { at: number; firsts: Promise<HistoryFirsts> }>();
  return (tenantId) => {
    const now = performance.now();
    const hit = kept.get(tenantId);
    if (hit && now - hit.at < KEPT_MS) return hit.firsts;
    // test accounts' rows too: a start at most a little early, for either setting of includeTest
    const firsts = db.query<HistoryFirsts>(`select
        (select min(day) - date '1970-01-01' from tenant_day_counts where tenant_id = $1 and awarded <> 0) as day,
        (select min(day) - date '1970-01-01' from learner_chain_days where tenant_id = $1 and not is_test and kind = 'live1') as "chainDay",
        (select min(month) - date '1970-01-01' from pathway_link_months where tenant_id = $1 and not is_test) as "pathwayMonth"`, [tenantId])
      .then((rows) => rows[0]!);
    kept.set(tenantId, { at: now, firsts });
    firsts.catch(() => kept.delete(tenantId));
    return firsts;
  };
}
