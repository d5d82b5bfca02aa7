// SQL for the course catalogue the panels show: courses, modules in course order, badges.
import type { Queryable } from '../db/index.js';

export interface ModuleSummary { id: string; title: string; position: number; badgeCount: number; externalId: string | null }
export interface LearnerSummary { id: string; lmsUserId: string; name: string | null; email: string | null }
export interface BadgeSummary { id: string; name: string; moduleId: string; moduleTitle: string; minScore: number; validForDays: number | null }
export interface CourseSummary { id: string; title: string; label: string; modules: number; badges: number; learners: number }

export function courseRepository(db: Queryable) {
  return {
    async modules(tenantId: string, courseId: string): Promise<ModuleSummary[]> {
      const rows = await db.query<{ id: string; title: string; position: number; badge_count: number; external_id: string | null }>(
        `select m.id, m.title, m.position, m.external_id, (select count(*) from badges b where b.tenant_id = m.tenant_id and b.module_id = m.id)::int as badge_count
         from modules m where m.tenant_id = $1 and m.course_id = $2 order by m.position, m.created_at`,
        [tenantId, courseId],
      );
      return rows.map((r) => ({ id: r.id, title: r.title, position: r.position, badgeCount: r.badge_count, externalId: r.external_id }));
    },
    async badges(tenantId: string, courseId: string): Promise<BadgeSummary[]> {
      const rows = await db.query<{ id: string; name: string; module_id: string; module_title: string; min_score: number; valid_for_days: number | null }>(
        `select b.id, b.name, b.module_id, m.title as module_title, b.min_score, b.valid_for_days
         from badges b join modules m on m.id = b.module_id where b.tenant_id = $1 and b.course_id = $2 order by m.position, b.name`,
        [tenantId, courseId],
      );
      return rows.map((r) => ({ id: r.id, name: r.name, moduleId: r.module_id, moduleTitle: r.module_title, minScore: r.min_score, validForDays: r.valid_for_days }));
    },
    async courses(tenantId: string): Promise<CourseSummary[]> {
      const rows = await db.query<{ id: string; title: string; label: string; modules: number; badges: number; learners: number }>(
        `select c.id, c.title, c.label,
           (select count(*) from modules m where m.tenant_id = c.tenant_id and m.course_id = c.id)::int as modules,
           (select count(*) from badges b where b.tenant_id = c.tenant_id and b.course_id = c.id)::int as badges,
           (select count(*) from enrolments e join users u on u.id = e.user_id
             where e.tenant_id = c.tenant_id and e.course_id = c.id and not u.is_test
               and exists (select 1 from unnest(e.roles) r where r like '%#Learner' or r = 'Learner'))::int as learners
         from courses c where c.tenant_id = $1 order by c.title`,
        [tenantId],
      );
      return rows;
    },
    /** The course's learners (launched with a learner role), test accounts included but marked. */
    async learners(tenantId: string, courseId: string): Promise<LearnerSummary[]> {
      const rows = await db.query<{ id: string; lms_user_id: string; name: string | null; email: string | null }>(
        `select u.id, u.lms_user_id, u.name, u.email from enrolments e join users u on u.id = e.user_id
         where e.tenant_id = $1 and e.course_id = $2 and exists (select 1 from unnest(e.roles) r where r like '%#Learner' or r = 'Learner')
         order by u.name nulls last, u.lms_user_id`,
        [tenantId, courseId],
      );
      return rows.map((r) => ({ id: r.id, lmsUserId: r.lms_user_id, name: r.name, email: r.email }));
    },
    async insertModule(m: { tenantId: string; id: string; courseId: string; title: string; externalId: string | null }): Promise<void> {
      await db.query(
        `insert into modules (tenant_id, id, course_id, title, external_id, position)
         values ($1, $2, $3, $4, $5, coalesce((select max(position) + 1 from modules where tenant_id = $1 and course_id = $3), 1))`,
        [m.tenantId, m.id, m.courseId, m.title, m.externalId],
      );
    },
    async moduleExists(tenantId: string, courseId: string, moduleId: string): Promise<boolean> {
      const rows = await db.query('select 1 from modules where tenant_id = $1 and course_id = $2 and id = $3', [tenantId, courseId, moduleId]);
      return rows.length > 0;
    },
  };
}
