// Windows of award dates split into what each rollup answers: whole months (award_month_counts),
// whole days (award_day_counts, tenant_day_counts), partial days (the awards).
import { describe, expect, it } from 'vitest';
import { Params } from '../../src/analytics/scoped-awards.js';
import {
  DAY, edgeMonthsOf, firstMonthFrom, inWholeMonths, isoDay, monthlyReads, monthStartOf, onWholeDaysOutsideMonths, partialDaysOf, wholeDaysOf, wholeMonthsOf,
  type Window,
} from '../../src/analytics/windows.js';

/** A condition of these builders on ISO dates (columns given their values), evaluated as JavaScript (ISO dates order as strings). */
function holds(condition: string, p: Params, values: Record<string, string>): boolean {
  let js = condition.replace(/\$(\d+)::date/g, (_, n) => JSON.stringify(p.values[Number(n) - 1]));
  for (const [column, value] of Object.entries(values)) js = js.replaceAll(column, JSON.stringify(value));
  js = js.replace(/("[^"]*") in \(([^)]*)\)/g, '[$2].includes($1)').replaceAll(' and not ', ' && !').replaceAll(' and ', ' && ').replaceAll(' or ', ' || ');
  return Boolean(new Function(`return ${js}`)());
}

const w = (from: string | null, to: string | null): Window => ({ name: 'w', from: from === null ? null : new Date(from), to: to === null ? null : new Date(to) });

describe('wholeMonthsOf', () => {
  it('takes the months whose every day the window holds whole', () => {
    expect(wholeMonthsOf(w('2025-12-01T16:40:00.000Z', '2026-12-01T16:40:00.000Z'))).toEqual({ first: '2026-01-01', end: '2026-12-01' });
    // a window from a midnight holds that day, and its month when the day is the first
    expect(wholeMonthsOf(w('2026-03-01T00:00:00.000Z', '2026-04-01T00:00:00.000Z'))).toEqual({ first: '2026-03-01', end: '2026-04-01' });
    // to its last millisecond is not to its last microsecond (the awards keep microseconds): March's last day is not whole, nor is March
    expect(wholeMonthsOf(w('2026-03-01T00:00:00.000Z', '2026-03-31T23:59:59.999Z'))).toBeNull();
    expect(wholeMonthsOf(w('2026-03-01T00:00:00.001Z', '2026-05-01T00:00:00.000Z'))).toEqual({ first: '2026-04-01', end: '2026-05-01' });
    // across a year's end, and February of a leap year
    expect(wholeMonthsOf(w('2027-11-15T00:00:00.000Z', '2028-03-01T00:00:00.000Z'))).toEqual({ first: '2027-12-01', end: '2028-03-01' });
  });

  it('is open where the window is, and none when the window holds no whole month', () => {
    expect(wholeMonthsOf(w(null, null))).toEqual({ first: null, end: null });
    expect(wholeMonthsOf(w(null, '2026-03-10T12:00:00.000Z'))).toEqual({ first: null, end: '2026-03-01' });
    expect(wholeMonthsOf(w('2026-03-10T12:00:00.000Z', null))).toEqual({ first: '2026-04-01', end: null });
    expect(wholeMonthsOf(w('2026-03-02T00:00:00.000Z', '2026-03-20T00:00:00.000Z'))).toBeNull();
    expect(wholeDaysOf(w('2026-03-02T05:00:00.000Z', '2026-03-02T06:00:00.000Z'))).toBeNull();
    expect(wholeMonthsOf(w('2026-03-02T05:00:00.000Z', '2026-03-02T06:00:00.000Z'))).toBeNull();
  });
});

describe('inWholeMonths', () => {
  it('holds the whole months, open where the window is, none when it holds no whole month', () => {
    const p = new Params();
    const range = w('2025-12-01T16:40:00.000Z', '2026-12-01T16:40:00.000Z');
    expect(inWholeMonths(range, p, 'd.month')).toBe('d.month >= $1::date and d.month < $2::date');
    expect(p.values).toEqual(['2026-01-01', '2026-12-01']);
    expect(inWholeMonths(w(null, null), p, 'm')).toBe('true');
    expect(inWholeMonths(w('2026-03-02T00:00:00.000Z', '2026-03-20T00:00:00.000Z'), p, 'm')).toBe('false');
  });
});

describe('onWholeDaysOutsideMonths', () => {

  it('holds each whole day of a window that its whole months do not, and no other day', () => {
    const windows = [
      w('2025-12-01T16:40:00.000Z', '2026-12-01T16:40:00.000Z'), // whole months and runs on both sides
      w('2026-01-01T00:00:00.000Z', '2026-03-31T23:59:59.999Z'), // a run at the end only
      w('2026-01-01T00:00:00.000Z', '2026-04-01T00:00:00.000Z'), // months only
      w('2026-02-03T05:00:00.000Z', '2026-02-20T00:00:00.000Z'), // no whole month
      w('2026-02-03T05:00:00.000Z', '2026-02-03T09:00:00.000Z'), // no whole day
      w(null, '2026-02-10T00:00:00.000Z'), w('2026-02-10T12:00:00.000Z', null), w(null, null),
    ];
    for (const win of windows) {
      const p = new Params();
      const [days, months] = [onWholeDaysOutsideMonths(win, p, 'd.day'), inWholeMonths(win, p, 'm.month')];
      for (let day = Date.parse('2025-11-01') / DAY; day < Date.parse('2027-01-15') / DAY; day++) {
        // whole: held to its last microsecond (wholeDaysOf)
        const whole = (win.from === null || win.from.getTime() <= day * DAY) && (win.to === null || win.to.getTime() >= (day + 1) * DAY);
        const [inDays, inMonths] = [holds(days, p, { 'd.day': isoDay(day) }), holds(months, p, { 'm.month': isoDay(day).slice(0, 8) + '01' })];
        expect([inDays || inMonths, inDays && inMonths], `${isoDay(day)} in ${win.from?.toISOString()}..${win.to?.toISOString()}`).toEqual([whole, false]);
      }
    }
  });
});

describe('edgeMonthsOf', () => {
  it('gives the whole days outside the whole months per month, read as the month less its other days where they are most of it', () => {
    // 2 December 16:40 to 1 December a year on: 3–31 December (29 of 31 days: the month less 1–2 December), and 1 December alone
    expect(edgeMonthsOf(w('2025-12-02T16:40:00.000Z', '2026-12-02T16:40:00.000Z'))).toEqual([
      { month: '2025-12-01', monthEnd: '2025-12-31', first: '2025-12-03', last: '2025-12-31', complement: true },
      { month: '2026-12-01', monthEnd: '2026-12-31', first: '2026-12-01', last: '2026-12-01', complement: false },
    ]);
    // no whole month: the days of both months it touches (February of a leap year); half a month is read as days
    expect(edgeMonthsOf(w('2028-02-20T00:00:00.000Z', '2028-03-05T00:00:00.000Z'))).toEqual([
      { month: '2028-02-01', monthEnd: '2028-02-29', first: '2028-02-20', last: '2028-02-29', complement: false },
      { month: '2028-03-01', monthEnd: '2028-03-31', first: '2028-03-01', last: '2028-03-04', complement: false },
    ]);
    // all but the last day of March (the awards keep microseconds: to its last millisecond is not to its end)
    expect(edgeMonthsOf(w('2026-03-01T00:00:00.000Z', '2026-03-31T23:59:59.999Z'))).toEqual([
      { month: '2026-03-01', monthEnd: '2026-03-31', first: '2026-03-01', last: '2026-03-30', complement: true },
    ]);
    // whole months only, no whole day, and open ends
    expect(edgeMonthsOf(w('2026-03-01T00:00:00.000Z', '2026-05-01T00:00:00.000Z'))).toEqual([]);
    expect(edgeMonthsOf(w('2026-03-02T05:00:00.000Z', '2026-03-02T06:00:00.000Z'))).toEqual([]);
    expect(edgeMonthsOf(w(null, '2026-03-10T12:00:00.000Z'))).toBeNull();
  });

  it('reads each whole day of a window once, as its day row or as its month\'s row less the month\'s other days (monthlyReads)', () => {
    const now = new Date('2027-01-10T12:00:00.000Z');
    const windows = [
      w('2025-12-02T16:40:00.000Z', '2026-12-02T16:40:00.000Z'), // its first month read as the month less 1-2 December
      w('2026-03-01T00:00:00.000Z', '2026-03-31T23:59:59.999Z'), // March less its last day, a partial one
      w('2026-03-01T22:00:00.000Z', '2026-03-31T02:00:00.000Z'), // March less its two partial days
      w('2026-03-01T01:00:00.000Z', '2026-03-31T23:00:00.000Z'), // those partial days mostly inside: complemented too
      w('2028-02-20T00:00:00.000Z', '2028-03-05T00:00:00.000Z'), // days only
      w('2026-01-01T00:00:00.000Z', '2026-04-01T00:00:00.000Z'), // months only
      w(null, '2026-02-10T00:00:00.000Z'), w(null, null), // open: days outside the months as days
    ];
    let asMonths = 0;
    for (const win of windows) {
      const p = new Params();
      const r = monthlyReads(win, p, now, { month: 'm.month', day: 'd.day' });
      const complemented = new Set(partialDaysOf(win, now).filter((x) => x.complement).map((x) => x.day));
      for (let day = Date.parse('2025-11-01') / DAY; day < Date.parse('2028-04-01') / DAY; day++) {
        const at = { 'm.month': isoDay(day).slice(0, 8) + '01', 'd.day': isoDay(day) };
        const whole = (win.from === null || win.from.getTime() <= day * DAY) && (win.to === null || win.to.getTime() >= (day + 1) * DAY);
        const inMonth = holds(r.months, p, at);
        if (inMonth && !holds(inWholeMonths(win, new Params(), 'm.month'), new Params(), at)) asMonths++;
        const net = Number(inMonth) + Number(holds(r.days, p, at)) - Number(holds(r.minusDays, p, at));
        // a complemented partial day is its row less its awards outside: its row counts once
        expect(net, `${isoDay(day)} in ${win.from?.toISOString()}..${win.to?.toISOString()}`).toBe(whole || complemented.has(day) ? 1 : 0);
      }
    }
    expect(asMonths).toBeGreaterThan(0);
  });

  it('finds month starts in UTC', () => {
    expect(new Date(monthStartOf(Date.parse('2026-12-31T23:59:59.999Z'))).toISOString()).toBe('2026-12-01T00:00:00.000Z');
    expect(new Date(firstMonthFrom(Date.parse('2026-12-01T00:00:00.000Z'))).toISOString()).toBe('2026-12-01T00:00:00.000Z');
    expect(new Date(firstMonthFrom(Date.parse('2026-12-01T00:00:00.001Z'))).toISOString()).toBe('2027-01-01T00:00:00.000Z');
  });
});

describe('partialDaysOf', () => {
  const day = (iso: string) => Date.parse(iso) / DAY;
  const now = new Date('2026-12-02T15:00:00.000Z');
  const read = (x: Window, at = now, rowCost = 0) => partialDaysOf(x, at, rowCost).map((d) => ({ day: d.day, from: d.from.toISOString(), until: d.until.toISOString(), untilIncluded: d.untilIncluded, complement: d.complement }));

  it('reads the day of a window ending now as its rollup row: nothing of it is after now', () => {
    expect(read(w('2025-12-02T15:00:00.000Z', now.toISOString()))).toEqual([
      // 15:00 to midnight is 9 of the day's 24 hours: read directly
      { day: day('2025-12-02'), from: '2025-12-02T15:00:00.000Z', until: '2025-12-03T00:00:00.000Z', untilIncluded: false, complement: false },
      { day: day('2026-12-02'), from: '2026-12-02T00:00:00.000Z', until: '2026-12-02T15:00:00.000Z', untilIncluded: true, complement: true },
    ]);
  });

  it('reads a partial day as its row less the awards outside when those are fewer, up to now, and the row costs less than the difference', () => {
    const early = w('2026-11-01T03:00:00.000Z', '2026-11-20T21:00:00.000Z');
    expect(read(early).map((d) => d.complement)).toEqual([true, true]);
    // a row costing 0.8 of a day's awards: 3 h outside + 19.2 h is not less than 21 h inside
    expect(read(early, now, 0.8).map((d) => d.complement)).toEqual([false, false]);
    expect(read(w('2026-11-01T13:00:00.000Z', '2026-11-20T11:00:00.000Z')).map((d) => d.complement)).toEqual([false, false]);
    // a day before now's hour is partly in the future: 10:00 to 14:00 with now at 15:00 has 10 h before and 1 h after it
    expect(read(w('2026-12-02T10:00:00.000Z', '2026-12-02T14:00:00.000Z'))).toEqual([
      { day: day('2026-12-02'), from: '2026-12-02T10:00:00.000Z', until: '2026-12-02T14:00:00.000Z', untilIncluded: true, complement: false },
    ]);
    expect(read(w('2026-12-02T01:00:00.000Z', '2026-12-02T14:30:00.000Z'))[0]!.complement).toBe(true);
  });

  it('splits a window holding no whole day at the midnight it crosses, and has none where it holds whole days to its ends', () => {
    expect(read(w('2026-11-10T20:00:00.000Z', '2026-11-11T02:00:00.000Z'))).toEqual([
      { day: day('2026-11-10'), from: '2026-11-10T20:00:00.000Z', until: '2026-11-11T00:00:00.000Z', untilIncluded: false, complement: false },
      { day: day('2026-11-11'), from: '2026-11-11T00:00:00.000Z', until: '2026-11-11T02:00:00.000Z', untilIncluded: true, complement: false },
    ]);
    expect(read(w('2026-11-10T00:00:00.000Z', '2026-11-11T00:00:00.000Z'))).toEqual([
      // the last millisecond is a partial day of its own: the midnight itself
      { day: day('2026-11-11'), from: '2026-11-11T00:00:00.000Z', until: '2026-11-11T00:00:00.000Z', untilIncluded: true, complement: false },
    ]);
    expect(read(w(null, null))).toEqual([]);
  });
});
