// All-time pathway units per step, kind and step before: pathway_link_months summed over its months.
// An organisation's year read every cell "x from G" of 023 (37k at a million awards, 25 ms of the
// server's time per panel) to sum them into 2,100 rows per step; a range starting early in the
// history reads these rows less the few cells with x before G instead (src/analytics/chain-repository.ts).
// Fed by the learner chains' refresh from the same differences of links as the months, after them.
// No line inside the function bodies ends in a semicolon (see 010's header).
import { chainsRefresh, dayRollup } from './022-learner-chains.js';
import { CELL, monthRollup, pathwayUnitsOf } from './023-pathway-link-months.js';

const TOTAL = CELL.filter((c) => c !== 'month' && c !== 'award_month');
const totalList = TOTAL.join(', ');
const positions = TOTAL.map((_, i) => i + 1).join(', ');
const totalUnits = (table: string, sign: 1 | -1) => `select ${table}.tenant_id, ${table}.is_test, ${table}.pathway, ${table}.badge_id, u.kind, u.prev_badge, ${sign} as n
      from ${table} cross join lateral ${pathwayUnitsOf(table, (at) => at)} where ${table}.pathway is not null and u.applies`;

export const totalRollup = `insert into pathway_link_totals as t (${totalList}, n)
  select ${totalList}, sum(n)
  from (${totalUnits('added', 1)} union all ${totalUnits('gone', -1)}) units
  group by ${positions} having sum(n) <> 0 order by ${positions}
  on conflict (${totalList}) do update set n = t.n + excluded.n`;

export const sql = /* sql */ `
-- No award or pathway may change between the backfill and the new refresh (as 023).
lock table awards in share row exclusive mode;
lock table badges in share row exclusive mode;

create table pathway_link_totals (
  tenant_id    uuid not null references tenants(tenant_id),
  is_test      boolean not null,
  pathway      text collate "C" not null,
  badge_id     uuid not null,
  kind         text not null,
  prev_badge   uuid not null,
  n            integer not null default 0,
  primary key (${totalList})
) with (fillfactor = 70);

${chainsRefresh('create or replace', [dayRollup, monthRollup, totalRollup])}

insert into pathway_link_totals (${totalList}, n)
select ${totalList}, sum(n) from pathway_link_months group by ${positions} having sum(n) <> 0;
`;
