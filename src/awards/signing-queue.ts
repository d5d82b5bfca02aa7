// The signing queue: awards issued in bulk wait here, in award_signing_queue (migration 017), with
// what their credentials are built from (031), and are signed in batches on the worker pool (every
// core) moments after their transaction commits. A kick after each queued issuance starts a drain
// at once; a slow poll picks up what a previous process or another server left. Signing twice is
// harmless: the first stored token wins.
import type { Credentials } from '../credentials/index.js';
import { retryingDeadlocks, type Db } from '../db/index.js';
import type { Logger } from '../shared/index.js';
import { awardRepository } from './repository.js';

const BATCH = 500;
/**
 * Signing rewrites each award's row: once this many and a fifth of the table (as autovacuum's
 * default scale) were rewritten since the last time, the table is vacuumed (see repository.vacuum),
 * so a million-award load costs a few dozen vacuums, not one per few thousand awards.
 */
const VACUUM_AFTER = 5_000;
const VACUUM_FRACTION = 0.2;
/**
 * While awards are being issued (the foreground), a batch waits up to this long before it is signed
 * and stored: the signing threads run at the lowest priority, but storing the tokens and reading
 * the next claims are the database's work at full priority, and on two cores they took a third of
 * the time of an ingest (20,000 completions from two clients: 3,300 /s signing alongside, 4,800 /s
 * without). Under ingest that never pauses, a batch is still signed every second or so; readers of
 * a credential sign it on the spot meanwhile.
 */
const FOREGROUND_DEFER_MS = 1_000;
const FOREGROUND_POLL_MS = 20;

export function createSigningQueue(deps: {
  db: Db; credentials: Credentials; logger?: Logger; pollMs?: number; vacuumAfter?: number;
  /** True while awards are being issued (see FOREGROUND_DEFER_MS); `deferMs` bounds each wait. */
  foregroundBusy?: () => boolean; deferMs?: number;
}) {
  const repo = awardRepository(deps.db);
  let running: Promise<number> | null = null;
  let again = false;
  let timer: NodeJS.Timeout | null = null;
  let signedSinceVacuum = 0;

  type Queued = { id: string; tenantId: string; claims: Record<string, unknown> };

  async function signBatch(batch: Awaited<ReturnType<typeof repo.unsigned>>): Promise<number> {
    // Already signed (the queue row outlived its award's signing): nothing to sign, only to dequeue.
    await repo.dequeue(batch.filter((a) => a.claims === null).map((a) => a.id));
    const byTenant = new Map<string, Queued[]>();
    for (const a of batch) {
      if (a.claims === null) continue;
      let list = byTenant.get(a.tenantId);
      if (!list) byTenant.set(a.tenantId, (list = []));
      list.push({ id: a.id, tenantId: a.tenantId, claims: a.claims });
    }
    let stored = 0;
    for (const [tenantId, awards] of byTenant) {
      // The key active now: an award queued before a rotation is signed with the new key.
      const key = await deps.credentials.keys.activeKey(tenantId, 'RS256');
      const tokens = await deps.credentials.signers.signJwtMany(awards.map((a) => a.claims), key, { background: true });
      stored += await retryingDeadlocks(() => repo.storeSigned(awards.map((a, i) => ({ id: a.id, jwt: tokens[i]! }))));
    }
    return stored;
  }

  /** Waits while the foreground issues awards, up to deferMs. */
  async function yieldToForeground(): Promise<void> {
    const busy = deps.foregroundBusy;
    if (!busy) return;
    const until = Date.now() + (deps.deferMs ?? FOREGROUND_DEFER_MS);
    while (busy() && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, FOREGROUND_POLL_MS));
  }

  /** Signs until nothing waits; the number of awards this call signed. */
  async function drainOnce(): Promise<number> {
    let total = 0;
    await yieldToForeground();
    // The next batch is read while the current one is signed (the database and the signing
    // threads work side by side), from where the current one ends.
    let batch = await repo.unsigned(BATCH, null);
    while (batch.length > 0) {
      if (total > 0) await yieldToForeground();
      const last = batch[batch.length - 1]!;
      const [signed, next] = await Promise.all([signBatch(batch), batch.length < BATCH ? Promise.resolve([]) : repo.unsigned(BATCH, last)]);
      total += signed;
      batch = next;
    }
    return total;
  }

  function drain(): Promise<number> {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      let total = 0;
      do {
        again = false;
        total += await drainOnce();
      } while (again);
      signedSinceVacuum += total;
      if (signedSinceVacuum >= (deps.vacuumAfter ?? VACUUM_AFTER) && signedSinceVacuum >= VACUUM_FRACTION * await repo.estimatedCount()) {
        signedSinceVacuum = 0;
        await repo.vacuum().catch((error) => deps.logger?.warn('vacuum after signing failed', { error: String(error) }));
      }
      return total;
    })().finally(() => { running = null; });
    return running;
  }

  return {
    /** Signs everything waiting (also what arrives meanwhile); resolves with how many were signed. */
    drain,
    /** Starts a drain soon, without waiting for it (while the queue is started). */
    kick(): void {
      if (!timer) return;
      void drain().catch((error) => deps.logger?.warn('signing queue failed', { error: String(error) }));
    },
    /** How many awards wait for their VC-JWT. */
    async backlog(): Promise<number> {
      return repo.unsignedCount();
    },
    start(): void {
      if (timer) return;
      timer = setInterval(() => this.kick(), deps.pollMs ?? 30_000);
      timer.unref();
      this.kick();
    },
    /** Stops signing in the background (awards queued meanwhile wait, or are signed when read). */
    async stop(): Promise<void> {
      if (timer) clearInterval(timer);
      timer = null;
      await running?.catch(() => undefined);
    },
  };
}

export type SigningQueue = ReturnType<typeof createSigningQueue>;
