// Issuing awards: one per tenant + course + module + learner, whatever arrives twice or at once.
// A batch takes its status entries first (a short transaction of its own), then is issued in one
// transaction: awards with their VC-JWTs (or, for the signing queue, what their credentials are
// built from) and their `awarded` events, with one multi-row statement each, so the cost per award
// is little more than its signature. A tenant's batches are written side by side.
import { buildCredential, jwtClaimsOf, recipientIdentity, type Credentials, type SharedCredentialInput } from '../credentials/index.js';
import { retryingDeadlocks, type Db } from '../db/index.js';
import { NotFoundError, type Clock, newId, newToken, sha256Hex } from '../shared/index.js';
import type { Notifier } from './notifications.js';
import { awardRepository, toAward, type Award, type AwardMethod, type IssueContext, type NewAward } from './repository.js';

export interface IssueRequest {
  tenantId: string;
  badgeId: string;
  userId: string;
  method: AwardMethod;
  awardedAt?: Date;
}

const SIGN_CHUNK = 100;
const BUSY_GRACE_MS = 50;

/** A UUID named by a hash of the content (the same inputs, the same row of credential_inputs). */
const contentId = (tenantId: string, body: unknown): string => {
  const h = sha256Hex(JSON.stringify([tenantId, body]));
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
};

/**
 * `inline`: the VC-JWTs are signed before the call returns (a learner's launch, a manual award).
 * `queued`: bulk paths store the claims and the signing queue signs them moments later, so that
 * ingest is not bounded by signing; anything serving the VC-JWT signs a queued award first.
 */
export type Signing = 'inline' | 'queued';

/** `claimToken` (the plain claim link token) exists only when the award was created by this call. */
export type IssueOutcome = { award: Award; created: boolean; claimToken?: string } | { error: 'badge_or_learner_not_found' };

export function createIssuance(deps: { db: Db; credentials: Credentials; clock: Clock; claimTokenDays: number; notifier: Notifier; onQueued?: () => void }) {
  const repo = awardRepository(deps.db);
  // Batches being issued, and when the last one ended: the signing queue yields to them (busy()).
  let inFlight = 0;
  let lastEnded = 0;
  // Rows of credential_inputs this process stored (they are never changed or deleted): not sent again.
  const storedInputs = new Set<string>();

  /** Issues a batch of one tenant; outcomes in request order. Duplicates return the existing award. */
  async function issueBatch(tenantId: string, requests: readonly Omit<IssueRequest, 'tenantId'>[], signing: Signing = 'inline'): Promise<IssueOutcome[]> {
    if (requests.length === 0) return [];
    inFlight += 1;
    try {
      return await issueBatchNow(tenantId, requests, signing);
    } finally {
      inFlight -= 1;
      lastEnded = Date.now();
    }
  }

  async function issueBatchNow(tenantId: string, requests: readonly Omit<IssueRequest, 'tenantId'>[], signing: Signing): Promise<IssueOutcome[]> {
    const contexts = await repo.issueContexts(tenantId, [...new Set(requests.map((r) => r.badgeId))], [...new Set(requests.map((r) => r.userId))]);
    const keyOf = (c: IssueContext['badge'], userId: string) => `${c.courseId}:${c.moduleId}:${userId}`;
    // Read (or create) the signing key before the transaction: PGlite has one connection, and a
    // query outside the transaction would wait for it forever.
    const signingKey = signing === 'inline' ? await deps.credentials.keys.activeKey(tenantId, 'RS256') : null;
    const now = deps.clock.now();

    const existing = await repo.existingAwards(deps.db, tenantId, requests.flatMap((r) => {
      const c = contexts.badges.get(r.badgeId);
      return c ? [{ courseId: c.courseId, moduleId: c.moduleId, userId: r.userId }] : [];
    }));
    // Within the batch, the first request for a key issues it; later ones are duplicates.
    const fresh = new Map<string, { req: Omit<IssueRequest, 'tenantId'>; ctx: IssueContext }>();
    for (const r of requests) {
      const badge = contexts.badges.get(r.badgeId);
      const learner = contexts.learners.get(r.userId);
      if (!badge || !learner) continue;
      const key = keyOf(badge, r.userId);
      if (!existing.has(key) && !fresh.has(key)) fresh.set(key, { req: r, ctx: { ...contexts.issuer, badge, learner } });
    }
    // In the order of the awards' unique key: batches issued side by side then take the key's index
    // entries (and, through the triggers, the rollup rows, each statement in its own key order) in
    // one order, and cannot wait on each other in a circle.
    const entries = [...fresh.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, e]) => e);

    // The status entries are taken in a transaction of their own, before the awards': the list's
    // row is then locked for one statement, not for the whole batch, so that a tenant's batches
    // are written side by side. Entries of a batch that fails stay unused (as those of awards a
    // concurrent request issued first).
    const statuses = entries.length ? await deps.db.transaction((tx) => deps.credentials.statusLists.allocateMany(tx, tenantId, entries.length)) : [];
    // Inline: each credential built and signed here. Queued: what a badge's awards share is kept once
    // (credential_inputs, 031) and each award its recipient; the signing queue builds the same credential.
    const sharedInputs = new Map<string, { id: string; body: SharedCredentialInput }>();
    const sharedOf = (ctx: IssueContext) => {
      let shared = sharedInputs.get(ctx.badge.id);
      if (!shared) {
        const body = deps.credentials.sharedInput({ tenantId, name: ctx.tenantName, url: ctx.issuerUrl, email: ctx.issuerEmail },
          { ...ctx.badge, imageUrl: deps.credentials.badgeImageUrl(ctx.badge) });
        sharedInputs.set(ctx.badge.id, (shared = { id: contentId(tenantId, body), body }));
      }
      return shared;
    };
    const rows = entries.map(({ req, ctx }, i) => {
      const awardedAt = req.awardedAt ?? now;
      const validUntil = ctx.badge.validForDays ? new Date(awardedAt.getTime() + ctx.badge.validForDays * 86_400_000) : null;
      const id = newId();
      const salt = newToken(16);
      const shared = sharedOf(ctx);
      const award = { awardId: id, learnerId: ctx.learner.id, identity: recipientIdentity(ctx.learner, salt), salt, awardedAt, validUntil, status: statuses[i]! };
      const claimToken = newToken(32);
      return { id, req, ctx, awardedAt, validUntil, salt, status: statuses[i]!, shared, award, claimToken };
    });
    if (signing === 'queued') {
      // Before the awards' transaction and in a statement of its own: inserted within it, a row
      // every batch of the badge names would hold the batches issued side by side one behind the other.
      const unknown = [...new Map(rows.map((r) => [r.shared.id, r.shared])).values()].filter((x) => !storedInputs.has(x.id));
      await repo.storeCredentialInputs(deps.db, tenantId, unknown);
      if (storedInputs.size > 10_000) storedInputs.clear();
      for (const x of unknown) storedInputs.add(x.id);
    }
    const tokens = new Map(rows.map((r) => [r.id, r.claimToken]));
    const byId = new Map(rows.map((r) => [r.id, r]));
    // Signed once, whatever the attempts (a retried transaction signs nothing again).
    const signedChunks = new Map<number, string[]>();

    const write = () => deps.db.transaction(async (tx) => {
      // Sign in chunks (inline: on every core through the worker pool) and hand each chunk to the
      // database as soon as it is ready: a PostgreSQL server stores one chunk while the next is
      // signed (the queries of one transaction still run in order). Queued awards are signed by the
      // signing queue after the commit.
      const writes: Promise<Award[]>[] = [];
      // Queued awards have nothing to overlap with: one statement each (the statement triggers of
      // awards and events then run once for the batch).
      const chunkSize = signing === 'inline' ? SIGN_CHUNK : Math.max(1, rows.length);
      for (let start = 0; start < rows.length; start += chunkSize) {
        const chunk = rows.slice(start, start + chunkSize);
        let tokensOfChunk = signedChunks.get(start) ?? null;
        if (signing === 'inline' && !tokensOfChunk) {
          const claims = chunk.map((r) => jwtClaimsOf(buildCredential({ ...r.shared.body, ...r.award })));
          signedChunks.set(start, (tokensOfChunk = await deps.credentials.signers.signJwtMany(claims, signingKey!)));
        }
        const newAwards = chunk.map((r, i): NewAward => ({
          id: r.id, badgeId: r.ctx.badge.id, courseId: r.ctx.badge.courseId, moduleId: r.ctx.badge.moduleId, userId: r.req.userId, method: r.req.method,
          isTest: r.ctx.learner.isTest, awardedAt: r.awardedAt, validUntil: r.validUntil, salt: r.salt, statusListId: r.status.listId,
          statusIndex: r.status.index, jwt: tokensOfChunk ? tokensOfChunk[i]! : null,
          queued: tokensOfChunk ? null : { inputsId: r.shared.id, inputs: r.shared.body, identity: r.award.identity },
          claimTokenHash: sha256Hex(r.claimToken), claimExpiresAt: new Date(now.getTime() + deps.claimTokenDays * 86_400_000),
        }));
        // A concurrent request may have issued some first: those rows are not inserted (their
        // status entries stay unused) and get no event.
        const written = repo.insertAwards(tx, tenantId, newAwards);
        writes.push(written);
        writes.push(written.then(async (inserted) => {
          await repo.insertAwardedEvents(tx, tenantId, inserted);
          return [];
        }));
        // Let the first query reach the server before preparing the next chunk.
        await new Promise((resolve) => setImmediate(resolve));
      }
      const stored = (await Promise.all(writes)).flat();
      // The claim email is queued with the award itself: if the award exists, so does its email.
      await deps.notifier.enqueue(tx, tenantId, stored.flatMap((a) => {
        const email = byId.get(a.id)?.ctx.learner.email;
        return email ? [{ awardId: a.id, email, claimToken: tokens.get(a.id)! }] : [];
      }));
      return stored;
    });
    const inserted = rows.length ? await retryingDeadlocks(write) : [];
    if (signing === 'queued' && inserted.length > 0) deps.onQueued?.();

    const insertedByKey = new Map(inserted.map((a) => [`${a.courseId}:${a.moduleId}:${a.userId}`, a]));
    const missing = requests.flatMap((r) => {
      const c = contexts.badges.get(r.badgeId);
      if (!c) return [];
      const key = keyOf(c, r.userId);
      return insertedByKey.has(key) || existing.has(key) ? [] : [{ courseId: c.courseId, moduleId: c.moduleId, userId: r.userId }];
    });
    const winners = missing.length ? await repo.existingAwards(deps.db, tenantId, missing) : new Map<string, Award>();
    const handed = new Set<string>();
    return requests.map((r) => {
      const c = contexts.badges.get(r.badgeId);
      if (!c || !contexts.learners.has(r.userId)) return { error: 'badge_or_learner_not_found' as const };
      const key = keyOf(c, r.userId);
      const mine = insertedByKey.get(key);
      if (mine && !handed.has(key)) {
        handed.add(key);
        return { award: mine, created: true, claimToken: tokens.get(mine.id)! };
      }
      return { award: (mine ?? existing.get(key) ?? winners.get(key))!, created: false };
    });
  }

  return {
    issueBatch,
    /**
     * True while a batch is being issued or one ended moments ago (BUSY_GRACE_MS: a client posting
     * batches one after another leaves a gap between them, not an idle server).
     */
    busy(): boolean {
      return inFlight > 0 || Date.now() - lastEnded < BUSY_GRACE_MS;
    },
    async issue(req: IssueRequest): Promise<{ award: Award; created: boolean; claimToken?: string }> {
      const [result] = await issueBatch(req.tenantId, [req]);
      if (!result || 'error' in result) throw new NotFoundError('badge_or_learner_not_found', 'No such badge or learner in this tenant.');
      return result;
    },
  };
}

export type Issuance = ReturnType<typeof createIssuance>;
export { toAward };
