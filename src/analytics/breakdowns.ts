// Breakdowns the panel draws beside the §5 metrics: the awards of the range over time (daily, or
// weekly for long ranges) and per course for the organisation view. Pure, like metrics.ts.
import { engagement, rate, type AwardFact } from './metrics.js';

const DAY = 86_400_000;
/** Ranges longer than this are shown per week: a daily chart of a year is unreadable. */
const DAILY_UP_TO_DAYS = 62;

export interface TimelinePoint { start: string; awarded: number; accepted: number; acceptanceRate: number | null; shared: number }

/** Start of the UTC day, or of the ISO week (Monday), holding `d`. */
function periodStart(d: Date, weekly: boolean): number {
  const day = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  return weekly ? day - ((new Date(day).getUTCDay() + 6) % 7) * DAY : day;
}

/** Awards of the range per period by award date (a cohort: accepted and shared whenever it happened). */
export function timeline(awards: readonly AwardFact[], from: Date, to: Date) {
  const weekly = (to.getTime() - from.getTime()) / DAY > DAILY_UP_TO_DAYS;
  const step = weekly ? 7 * DAY : DAY;
  const points = new Map<number, { awarded: number; accepted: number; shared: number }>();
  for (let t = periodStart(from, weekly); t <= to.getTime(); t += step) points.set(t, { awarded: 0, accepted: 0, shared: 0 });
  for (const a of awards) {
    const p = points.get(periodStart(a.awardedAt, weekly));
    if (!p) continue;
    p.awarded += 1;
    if (a.acceptedAt) p.accepted += 1;
    if (a.acceptedAt && a.shares > 0) p.shared += 1;
  }
  return {
    granularity: weekly ? ('week' as const) : ('day' as const),
    points: [...points].map(([t, p]): TimelinePoint => ({ start: new Date(t).toISOString().slice(0, 10), ...p, acceptanceRate: rate(p.accepted, p.awarded) })),
  };
}

/** Per course of the scope: awards, claims and engagement, for the organisation's course table. */
export function perCourse(awards: ReadonlyArray<AwardFact & { courseId: string }>, courseIds: readonly string[]) {
  return courseIds.map((courseId) => {
    const mine = awards.filter((a) => a.courseId === courseId);
    const e = engagement(mine);
    return {
      courseId,
      awarded: mine.length,
      accepted: mine.filter((a) => a.acceptedAt).length,
      acceptanceRate: e.acceptanceRate,
      shareRate: e.shareRate,
      views: e.views,
      learnerEngagementScore: e.learnerEngagementScore,
    };
  });
}
