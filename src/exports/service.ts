// The exports of PRODUCT.md §7 (`/api/v1/exports/:dataset.(csv|xlsx)`): awards and events streamed
// from keyset pages; badges and modules computed by the analytics service, so the numbers are the API's.
import type { Writable } from 'node:stream';
import type { Analytics, AnalyticsQuery } from '../analytics/index.js';
import type { Queryable } from '../db/index.js';
import type { Clock } from '../shared/index.js';
import {
  AWARD_COLUMNS, BADGE_COLUMNS, EVENT_COLUMNS, MODULE_COLUMNS, awardCells, eventCells, pick, type Cell, type Dataset, type Table,
} from './datasets.js';
import { exportsRepository, type AwardCursor, type AwardFilter } from './repository.js';
import { writeTable, type Format, type Outcome } from './writers.js';

export const DEFAULT_PAGE_SIZE = 1000;

export interface ExportsDeps {
  db: Queryable;
  analytics: Pick<Analytics, 'compute'>;
  clock: Clock;
  /** Rows per database query; tests use a small page to cross many page boundaries. */
  pageSize?: number;
}

export function createExports(deps: ExportsDeps) {
  const repo = exportsRepository(deps.db);
  const pageSize = deps.pageSize ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(pageSize) || pageSize < 1) throw new RangeError('pageSize must be a positive integer');

  const filterOf = (q: AnalyticsQuery): AwardFilter => ({
    tenantId: q.tenantId, courseId: q.courseId ?? null, badgeId: q.badgeId ?? null, includeTest: q.includeTest,
    from: q.from, to: q.to, ...(q.status ? { status: q.status } : {}), now: deps.clock.now(),
  });

  async function* awardPages(f: AwardFilter): AsyncGenerator<Cell[][]> {
    let after: AwardCursor | null = null;
    for (;;) {
      const rows = await repo.awardsPage(f, after, pageSize);
      if (rows.length) yield rows.map(awardCells);
      const last = rows.at(-1);
      if (!last || rows.length < pageSize) return;
      after = { at: last.cursor_at, id: last.id };
    }
  }

  async function* eventPages(f: AwardFilter): AsyncGenerator<Cell[][]> {
    let after: number | null = null;
    for (;;) {
      const rows = await repo.eventsPage(f, after, pageSize);
      if (rows.length) yield rows.map(eventCells);
      const last = rows.at(-1);
      if (!last || rows.length < pageSize) return;
      after = last.id;
    }
  }

  async function* onePage(rows: Cell[][]): AsyncGenerator<Cell[][]> {
    if (rows.length) yield rows;
  }

  return {
    /** The dataset for this query. Badges and modules are computed now (a few rows per badge or module). */
    async table(dataset: Dataset, q: AnalyticsQuery): Promise<Table> {
      if (dataset === 'awards') return { name: dataset, columns: AWARD_COLUMNS, pages: awardPages(filterOf(q)) };
      if (dataset === 'events') return { name: dataset, columns: EVENT_COLUMNS, pages: eventPages(filterOf(q)) };
      const result = await deps.analytics.compute(q);
      return dataset === 'badges'
        ? { name: dataset, columns: BADGE_COLUMNS, pages: onePage(pick(result.badges, BADGE_COLUMNS)) }
        : { name: dataset, columns: MODULE_COLUMNS, pages: onePage(pick(result.modules, MODULE_COLUMNS)) };
    },

    /** Writes the dataset to `out` and ends it; 'aborted' when `out` closed first (nothing more is read). */
    async write(out: Writable, format: Format, table: Table): Promise<Outcome> {
      return writeTable(out, format, table);
    },

    fileName(dataset: Dataset, format: Format): string {
      return `badgetrail-${dataset}-${deps.clock.now().toISOString().slice(0, 10)}.${format}`;
    },
  };
}

export type Exports = ReturnType<typeof createExports>;
