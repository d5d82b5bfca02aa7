// The organisation's repeat earners and pathways from the learner chains of migration 022, without
// test accounts: repeat earners from the day-pair rollup and the edge days' links, pathways from the
// month rollup of 023 and the edge months' links (of a few learners: one pass over their links).
import { chainUnitsOf, PATHWAY_UNITS, pathwayUnitsOf, prevBadgeOf, type PathwayUnitKind, type Queryable } from '../db/index.js';
import { Params, type AwardFilter } from './scoped-awards.js';
import { DAY, firstMonthFrom, inWindow, isoDay, monthStartOf, onPartialDays, wholeDaysOf, type Window } from './windows.js';

export type ChainKind = 'live1' | 'live2';

/** Window w's units of a kind: `all` of its awards, `inside` those whose link's other end is in it too. */
export interface ChainUnits { w: number; kind: ChainKind; all: number; inside: number }

/**
 * Per pathway step (and step before, when it lies in the range): awards, and first and second live
 * awards of a learner in the range. `firsts` and `seconds` mean something only summed per pathway:
 * the two ways of counting put them on different rows of a step.
 */
export interface PathwayLinkRow { pathway: string; badge_id: string; prev_badge_id: string | null; n: number; firsts: number; seconds: number }

/**
 * The units of award_links rows (alias k) matching `where`, per award: `inside` applied to the other
 * end's time; the awards themselves counted unless `linksOnly` (another part counts them).
 */
const linkUnits = (i: number, from: string, where: string, inside: (other: string) => string, { linksOnly = false } = {}) =>
  `select ${i} as w, u.kind, ${linksOnly ? '0' : 'count(*)'}::int as all_n, count(*) filter (where ${inside('u.other')})::int as inside_n
    from ${from} cross join lateral ${chainUnitsOf('k', (at) => at)}
    where ${where} and u.applies group by 2`;

/** Window i's whole days (days since 1970-01-01; null: open), which learner_chain_days answers. */
interface ChainDays { i: number; first: number | null; last: number | null }

const LINKED = `d.other_day > '-infinity'::date`;
/** Both kinds named: the day pairs' keys put kind before day (and before other_day), so an index reads a range of days per kind only with it. */
const BOTH_KINDS = `d.kind in ('live1', 'live2')`;

/** "On one of the window's whole days", and "with the link's other end in the window too", on learner_chain_days d. */
function chainDaysConditions(w: ChainDays, p: Params): { days: string; inside: string } {
  const first = w.first === null ? null : p.add(isoDay(w.first), '::date');
  const bounds = [...(first ? [`d.day >= ${first}`] : []), ...(w.last === null ? [] : [`d.day <= ${p.add(isoDay(w.last), '::date')}`])];
  return { days: bounds.join(' and ') || 'true', inside: first ? `d.other_day >= ${first}` : LINKED };
}

/**
 * The windows' units from learner_chain_days in one pass over the rows any of them holds, summed
 * per window by filters (a pass per window read the table once for each of the range, the
 * previous one and all time: three scans of 78k rows at a million awards).
 */
function chainDaysPart(f: AwardFilter, windows: readonly ChainDays[], p: Params): string {
  const conditions = windows.map((w) => chainDaysConditions(w, p));
  const sums = windows.map((w, j) => `coalesce(sum(d.n) filter (where ${conditions[j]!.days}), 0)::int as all${w.i}, coalesce(sum(d.n) filter (where ${conditions[j]!.days} and ${conditions[j]!.inside}), 0)::int as inside${w.i}`);
  return `select v.w, s.kind, v.all_n, v.inside_n from (
      select d.kind, ${sums.join(', ')} from learner_chain_days d
      where d.tenant_id = ${p.add(f.tenantId)} and not d.is_test and ${BOTH_KINDS} and (${conditions.map((c) => `(${c.days})`).join(' or ')}) group by d.kind) s
    cross join lateral (values ${windows.map((w) => `(${w.i}, s.all${w.i}, s.inside${w.i})`).join(', ')}) as v(w, all_n, inside_n)`;
}

/**
 * A window's units as all time's (migration 030) less the day pairs outside it: those before its
 * first day, those whose other end is before it, and those after its last day.
 */
function chainTotalsParts(f: AwardFilter, w: ChainDays, p: Params): string[] {
  const scope = `d.tenant_id = ${p.add(f.tenantId)} and not d.is_test and ${BOTH_KINDS}`;
  const parts = [`select ${w.i} as w, d.kind, d.n as all_n, case when d.linked then d.n else 0 end as inside_n from learner_chain_totals d where ${scope} and d.n <> 0`];
  const first = w.first === null ? null : p.add(isoDay(w.first), '::date');
  if (first) {
    parts.push(`select ${w.i}, d.kind, -sum(d.n)::int, 0 from learner_chain_days d where ${scope} and d.day < ${first} group by 2`,
      `select ${w.i}, d.kind, 0, -sum(d.n)::int from learner_chain_days d where ${scope} and d.other_day < ${first} and ${LINKED} group by 2`);
  }
  if (w.last !== null) {
    parts.push(`select ${w.i}, d.kind, -sum(d.n)::int, -coalesce(sum(d.n) filter (where ${first ? `d.other_day >= ${first}` : LINKED}), 0)::int
      from learner_chain_days d where ${scope} and d.day > ${p.add(isoDay(w.last), '::date')} group by 2`);
  }
  return parts;
}

/**
 * Whether a window reads fewer day pairs as all time's less those outside it, the history's first
 * day given: the days before its first are read twice (by day and by other end), as are the days
 * after its last up to today.
 */
function readsLessAsChainTotals(w: ChainDays, firstDay: number, today: number): boolean {
  const [from, to] = [Math.max(w.first ?? firstDay, firstDay), Math.min(w.last ?? today, today)];
  const outside = 2 * Math.max(0, (w.first ?? firstDay) - firstDay) + 2 * Math.max(0, today - (w.last ?? today));
  return outside < to - from + 1;
}

/** The SQL parts whose sums are window i's units, and its whole days for chainDaysPart. */
function windowParts(f: AwardFilter, w: Window, i: number, p: Params, learners?: readonly string[]): { parts: string[]; days?: ChainDays } {
  const links = [`k.tenant_id = ${p.add(f.tenantId)}`, 'not k.is_test'];
  const from = w.from ? p.add(w.from, '::timestamptz') : null;
  const inside = (other: string) => (from ? `${other} >= ${from}` : `${other} is not null`);
  // the learners given: every award of theirs in the window, one by one
  if (learners) return { parts: [linkUnits(i, 'award_links k', [...links, `k.user_id = any(${p.add(learners, '::uuid[]')})`, inWindow(w, p, 'k.awarded_at')].join(' and '), inside)] };
  const days = wholeDaysOf(w);
  // the awards on the window's partial days (all of them, if it holds no whole day)
  const parts = [linkUnits(i, 'award_links k', [...links, onPartialDays(w, p, 'k.awarded_at')].join(' and '), inside)];
  if (!days) return { parts };
  const chainDays = { i, first: days.first, last: days.last };
  // links of awards on whole days whose other end lies on the partial first day, after `from`:
  // found from the few learners with an award there
  if (w.from && days.first !== null && w.from.getTime() < days.first * DAY) {
    const edge = p.add(new Date(days.first * DAY), '::timestamptz');
    const onEdge = `(select distinct e.user_id from award_links e where e.tenant_id = ${p.add(f.tenantId)} and not e.is_test and e.awarded_at >= ${from} and e.awarded_at < ${edge}) edge
      cross join lateral (select * from award_links k where ${links.join(' and ')} and k.user_id = edge.user_id) k`;
    const wholeDays = [`k.awarded_at >= ${edge}`, ...(days.last === null ? [] : [`k.awarded_at < ${p.add(new Date((days.last + 1) * DAY), '::timestamptz')}`])];
    parts.push(linkUnits(i, onEdge, wholeDays.join(' and '), (other) => `${other} >= ${from} and ${other} < ${edge}`, { linksOnly: true }));
  }
  return { parts, days: chainDays };
}

/** Months since year 0 of an instant's UTC month. */
const monthIndex = (ms: number) => new Date(ms).getUTCFullYear() * 12 + new Date(ms).getUTCMonth();

/**
 * The range's pathway units ("x ≥ F and t ≤ T", see migration 023) per step, kind and step before,
 * counted from a month start G next to F: the whole months' cells (x from G, t before the start of
 * T's month) and the awards of T's month up to T with x from G, or, for a range ending nearer now
 * than the start of its month, every month's cells with x from G (or all time's less those before
 * G, given the month of the history's first cell) less the awards after T; and the links with x
 * between F and G, per unit from the index on its x: added where G is the first month start after
 * F, taken back where it is the start of F's own month, whichever leaves fewer days between them (a
 * range from 2 December reads 1 December's links, not 2–31 December's).
 */

function monthParts(f: AwardFilter, range: { from: Date; to: Date }, firstCellMonth: number | null): [string, unknown[]] {
  const p = new Params();
  const F = range.from.getTime();
  const [after, before] = [firstMonthFrom(F), monthStartOf(F)];
  const G = after - F <= F - before ? after : before;
  const T = range.to.getTime();
  const lastMonth = monthStartOf(T);
  const tenant = p.add(f.tenantId);
  const to = p.add(range.to, '::timestamptz');
  const links = `k.tenant_id = ${tenant} and not k.is_test and k.pathway is not null`;
  const parts: string[] = [];
  if (G <= lastMonth) {
    const first = p.add(new Date(G), '::timestamptz');
    // as dates from text: a timestamptz's date would be in the session's time zone
    const month = (ms: number) => p.add(new Date(ms).toISOString().slice(0, 10), '::date');
    const cells = (awardMonths: string) => `select pathway, badge_id, kind, prev_badge, sum(n)::int as n from pathway_link_months
        where tenant_id = ${tenant} and not is_test and month >= ${month(G)}${awardMonths} group by 1, 2, 3, 4`;
    const units = (sign: '' | '-', awarded: string) => `select k.pathway, k.badge_id, u.kind, u.prev_badge, ${sign}count(*)::int as n from award_links k cross join lateral ${pathwayUnitsOf('k', (at) => at)}
      where ${links} and ${awarded} and u.applies and u.other >= ${first} group by 1, 2, 3, 4`;
    if (f.now.getTime() - T < T - lastMonth) {
      // "t ≤ T" as every award month less the awards after T: fewer than those of T's month before it
      // (none after a range ending now); and "x from G" as all time (migration 029) less the cells
      // before G, when those are fewer months than the ones from G
      const totals = firstCellMonth !== null && monthIndex(G) - monthIndex(firstCellMonth) < monthIndex(f.now.getTime()) + 1 - monthIndex(G);
      const all = totals ? [`select pathway, badge_id, kind, prev_badge, n from pathway_link_totals where tenant_id = ${tenant} and not is_test and n <> 0`,
        `select pathway, badge_id, kind, prev_badge, -sum(n)::int as n from pathway_link_months
          where tenant_id = ${tenant} and not is_test and month < ${month(G)} group by 1, 2, 3, 4`] : [cells('')];
      parts.push(...all, units('-', `k.awarded_at > ${to}`));
    } else {
      if (G < lastMonth) parts.push(cells(` and award_month < ${month(lastMonth)}`));
      parts.push(units('', `k.awarded_at >= ${p.add(new Date(lastMonth), '::timestamptz')} and k.awarded_at <= ${to}`));
    }
  }
  if (G !== F) {
    const [low, high] = G > F ? [F, G] : [G, F];
    const [from, until] = [p.add(new Date(low), '::timestamptz'), p.add(new Date(high), '::timestamptz')];
    for (const u of PATHWAY_UNITS) {
      parts.push(`select k.pathway, k.badge_id, '${u.kind}' as kind, ${prevBadgeOf('k', u)} as prev_badge, ${G > F ? '' : '-'}count(*)::int as n from award_links k
        where ${links} and k.${u.other} >= ${from} and k.${u.other} < ${until} and k.awarded_at <= ${to}${u.only ? ` and k.${u.only}` : ''} group by 1, 2, 4`);
    }
  }
  return [rowsOfUnits(parts.join('\n union all ')), p.values];
}

/**
 * The pathway rows (PathwayLinkRow) of the units of `parts`, summed in SQL: per step, its learners
 * whose step before is not in the range (its awards less its step links) and its first and second
 * live awards (live − path1, path1 − path2; migration 023); per step and step before, the step
 * links. Less than half as many rows as per unit kind reach Node, without the nil badges.
 */
function rowsOfUnits(parts: string): string {
  const sum = (kind: PathwayUnitKind) => `coalesce(sum(n) filter (where kind = '${kind}'), 0)`;
  const own = (value: string, otherwise: string) => `(case when grouping(prev_badge) = 1 then ${value} else ${otherwise} end)::int`;
  return `select pathway, badge_id, prev_badge_id, n, firsts, seconds from (
      select pathway, badge_id, case when grouping(prev_badge) = 0 then prev_badge end as prev_badge_id,
        ${own(`${sum('award')} - ${sum('step')}`, sum('step'))} as n, ${own(`${sum('live')} - ${sum('path1')}`, '0')} as firsts,
        ${own(`${sum('path1')} - ${sum('path2')}`, '0')} as seconds
      from (${parts}) parts group by grouping sets ((pathway, badge_id), (pathway, badge_id, prev_badge))) r
    where n <> 0 or firsts <> 0 or seconds <> 0`;
}

type UnitsRow = { w: number; kind: ChainKind; all_n: number; inside_n: number };
const unitsOf = (rows: readonly UnitsRow[]): ChainUnits[] => rows.map((r) => ({ w: r.w, kind: r.kind, all: r.all_n, inside: r.inside_n }));

/** An award (of a learner not a test account) not revoked and expired by now, with the tenant and now as parameters $t and $n. */
const expiredAward = (t: number, n: number) => `tenant_id = $${t} and revoked_at is null and valid_until is not null and valid_until <= $${n}::timestamptz and not is_test`;

interface Unexpired { any_expired: boolean; row_of_query: boolean | null }

/**
 * A query's rows with, on each, whether a learner has an expired award (and a row of nulls but that
 * when it has none): one statement, so that the rows and the check see one snapshot and need no
 * transaction around them (three round trips fewer), and the rows are only read when none has.
 */
function unlessExpiredQuery(f: AwardFilter, [sql, values]: [string, unknown[]]): [string, unknown[]] {
  const [t, n] = [values.length + 1, values.length + 2];
  return [`select e.any_expired, q.* from (select exists (select 1 from awards where ${expiredAward(t, n)}) as any_expired) e
    left join (select true as row_of_query, rows.* from (${sql}) rows) q on not e.any_expired`, [...values, f.tenantId, f.now]];
}

/** The rows of an unlessExpiredQuery, or null if a learner has an expired award. */
const unlessExpired = <R extends Unexpired>(rows: readonly R[]): R[] | null => (rows[0]!.any_expired ? null : rows.filter((r) => r.row_of_query));

export function chainRepository(db: Queryable) {
  /** The SQL of units(); `firstDay`, the history's (HistoryFirsts.chainDay), picks the windows read as all time less what lies outside them. */
  function unitsQuery(f: AwardFilter, windows: readonly Window[], firstDay: number | null, learners?: readonly string[]): [string, unknown[]] {
    const p = new Params();
    const perWindow = windows.map((w, i) => windowParts(f, w, i, p, learners));
    const days = perWindow.flatMap((x) => (x.days ? [x.days] : []));
    const today = Math.floor(f.now.getTime() / DAY);
    const asTotals = days.filter((d) => firstDay !== null && readsLessAsChainTotals(d, firstDay, today));
    const direct = days.filter((d) => !asTotals.includes(d));
    const parts = [...perWindow.flatMap((x) => x.parts), ...asTotals.flatMap((d) => chainTotalsParts(f, d, p)), ...(direct.length ? [chainDaysPart(f, direct, p)] : [])];
    return [`select w, kind, sum(all_n)::int as all_n, sum(inside_n)::int as inside_n from (${parts.join('\n union all ')}) parts group by 1, 2`, p.values];
  }

  return {
    /** The units of each window, of the learners given (from award_links alone), or of all; `firstDay` as unitsQuery's. */
    async units(f: AwardFilter, windows: readonly Window[], firstDay: number | null, learners?: readonly string[]): Promise<ChainUnits[]> {
      return unitsOf(await db.query<UnitsRow>(...unitsQuery(f, windows, firstDay, learners)));
    },

    /** units() of all learners, in one statement with the check that none has an expired award (null: one has). */
    async unitsUnlessExpired(f: AwardFilter, windows: readonly Window[], firstDay: number | null): Promise<ChainUnits[] | null> {
      const rows = unlessExpired(await db.query<UnitsRow & Unexpired>(...unlessExpiredQuery(f, unitsQuery(f, windows, firstDay))));
      return rows && unitsOf(rows);
    },

    /**
     * The range's pathway awards (of the learners given, or all), per step and step before;
     * `firstMonth` (HistoryFirsts.pathwayMonth) picks how all learners' are read (monthParts).
     */
    async pathwayRows(f: AwardFilter, range: { from: Date; to: Date }, firstMonth: number | null, learners?: readonly string[]): Promise<PathwayLinkRow[]> {
      if (!learners) return db.query<PathwayLinkRow>(...monthParts(f, range, firstMonth === null ? null : firstMonth * DAY));
      const p = new Params();
      const from = p.add(range.from, '::timestamptz');
      const where = [`k.tenant_id = ${p.add(f.tenantId)}`, 'not k.is_test', 'k.pathway is not null', `k.awarded_at >= ${from}`, `k.awarded_at <= ${p.add(range.to, '::timestamptz')}`,
        `k.user_id = any(${p.add(learners, '::uuid[]')})`];
      return db.query<PathwayLinkRow>(`select k.pathway, k.badge_id, case when k.step_prev_at >= ${from} then k.step_prev_badge end as prev_badge_id, count(*)::int as n,
          count(*) filter (where k.live and (k.pw_prev_at is null or k.pw_prev_at < ${from}))::int as firsts,
          count(*) filter (where k.live and k.pw_prev_at >= ${from} and (k.pw_prev2_at is null or k.pw_prev2_at < ${from}))::int as seconds
        from award_links k where ${where.join(' and ')} group by 1, 2, 3`, p.values);
    },

    /** pathwayRows() of all learners, in one statement with the check that none has an expired award (null: one has). */
    async pathwayRowsUnlessExpired(f: AwardFilter, range: { from: Date; to: Date }, firstMonth: number | null): Promise<PathwayLinkRow[] | null> {
      return unlessExpired(await db.query<PathwayLinkRow & Unexpired>(...unlessExpiredQuery(f, monthParts(f, range, firstMonth === null ? null : firstMonth * DAY))));
    },

    /** The learners (not test accounts) with an award that is not revoked and has expired by now: live in their chains, not in the panel. */
    async expiredLearners(f: AwardFilter): Promise<string[]> {
      const rows = await db.query<{ user_id: string }>(`select distinct user_id from awards where ${expiredAward(1, 2)}`, [f.tenantId, f.now]);
      return rows.map((r) => r.user_id);
    },
  };
}

/** Learners with ≥ 1 and ≥ 2 awards in the window, of its units: live − pairs, pairs − triples. */
export function earnersOf(units: readonly ChainUnits[]): { earners: number; repeaters: number } {
  const sum = (kind: ChainKind, key: 'all' | 'inside') => units.filter((u) => u.kind === kind).reduce((s, u) => s + u[key], 0);
  const pairs = sum('live1', 'inside');
  return { earners: sum('live1', 'all') - pairs, repeaters: pairs - sum('live2', 'inside') };
}

export type ChainRepository = ReturnType<typeof chainRepository>;
