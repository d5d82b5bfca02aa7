// The append-only event log (PRODUCT.md §4). Each state change writes its event in the same
// transaction as the change, through the Queryable of that transaction. Counted events also bump
// the award's award_stats row there, by a trigger on events (migration 010), whoever inserts them.
import type { Queryable } from '../db/index.js';

export type EventType = 'awarded' | 'notified' | 'accepted' | 'shared' | 'viewed' | 'verified' | 'revoked' | 'expired' | 'visibility_changed';

export interface EventInput {
  tenantId: string;
  type: EventType;
  occurredAt: Date;
  courseId?: string | null;
  moduleId?: string | null;
  badgeId?: string | null;
  awardId?: string | null;
  learnerId?: string | null;
  channel?: string | null;
  isBot?: boolean;
  metadata?: Record<string, unknown>;
}

export async function recordEvent(q: Queryable, e: EventInput): Promise<void> {
  await q.query(
    `insert into events (tenant_id, course_id, module_id, badge_id, award_id, learner_id, type, channel, is_bot, occurred_at, metadata)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb)`,
    [e.tenantId, e.courseId ?? null, e.moduleId ?? null, e.badgeId ?? null, e.awardId ?? null, e.learnerId ?? null, e.type, e.channel ?? null, e.isBot ?? false, e.occurredAt, JSON.stringify(e.metadata ?? {})],
  );
}

export interface StoredEvent {
  id: number;
  type: EventType;
  channel: string | null;
  isBot: boolean;
  occurredAt: Date;
  metadata: Record<string, unknown>;
}

export async function eventsOfAward(q: Queryable, tenantId: string, awardId: string): Promise<StoredEvent[]> {
  const rows = await q.query<{ id: number; type: EventType; channel: string | null; is_bot: boolean; occurred_at: Date; metadata: Record<string, unknown> }>(
    'select id, type, channel, is_bot, occurred_at, metadata from events where tenant_id = $1 and award_id = $2 order by id',
    [tenantId, awardId],
  );
  return rows.map((r) => ({ id: r.id, type: r.type, channel: r.channel, isBot: r.is_bot, occurredAt: r.occurred_at, metadata: r.metadata }));
}

export { sourceOf, isBot, type Source } from './sources.js';
