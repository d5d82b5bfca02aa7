// Seeds the demo tenant: a platform record for the demo LMS, a course, and through the history
// import (the path a migration takes) its badges with two months of synthetic awards, claims,
// shares and views, so the panels have something to show. Idempotent: a second start reuses it.
import type { Db } from '../db/index.js';
import type { Importer } from '../imports/index.js';
import type { Lti } from '../lti/index.js';
import { newId, type Clock } from '../shared/index.js';
import type { TenantService } from '../tenancy/index.js';
import { generateHistory, type HistoryModule } from './history.js';

export const DEMO_COURSE = { id: 'demo-course-ds101', title: 'Introduction to Data Science' };

const PATHWAY = 'Data Science Foundations';
const MODULES: HistoryModule[] = [
  { moduleId: 'ds101-m1', title: 'Module 1: Data literacy', badge: 'Data Literate', minScore: 0, pathway: PATHWAY, claimRate: 0.9 },
  { moduleId: 'ds101-m2', title: 'Module 2: Statistics basics', badge: 'Statistics Foundations', minScore: 0.7, skills: ['Descriptive statistics', 'Probability'], pathway: PATHWAY, claimRate: 0.82 },
  // The claim rate falls here: the demo's completion-to-claim gap jumps at module 3.
  { moduleId: 'ds101-m3', title: 'Module 3: Data ethics', badge: 'Responsible Data Practitioner', minScore: 0.8, skills: ['Data ethics', 'GDPR basics'], validForDays: 365, claimRate: 0.5 },
];

export async function seedDemo(
  deps: { db: Db; tenants: TenantService; lti: Lti; importer: Importer; clock: Clock },
  lms: { issuer: string; clientId: string; deploymentId: string; authUrl: string; tokenUrl: string; jwksUrl: string },
): Promise<void> {
  const existing = (await deps.lti.platforms.byIssuer(lms.issuer)).find((p) => p.clientId === lms.clientId);
  if (existing) return;
  const tenant = (await deps.tenants.list()).find((t) => t.name === 'Demo University') ?? (await deps.tenants.create('Demo University'));
  const platform = await deps.lti.platforms.register({
    tenantId: tenant.id, issuer: lms.issuer, clientId: lms.clientId, authUrl: lms.authUrl, tokenUrl: lms.tokenUrl,
    jwksUrl: lms.jwksUrl, deploymentIds: [lms.deploymentId], name: 'Demo LMS', product: 'demo',
  });
  // Courses come from launches; the demo's first launch has not happened yet.
  await deps.db.query('insert into courses (tenant_id, id, platform_id, lms_context_id, title, label) values ($1, $2, $3, $4, $5, $6)', [tenant.id, newId(), platform.id, DEMO_COURSE.id, DEMO_COURSE.title, 'DS101']);
  const history = generateHistory({ courseId: DEMO_COURSE.id, modules: MODULES, learners: 60, testAccounts: 2, days: 60, now: deps.clock.now(), seed: 2026, prefix: 'demo' });
  await deps.importer.run(tenant.id, history);
  await nameDemoLearners(deps.db, tenant.id);
}

const FIRST = ['Ada', 'Ben', 'Chloé', 'Dev', 'Elif', 'Femi', 'Greta', 'Hiro', 'Ines', 'Jonas', 'Kira', 'Luis', 'Maya', 'Noor', 'Omar', 'Priya', 'Quinn', 'Rosa', 'Sami', 'Tara'];
const LAST = ['Andersen', 'Bauer', 'Costa', 'Diallo', 'Evans', 'Fischer', 'García', 'Haddad', 'Ivanova', 'Jensen', 'Kowalski', 'Laurent'];

/** Imports carry learner ids only; the demo's instructors should see people in the learner list. */
async function nameDemoLearners(db: Db, tenantId: string): Promise<void> {
  await db.query(
    `update users set name = ($2::text[])[1 + (substring(lms_user_id from '[0-9]+$')::int % $4)] || ' ' || ($3::text[])[1 + (substring(lms_user_id from '[0-9]+$')::int % $5)],
       email = lms_user_id || '@students.demo.example'
     where tenant_id = $1 and lms_user_id like 'demo-learner-%' and name is null`,
    [tenantId, FIRST, LAST, FIRST.length, LAST.length],
  );
}
