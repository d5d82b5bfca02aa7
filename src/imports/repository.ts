// SQL for imports: finding what an earlier import brought, the learners imported awards name, the
// imported state of a batch of awards and their events (multi-row statements, so a large history
// costs a few statements per batch, not a few per item), and the courses a seeded history needs.
import type { Queryable } from '../db/index.js';
import { newId } from '../shared/index.js';

export interface ImportedState { awardId: string; externalId: string; acceptedAt: string | null; revokedAt: string | null; isPublic: boolean }
export interface ImportedEvent {
  courseId: string; moduleId: string; badgeId: string; awardId: string; learnerId: string; type: string; channel: string | null;
  isBot: boolean; occurredAt: string; metadata: Record<string, unknown>;
}

// Events go to the database in statements of this many rows: large enough to amortise the round
// trip, small enough to keep each statement's JSON parameter a few megabytes.
const EVENT_ROWS = 5_000;

export function importRepository(db: Queryable) {
  return {
    /**
     * Fresh planner statistics after a bulk load, and the tables whose rows its triggers rewrite
     * vacuumed: their dead rows marked free, their pages all-visible (index-only scans). Autovacuum
     * may be off or not yet round, and PGlite has none. Without statistics PostgreSQL plans the
     * analytics aggregates for tables it believes empty. Events and completions are only inserted:
     * analysed, not vacuumed (on PGlite a vacuum holds the server's one thread while it runs).
     */
    async maintainAfterBulkLoad(): Promise<void> {
      await db.query('vacuum (analyze) awards, award_stats, award_day_counts, award_day_channels, award_month_counts, award_total_counts, tenant_day_counts, tenant_day_channels, tenant_day_claims, tenant_month_claims, award_links, learner_chain_days, learner_chain_totals, pathway_link_months, pathway_link_totals');
      await db.query('analyze events, completions, badges, users');
    },

    badgeByExternalId: async (tenantId: string, externalId: string) =>
      (await db.query<{ id: string; platform_id: string }>(
        'select b.id, c.platform_id from badges b join courses c on c.id = b.course_id where b.tenant_id = $1 and b.external_id = $2', [tenantId, externalId]))[0] ?? null,
    async badgesByExternalIds(tenantId: string, ids: string[]) {
      const rows = await db.query<{ id: string; external_id: string; platform_id: string }>(
        'select b.id, b.external_id, c.platform_id from badges b join courses c on c.id = b.course_id where b.tenant_id = $1 and b.external_id = any($2::text[])', [tenantId, ids]);
      return new Map(rows.map((r) => [r.external_id, { id: r.id, platformId: r.platform_id }]));
    },
    async awardsByExternalIds(tenantId: string, ids: string[]) {
      const rows = await db.query<{ id: string; external_id: string; course_id: string; module_id: string; badge_id: string; user_id: string }>(
        'select id, external_id, course_id, module_id, badge_id, user_id from awards where tenant_id = $1 and external_id = any($2::text[])', [tenantId, ids]);
      return new Map(rows.map((r) => [r.external_id, r]));
    },
    /** The learners (created on first sight), by "<platform>\n<LMS user id>"; a test account stays one. */
    async learners(tenantId: string, items: Array<{ platformId: string; lmsUserId: string; isTest: boolean }>): Promise<Map<string, string>> {
      const unique = new Map<string, { platformId: string; lmsUserId: string; isTest: boolean }>();
      // One row per learner: a statement may not update the same row twice.
      for (const i of items) {
        const key = `${i.platformId}\n${i.lmsUserId}`;
        unique.set(key, { ...i, isTest: i.isTest || (unique.get(key)?.isTest ?? false) });
      }
      if (unique.size === 0) return new Map();
      const rows = await db.query<{ id: string; platform_id: string; lms_user_id: string }>(
        `insert into users (tenant_id, id, platform_id, lms_user_id, is_test)
         select $1, x.id, x.platform_id, x.lms_user_id, x.is_test
         from json_to_recordset($2::json) as x(id uuid, platform_id uuid, lms_user_id text, is_test boolean)
         on conflict (tenant_id, platform_id, lms_user_id) do update set is_test = users.is_test or excluded.is_test
         returning id, platform_id, lms_user_id`,
        [tenantId, JSON.stringify([...unique.values()].map((l) => ({ id: newId(), platform_id: l.platformId, lms_user_id: l.lmsUserId, is_test: l.isTest })))]);
      return new Map(rows.map((r) => [`${r.platform_id}\n${r.lms_user_id}`, r.id]));
    },
    async markImported(q: Queryable, tenantId: string, items: ImportedState[]): Promise<void> {
      if (items.length === 0) return;
      // Locked in id order first, as the signing queue locks them (storeSigned): in the order of the
      // update's join instead, the two could each hold a row the other waits for.
      await q.query('select 1 from awards where tenant_id = $1 and id = any($2::uuid[]) order by id for no key update', [tenantId, items.map((i) => i.awardId)]);
      await q.query(
        `update awards a set external_id = x.external_id, accepted_at = x.accepted_at, revoked_at = x.revoked_at, is_public = x.is_public
         from json_to_recordset($2::json) as x(id uuid, external_id text, accepted_at timestamptz, revoked_at timestamptz, is_public boolean)
         where a.tenant_id = $1 and a.id = x.id`,
        [tenantId, JSON.stringify(items.map((i) => ({ id: i.awardId, external_id: i.externalId, accepted_at: i.acceptedAt, revoked_at: i.revokedAt, is_public: i.isPublic })))]);
    },
    /** Imported events in multi-row statements (the event log's own recorder writes one row at a time). */
    async insertEvents(q: Queryable, tenantId: string, events: ImportedEvent[]): Promise<void> {
      for (let start = 0; start < events.length; start += EVENT_ROWS) {
        const rows = events.slice(start, start + EVENT_ROWS);
        await q.query(
          `insert into events (tenant_id, course_id, module_id, badge_id, award_id, learner_id, type, channel, is_bot, occurred_at, metadata)
           select $1, x.course_id, x.module_id, x.badge_id, x.award_id, x.learner_id, x.type, x.channel, x.is_bot, x.occurred_at, x.metadata
           from json_to_recordset($2::json) as x(course_id uuid, module_id uuid, badge_id uuid, award_id uuid, learner_id uuid, type text,
             channel text, is_bot boolean, occurred_at timestamptz, metadata jsonb)`,
          [tenantId, JSON.stringify(rows.map((e) => ({
            course_id: e.courseId, module_id: e.moduleId, badge_id: e.badgeId, award_id: e.awardId, learner_id: e.learnerId, type: e.type,
            channel: e.channel, is_bot: e.isBot, occurred_at: e.occurredAt, metadata: e.metadata,
          })))]);
      }
    },
    /** A course a history names before any launch brought it (launches fill in the rest later). */
    async ensureCourse(tenantId: string, platformId: string, lmsContextId: string, title: string): Promise<{ id: string; created: boolean }> {
      const rows = await db.query<{ id: string; created: boolean }>(
        `insert into courses (tenant_id, id, platform_id, lms_context_id, title) values ($1, $2, $3, $4, $5)
         on conflict (tenant_id, platform_id, lms_context_id) do update set title = courses.title
         returning id, (xmax = 0) as created`,
        [tenantId, newId(), platformId, lmsContextId, title]);
      return rows[0]!;
    },
  };
}
