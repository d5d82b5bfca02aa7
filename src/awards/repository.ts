// SQL for awards and what issuing one needs to know about its badge, learner and tenant.
import type { Queryable } from '../db/index.js';

export type AwardMethod = 'lms' | 'api' | 'csv' | 'manual';
export type AwardState = 'pending' | 'accepted' | 'revoked' | 'expired';

export interface Award {
  id: string;
  tenantId: string;
  badgeId: string;
  courseId: string;
  moduleId: string;
  userId: string;
  method: AwardMethod;
  isTest: boolean;
  awardedAt: Date;
  acceptedAt: Date | null;
  revokedAt: Date | null;
  validUntil: Date | null;
  isPublic: boolean;
  showName: boolean;
  statusListId: string;
  statusIndex: number;
  credential: Record<string, unknown>;
  credentialJwt: string;
  credentialDi: Record<string, unknown> | null;
}

export interface IssueContext {
  tenantId: string;
  tenantName: string;
  issuerUrl: string | null;
  issuerEmail: string | null;
  badge: { id: string; courseId: string; moduleId: string; name: string; description: string; criteria: string; imageUrl: string | null; imageId: string | null; skills: Array<{ name: string; url?: string }>; validForDays: number | null };
  learner: { id: string; email: string | null; lmsUserId: string; isTest: boolean; name: string | null };
}

type AwardRow = {
  id: string; tenant_id: string; badge_id: string; course_id: string; module_id: string; user_id: string; method: AwardMethod; is_test: boolean;
  awarded_at: Date; accepted_at: Date | null; revoked_at: Date | null; valid_until: Date | null; is_public: boolean; show_name: boolean;
  status_list_id: string; status_index: number; credential: Record<string, unknown>; credential_jwt: string; credential_di: Record<string, unknown> | null;
};

export const toAward = (r: AwardRow): Award => ({
  id: r.id, tenantId: r.tenant_id, badgeId: r.badge_id, courseId: r.course_id, moduleId: r.module_id, userId: r.user_id, method: r.method,
  isTest: r.is_test, awardedAt: r.awarded_at, acceptedAt: r.accepted_at, revokedAt: r.revoked_at, validUntil: r.valid_until,
  isPublic: r.is_public, showName: r.show_name, statusListId: r.status_list_id, statusIndex: r.status_index,
  credential: r.credential, credentialJwt: r.credential_jwt, credentialDi: r.credential_di,
});

export function awardRepository(db: Queryable) {
  return {
    async issueContext(tenantId: string, badgeId: string, userId: string): Promise<IssueContext | null> {
      const rows = await db.query<{
        tenant_name: string; issuer_url: string | null; issuer_email: string | null; badge_id: string; course_id: string; module_id: string; name: string;
        description: string; criteria: string; image_url: string | null; image_id: string | null; skills: Array<{ name: string; url?: string }>; valid_for_days: number | null;
        user_id: string; email: string | null; lms_user_id: string; user_is_test: boolean; user_name: string | null;
      }>(
        `select t.name as tenant_name, t.issuer_url, t.issuer_email, b.id as badge_id, b.course_id, b.module_id, b.name, b.description, b.criteria,
                b.image_url, b.image_id, b.skills, b.valid_for_days, u.id as user_id, u.email, u.lms_user_id, u.is_test as user_is_test, u.name as user_name
         from badges b join tenants t on t.tenant_id = b.tenant_id join users u on u.tenant_id = b.tenant_id and u.id = $3
         where b.tenant_id = $1 and b.id = $2`,
        [tenantId, badgeId, userId],
      );
      const r = rows[0];
      if (!r) return null;
      return {
        tenantId, tenantName: r.tenant_name, issuerUrl: r.issuer_url, issuerEmail: r.issuer_email,
        badge: { id: r.badge_id, courseId: r.course_id, moduleId: r.module_id, name: r.name, description: r.description, criteria: r.criteria, imageUrl: r.image_url, imageId: r.image_id, skills: r.skills, validForDays: r.valid_for_days },
        learner: { id: r.user_id, email: r.email, lmsUserId: r.lms_user_id, isTest: r.user_is_test, name: r.user_name },
      };
    },
    async findExisting(tenantId: string, courseId: string, moduleId: string, userId: string): Promise<Award | null> {
      const rows = await db.query<AwardRow>('select * from awards where tenant_id = $1 and course_id = $2 and module_id = $3 and user_id = $4', [tenantId, courseId, moduleId, userId]);
      return rows[0] ? toAward(rows[0]) : null;
    },
    async find(awardId: string): Promise<Award | null> {
      const rows = await db.query<AwardRow>('select * from awards where id = $1', [awardId]);
      return rows[0] ? toAward(rows[0]) : null;
    },
  };
}
