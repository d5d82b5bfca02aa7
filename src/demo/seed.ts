// Seeds the demo tenant: a platform record for the demo LMS and a course with modules and badges,
// so the panels have something to show. Idempotent: a second start reuses what is there.
import type { Db } from '../db/index.js';
import type { Lti } from '../lti/index.js';
import { newId } from '../shared/index.js';
import type { TenantService } from '../tenancy/index.js';

export const DEMO_COURSE = { id: 'demo-course-ds101', title: 'Introduction to Data Science' };

const MODULES = [
  { title: 'Module 1: Data literacy', badge: 'Data Literate', minScore: 0 },
  { title: 'Module 2: Statistics basics', badge: 'Statistics Foundations', minScore: 0.7 },
  { title: 'Module 3: Data ethics', badge: 'Responsible Data Practitioner', minScore: 0.8 },
];

export async function seedDemo(deps: { db: Db; tenants: TenantService; lti: Lti }, lms: { issuer: string; clientId: string; deploymentId: string; authUrl: string; tokenUrl: string; jwksUrl: string }): Promise<void> {
  const existing = (await deps.lti.platforms.byIssuer(lms.issuer)).find((p) => p.clientId === lms.clientId);
  if (existing) return;
  const tenant = (await deps.tenants.list()).find((t) => t.name === 'Demo University') ?? (await deps.tenants.create('Demo University'));
  const platform = await deps.lti.platforms.register({
    tenantId: tenant.id, issuer: lms.issuer, clientId: lms.clientId, authUrl: lms.authUrl, tokenUrl: lms.tokenUrl,
    jwksUrl: lms.jwksUrl, deploymentIds: [lms.deploymentId], name: 'Demo LMS', product: 'demo',
  });
  await deps.db.transaction(async (tx) => {
    const courseId = newId();
    await tx.query('insert into courses (tenant_id, id, platform_id, lms_context_id, title, label) values ($1, $2, $3, $4, $5, $6)', [tenant.id, courseId, platform.id, DEMO_COURSE.id, DEMO_COURSE.title, 'DS101']);
    for (const [i, m] of MODULES.entries()) {
      const moduleId = newId();
      await tx.query('insert into modules (tenant_id, id, course_id, title, position) values ($1, $2, $3, $4, $5)', [tenant.id, moduleId, courseId, m.title, i + 1]);
      await tx.query(
        `insert into badges (tenant_id, id, course_id, module_id, name, description, criteria, min_score, valid_for_days)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [tenant.id, newId(), courseId, moduleId, m.badge, `Awarded for completing ${m.title}.`, `Complete ${m.title}${m.minScore ? ` with a score of at least ${m.minScore * 100} %` : ''}.`, m.minScore, i === 2 ? 365 : null],
      );
    }
  });
}
