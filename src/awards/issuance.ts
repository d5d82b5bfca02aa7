// Issuing an award: one per tenant + course + module + learner, whatever arrives twice or at once.
// The award, its status entry, its VC-JWT and its `awarded` event are written in one transaction.
import type { Credentials } from '../credentials/index.js';
import type { Db } from '../db/index.js';
import { recordEvent } from '../events/index.js';
import { NotFoundError, type Clock, newId, newToken } from '../shared/index.js';
import { awardRepository, toAward, type Award, type AwardMethod } from './repository.js';

export interface IssueRequest {
  tenantId: string;
  badgeId: string;
  userId: string;
  method: AwardMethod;
  awardedAt?: Date;
}

export function createIssuance(deps: { db: Db; credentials: Credentials; clock: Clock }) {
  const repo = awardRepository(deps.db);

  return {
    async issue(req: IssueRequest): Promise<{ award: Award; created: boolean }> {
      const ctx = await repo.issueContext(req.tenantId, req.badgeId, req.userId);
      if (!ctx) throw new NotFoundError('badge_or_learner_not_found', 'No such badge or learner in this tenant.');
      const existing = await repo.findExisting(req.tenantId, ctx.badge.courseId, ctx.badge.moduleId, req.userId);
      if (existing) return { award: existing, created: false };

      const awardedAt = req.awardedAt ?? deps.clock.now();
      const validUntil = ctx.badge.validForDays ? new Date(awardedAt.getTime() + ctx.badge.validForDays * 86_400_000) : null;
      const id = newId();
      const salt = newToken(16);
      // Read (or create) the signing key before the transaction: PGlite has one connection, and a
      // query outside the transaction would wait for it forever.
      const signingKey = await deps.credentials.keys.activeKey(req.tenantId, 'RS256');
      const inserted = await deps.db.transaction(async (tx) => {
        const status = await deps.credentials.statusLists.allocate(tx, req.tenantId);
        const credential = deps.credentials.build({
          awardId: id,
          issuer: { tenantId: req.tenantId, name: ctx.tenantName, url: ctx.issuerUrl, email: ctx.issuerEmail },
          badge: { ...ctx.badge, imageUrl: deps.credentials.badgeImageUrl(ctx.badge) },
          learner: ctx.learner,
          salt,
          awardedAt,
          validUntil,
          status,
        });
        const jwt = await deps.credentials.signers.signJwt(req.tenantId, credential, signingKey);
        const rows = await tx.query<Parameters<typeof toAward>[0]>(
          `insert into awards (tenant_id, id, badge_id, course_id, module_id, user_id, method, is_test, awarded_at, valid_until,
             recipient_salt, status_list_id, status_index, credential, credential_jwt)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14::jsonb, $15)
           on conflict (tenant_id, course_id, module_id, user_id) do nothing
           returning *`,
          [req.tenantId, id, ctx.badge.id, ctx.badge.courseId, ctx.badge.moduleId, req.userId, req.method, ctx.learner.isTest, awardedAt, validUntil,
            salt, status.listId, status.index, JSON.stringify(credential), jwt],
        );
        const row = rows[0];
        if (!row) return null; // a concurrent request issued it first; its status entry stays unused
        await recordEvent(tx, {
          tenantId: req.tenantId, type: 'awarded', channel: req.method, occurredAt: awardedAt, courseId: ctx.badge.courseId,
          moduleId: ctx.badge.moduleId, badgeId: ctx.badge.id, awardId: id, learnerId: req.userId,
        });
        return toAward(row);
      });
      if (inserted) return { award: inserted, created: true };
      const winner = await repo.findExisting(req.tenantId, ctx.badge.courseId, ctx.badge.moduleId, req.userId);
      return { award: winner!, created: false };
    },
  };
}

export type Issuance = ReturnType<typeof createIssuance>;
