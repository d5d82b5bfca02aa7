// History brought over from another badge platform (POST /api/v1/import), so analytics continue
// across a migration: badges, historical completions, awards with their claim / revocation /
// visibility, and their later events. Imported awards become real credentials and count exactly
// like native ones; ids seen before are refused as duplicates; bots (by user agent) stay apart.
import type { AwardService } from '../awards/index.js';
import type { CompletionService } from '../completions/index.js';
import type { BadgeCatalog } from '../courses/index.js';
import type { Credentials } from '../credentials/index.js';
import type { Db } from '../db/index.js';
import { isBot, recordEvent } from '../events/index.js';
import { AppError } from '../shared/index.js';
import { importRepository } from './repository.js';
import { ImportAward, ImportBadge, ImportCompletion, ImportEvent, type ItemResult } from './schema.js';

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

  async function importAwards(tenantId: string, items: unknown[]): Promise<ItemResult[]> {
    const out: ItemResult[] = [];
    for (const [index, raw] of items.entries()) {
      const p = ImportAward.safeParse(raw);
      if (!p.success) { out.push({ index, status: 'invalid', error: issues(p.error) }); continue; }
      const a = p.data;
      const seen = await repo.awardByExternalId(tenantId, a.externalId);
      if (seen) { out.push({ index, status: 'duplicate', id: seen.id }); continue; }
      const badge = await repo.badgeByExternalId(tenantId, a.badgeExternalId);
      if (!badge) { out.push({ index, status: 'not_found', error: `no badge with externalId ${a.badgeExternalId}` }); continue; }
      const userId = await repo.learner(tenantId, badge.platform_id, a.learnerId, a.testAccount ?? false);
      const issued = await deps.awards.issue({ tenantId, badgeId: badge.id, userId, method: a.method, awardedAt: new Date(a.awardedAt) });
      if (!issued.created) { out.push({ index, status: 'duplicate', id: issued.award.id, error: 'the learner already holds this badge' }); continue; }
      const award = issued.award;
      await deps.db.transaction(async (tx) => {
        await importRepository(tx).markImported(tx, award.id, { externalId: a.externalId, acceptedAt: a.acceptedAt ?? null, revokedAt: a.revokedAt ?? null, isPublic: a.public ?? false });
        const base = { tenantId, courseId: award.courseId, moduleId: award.moduleId, badgeId: award.badgeId, awardId: award.id, learnerId: userId };
        if (a.acceptedAt) await recordEvent(tx, { ...base, type: 'accepted', channel: 'lms', occurredAt: new Date(a.acceptedAt), metadata: { imported: true } });
        if (a.revokedAt) {
          await deps.credentials.statusLists.setRevoked(tx, award.statusListId, award.statusIndex);
          await recordEvent(tx, { ...base, type: 'revoked', occurredAt: new Date(a.revokedAt), metadata: { imported: true } });
        }
      });
      out.push({ index, status: 'imported', id: award.id });
    }
    return out;
  }

  async function importEvents(tenantId: string, items: unknown[]): Promise<ItemResult[]> {
    const parsed = items.map((raw) => ImportEvent.safeParse(raw));
    const ids = [...new Set(parsed.flatMap((p) => (p.success ? [p.data.awardExternalId] : [])))];
    const awards = await repo.awardsByExternalIds(tenantId, ids);
    const out: ItemResult[] = [];
    await deps.db.transaction(async (tx) => {
      for (const [index, p] of parsed.entries()) {
        if (!p.success) { out.push({ index, status: 'invalid', error: issues(p.error) }); continue; }
        const e = p.data;
        const award = awards.get(e.awardExternalId);
        if (!award) { out.push({ index, status: 'not_found', error: `no imported award ${e.awardExternalId}` }); continue; }
        await recordEvent(tx, {
          tenantId, type: e.type, channel: e.channel ?? null, occurredAt: new Date(e.occurredAt),
          isBot: (e.type === 'viewed' || e.type === 'verified') && e.userAgent !== undefined && isBot(e.userAgent),
          courseId: award.course_id, moduleId: award.module_id, badgeId: award.badge_id, awardId: award.id, learnerId: award.user_id,
          metadata: { imported: true, ...(e.outcome ? { outcome: e.outcome } : {}) },
        });
        out.push({ index, status: 'imported' });
      }
    });
    return out;
  }

  return {
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
}

export type Importer = ReturnType<typeof createImporter>;
