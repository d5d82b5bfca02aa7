// Learner chains: the organisation's repeat earners and pathways without a sort of every award in
// learner order (at a million awards that sort and its window pass took 650 ms for pathways and
// 280 ms for repeat earners).
//
// Each learner's awards form chains, ordered by award time (ties: by id, or by badge within a
// pathway, as the per-award queries order them), one per test-account flag:
//   live     the awards not revoked;
//   path     the awards not revoked of one pathway;
//   step     every award of one pathway.
// award_links holds, per award, the award times of the one or two before it in each chain, and the
// badge before it in its step chain. Counting, for a window, only links that lie inside it:
//   learners with ≥ 1 award in W = awards in W whose predecessor is not in W (before it, or none);
//   learners with ≥ 2            = awards in W whose predecessor is in W and the one before it not
// (a learner's awards in W are a run of the chain); a step's learners are its awards in W, and its
// next steps are the step links inside W. So pathways become one pass over a window's pathway
// awards, grouped, with no sort by learner.
//
// Repeat earners read a rollup instead: learner_chain_days counts the live awards per day of award ×
// day of the one before (live1) and × day of the one two before (live2). Then for W
//   live(W) − pairs(W) learners with ≥ 1, and pairs(W) − triples(W) with ≥ 2
// (pairs: live1 units with both ends in W; triples: live2 units so), which a learner with k ≥ 1
// awards in W makes k − (k − 1) = 1 and (k − 1) − max(k − 2, 0). At a million awards that is 86,000
// day pairs (measured), where there are 250,000 learners; per pathway, day pairs hardly compress
// (about one award each), so pathways keep the pass over award_links (until 023's months). The partial days at a window's edges
// are counted from award_links (src/analytics/chain-repository.ts); expiry depends on now and is
// corrected there per learner with an expired award.
//
// A statement trigger on awards (and on badges, for pathway changes) recomputes the chains of the
// learners it touched from their awards and writes only the differences: a link row that changed is
// rewritten and its old contribution to the day counts taken back, so the result is that of the
// awards whatever order they came in. Two writers of one learner are serialised on the learner's
// users row (FOR NO KEY UPDATE: the awards' foreign-key checks take KEY SHARE, which it does not
// block; the paths that award, launch, completions and imports, already hold that lock from their
// users upsert), and the recompute reads after that lock, so under READ COMMITTED, which every
// writer here uses, it sees the other's committed awards. (Under REPEATABLE READ it would not.)
// Awards get a ninth index, partial: those not revoked with an expiry date.
// No line inside the function bodies ends in a semicolon (see 010's header).

const dayOf = (ts: string) => `(${ts} at time zone 'UTC')::date`;

/** The columns of a link row, in table order. */
const LINK_COLUMNS = ['tenant_id', 'award_id', 'user_id', 'is_test', 'awarded_at', 'badge_id', 'pathway', 'live',
  'prev_at', 'prev2_at', 'pw_prev_at', 'pw_prev2_at', 'step_prev_badge', 'step_prev_at'] as const;

/**
 * The count units of link row r, as a lateral values list: kind, and `other` applied to the award
 * time of the link's other end (null: none), with `applies` saying whether the row makes that unit.
 * The day rollup and the per-award edges of the queries both read the units from this one text.
 */
export function chainUnitsOf(r: string, other: (at: string) => string): string {
  return `(values ('live1', ${other(`${r}.prev_at`)}, ${r}.live), ('live2', ${other(`${r}.prev2_at`)}, ${r}.live and ${r}.prev2_at is not null))
    as u(kind, other, applies)`;
}

const linkList = LINK_COLUMNS.join(', ');
export const dayUnits = (table: string, sign: 1 | -1) => `select ${table}.tenant_id, ${table}.is_test, u.kind,
      ${dayOf(`${table}.awarded_at`)} as day, u.other as other_day, ${sign} as n
      from ${table} cross join lateral ${chainUnitsOf(table, (at) => `coalesce(${dayOf(at)}, '-infinity'::date)`)} where u.applies`;

/** The day rollup's statement: the units of the links added and taken back (`gone`), summed per cell. */
export const dayRollup = `insert into learner_chain_days as d (tenant_id, is_test, kind, day, other_day, n)
  select tenant_id, is_test, kind, day, other_day, sum(n)
  from (${dayUnits('added', 1)} union all ${dayUnits('gone', -1)}) units
  group by 1, 2, 3, 4, 5 having sum(n) <> 0 order by 1, 2, 3, 4, 5
  on conflict (tenant_id, is_test, kind, day, other_day) do update set n = d.n + excluded.n`;

/**
 * The refresh function: the links of the learners given recomputed, and the differences written,
 * then each rollup statement fed from them (each reads the CTEs `added` and `gone`; all but the last
 * run as data-modifying CTEs). Migration 023 replaces it with one more rollup.
 * Statements of the body start with '; ' on a line of their own, so no line ends in a semicolon.
 */
export function chainsRefresh(create: 'create' | 'create or replace', rollups: readonly string[]): string {
  const last = rollups.at(-1)!;
  const before = rollups.slice(0, -1).map((r, i) => `,\n  rollup${i + 1} as (${r})`).join('');
  return /* sql */ `${create} function learner_chains_refresh(tenant_ids uuid[], user_ids uuid[]) returns void language plpgsql as $fn$
begin
  if user_ids is null then return
  ; end if
  ; perform 1 from unnest(tenant_ids, user_ids) as x(t, v) join users u on u.tenant_id = x.t and u.id = x.v order by u.id for no key update of u
  ; with learners as (select distinct t as tenant_id, v as user_id from unnest(tenant_ids, user_ids) as x(t, v)),
  mine as (
    select a.tenant_id, a.id as award_id, a.user_id, a.is_test, a.awarded_at, a.badge_id, b.pathway collate "C" as pathway, a.revoked_at is null as live
    from learners l join awards a on a.tenant_id = l.tenant_id and a.user_id = l.user_id join badges b on b.id = a.badge_id),
  fresh as (
    select tenant_id, award_id, user_id, is_test, awarded_at, badge_id, pathway, live,
      case when live then lag(awarded_at) over live_chain end as prev_at,
      case when live then lag(awarded_at, 2) over live_chain end as prev2_at,
      case when live and pathway is not null then lag(awarded_at) over path_chain end as pw_prev_at,
      case when live and pathway is not null then lag(awarded_at, 2) over path_chain end as pw_prev2_at,
      case when pathway is not null then lag(badge_id) over step_chain end as step_prev_badge,
      case when pathway is not null then lag(awarded_at) over step_chain end as step_prev_at
    from mine
    window live_chain as (partition by tenant_id, user_id, is_test, live order by awarded_at, award_id),
      path_chain as (partition by tenant_id, user_id, is_test, pathway, live order by awarded_at, badge_id),
      step_chain as (partition by tenant_id, user_id, is_test, pathway order by awarded_at, badge_id)),
  old as (select ${LINK_COLUMNS.map((c) => `k.${c}`).join(', ')} from learners l join award_links k on k.tenant_id = l.tenant_id and k.user_id = l.user_id),
  gone as (select * from old except all select * from fresh),
  added as (select * from fresh except all select * from old),
  written as (
    insert into award_links as k (${linkList}) select ${linkList} from added order by tenant_id, award_id
    on conflict (tenant_id, award_id) do update set ${LINK_COLUMNS.filter((c) => c !== 'tenant_id' && c !== 'award_id').map((c) => `${c} = excluded.${c}`).join(', ')}),
  removed as (
    delete from award_links k using gone g
    where k.tenant_id = g.tenant_id and k.award_id = g.award_id and not exists (select 1 from fresh f where f.award_id = g.award_id))${before}
  ${last}
  ; end
$fn$;`;
}

const chainColumns = `tenant_id, id, user_id, is_test, awarded_at, badge_id, revoked_at is null as live`;
const trigger = (name: string, learners: string) => `create function ${name}() returns trigger language plpgsql as $fn$
begin
  perform learner_chains_refresh(array_agg(s.tenant_id), array_agg(s.user_id)) from (${learners}) s
  ; return null
; end
$fn$;`;

export const sql = /* sql */ `
-- No award may be written between the backfill and the triggers (as 013).
lock table awards in share row exclusive mode;
lock table badges in share row exclusive mode;

create table award_links (
  tenant_id        uuid not null references tenants(tenant_id),
  award_id         uuid not null,
  user_id          uuid not null,
  is_test          boolean not null,
  awarded_at       timestamptz not null,
  badge_id         uuid not null,
  pathway          text collate "C",
  live             boolean not null,
  prev_at          timestamptz,
  prev2_at         timestamptz,
  pw_prev_at       timestamptz,
  pw_prev2_at      timestamptz,
  step_prev_badge  uuid,
  step_prev_at     timestamptz,
  primary key (tenant_id, award_id)
);
create index award_links_learner on award_links (tenant_id, user_id);
-- a window's edge days and its pathway awards, each from an index alone
create index award_links_awarded on award_links (tenant_id, is_test, awarded_at) include (user_id, live, prev_at, prev2_at);
create index award_links_pathway on award_links (tenant_id, is_test, awarded_at) include (pathway, badge_id, user_id, live, pw_prev_at, pw_prev2_at, step_prev_badge, step_prev_at)
  where pathway is not null;

create table learner_chain_days (
  tenant_id   uuid not null references tenants(tenant_id),
  is_test     boolean not null,
  kind        text not null check (kind in ('live1', 'live2')),
  day         date not null,
  other_day   date not null,
  n           integer not null default 0,
  primary key (tenant_id, is_test, kind, day, other_day)
) with (fillfactor = 70);

-- the learners of a tenant with an expired award, whose chains the queries recount
create index awards_expiry on awards (tenant_id, valid_until) include (user_id, is_test) where revoked_at is null and valid_until is not null;

${chainsRefresh('create', [dayRollup])}

${trigger('learner_chains_inserted', 'select distinct tenant_id, user_id from new_awards')}

${trigger('learner_chains_deleted', 'select distinct tenant_id, user_id from old_awards')}

-- an update moves links only when an award's id, learner, test flag, time, badge or revocation
-- changed (signing and acceptance, the usual updates, change none: no learner, and refresh returns)
${trigger('learner_chains_updated', `select distinct x.tenant_id, x.user_id from (
      (select ${chainColumns} from old_awards except select ${chainColumns} from new_awards)
      union all (select ${chainColumns} from new_awards except select ${chainColumns} from old_awards)) x`)}

-- A pathway change waits for the award writers in flight (share mode), so that its recount sees
-- their awards; theirs read the badge before the change, and a later writer reads it after.
create function learner_chains_badges_updated() returns trigger language plpgsql as $fn$
begin
  if not exists (select 1 from new_badges n join old_badges o on o.id = n.id where n.pathway is distinct from o.pathway) then return null
  ; end if
  ; lock table awards in share mode
  ; perform learner_chains_refresh(array_agg(s.tenant_id), array_agg(s.user_id)) from (select distinct a.tenant_id, a.user_id
    from new_badges n join old_badges o on o.id = n.id join awards a on a.tenant_id = n.tenant_id and a.badge_id = n.id
    where n.pathway is distinct from o.pathway) s
  ; return null
; end
$fn$;

create trigger learner_chains_inserted after insert on awards referencing new table as new_awards
  for each statement execute function learner_chains_inserted();
create trigger learner_chains_updated after update on awards referencing old table as old_awards new table as new_awards
  for each statement execute function learner_chains_updated();
create trigger learner_chains_deleted after delete on awards referencing old table as old_awards
  for each statement execute function learner_chains_deleted();
create trigger learner_chains_badges_updated after update on badges referencing old table as old_badges new table as new_badges
  for each statement execute function learner_chains_badges_updated();

select learner_chains_refresh(array_agg(s.tenant_id), array_agg(s.user_id)) from (select distinct tenant_id, user_id from awards) s;
`;
