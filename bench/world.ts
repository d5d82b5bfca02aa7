// A tenant with a platform, one course of `modules` modules with a badge each, and an org API key,
// made through the services (courses come from launches, so that one row is plain SQL, as in
// test/support/builders.ts).
import { randomUUID } from 'node:crypto';
import type { BuiltApp } from '../src/app.js';
import type { Db } from '../src/db/index.js';

export async function benchWorld(built: BuiltApp, db: Db, name: string, modules: number) {
  const { tenants, lti, badges } = built.services;
  const tenant = await tenants.create(name);
  const issuer = `https://lms-${randomUUID().slice(0, 8)}.bench.example`;
  const platform = await lti.platforms.register({ tenantId: tenant.id, issuer, clientId: 'bench', authUrl: `${issuer}/auth`, tokenUrl: `${issuer}/token`, jwksUrl: `${issuer}/jwks`, deploymentIds: ['1'] });
  const courseId = randomUUID();
  const context = `bench-${courseId.slice(0, 8)}`;
  await db.query('insert into courses (tenant_id, id, platform_id, lms_context_id, title) values ($1, $2, $3, $4, $5)', [tenant.id, courseId, platform.id, context, 'Bench course']);
  const badgeIds: string[] = [];
  for (let m = 1; m <= modules; m += 1) {
    const b = await badges.create(tenant.id, { courseId: context, moduleId: `m${m}`, moduleTitle: `Module ${m}`, name: `Bench Badge ${m}`, criteria: `Finish module ${m}.`, skills: [{ name: 'Benchmarking' }], rule: { minScore: 0.5 } });
    badgeIds.push(b.id);
  }
  const key = (await tenants.createApiKey(tenant.id)).key;
  return { tenantId: tenant.id, platformId: platform.id, courseId, context, badgeIds, key };
}
