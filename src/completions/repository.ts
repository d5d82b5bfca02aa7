// SQL for completions: resolving courses, modules with their badges, and learners; storing
// completions in one multi-row statement.
import type { Queryable } from '../db/index.js';

export interface Target { courseId: string; platformId: string; moduleId: string; badgeId: string; minScore: number }

export function completionRepository(db: Queryable) {
  return {
    /**
     * Modules with a badge, keyed by "<LMS course id>\n<module external id>", within the tenant (or
     * one course); either id may be ours instead. The modules of the courses named come back whole
     * and are matched here: a join on "this id or that one" compares every pair with every course
     * (at 200 courses, 100 ms per batch of 500).
     */
    async targets(tenantId: string, pairs: Array<{ courseId: string; moduleId: string }>, courseScope: string | null): Promise<Map<string, Target>> {
      if (pairs.length === 0) return new Map();
      const courseRefs = [...new Set(pairs.map((p) => p.courseId))];
      const rows = await db.query<{ course_id: string; lms_context_id: string; platform_id: string; module_id: string; external_id: string | null; badge_id: string; min_score: number }>(
        `select c.id as course_id, c.lms_context_id, c.platform_id, m.id as module_id, m.external_id, b.id as badge_id, b.min_score
         from courses c
         join modules m on m.tenant_id = $1 and m.course_id = c.id
         join badges b on b.tenant_id = $1 and b.module_id = m.id
         where c.tenant_id = $1 and (c.lms_context_id = any($2::text[]) or c.id::text = any($2::text[])) and ($3::uuid is null or c.id = $3)`,
        [tenantId, courseRefs, courseScope],
      );
      // a module by either of its ids, in a course by either of its ids
      const byRef = new Map<string, Target>();
      for (const r of rows) {
        const target = { courseId: r.course_id, platformId: r.platform_id, moduleId: r.module_id, badgeId: r.badge_id, minScore: r.min_score };
        for (const course of [r.lms_context_id, r.course_id]) for (const module of [r.external_id, r.module_id]) if (module !== null) byRef.set(`${course}\n${module}`, target);
      }
      const out = new Map<string, Target>();
      for (const p of pairs) {
        const key = `${p.courseId}\n${p.moduleId}`;
        const target = byRef.get(key);
        if (target) out.set(key, target);
      }
      return out;
    },

    /** The courses (our ids) whose modules with a badge carry these external ids. */
    async coursesOfActivities(tenantId: string, activityIds: string[]): Promise<Map<string, string[]>> {
      if (activityIds.length === 0) return new Map();
      const rows = await db.query<{ external_id: string; course_id: string }>(
        `select m.external_id, m.course_id from modules m join badges b on b.tenant_id = m.tenant_id and b.module_id = m.id
         where m.tenant_id = $1 and m.external_id = any($2::text[])`,
        [tenantId, activityIds],
      );
      const map = new Map<string, string[]>();
      for (const r of rows) map.set(r.external_id, [...(map.get(r.external_id) ?? []), r.course_id]);
      return map;
    },

    /** The learners of the batch, created on first sight (keyed by "<platform>\n<LMS user id>"). */
    async upsertLearners(tenantId: string, learners: Array<{ platformId: string; lmsUserId: string; email: string | null; name: string | null; isTest: boolean; id: string }>): Promise<Map<string, string>> {
      if (learners.length === 0) return new Map();
      const rows = await db.query<{ id: string; platform_id: string; lms_user_id: string }>(
        `insert into users (tenant_id, id, platform_id, lms_user_id, email, name, is_test)
         select $1, x.id, x.platform_id, x.lms_user_id, x.email, x.name, x.is_test
         from json_to_recordset($2::json) as x(id uuid, platform_id uuid, lms_user_id text, email text, name text, is_test boolean)
         on conflict (tenant_id, platform_id, lms_user_id) do update
           set email = coalesce(users.email, excluded.email), name = coalesce(users.name, excluded.name), is_test = users.is_test or excluded.is_test
         returning id, platform_id, lms_user_id`,
        [tenantId, JSON.stringify(learners.map((l) => ({ id: l.id, platform_id: l.platformId, lms_user_id: l.lmsUserId, email: l.email, name: l.name, is_test: l.isTest })))],
      );
      return new Map(rows.map((r) => [`${r.platform_id}\n${r.lms_user_id}`, r.id]));
    },

    async insert(q: Queryable, tenantId: string, rows: Array<{ id: string; courseId: string; moduleId: string; userId: string; score: number; maxScore: number; completedAt: string; source: string; qualifies: boolean; awardId: string | null }>): Promise<void> {
      if (rows.length === 0) return;
      await q.query(
        `insert into completions (tenant_id, id, course_id, module_id, user_id, score, max_score, completed_at, source, qualifies, award_id)
         select $1, x.id, x.course_id, x.module_id, x.user_id, x.score, x.max_score, x.completed_at, x.source, x.qualifies, x.award_id
         from json_to_recordset($2::json) as x(id uuid, course_id uuid, module_id uuid, user_id uuid, score numeric, max_score numeric,
           completed_at timestamptz, source text, qualifies boolean, award_id uuid)`,
        [tenantId, JSON.stringify(rows.map((r) => ({ id: r.id, course_id: r.courseId, module_id: r.moduleId, user_id: r.userId, score: r.score, max_score: r.maxScore, completed_at: r.completedAt, source: r.source, qualifies: r.qualifies, award_id: r.awardId })))],
      );
    },
  };
}
