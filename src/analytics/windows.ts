// Windows of award dates as SQL conditions, and each window split into the whole UTC days the daily
// rollups answer (migration 013) and the partial days at its edges, which only the awards can.
import type { CountsRow, Params } from './scoped-awards.js';

const DAY = 86_400_000;

/** A window of award dates, both ends included; a null end is open. */
export interface Window { name: string; from: Date | null; to: Date | null }

export interface BucketsRow { lt1h: number; h1to24: number; d1to7: number; gt7d: number }

/** A row of a breakdown query: one group's sums, of the windows in `mask` (bit i: windows[i]). */
export interface BreakdownRow extends CountsRow, BucketsRow {
  grouped: number; mask: number; badge_id: string | null; module_id: string | null; course_id: string | null; method: string | null; period: number | null;
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

const isoDay = (day: number) => new Date(day * DAY).toISOString().slice(0, 10);

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
