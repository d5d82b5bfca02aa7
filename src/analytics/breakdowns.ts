// Breakdowns the panel draws beside the §5 metrics: the awards of the range over time (daily, or
// weekly for long ranges) and per course for the organisation view. Pure, like metrics.ts.
import { countAwards, engagementOf, rate, type AwardFact, type EngagementCounts } from './metrics.js';

const DAY = 86_400_000;
/** Ranges longer than this are shown per week: a daily chart of a year is unreadable. */
const DAILY_UP_TO_DAYS = 62;

export interface TimelinePoint { start: string; awarded: number; accepted: number; acceptanceRate: number | null; shared: number }

/** Start of the UTC day, or of the ISO week (Monday), holding `d`. */
function periodStart(d: Date, weekly: boolean): number {
  const day = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  return weekly ? day - ((new Date(day).getUTCDay() + 6) % 7) * DAY : day;
}

/** Ranges longer than DAILY_UP_TO_DAYS are shown per week. */
export const isWeekly = (from: Date, to: Date) => (to.getTime() - from.getTime()) / DAY > DAILY_UP_TO_DAYS;

/** Awards of the range per period by award date (a cohort: accepted and shared whenever it happened). */
export function timeline(awards: readonly AwardFact[], from: Date, to: Date) {
  const weekly = isWeekly(from, to);
  const byPeriod = new Map<string, AwardFact[]>();
  for (const a of awards) {
    const key = new Date(periodStart(a.awardedAt, weekly)).toISOString().slice(0, 10);
    byPeriod.set(key, [...(byPeriod.get(key) ?? []), a]);
  }
  return timelineOf(new Map([...byPeriod].map(([k, list]) => [k, countAwards(list)])), from, to);
}

/** The timeline from counts per period start (YYYY-MM-DD, UTC); every period of the range is shown. */
export function timelineOf(counts: ReadonlyMap<string, EngagementCounts>, from: Date, to: Date) {
  const weekly = isWeekly(from, to);
  const step = weekly ? 7 * DAY : DAY;
  const points: TimelinePoint[] = [];
  for (let t = periodStart(from, weekly); t <= to.getTime(); t += step) {
    const start = new Date(t).toISOString().slice(0, 10);
    const c = counts.get(start);
    const p = { awarded: c?.awarded ?? 0, accepted: c?.accepted ?? 0, shared: c?.acceptedShared ?? 0 };
    points.push({ start, ...p, acceptanceRate: rate(p.accepted, p.awarded) });
  }
  return { granularity: weekly ? ('week' as const) : ('day' as const), points };
}

/** Per course of the scope: awards, claims and engagement, for the organisation's course table. */
export function perCourse(awards: ReadonlyArray<AwardFact & { courseId: string }>, courseIds: readonly string[]) {
  return perCourseOf(new Map(courseIds.map((id) => [id, countAwards(awards.filter((a) => a.courseId === id))])));
}

/** perCourse from counts per course, in the order given. */
export function perCourseOf(counts: ReadonlyMap<string, EngagementCounts>) {
  return [...counts].map(([courseId, c]) => {
    const e = engagementOf(c);
    return {
      courseId,
      awarded: c.awarded,
      accepted: c.accepted,
      acceptanceRate: e.acceptanceRate,
      shareRate: e.shareRate,
      views: e.views,
      learnerEngagementScore: e.learnerEngagementScore,
    };
  });
}
