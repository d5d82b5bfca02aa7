// Builders for tests: a tenant with a platform, a course, a learner and a badge, made through the
// services where they exist and plain SQL where only launches create the rows.
import { randomUUID } from 'node:crypto';
import type { TestApp } from './app.js';

export interface World {
  tenantId: string;
  platformId: string;
  courseId: string;
  lmsContextId: string;
}

export async function buildWorld(app: TestApp, name = 'North College'): Promise<World> {
  const { tenants, lti } = app.built.services;
  const tenant = await tenants.create(name);
  const issuer = `https://lms-${randomUUID().slice(0, 8)}.example`;
  const platform = await lti.platforms.register({
    tenantId: tenant.id, issuer, clientId: 'client-1', authUrl: `${issuer}/auth`, tokenUrl: `${issuer}/token`, jwksUrl: `${issuer}/jwks`, deploymentIds: ['1'],
  });
  const courseId = randomUUID();
  const lmsContextId = `ctx-${courseId.slice(0, 8)}`;
  await app.testDb.db.query('insert into courses (tenant_id, id, platform_id, lms_context_id, title) values ($1, $2, $3, $4, $5)', [tenant.id, courseId, platform.id, lmsContextId, 'Data Science 101']);
  return { tenantId: tenant.id, platformId: platform.id, courseId, lmsContextId };
}

export async function buildLearner(app: TestApp, w: World, over: { email?: string | null; name?: string; isTest?: boolean } = {}): Promise<string> {
  const id = randomUUID();
  await app.testDb.db.query(
    'insert into users (tenant_id, id, platform_id, lms_user_id, name, email, is_test) values ($1, $2, $3, $4, $5, $6, $7)',
    [w.tenantId, id, w.platformId, `lms-${id.slice(0, 8)}`, over.name ?? 'Ada Learner', over.email === undefined ? `ada.${id.slice(0, 6)}@school.example` : over.email, over.isTest ?? false],
  );
  return id;
}

let moduleCounter = 0;
export async function buildBadge(app: TestApp, w: World, over: Record<string, unknown> = {}) {
  moduleCounter += 1;
  return app.built.services.badges.create(w.tenantId, {
    courseId: w.lmsContextId,
    moduleId: `mod-${moduleCounter}-${randomUUID().slice(0, 6)}`,
    moduleTitle: `Module ${moduleCounter}`,
    name: 'Responsible Data Practitioner',
    description: 'Shows the learner can handle personal data responsibly.',
    criteria: 'Complete Module 3 with a score of at least 80 %.',
    skills: [{ name: 'Data ethics', url: 'https://skills.example/data-ethics' }, { name: 'GDPR basics' }],
    rule: { minScore: 0.8 },
    ...over,
  });
}
