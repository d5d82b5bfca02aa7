// An all-time rollup per course × module × badge × method × test account. An organisation's range
// of a year read every month's rows of award_month_counts (47k at a million awards, 89 ms of the
// server's time per panel) to sum them per badge; a range that holds most of the history reads
// these rows (about one month's worth) less the months and days outside it instead. Written by the
// statement that writes award_day_counts, as 019's coarser tables are, in the same table order.
// award_month_counts gets an index by month: without it every month read scanned all of the tenant's.
import { COUNTERS, list } from './013-daily-rollup.js';
import { rollupTriggerFunctions } from './015-leaner-count-triggers.js';
import { addTo, counterColumns, nonZero, upsertChannelsRolled, upsertCountsRolled } from './019-coarser-rollups.js';

const TOTAL_KEY = ['tenant_id', 'course_id', 'badge_id', 'module_id', 'method', 'is_test'];
const totals = addTo('award_total_counts', TOTAL_KEY, TOTAL_KEY.map((c) => `c.${c}`), COUNTERS);

export const sql = /* sql */ `
create table award_total_counts (
  tenant_id        uuid not null references tenants(tenant_id),
  course_id        uuid not null,
  badge_id         uuid not null,
  module_id        uuid not null,
  method           text not null,
  is_test          boolean not null,
${counterColumns}
  primary key (tenant_id, course_id, badge_id, module_id, method, is_test)
) with (fillfactor = 70);

-- the months outside a range, and a range's whole months, by month (its key starts with course and badge)
create index award_month_counts_month on award_month_counts (tenant_id, month);

-- No award or event may be written between the backfill and the new triggers (as 013).
lock table awards in share row exclusive mode;
lock table award_stats in share row exclusive mode;

${rollupTriggerFunctions({ counts: (units) => upsertCountsRolled(units, [totals]), channels: upsertChannelsRolled })}

insert into award_total_counts (${list(TOTAL_KEY)}, ${list(COUNTERS)})
select ${list(TOTAL_KEY)}, ${COUNTERS.map((c) => `sum(${c})`).join(', ')}
from award_month_counts group by ${TOTAL_KEY.map((_, i) => i + 1).join(', ')} having ${nonZero(COUNTERS.map((c) => `sum(${c})`))};
`;
