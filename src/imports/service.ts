// History brought over from another badge platform (POST /api/v1/import), so analytics continue
// across a migration: badges, historical completions, awards with their claim / revocation /
// visibility, and their later events. Imported awards become real credentials and count exactly
// like native ones; ids seen before are refused as duplicates; bots (by user agent) stay apart.
import type { Award, AwardService } from '../awards/index.js';
import type { CompletionService } from '../completions/index.js';
import type { BadgeCatalog } from '../courses/index.js';
import type { Credentials } from '../credentials/index.js';
import { retryingDeadlocks, type Db } from '../db/index.js';
import { isBot } from '../events/index.js';
import { AppError } from '../shared/index.js';
import { importRepository, type ImportedEvent } from './repository.js';
import { ImportAward, ImportBadge, ImportCompletion, ImportEvent, type ItemResult } from './schema.js';
import { seedHistory, type SeedOptions } from './seed.js';

type ImportAwardItem = ReturnType<typeof ImportAward.parse>;

// Awards are issued this many at a time: one transaction and a few multi-row statements per batch.
const AWARD_BATCH = 500;
// An import at least this large refreshes the planner's statistics before it answers.
const BULK_ROWS = 10_000;

const issues = (e: { issues: Array<{ path: PropertyKey[]; message: string }> }) => e.issues.map((i) => `${i.path.join('.') || 'item'}: ${i.message}`).join('; ');

export function createImporter(deps: { db: Db; badges: BadgeCatalog; awards: AwardService; completions: CompletionService; credentials: Credentials }) {
  const repo = importRepository(deps.db);
  async function importBadges(tenantId: string, items: unknown[]): Promise<ItemResult[]> {
    const out: ItemResult[] = [];
    for (const [index, raw] of items.entries()) {
      const head = ImportBadge.safeParse(raw);
      if (!head.success) { out.push({ index, status: 'invalid', error: issues(head.error) }); continue; }
      const existing = await repo.badgeByExternalId(tenantId, head.data.externalId);
      if (existing) { out.push({ index, status: 'duplicate', id: existing.id }); continue; }
      try {
        const badge = await deps.badges.create(tenantId, raw);
        out.push({ index, status: 'imported', id: badge.id });
      } catch (err) {
        if (!(err instanceof AppError) || err.status >= 500) throw err;
        out.push({ index, status: err.status === 404 ? 'not_found' : err.status === 409 ? 'duplicate' : 'invalid', error: err.message });
      }
    }
    return out;
  }

  /** Awards in batches: one lookup per kind, one issuance transaction, one statement per kind of write. */
  async function importAwards(tenantId: string, items: unknown[]): Promise<ItemResult[]> {
    const out: ItemResult[] = [];
    // Within one import, an externalId seen twice is a duplicate of the first, as it is across imports.
    const taken = new Map<string, string | null>();
    for (let start = 0; start < items.length; start += AWARD_BATCH) {
      out.push(...(await importAwardBatch(tenantId, items.slice(start, start + AWARD_BATCH), start, taken)));
    }
    return out;
  }

  async function importAwardBatch(tenantId: string, items: unknown[], offset: number, taken: Map<string, string | null>): Promise<ItemResult[]> {
    const results: ItemResult[] = new Array(items.length);
    const parsed = items.map((raw) => ImportAward.safeParse(raw));
    const ok = parsed.flatMap((p) => (p.success ? [p.data] : []));
    const seen = await repo.awardsByExternalIds(tenantId, [...new Set(ok.map((a) => a.externalId))]);
    const badges = await repo.badgesByExternalIds(tenantId, [...new Set(ok.map((a) => a.badgeExternalId))]);
    const wanted: Array<{ i: number; a: ImportAwardItem; badgeId: string; learnerKey: string }> = [];
    const laterTwins: Array<{ i: number; externalId: string }> = [];
    parsed.forEach((p, i) => {
      const index = offset + i;
      if (!p.success) { results[i] = { index, status: 'invalid', error: issues(p.error) }; return; }
      const a = p.data;
      const earlier = seen.get(a.externalId)?.id ?? taken.get(a.externalId);
      if (earlier !== undefined) { results[i] = { index, status: 'duplicate', ...(earlier ? { id: earlier } : {}) }; if (!earlier) laterTwins.push({ i, externalId: a.externalId }); return; }
      const badge = badges.get(a.badgeExternalId);
      if (!badge) { results[i] = { index, status: 'not_found', error: `no badge with externalId ${a.badgeExternalId}` }; return; }
      taken.set(a.externalId, null);
      wanted.push({ i, a, badgeId: badge.id, learnerKey: `${badge.platformId}\n${a.learnerId}` });
    });
    const learners = await repo.learners(tenantId, wanted.map((w) => {
      const [platformId, lmsUserId] = w.learnerKey.split('\n') as [string, string];
      return { platformId, lmsUserId, isTest: w.a.testAccount ?? false };
    }));
    const issued = await deps.awards.issueBatch(tenantId, wanted.map((w) => ({ badgeId: w.badgeId, userId: learners.get(w.learnerKey)!, method: w.a.method, awardedAt: new Date(w.a.awardedAt) })), 'queued');
    const fresh: Array<{ a: ImportAwardItem; award: Award }> = [];
    wanted.forEach((w, k) => {
      const o = issued[k]!;
      const index = offset + w.i;
      if ('error' in o) { results[w.i] = { index, status: 'not_found', error: 'no such badge or learner' }; taken.delete(w.a.externalId); return; }
      if (!o.created) { results[w.i] = { index, status: 'duplicate', id: o.award.id, error: 'the learner already holds this badge' }; taken.delete(w.a.externalId); return; }
      taken.set(w.a.externalId, o.award.id);
      fresh.push({ a: w.a, award: o.award });
      results[w.i] = { index, status: 'imported', id: o.award.id };
    });
    // An externalId given twice in this batch: the later one names the award the first became.
    for (const t of laterTwins) {
      const id = taken.get(t.externalId);
      if (id) results[t.i] = { index: offset + t.i, status: 'duplicate', id };
    }
    await retryingDeadlocks(() => deps.db.transaction(async (tx) => {
      const txRepo = importRepository(tx);
      await txRepo.markImported(tx, tenantId, fresh.map(({ a, award }) => ({ awardId: award.id, externalId: a.externalId, acceptedAt: a.acceptedAt ?? null, revokedAt: a.revokedAt ?? null, isPublic: a.public ?? false })));
      const events: ImportedEvent[] = [];
      for (const { a, award } of fresh) {
        const base = { courseId: award.courseId, moduleId: award.moduleId, badgeId: award.badgeId, awardId: award.id, learnerId: award.userId, isBot: false, metadata: { imported: true } };
        if (a.acceptedAt) events.push({ ...base, type: 'accepted', channel: 'lms', occurredAt: a.acceptedAt });
        if (a.revokedAt) {
          await deps.credentials.statusLists.setRevoked(tx, award.statusListId, award.statusIndex);
          events.push({ ...base, type: 'revoked', channel: null, occurredAt: a.revokedAt });
        }
      }
      await txRepo.insertEvents(tx, tenantId, events);
    }));
    return results;
  }

  async function importEvents(tenantId: string, items: unknown[]): Promise<ItemResult[]> {
    const parsed = items.map((raw) => ImportEvent.safeParse(raw));
    const ids = [...new Set(parsed.flatMap((p) => (p.success ? [p.data.awardExternalId] : [])))];
    const awards = await repo.awardsByExternalIds(tenantId, ids);
    const out: ItemResult[] = [];
    const rows: ImportedEvent[] = [];
    for (const [index, p] of parsed.entries()) {
      if (!p.success) { out.push({ index, status: 'invalid', error: issues(p.error) }); continue; }
      const e = p.data;
      const award = awards.get(e.awardExternalId);
      if (!award) { out.push({ index, status: 'not_found', error: `no imported award ${e.awardExternalId}` }); continue; }
      rows.push({
        type: e.type, channel: e.channel ?? null, occurredAt: e.occurredAt,
        isBot: (e.type === 'viewed' || e.type === 'verified') && e.userAgent !== undefined && isBot(e.userAgent),
        courseId: award.course_id, moduleId: award.module_id, badgeId: award.badge_id, awardId: award.id, learnerId: award.user_id,
        metadata: { imported: true, ...(e.outcome ? { outcome: e.outcome } : {}) },
      });
      out.push({ index, status: 'imported' });
    }
    // All of the batch's events or none.
    await deps.db.transaction((tx) => importRepository(tx).insertEvents(tx, tenantId, rows));
    return out;
  }

  const importer = {
    async run(tenantId: string, body: { badges: unknown[]; completions: unknown[]; awards: unknown[]; events: unknown[] }) {
      const badges = await importBadges(tenantId, body.badges);
      const completionResults: ItemResult[] = [];
      const valid = body.completions.flatMap((raw, index) => {
        const p = ImportCompletion.safeParse(raw);
        if (!p.success) { completionResults[index] = { index, status: 'invalid', error: issues(p.error) }; return []; }
        return [{ index, ...p.data }];
      });
      const stored = await deps.completions.storeHistorical(tenantId, valid);
      for (const v of valid) completionResults[v.index] = stored.get(v.index) ? { index: v.index, status: 'imported' } : { index: v.index, status: 'not_found', error: 'no badge for this course and module' };
      const awards = await importAwards(tenantId, body.awards);
      const events = await importEvents(tenantId, body.events);
      return { badges, completions: completionResults, awards, events };
    },
  };
  type Body = Parameters<typeof importer.run>[1];
  return {
    async run(tenantId: string, body: Body) {
      const result = await importer.run(tenantId, body);
      if (body.awards.length + body.events.length >= BULK_ROWS) await repo.maintainAfterBulkLoad();
      return result;
    },
    /** A synthetic history through this same path (admin seed), on courses of the given platform. */
    async seed(tenantId: string, o: SeedOptions) {
      const report = await seedHistory({ run: importer.run, ensureCourse: repo.ensureCourse, badgeByExternalId: repo.badgeByExternalId }, tenantId, o);
      await repo.maintainAfterBulkLoad();
      return report;
    },
  };
}

export type Importer = ReturnType<typeof createImporter>;
