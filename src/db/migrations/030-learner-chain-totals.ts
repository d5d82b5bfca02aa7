// All-time repeat-earner units per kind, with and without a link's other end: learner_chain_days
// summed over its day pairs. Every organisation panel asks for all time and for a range ending
// now, and both read nearly every one of the 78k day pairs of a million awards (22 ms of the
// server's time per panel); as these rows less the day pairs before the range's first day and
// after its last they read a few hundred (src/analytics/chain-repository.ts). The day pairs get an
// index by their other end for "other end before the first day". Fed by the learner chains'
// refresh from the same differences of links, last.
// No line inside the function bodies ends in a semicolon (see 010's header).
import { chainsRefresh, dayRollup, dayUnits } from './022-learner-chains.js';
import { monthRollup } from './023-pathway-link-months.js';
import { totalRollup } from './029-pathway-link-totals.js';

const LINKED = `other_day > '-infinity'::date`;

export const chainTotalRollup = `insert into learner_chain_totals as t (tenant_id, is_test, kind, linked, n)
  select tenant_id, is_test, kind, ${LINKED}, sum(n)
  from (${dayUnits('added', 1)} union all ${dayUnits('gone', -1)}) units
  group by 1, 2, 3, 4 having sum(n) <> 0 order by 1, 2, 3, 4
  on conflict (tenant_id, is_test, kind, linked) do update set n = t.n + excluded.n`;

export const sql = /* sql */ `
-- No award or pathway may change between the backfill and the new refresh (as 023).
lock table awards in share row exclusive mode;
lock table badges in share row exclusive mode;

create table learner_chain_totals (
  tenant_id  uuid not null references tenants(tenant_id),
  is_test    boolean not null,
  kind       text not null,
  linked     boolean not null,
  n          integer not null default 0,
  primary key (tenant_id, is_test, kind, linked)
) with (fillfactor = 70);

create index learner_chain_days_other on learner_chain_days (tenant_id, is_test, kind, other_day) include (day, n);

${chainsRefresh('create or replace', [dayRollup, monthRollup, totalRollup, chainTotalRollup])}

insert into learner_chain_totals (tenant_id, is_test, kind, linked, n)
select tenant_id, is_test, kind, ${LINKED}, sum(n) from learner_chain_days group by 1, 2, 3, 4 having sum(n) <> 0;
`;
