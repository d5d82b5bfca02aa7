// The instructor's learner list of one badge (who claimed, who not, what was sent) and "remind
// unclaimed": a fresh claim link queued as a reminder through the notification queue, nothing more.
import type { Db, Queryable } from '../db/index.js';
import { NotFoundError, type Clock, newToken, sha256Hex } from '../shared/index.js';
import type { Notifier } from './notifications.js';
import { awardRepository, type AwardState, type BadgeAwardRow } from './repository.js';

/** A second reminder of the same award within this time is skipped: a double click sends one email. */
export const REMINDER_COOLDOWN_MS = 60 * 60_000;

export type RemindSkipReason =
  | 'accepted' | 'revoked' | 'expired' // not pending any more
  | 'test_account' // a test launch (Student View): only when asked for
  | 'no_email' // the LMS gave no address
  | 'mail_disabled' // no SMTP server configured
  | 'already_queued' // an email for this award is still waiting to be sent
  | 'recently_reminded' // reminded less than REMINDER_COOLDOWN_MS ago
  | 'not_found'; // an awardId that is not an award of this badge (in this course)

export interface BadgeLearner {
  awardId: string;
  userId: string;
  name: string | null;
  email: string | null;
  awardedAt: Date;
  acceptedAt: Date | null;
  state: AwardState;
  isTest: boolean;
  /** `notified` events with outcome sent / failed, and the time of the last one sent. */
  notificationsSent: number;
  notificationsFailed: number;
  lastNotifiedAt: Date | null;
  /** When the last reminder was asked for (queued), sent or not yet. */
  lastRemindedAt: Date | null;
  canRemind: boolean;
  /** Why no reminder can be sent now (null when one can). */
  remindBlockedBy: RemindSkipReason | null;
}

export interface RemindResult {
  queued: number;
  skipped: Array<{ awardId: string; reason: RemindSkipReason }>;
}

export interface LearnerListOptions {
  includeTest?: boolean;
  /** The instructor's course: a badge of another course is not found. */
  courseId?: string;
}

export interface RemindOptions extends LearnerListOptions {
  /** Only these awards (of this badge); default every award of the badge. */
  awardIds?: readonly string[];
}

const byName = (a: BadgeLearner, b: BadgeLearner): number => {
  const rank = (l: BadgeLearner) => (l.state === 'pending' ? 0 : l.acceptedAt ? 2 : 1);
  const label = (l: BadgeLearner) => (l.name ?? l.email ?? '').trim();
  const [la, lb] = [label(a), label(b)];
  if (rank(a) !== rank(b)) return rank(a) - rank(b);
  if (!la !== !lb) return la ? -1 : 1; // nameless learners last
  return la.localeCompare(lb, 'en', { sensitivity: 'base' }) || a.awardedAt.getTime() - b.awardedAt.getTime() || a.awardId.localeCompare(b.awardId);
};

export function createReminders(deps: { db: Db; clock: Clock; claimTokenDays: number; notifier: Notifier }) {
  const repo = awardRepository(deps.db);

  const stateOf = (r: BadgeAwardRow, now: Date): AwardState =>
    r.revokedAt ? 'revoked' : r.validUntil && r.validUntil <= now ? 'expired' : r.acceptedAt ? 'accepted' : 'pending';

  function blocker(r: BadgeAwardRow, state: AwardState, now: Date, includeTest: boolean): RemindSkipReason | null {
    if (state !== 'pending') return state;
    if (r.isTest && !includeTest) return 'test_account';
    if (!r.email) return 'no_email';
    if (!deps.notifier.enabled) return 'mail_disabled';
    if (r.notificationQueued) return 'already_queued';
    if (r.lastRemindedAt && now.getTime() - r.lastRemindedAt.getTime() < REMINDER_COOLDOWN_MS) return 'recently_reminded';
    return null;
  }

  function present(r: BadgeAwardRow, now: Date, includeTest: boolean): BadgeLearner {
    const state = stateOf(r, now);
    const blockedBy = blocker(r, state, now, includeTest);
    return {
      awardId: r.awardId, userId: r.userId, name: r.name, email: r.email, awardedAt: r.awardedAt, acceptedAt: r.acceptedAt, state, isTest: r.isTest,
      notificationsSent: r.notificationsSent, notificationsFailed: r.notificationsFailed, lastNotifiedAt: r.lastNotifiedAt, lastRemindedAt: r.lastRemindedAt,
      canRemind: blockedBy === null, remindBlockedBy: blockedBy,
    };
  }

  async function requireBadge(q: Queryable, tenantId: string, badgeId: string, courseId?: string): Promise<void> {
    const course = await repo.badgeCourse(q, tenantId, badgeId);
    if (!course || (courseId !== undefined && course !== courseId)) throw new NotFoundError('badge_not_found', 'No such badge in this course.');
  }

  return {
    /** Every award of the badge: unclaimed (pending) first, then the unclaimed that lapsed, then the claimed; by name within each. */
    async badgeLearners(tenantId: string, badgeId: string, opts: LearnerListOptions = {}): Promise<BadgeLearner[]> {
      await requireBadge(deps.db, tenantId, badgeId, opts.courseId);
      const now = deps.clock.now();
      const includeTest = opts.includeTest ?? false;
      const rows = await repo.awardsOfBadge(deps.db, tenantId, badgeId, { includeTest });
      return rows.map((r) => present(r, now, includeTest)).sort(byName);
    },

    /**
     * Queues a reminder for each remindable award, with a new claim link: the old link stops
     * working (one live link per award, and the new one has a fresh expiry).
     */
    async remindUnclaimed(tenantId: string, badgeId: string, opts: RemindOptions = {}): Promise<RemindResult> {
      const now = deps.clock.now();
      return deps.db.transaction(async (tx) => {
        await requireBadge(tx, tenantId, badgeId, opts.courseId);
        // Concurrent reminders of the same badge wait here, then see the notifications queued before them.
        await repo.lockAwardsOfBadge(tx, tenantId, badgeId);
        const rows = await repo.awardsOfBadge(tx, tenantId, badgeId, { includeTest: true, ...(opts.awardIds ? { awardIds: opts.awardIds } : {}) });
        const skipped: RemindResult['skipped'] = [];
        const send: Array<{ awardId: string; email: string; claimToken: string }> = [];
        for (const r of rows) {
          const reason = blocker(r, stateOf(r, now), now, opts.includeTest ?? false);
          if (reason) skipped.push({ awardId: r.awardId, reason });
          else send.push({ awardId: r.awardId, email: r.email!, claimToken: newToken(32) });
        }
        const found = new Set(rows.map((r) => r.awardId));
        for (const id of new Set(opts.awardIds ?? [])) if (!found.has(id)) skipped.push({ awardId: id, reason: 'not_found' });
        await repo.setClaimTokens(tx, tenantId, send.map((s) => ({ awardId: s.awardId, hash: sha256Hex(s.claimToken) })), new Date(now.getTime() + deps.claimTokenDays * 86_400_000));
        await deps.notifier.enqueue(tx, tenantId, send.map((s) => ({ ...s, reminder: true })));
        return { queued: send.length, skipped };
      });
    },
  };
}

export type Reminders = ReturnType<typeof createReminders>;
