// Pathway link months: the organisation's pathways from a rollup per month instead of a pass over
// every pathway award of the range (at a million awards that pass took about 0.3 s: 488k links
// hashed by step).
//
// Every figure of a pathway for a range [F, T] counts an award's links that lie inside it: a step's
// learners are its awards in [F, T], the next steps its step links with both ends in it, and a
// learner's first and second live award of the pathway in it are the live awards whose predecessor
// (and the one before that) lies before F. As the other end x of a link is never later than the
// award's own time t, "both in [F, T]" is "x ≥ F and t ≤ T", a count of two thresholds. So per
// pathway step (and step before, for step links), kind of unit, month of x and month of t:
//   award   every award (x = t)          step    its step link (x: the step before's time)
//   live    every live award (x = t)     path1   its live link (x: the live award before it)
//                                        path2   the link two back (x: the one two before)
// and then, for the range's pathway rows (src/analytics/chain-repository.ts):
//   learners of a step  = award − Σ step   (those whose step before is in range: per next step)
//   first live awards   = live − path1,    second live awards = path1 − path2.
// The whole months answer "x ≥ G and t ≤ T" for a month start G next to F (x on or after G) where
// T's month is not reached (t before the start of T's month); award_links answers the rest: awards
// of T's month up to T, and the links whose x lies between F and G, added or taken back (three
// partial indexes find them by x). At a million awards a year: one row per badge pair × month pair
// with an award, against 488k links.
//
// learner_chains_refresh (022) is replaced by one that feeds this rollup too, from the same
// differences of links it already writes, so that the months follow every change as the days do.
// No line inside the function bodies ends in a semicolon (see 010's header).
import { chainsRefresh, dayRollup } from './022-learner-chains.js';

const NO_BADGE = `'00000000-0000-0000-0000-000000000000'::uuid`;
const monthOf = (ts: string) => `date_trunc('month', ${ts} at time zone 'UTC')::date`;

/**
 * The units of a pathway link: its kind, the badge before it (step links; the nil uuid otherwise),
 * the award_links column of its other end x, and its condition beyond having one. pw_prev_at and
 * pw_prev2_at are set on live awards only (022), so they need no condition of their own.
 */
export const PATHWAY_UNITS = [
  { kind: 'award', prev: null, other: 'awarded_at', only: null },
  { kind: 'live', prev: null, other: 'awarded_at', only: 'live' },
  { kind: 'step', prev: 'step_prev_badge', other: 'step_prev_at', only: null },
  { kind: 'path1', prev: null, other: 'pw_prev_at', only: null },
  { kind: 'path2', prev: null, other: 'pw_prev2_at', only: null },
] as const;
export type PathwayUnitKind = (typeof PATHWAY_UNITS)[number]['kind'];

/** The badge before of unit u of link row r, as SQL. */
export const prevBadgeOf = (r: string, u: (typeof PATHWAY_UNITS)[number]) => (u.prev ? `coalesce(${r}.${u.prev}, ${NO_BADGE})` : NO_BADGE);

/**
 * The units of pathway link row r (its pathway not null), as a lateral values list: kind,
 * prev_badge, `other` applied to x's time, and whether the row makes that unit. The month rollup
 * and the queries' edges both read the units from this one text.
 */
export function pathwayUnitsOf(r: string, other: (at: string) => string): string {
  const rows = PATHWAY_UNITS.map((u) => `('${u.kind}', ${prevBadgeOf(r, u)}, ${other(`${r}.${u.other}`)}, ${r}.${u.other} is not null${u.only ? ` and ${r}.${u.only}` : ''})`);
  return `(values ${rows.join(', ')}) as u(kind, prev_badge, other, applies)`;
}

export const CELL = ['tenant_id', 'is_test', 'month', 'award_month', 'pathway', 'badge_id', 'kind', 'prev_badge'] as const;
const cellList = CELL.join(', ');
const monthUnits = (table: string, sign: 1 | -1) => `select ${table}.tenant_id, ${table}.is_test, u.other as month, ${monthOf(`${table}.awarded_at`)} as award_month,
      ${table}.pathway, ${table}.badge_id, u.kind, u.prev_badge, ${sign} as n
      from ${table} cross join lateral ${pathwayUnitsOf(table, monthOf)} where ${table}.pathway is not null and u.applies`;
const positions = CELL.map((_, i) => i + 1).join(', ');

export const monthRollup = `insert into pathway_link_months as m (${cellList}, n)
  select ${cellList}, sum(n)
  from (${monthUnits('added', 1)} union all ${monthUnits('gone', -1)}) units
  group by ${positions} having sum(n) <> 0 order by ${positions}
  on conflict (${cellList}) do update set n = m.n + excluded.n`;

export const sql = /* sql */ `
-- No award or pathway may change between the backfill and the new refresh (as 022).
lock table awards in share row exclusive mode;
lock table badges in share row exclusive mode;

create table pathway_link_months (
  tenant_id    uuid not null references tenants(tenant_id),
  is_test      boolean not null,
  month        date not null,
  award_month  date not null,
  pathway      text collate "C" not null,
  badge_id     uuid not null,
  kind         text not null check (kind in (${PATHWAY_UNITS.map((u) => `'${u.kind}'`).join(', ')})),
  prev_badge   uuid not null,
  n            integer not null default 0,
  primary key (${cellList})
) with (fillfactor = 70);

-- the links whose other end lies in a range's partial first month, from an index alone
create index award_links_step_prev on award_links (tenant_id, is_test, step_prev_at) include (pathway, badge_id, step_prev_badge, awarded_at) where step_prev_at is not null;
create index award_links_path_prev on award_links (tenant_id, is_test, pw_prev_at) include (pathway, badge_id, awarded_at) where pw_prev_at is not null;
create index award_links_path_prev2 on award_links (tenant_id, is_test, pw_prev2_at) include (pathway, badge_id, awarded_at) where pw_prev2_at is not null;

${chainsRefresh('create or replace', [dayRollup, monthRollup])}

insert into pathway_link_months (${cellList}, n)
select k.tenant_id, k.is_test, u.other, ${monthOf('k.awarded_at')}, k.pathway, k.badge_id, u.kind, u.prev_badge, count(*)
from award_links k cross join lateral ${pathwayUnitsOf('k', monthOf)}
where k.pathway is not null and u.applies
group by ${positions};
`;
