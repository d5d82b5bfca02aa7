// The badges and modules of a scope, and each award with its event counts (bots left out of views
// and verifications) read from the award_stats rollup, never from raw events. compute() reads the
// aggregates of aggregates-repository.ts instead of awardFacts, which stays for checks and tests.
import type { Queryable } from '../db/index.js';
import type { AwardFact } from './metrics.js';

export interface BadgeAttributes { id: string; name: string; moduleId: string; courseId: string; pathway: string | null; hasExpiry: boolean; alignedToSkills: boolean; position: number }

export interface Scope { tenantId: string; courseId?: string | null; badgeId?: string | null; includeTest: boolean }

export function analyticsRepository(db: Queryable) {
  const where = (s: Scope, alias: string, first: number) => {
    const params: unknown[] = [];
    const parts: string[] = [];
    if (s.courseId) { params.push(s.courseId); parts.push(`${alias}.course_id = $${first + params.length - 1}`); }
    if (s.badgeId) { params.push(s.badgeId); parts.push(`${alias}.badge_id = $${first + params.length - 1}`); }
    if (!s.includeTest) parts.push(`not ${alias}.is_test`);
    return { sql: parts.length ? ` and ${parts.join(' and ')}` : '', params };
  };

  return {
    async awardFacts(s: Scope): Promise<Array<AwardFact & { courseId: string; sharedChannels: Record<string, number>; viewSources: Record<string, number> }>> {
      const w = where(s, 'a', 2);
      const rows = await db.query<{
        id: string; badge_id: string; user_id: string; module_id: string; course_id: string; method: AwardFact['method']; awarded_at: Date; accepted_at: Date | null;
        revoked_at: Date | null; valid_until: Date | null; is_public: boolean; shares: number; views: number; verifications: number; sent: number; failed: number;
        shared_channels: Record<string, number> | null; view_sources: Record<string, number> | null;
      }>(
        `select a.id, a.badge_id, a.user_id, a.module_id, a.course_id, a.method, a.awarded_at, a.accepted_at, a.revoked_at, a.valid_until, a.is_public,
           coalesce(s.shares, 0) as shares, coalesce(s.views, 0) as views, coalesce(s.verifications, 0) as verifications,
           coalesce(s.notified_sent, 0) as sent, coalesce(s.notified_failed, 0) as failed, s.shared_channels, s.view_sources
         from awards a left join award_stats s on s.tenant_id = a.tenant_id and s.award_id = a.id
         where a.tenant_id = $1${w.sql}`,
        [s.tenantId, ...w.params],
      );
      return rows.map((r) => ({
        awardId: r.id, badgeId: r.badge_id, learnerId: r.user_id, moduleId: r.module_id, courseId: r.course_id, method: r.method, awardedAt: r.awarded_at,
        acceptedAt: r.accepted_at, revokedAt: r.revoked_at, validUntil: r.valid_until, isPublic: r.is_public, shares: r.shares, views: r.views,
        verifications: r.verifications, notifiedSent: r.sent, notifiedFailed: r.failed, sharedChannels: r.shared_channels ?? {}, viewSources: r.view_sources ?? {},
      }));
    },

    /**
     * The badges of a scope (by name) and their modules (in course order), in one statement: a
     * module has one badge at most (badges_one_per_module), made in its own course, so the scope's
     * modules with a badge are its badges' own: at an organisation's thousand, one pass and one round trip fewer.
     */
    async badgesAndModules(s: Scope): Promise<{ badges: BadgeAttributes[]; modules: Array<{ id: string; title: string; position: number }> }> {
      const params: unknown[] = [s.tenantId];
      let sql = `select b.id, b.name, b.module_id, b.course_id, b.pathway, b.valid_for_days, jsonb_array_length(b.skills) as skills, m.position, m.title,
          (row_number() over (order by m.position, m.title, m.id))::int as module_order
        from badges b join modules m on m.id = b.module_id where b.tenant_id = $1`;
      if (s.courseId) { params.push(s.courseId); sql += ` and b.course_id = $${params.length}`; }
      if (s.badgeId) { params.push(s.badgeId); sql += ` and b.id = $${params.length}`; }
      const rows = await db.query<{ id: string; name: string; module_id: string; course_id: string; pathway: string | null; valid_for_days: number | null; skills: number;
        position: number; title: string; module_order: number }>(sql + ' order by b.name', params);
      const modules: Array<{ id: string; title: string; position: number }> = new Array(rows.length);
      for (const r of rows) modules[r.module_order - 1] = { id: r.module_id, title: r.title, position: r.position };
      return {
        badges: rows.map((r) => ({ id: r.id, name: r.name, moduleId: r.module_id, courseId: r.course_id, pathway: r.pathway, hasExpiry: r.valid_for_days !== null, alignedToSkills: r.skills > 0, position: r.position })),
        modules,
      };
    },

    /** The course a course or badge of this tenant belongs to; null when the tenant has no such thing. */
    async courseOf(table: 'courses' | 'badges', id: string, tenantId: string): Promise<string | null> {
      const rows = await db.query<{ course_id: string }>(
        table === 'courses' ? 'select id as course_id from courses where id = $1 and tenant_id = $2' : 'select course_id from badges where id = $1 and tenant_id = $2',
        [id, tenantId]);
      return rows[0]?.course_id ?? null;
    },
  };
}
