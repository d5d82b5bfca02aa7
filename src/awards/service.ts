// Awards after issuance: the Data Integrity copy of their credential, revocation, and lookups.
import type { Credentials } from '../credentials/index.js';
import type { Db } from '../db/index.js';
import { recordEvent } from '../events/index.js';
import { ConflictError, NotFoundError, type Clock } from '../shared/index.js';
import { createIssuance } from './issuance.js';
import { awardRepository, type Award, type AwardState } from './repository.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function createAwardService(deps: { db: Db; credentials: Credentials; clock: Clock }) {
  const repo = awardRepository(deps.db);
  const issuance = createIssuance(deps);

  async function require(awardId: string): Promise<Award> {
    const award = UUID.test(awardId) ? await repo.find(awardId) : null;
    if (!award) throw new NotFoundError('award_not_found', 'No such award.');
    return award;
  }

  return {
    issue: issuance.issue,
    issueBatch: issuance.issueBatch,
    find: (awardId: string) => (UUID.test(awardId) ? repo.find(awardId) : Promise.resolve(null)),
    require,

    /** The learner's awards by state: pending (to claim) and the rest. */
    async ofLearner(tenantId: string, userId: string) {
      const now = deps.clock.now();
      const all = (await repo.ofLearner(tenantId, userId)).map((a) => ({
        ...a,
        state: (a.revokedAt ? 'revoked' : a.validUntil && a.validUntil <= now ? 'expired' : a.acceptedAt ? 'accepted' : 'pending') as AwardState,
      }));
      return { pending: all.filter((a) => a.state === 'pending'), earned: all.filter((a) => a.state !== 'pending') };
    },

    /** The learner's name as the LMS gave it, for pages where the learner allows it. */
    async learnerName(award: Award): Promise<string | null> {
      return repo.learnerName(award.tenantId, award.userId);
    },

    /** The credential with its embedded Data Integrity proof, signed on first use and kept. */
    async withDataIntegrity(award: Award): Promise<Record<string, unknown>> {
      if (award.credentialDi) return award.credentialDi;
      const signed = await deps.credentials.signers.signDataIntegrity(award.tenantId, award.credential as never);
      await deps.db.query('update awards set credential_di = $2::jsonb where id = $1 and credential_di is null', [award.id, JSON.stringify(signed)]);
      const stored = await repo.find(award.id);
      return stored?.credentialDi ?? signed;
    },

    /** Flips the award's status bit; verifiers see it through the status list. */
    async revoke(tenantId: string, awardId: string, reason: string): Promise<Award> {
      const award = await require(awardId);
      if (award.tenantId !== tenantId) throw new NotFoundError('award_not_found', 'No such award.');
      if (award.revokedAt) throw new ConflictError('already_revoked', 'This award is already revoked.');
      const now = deps.clock.now();
      await deps.db.transaction(async (tx) => {
        // Only the first of concurrent revocations changes the row; the others find it revoked.
        const changed = await tx.query('update awards set revoked_at = $2, revocation_reason = $3 where id = $1 and revoked_at is null returning id', [awardId, now, reason]);
        if (changed.length === 0) throw new ConflictError('already_revoked', 'This award is already revoked.');
        await deps.credentials.statusLists.setRevoked(tx, award.statusListId, award.statusIndex);
        await recordEvent(tx, { tenantId, type: 'revoked', occurredAt: now, courseId: award.courseId, moduleId: award.moduleId, badgeId: award.badgeId, awardId, learnerId: award.userId, metadata: { reason } });
      });
      return require(awardId);
    },
  };
}

export type AwardService = ReturnType<typeof createAwardService>;
