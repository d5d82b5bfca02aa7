// A tenant for the rollup property tests (daily-rollup, learner-chains): one platform, a status
// list, two courses, and badges with one module each, written straight to the tables.
import { randomUUID } from 'node:crypto';
import type { Queryable } from '../../src/db/index.js';

export interface RollupWorld { tenantId: string; platformId: string; listId: string; badges: Array<{ id: string; courseId: string; moduleId: string }> }

/** A badge of the world: its course (0 or 1), its module's position, the label of its names. */
export interface RollupBadge { course: 0 | 1; position: number; label: string; pathway?: string | null }

export async function newRollupWorld(q: Queryable, name: string, badgeList: readonly RollupBadge[]): Promise<RollupWorld> {
  const [tenantId, platformId, listId] = [randomUUID(), randomUUID(), randomUUID()];
  await q.query('insert into tenants (tenant_id, name) values ($1, $2)', [tenantId, name]);
  await q.query(`insert into platforms (tenant_id, id, issuer, client_id, auth_url, token_url, jwks_url, ltijs_kid)
    values ($1, $2, $3, 'client', 'https://lms.example/auth', 'https://lms.example/token', 'https://lms.example/jwks', $4)`, [tenantId, platformId, `https://lms-${platformId}.example`, `kid-${platformId}`]);
  await q.query('insert into status_lists (tenant_id, id, size, bits) values ($1, $2, 8, $3)', [tenantId, listId, Buffer.alloc(1)]);
  const courses = [randomUUID(), randomUUID()];
  for (const id of courses) await q.query('insert into courses (tenant_id, id, platform_id, lms_context_id) values ($1, $2, $3, $4)', [tenantId, id, platformId, `ctx-${id}`]);
  const badges: RollupWorld['badges'] = [];
  for (const b of badgeList) {
    const [moduleId, id, courseId] = [randomUUID(), randomUUID(), courses[b.course]!];
    await q.query('insert into modules (tenant_id, id, course_id, title, position) values ($1, $2, $3, $4, $5)', [tenantId, moduleId, courseId, `Module ${b.label}`, b.position]);
    await q.query('insert into badges (tenant_id, id, course_id, module_id, name, pathway) values ($1, $2, $3, $4, $5, $6)', [tenantId, id, courseId, moduleId, `Badge ${b.label}`, b.pathway ?? null]);
    badges.push({ id, courseId, moduleId });
  }
  return { tenantId, platformId, listId, badges };
}
