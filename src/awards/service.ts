// Awards after issuance: the Data Integrity copy of their credential, revocation, and lookups.
import type { Credentials } from '../credentials/index.js';
import type { Db } from '../db/index.js';
import { recordEvent } from '../events/index.js';
import { AppError, ConflictError, NotFoundError, type Clock, type Logger, newToken, sha256Hex } from '../shared/index.js';

class GoneError extends AppError {
  constructor(code: string, message: string) {
    super(410, code, message);
  }
}
import { createIssuance } from './issuance.js';
import type { Notifier } from './notifications.js';
import { createPageViews, type PageRequest } from './public-page.js';
import { createReminders } from './reminders.js';
import { createSigningQueue } from './signing-queue.js';
import { awardRepository, type Award, type AwardState } from './repository.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type AcceptChannel = 'lms' | 'email';

export function createAwardService(deps: { db: Db; credentials: Credentials; clock: Clock; claimTokenDays: number; notifier: Notifier; logger?: Logger; onAccepted?: (award: Award) => Promise<void> }) {
  const repo = awardRepository(deps.db);
  // The queue yields to issuance, which kicks the queue: each reaches the other through a closure.
  const signing = createSigningQueue({ db: deps.db, credentials: deps.credentials, ...(deps.logger ? { logger: deps.logger } : {}), foregroundBusy: () => issuance.busy() });
  const issuance = createIssuance({ ...deps, onQueued: () => signing.kick() });
  const reminders = createReminders(deps);
  const pages = createPageViews(deps.db);

  async function require(awardId: string): Promise<Award> {
    const award = UUID.test(awardId) ? await repo.find(awardId) : null;
    if (!award) throw new NotFoundError('award_not_found', 'No such award.');
    return award;
  }

  return {
    issue: issuance.issue,
    issueBatch: issuance.issueBatch,
    /** Whether awards are being issued now (the signing queue yields to them). */
    issuanceBusy: issuance.busy,
    badgeLearners: reminders.badgeLearners,
    remindUnclaimed: reminders.remindUnclaimed,
    find: (awardId: string) => (UUID.test(awardId) ? repo.find(awardId) : Promise.resolve(null)),
    require,
    /** What the award's HTML page shows, and its `viewed` event where the request counts one (committed before this resolves). */
    openPage: (req: PageRequest) => (UUID.test(req.awardId) ? pages.open({ ...req, awardId: req.awardId.toLowerCase() }) : Promise.resolve(null)),

    /** The award a claim link points at, while the link is valid and the award not revoked. */
    async byClaimToken(token: string): Promise<Award> {
      const award = token.length >= 20 && token.length <= 100 ? await repo.findByClaimHash(sha256Hex(token)) : null;
      if (!award) throw new NotFoundError('claim_not_found', 'This claim link is not valid. Open your badges from the course instead.');
      if (award.claimExpiresAt && award.claimExpiresAt <= deps.clock.now()) throw new GoneError('claim_expired', 'This claim link has expired. Open your badges from the course, or ask your instructor for a new link.');
      if (award.revokedAt) throw new GoneError('award_revoked', 'This badge was revoked by the issuer and can no longer be claimed.');
      return award;
    },

    /** The learner accepts the award: once; the `accepted` event is written with the change. */
    async accept(award: Award, channel: AcceptChannel): Promise<{ award: Award; changed: boolean }> {
      if (award.revokedAt) throw new GoneError('award_revoked', 'This badge was revoked by the issuer and can no longer be claimed.');
      const now = deps.clock.now();
      const changed = await deps.db.transaction(async (tx) => {
        const rows = await tx.query('update awards set accepted_at = $2 where id = $1 and accepted_at is null and revoked_at is null returning id', [award.id, now]);
        if (rows.length === 0) return false;
        await recordEvent(tx, { tenantId: award.tenantId, type: 'accepted', channel, occurredAt: now, courseId: award.courseId, moduleId: award.moduleId, badgeId: award.badgeId, awardId: award.id, learnerId: award.userId });
        return true;
      });
      const updated = (await repo.find(award.id))!;
      // After the commit: the gradebook write-back talks to the LMS and must not hold the claim.
      if (changed && deps.onAccepted) await deps.onAccepted(updated).catch(() => undefined);
      return { award: updated, changed };
    },

    /** Public or private, by the learner; the change is an event. */
    async setVisibility(award: Award, isPublic: boolean): Promise<Award> {
      if (award.isPublic === isPublic) return award;
      const now = deps.clock.now();
      await deps.db.transaction(async (tx) => {
        const rows = await tx.query('update awards set is_public = $2 where id = $1 and is_public <> $2 returning id', [award.id, isPublic]);
        if (rows.length === 0) return;
        await recordEvent(tx, { tenantId: award.tenantId, type: 'visibility_changed', occurredAt: now, courseId: award.courseId, moduleId: award.moduleId, badgeId: award.badgeId, awardId: award.id, learnerId: award.userId, metadata: { public: isPublic } });
      });
      return (await repo.find(award.id))!;
    },

    /** A new claim link for an award (the old one stops working), e.g. for a reminder. */
    async renewClaimToken(award: Award): Promise<string> {
      const token = newToken(32);
      await deps.db.query('update awards set claim_token_hash = $2, claim_expires_at = $3 where id = $1', [award.id, sha256Hex(token), new Date(deps.clock.now().getTime() + deps.claimTokenDays * 86_400_000)]);
      return token;
    },

    /** The learner's awards by state: pending (to claim) and the rest. */
    async ofLearner(tenantId: string, userId: string) {
      const now = deps.clock.now();
      const all = (await repo.ofLearner(tenantId, userId)).map((a) => ({
        ...a,
        state: (a.revokedAt ? 'revoked' : a.validUntil && a.validUntil <= now ? 'expired' : a.acceptedAt ? 'accepted' : 'pending') as AwardState,
      }));
      return { pending: all.filter((a) => a.state === 'pending'), earned: all.filter((a) => a.state !== 'pending') };
    },

    /** The learner's id in the LMS (the LTI `sub`), for write-back to the platform. */
    lmsUserIdOf: (tenantId: string, userId: string) => repo.lmsUserId(tenantId, userId),

    /** The learner's name as the LMS gave it, for pages where the learner allows it. */
    async learnerName(award: Award): Promise<string | null> {
      return repo.learnerName(award.tenantId, award.userId);
    },

    /** The signing queue of bulk-issued awards (started by the server, drained by tests and benchmarks). */
    signing,

    /** The award's VC-JWT; an award still in the signing queue is signed now (and kept). */
    async signedJwt(award: Award): Promise<string> {
      if (award.credentialJwt) return award.credentialJwt;
      const jwt = await deps.credentials.signers.signJwt(award.tenantId, award.credential as never);
      if ((await repo.storeSigned([{ id: award.id, jwt }])) === 1) return jwt;
      // Signed meanwhile by the queue or another request: that token is the award's.
      return (await repo.find(award.id))?.credentialJwt ?? jwt;
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
