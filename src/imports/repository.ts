// SQL for imports: finding what an earlier import brought, and the learner an imported award names.
import type { Queryable } from '../db/index.js';
import { newId } from '../shared/index.js';

export function importRepository(db: Queryable) {
  return {
    badgeByExternalId: async (tenantId: string, externalId: string) =>
      (await db.query<{ id: string; platform_id: string }>(
        'select b.id, c.platform_id from badges b join courses c on c.id = b.course_id where b.tenant_id = $1 and b.external_id = $2', [tenantId, externalId]))[0] ?? null,
    awardByExternalId: async (tenantId: string, externalId: string) =>
      (await db.query<{ id: string }>('select id from awards where tenant_id = $1 and external_id = $2', [tenantId, externalId]))[0] ?? null,
    async awardsByExternalIds(tenantId: string, ids: string[]) {
      const rows = await db.query<{ id: string; external_id: string; course_id: string; module_id: string; badge_id: string; user_id: string }>(
        'select id, external_id, course_id, module_id, badge_id, user_id from awards where tenant_id = $1 and external_id = any($2::text[])', [tenantId, ids]);
      return new Map(rows.map((r) => [r.external_id, r]));
    },
    learner: async (tenantId: string, platformId: string, lmsUserId: string, isTest: boolean) =>
      (await db.query<{ id: string }>(
        `insert into users (tenant_id, id, platform_id, lms_user_id, is_test) values ($1, $2, $3, $4, $5)
         on conflict (tenant_id, platform_id, lms_user_id) do update set is_test = users.is_test or excluded.is_test returning id`,
        [tenantId, newId(), platformId, lmsUserId, isTest]))[0]!.id,
    async markImported(q: Queryable, awardId: string, a: { externalId: string; acceptedAt: string | null; revokedAt: string | null; isPublic: boolean }) {
      await q.query('update awards set external_id = $2, accepted_at = $3, revoked_at = $4, is_public = $5 where id = $1', [awardId, a.externalId, a.acceptedAt, a.revokedAt, a.isPublic]);
    },
  };
}
