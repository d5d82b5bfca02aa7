// Windows of award dates as SQL conditions, and each window split into the whole UTC days the daily
// rollups answer (migration 013) and the partial days at its edges, which only the awards can.
import type { CountsRow, Params } from './scoped-awards.js';

export const DAY = 86_400_000;

/** A window of award dates, both ends included; a null end is open. */
export interface Window { name: string; from: Date | null; to: Date | null }

export interface BucketsRow { lt1h: number; h1to24: number; d1to7: number; gt7d: number }

/** A row of a breakdown query: one group's sums, of the windows in `mask` (bit i: windows[i]). */
export interface BreakdownRow extends CountsRow, BucketsRow {
  grouped: number; mask: number; badge_id: string | null; method: string | null; period: number | null;
}

/** "Awarded within the window", on a timestamp column. */
export function inWindow(w: Window, p: Params, column = 'awarded_at'): string {
  const bounds = [w.from ? `${column} >= ${p.add(w.from, '::timestamptz')}` : '', w.to ? `${column} <= ${p.add(w.to, '::timestamptz')}` : ''];
  return bounds.filter(Boolean).join(' and ') || 'true';
}

/**
 * The whole UTC days inside a window, as days since 1970-01-01 (null: open), or null when it holds
 * none. A day is whole when the window holds it to its last microsecond: the midnight after it is
 * at most `to` (whole milliseconds), and the midnight starting it at least `from`.
 */
export function wholeDaysOf(w: Window): { first: number | null; last: number | null } | null {
  const first = w.from === null ? null : Math.ceil(w.from.getTime() / DAY);
  const last = w.to === null ? null : Math.floor(w.to.getTime() / DAY) - 1;
  return first !== null && last !== null && first > last ? null : { first, last };
}

/** Day n since 1970-01-01 as YYYY-MM-DD. */
export const isoDay = (day: number) => new Date(day * DAY).toISOString().slice(0, 10);

/** "Awarded on one of the window's whole days", on a date column. */
export function onWholeDays(w: Window, p: Params, column = 'day'): string {
  const d = wholeDaysOf(w);
  if (!d) return 'false';
  const bounds = [d.first === null ? '' : `${column} >= ${p.add(isoDay(d.first), '::date')}`, d.last === null ? '' : `${column} <= ${p.add(isoDay(d.last), '::date')}`];
  return bounds.filter(Boolean).join(' and ') || 'true';
}

/** "Awarded within the window, on a day it holds only part of", on a timestamp column. */
export function onPartialDays(w: Window, p: Params, column = 'awarded_at'): string {
  const d = wholeDaysOf(w);
  if (!d) return `(${inWindow(w, p, column)})`;
  const edges: string[] = [];
  if (w.from && d.first !== null && w.from.getTime() < d.first * DAY) {
    edges.push(`(${column} >= ${p.add(w.from, '::timestamptz')} and ${column} < ${p.add(new Date(d.first * DAY), '::timestamptz')})`);
  }
  if (w.to && d.last !== null) edges.push(`(${column} >= ${p.add(new Date((d.last + 1) * DAY), '::timestamptz')} and ${column} <= ${p.add(w.to, '::timestamptz')})`);
  return edges.length ? `(${edges.join(' or ')})` : 'false';
}

/** The bit mask of the conditions that hold (bit i: conditions[i]). */
export const maskOf = (conditions: readonly string[]) => conditions.map((c, i) => `(case when ${c} then ${2 ** i} else 0 end)`).join(' + ');

/** The start of the UTC month holding instant ms (epoch milliseconds). */
export function monthStartOf(ms: number): number {
  const t = new Date(ms);
  return Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), 1);
}

/** The first start of a UTC month at or after instant ms. */
export function firstMonthFrom(ms: number): number {
  const start = monthStartOf(ms);
  if (start === ms) return ms;
  const t = new Date(ms);
  return Date.UTC(t.getUTCFullYear(), t.getUTCMonth() + 1, 1);
}

/**
 * The whole UTC months inside a window's whole days, as their first days (YYYY-MM-01; `end` is the
 * month after the last), null where the window is open, or null when it holds none.
 */
export function wholeMonthsOf(w: Window): { first: string | null; end: string | null } | null {
  const d = wholeDaysOf(w);
  if (!d) return null;
  // the first month starting on or after the first whole day; the month after the last is the one holding the day after it
  const first = d.first === null ? null : firstMonthFrom(d.first * DAY);
  const end = d.last === null ? null : monthStartOf((d.last + 1) * DAY);
  if (first !== null && end !== null && first >= end) return null;
  const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  return { first: first === null ? null : iso(first), end: end === null ? null : iso(end) };
}

/** A month's rows of award_month_counts are about as many as four days' of award_day_counts (at 1M awards: 3,900 and 1,100). */
const MONTH_READS_AS_DAYS = 4;

/**
 * A window's whole days outside its whole months, per UTC month they lie in (at most its first and
 * its last): the month's first and last day, the window's first and last day in it (YYYY-MM-DD), and whether to read them as the
 * month's row less its other days, which reads fewer rows when they are most of the month. The
 * window's whole days and months must be bounded (null otherwise).
 */
export function edgeMonthsOf(w: Window): Array<{ month: string; monthEnd: string; first: string; last: string; complement: boolean }> | null {
  const d = wholeDaysOf(w);
  if (!d) return [];
  if (d.first === null || d.last === null) return null;
  const m = wholeMonthsOf(w);
  const [wholeFirst, wholeEnd] = m ? [Date.parse(m.first!), Date.parse(m.end!)] : [Infinity, Infinity];
  const edges = [];
  for (let start = monthStartOf(d.first * DAY); start <= d.last * DAY; start = firstMonthFrom(start + 1)) {
    if (start >= wholeFirst && start < wholeEnd) continue;
    const end = firstMonthFrom(start + 1) / DAY - 1; // the month's last day
    const [first, last] = [Math.max(d.first, start / DAY), Math.min(d.last, end)];
    const [inside, others] = [last - first + 1, end - start / DAY + 1 - (last - first + 1)];
    edges.push({ month: isoDay(start / DAY), monthEnd: isoDay(end), first: isoDay(first), last: isoDay(last), complement: others + MONTH_READS_AS_DAYS < inside });
  }
  return edges;
}

/** "In one of the window's whole months", on a date column (a month's first day, or any day). */
export function inWholeMonths(w: Window, p: Params, column: string): string {
  const m = wholeMonthsOf(w);
  if (!m) return 'false';
  const bounds = [m.first === null ? '' : `${column} >= ${p.add(m.first, '::date')}`, m.end === null ? '' : `${column} < ${p.add(m.end, '::date')}`];
  return bounds.filter(Boolean).join(' and ') || 'true';
}

/**
 * "On one of the window's whole days outside its whole months", on a date column: at most a run
 * of days before them and one after, each a range an index reads on its own.
 */
export function onWholeDaysOutsideMonths(w: Window, p: Params, column: string): string {
  const d = wholeDaysOf(w);
  if (!d) return 'false';
  const run = (first: number, last: number) => `(${column} >= ${p.add(isoDay(first), '::date')} and ${column} <= ${p.add(isoDay(last), '::date')})`;
  const m = wholeMonthsOf(w);
  // no whole month: the window is bounded (an open end holds every month beyond it)
  if (!m) return run(d.first!, d.last!);
  const runs: string[] = [];
  if (d.first !== null && m.first !== null && Date.parse(m.first) / DAY > d.first) runs.push(run(d.first, Date.parse(m.first) / DAY - 1));
  if (d.last !== null && m.end !== null && Date.parse(m.end) / DAY <= d.last) runs.push(run(Date.parse(m.end) / DAY, d.last));
  return runs.length ? `(${runs.join(' or ')})` : 'false';
}

/**
 * One of a window's partial UTC days: the day (days since 1970-01-01), the window's part of it
 * (from `from`, up to `until`, included or not), and whether to read that part as the day's rollup
 * row less the day's awards outside the window, because those are fewer than the ones inside.
 */
export interface PartialDay { day: number; from: Date; until: Date; untilIncluded: boolean; complement: boolean }

/**
 * The window's partial days. A part's awards are reckoned by its time up to now: the day of a
 * window that ends now has no awards after it, so it reads as its rollup row alone. A rollup row
 * of the day costs `rowCost` (a fraction of a day's awards) besides.
 */
export function partialDaysOf(w: Window, now: Date, rowCost = 0): PartialDay[] {
  const d = wholeDaysOf(w);
  const parts: Array<Omit<PartialDay, 'complement'>> = [];
  if (!d) {
    // no whole day: the window lies within one day or across midnights it does not hold whole
    const [from, to] = [w.from!.getTime(), w.to!.getTime()];
    for (let day = Math.floor(from / DAY); day <= Math.floor(to / DAY); day++) {
      const end = (day + 1) * DAY;
      parts.push({ day, from: new Date(Math.max(from, day * DAY)), until: new Date(Math.min(to, end)), untilIncluded: to < end });
    }
  } else {
    if (w.from && d.first !== null && w.from.getTime() < d.first * DAY) parts.push({ day: d.first - 1, from: w.from, until: new Date(d.first * DAY), untilIncluded: false });
    if (w.to && d.last !== null) parts.push({ day: d.last + 1, from: new Date((d.last + 1) * DAY), until: w.to, untilIncluded: true });
  }
  const upToNow = (a: number, b: number) => Math.max(0, Math.min(b, now.getTime()) - a);
  return parts.map((x) => {
    const inside = upToNow(x.from.getTime(), x.until.getTime());
    const outside = upToNow(x.day * DAY, (x.day + 1) * DAY) - inside;
    return { ...x, complement: outside + rowCost * DAY < inside };
  });
}

/**
 * A window read from a daily rollup and the awards: `days`, the rollup's days to read (its whole
 * days and its complemented partial days), on a date column; `plus`, the awards to add (those
 * inside its other partial days), and `minus`, those to take back (those of its complemented days
 * outside it), on a timestamp column.
 */
export interface DailyReads { days: string; plus: string; minus: string }

export function dailyReads(w: Window, p: Params, now: Date, columns: { day: string; at: string }, rowCost = 0): DailyReads {
  return { days: rollupDays(w, p, now, columns.day, rowCost), ...awardReads(w, p, now, columns.at, rowCost) };
}

/** The rollup's days of dailyReads. */
export function rollupDays(w: Window, p: Params, now: Date, column: string, rowCost = 0): string {
  return eitherOf(onWholeDays(w, p, column), complementedDays(w, p, now, column, rowCost));
}

/** rollupDays outside the window's whole months, which a month rollup answers. */
export function rollupDaysOutsideMonths(w: Window, p: Params, now: Date, column: string, rowCost = 0): string {
  return eitherOf(onWholeDaysOutsideMonths(w, p, column), complementedDays(w, p, now, column, rowCost));
}

/** "Any of the conditions", or 'false' for none. */
const anyOf = (conditions: string[]) => (conditions.length ? `(${conditions.join(' or ')})` : 'false');

/** "Whole days or complemented ones", leaving out a side that holds no day. */
function eitherOf(whole: string, complemented: string): string {
  if (complemented === 'false') return whole;
  return whole === 'false' ? complemented : `((${whole}) or ${complemented})`;
}

/** "On one of the window's partial days read as the rollup row less the awards outside", on a date column. */
export function complementedDays(w: Window, p: Params, now: Date, column: string, rowCost = 0): string {
  const days = partialDaysOf(w, now, rowCost).filter((x) => x.complement);
  return days.length ? `${column} in (${days.map((x) => p.add(isoDay(x.day), '::date')).join(', ')})` : 'false';
}

/** The awards to add and to take back of dailyReads. */
export function awardReads(w: Window, p: Params, now: Date, at: string, rowCost = 0): Omit<DailyReads, 'days'> {
  const partial = partialDaysOf(w, now, rowCost);
  const inside = (x: PartialDay) => `(${at} >= ${p.add(x.from, '::timestamptz')} and ${at} ${x.untilIncluded ? '<=' : '<'} ${p.add(x.until, '::timestamptz')})`;
  const onDay = (x: PartialDay) => `${at} >= ${p.add(new Date(x.day * DAY), '::timestamptz')} and ${at} < ${p.add(new Date((x.day + 1) * DAY), '::timestamptz')}`;
  return {
    plus: anyOf(partial.filter((x) => !x.complement).map(inside)),
    minus: anyOf(partial.filter((x) => x.complement).map((x) => `(${onDay(x)} and not ${inside(x)})`)),
  };
}

/**
 * A window read from a month rollup, a day rollup and the awards (these as awardReads): `months`,
 * the month rollup's months (its whole months, and each edge month that edgeMonthsOf reads as its
 * row less its other days), on a date column; `days`, the day rollup's days to add (the window's
 * other whole days outside its whole months, and its complemented partial days); `minusDays`, those
 * to take back (the other days of the edge months read as their row, partial days among them).
 * A window open at an end reads its edge days as days (rollupDaysOutsideMonths). `rowCost` as
 * partialDaysOf's, which awardReads must be given too.
 */
export interface MonthlyReads { months: string; days: string; minusDays: string }

export function monthlyReads(w: Window, p: Params, now: Date, columns: { month: string; day: string }, rowCost = 0): MonthlyReads {
  const edges = edgeMonthsOf(w);
  const whole = inWholeMonths(w, p, columns.month);
  if (edges === null) return { months: whole, days: rollupDaysOutsideMonths(w, p, now, columns.day, rowCost), minusDays: 'false' };
  const between = (first: string, last: string) => `(${columns.day} >= ${p.add(first, '::date')} and ${columns.day} <= ${p.add(last, '::date')})`;
  const asRows = edges.filter((e) => e.complement);
  const months = asRows.length ? `(${whole === 'false' ? '' : `(${whole}) or `}${columns.month} in (${asRows.map((e) => p.add(e.month, '::date')).join(', ')}))` : whole;
  return {
    months,
    days: eitherOf(anyOf(edges.filter((e) => !e.complement).map((e) => between(e.first, e.last))), complementedDays(w, p, now, columns.day, rowCost)),
    minusDays: anyOf(asRows.map((e) => `(${between(e.month, e.monthEnd)} and not ${between(e.first, e.last)})`)),
  };
}
