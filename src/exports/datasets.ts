// The four export datasets as tables: a header of column names and rows of cells. Awards and events
// come page by page from the repository; badges and modules are the analytics' own arrays.
import type { Analytics } from '../analytics/index.js';
import type { AwardRow, EventRow } from './repository.js';

export type Dataset = 'awards' | 'badges' | 'modules' | 'events';
export const DATASETS: readonly Dataset[] = ['awards', 'badges', 'modules', 'events'];

export type Cell = string | number | boolean | Date | null;

/** A header and its rows, in pages: nothing but the current page is held in memory. */
export interface Table {
  name: Dataset;
  columns: readonly string[];
  pages: AsyncIterable<Cell[][]>;
}

type Result = Awaited<ReturnType<Analytics['compute']>>;
export type BadgeMetrics = Result['badges'][number];
export type ModuleMetrics = Result['modules'][number];

export const AWARD_COLUMNS = [
  'awardId', 'courseId', 'courseTitle', 'moduleId', 'moduleTitle', 'badgeId', 'badgeName', 'learnerId', 'learnerName', 'method',
  'awardedAt', 'acceptedAt', 'revokedAt', 'validUntil', 'status', 'isPublic', 'testAccount', 'shares', 'views', 'verifications',
] as const;

export const awardCells = (r: AwardRow): Cell[] => [
  r.id, r.course_id, r.course_title, r.module_id, r.module_title, r.badge_id, r.badge_name, r.learner_id, r.learner_name, r.method,
  r.awarded_at, r.accepted_at, r.revoked_at, r.valid_until, r.status, r.is_public, r.is_test, r.shares, r.views, r.verifications,
];

export const EVENT_COLUMNS = [
  'eventId', 'occurredAt', 'type', 'channel', 'outcome', 'awardId', 'badgeId', 'badgeName', 'moduleId', 'moduleTitle', 'courseId', 'courseTitle', 'learnerId', 'isBot',
] as const;

export const eventCells = (r: EventRow): Cell[] => [
  r.id, r.occurred_at, r.type, r.channel, r.outcome, r.award_id, r.badge_id, r.badge_name, r.module_id, r.module_title, r.course_id, r.course_title, r.learner_id, r.is_bot,
];

// Exactly the keys of the analytics API's `badges` and `modules` items, in the API's order.
export const BADGE_COLUMNS = [
  'badgeId', 'name', 'awarded', 'accepted', 'shared', 'shares', 'views', 'verifications', 'learnerEngagementScore', 'externalImpactScore', 'overallScore',
] as const satisfies ReadonlyArray<keyof BadgeMetrics>;

export const MODULE_COLUMNS = [
  'moduleId', 'title', 'position', 'qualifyingCompletions', 'accepted', 'gap', 'flag',
] as const satisfies ReadonlyArray<keyof ModuleMetrics>;

/** Rows of plain objects (already in memory, one per badge or module) as cells of `columns`. */
export function pick<T extends object>(items: T[], columns: ReadonlyArray<keyof T>): Cell[][] {
  return items.map((item) => columns.map((c) => (item[c] ?? null) as Cell));
}
