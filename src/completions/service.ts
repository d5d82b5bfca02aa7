// Completions from every source become one shape, are stored, and — when they meet the badge's
// rule — become awards. LMSs resend completions: awarding is idempotent on tenant + course +
// module + learner, so a resend reports `duplicate` and changes nothing.
import type { AwardMethod, AwardService } from '../awards/index.js';
import type { Db } from '../db/index.js';
import { newId, type Clock } from '../shared/index.js';
import { completionRepository } from './repository.js';
import type { Mapped } from './event-formats.js';
import { CompletionItem, type CompletionResult } from './schema.js';

export type CompletionSource = 'launch' | 'api' | 'csv' | 'manual' | 'xapi' | 'caliper' | 'lms_pull';

const METHOD: Record<CompletionSource, AwardMethod> = { launch: 'lms', lms_pull: 'lms', xapi: 'lms', caliper: 'lms', api: 'api', csv: 'csv', manual: 'manual' };

// A learner's launch and a manual award are signed before the answer; bulk sources go through the
// signing queue, so that ingest is not bounded by one core's RS256 rate.
const INLINE_SIGNING: ReadonlySet<CompletionSource> = new Set(['launch', 'manual']);

// Scores are compared as fractions; a hair of tolerance keeps 0.8 from failing 80/100.
const meets = (score: number, max: number, minScore: number) => score / max + 1e-9 >= minScore;

export function createCompletionService(deps: { db: Db; awards: AwardService; clock: Clock; claimUrl: (token: string) => string }) {
  const repo = completionRepository(deps.db);

  return {
    /** Ingests a batch of one tenant (or one course of it); results in item order. */
    async ingest(tenantId: string, items: readonly unknown[], opts: { source: CompletionSource; courseScope?: string | null }): Promise<CompletionResult[]> {
      const results: CompletionResult[] = new Array(items.length);
      const valid: Array<{ index: number; item: CompletionItem }> = [];
      items.forEach((raw, index) => {
        const parsed = CompletionItem.safeParse(raw);
        if (parsed.success) valid.push({ index, item: parsed.data });
        else results[index] = { index, status: 'invalid', error: parsed.error.issues.map((i) => `${i.path.join('.') || 'item'}: ${i.message}`).join('; ') };
      });

      const targets = await repo.targets(tenantId, valid.map((v) => ({ courseId: v.item.courseId, moduleId: v.item.moduleId })), opts.courseScope ?? null);
      const known = valid.flatMap((v) => {
        const target = targets.get(`${v.item.courseId}\n${v.item.moduleId}`);
        if (!target) {
          results[v.index] = { index: v.index, status: 'no_badge' };
          return [];
        }
        return [{ ...v, target }];
      });

      const learnerIds = await repo.upsertLearners(tenantId, [...new Map(known.map((k) => [`${k.target.platformId}\n${k.item.learner.id}`, {
        id: newId(), platformId: k.target.platformId, lmsUserId: k.item.learner.id, email: k.item.learner.email ?? null,
        name: k.item.learner.name ?? null, isTest: k.item.learner.testAccount ?? false,
      }])).values()]);
      const rows = known.map((k) => ({ ...k, userId: learnerIds.get(`${k.target.platformId}\n${k.item.learner.id}`)!, qualifies: meets(k.item.score, k.item.maxScore, k.target.minScore) }));

      const qualifying = rows.filter((r) => r.qualifies);
      const outcomes = await deps.awards.issueBatch(tenantId, qualifying.map((r) => ({ badgeId: r.target.badgeId, userId: r.userId, method: METHOD[opts.source] })),
        INLINE_SIGNING.has(opts.source) ? 'inline' : 'queued');
      const awardOf = new Map<number, { id: string; created: boolean; claimToken?: string }>();
      qualifying.forEach((r, i) => {
        const o = outcomes[i]!;
        if ('award' in o) awardOf.set(r.index, { id: o.award.id, created: o.created, ...(o.claimToken ? { claimToken: o.claimToken } : {}) });
      });

      await repo.insert(deps.db, tenantId, rows.map((r) => ({
        id: newId(), courseId: r.target.courseId, moduleId: r.target.moduleId, userId: r.userId, score: r.item.score, maxScore: r.item.maxScore,
        completedAt: r.item.completedAt, source: opts.source, qualifies: r.qualifies, awardId: awardOf.get(r.index)?.id ?? null,
      })));
      for (const r of rows) {
        const award = awardOf.get(r.index);
        results[r.index] = !r.qualifies
          ? { index: r.index, status: 'below_threshold' }
          : award
            ? { index: r.index, status: award.created ? 'awarded' : 'duplicate', awardId: award.id, ...(award.claimToken ? { claimUrl: deps.claimUrl(award.claimToken) } : {}) }
            : { index: r.index, status: 'no_badge' };
      }
      return results;
    },

    /**
     * Completions that name an activity (xAPI object, Caliper assignable) rather than a course:
     * the activity id is a module's id in the caller's system, looked up across the tenant.
     */
    async ingestActivities(tenantId: string, mapped: Mapped[], source: CompletionSource): Promise<Array<CompletionResult | { index: number; status: 'ignored'; reason: string }>> {
      const activityIds = [...new Set(mapped.flatMap((m) => ('ok' in m ? [m.ok.activityId] : [])))];
      const courseOf = await repo.coursesOfActivities(tenantId, activityIds);
      const items: unknown[] = [];
      const positions: number[] = [];
      const out: Array<CompletionResult | { index: number; status: 'ignored'; reason: string }> = mapped.map((m, index) => {
        if ('ignored' in m) return { index, status: 'ignored', reason: m.ignored };
        if ('invalid' in m) return { index, status: 'invalid', error: m.invalid };
        const courses = courseOf.get(m.ok.activityId) ?? [];
        if (courses.length !== 1) return { index, status: courses.length ? 'invalid' : 'no_badge', ...(courses.length ? { error: 'the activity belongs to several courses' } : {}) };
        positions.push(index);
        items.push({ courseId: courses[0], moduleId: m.ok.activityId, learner: m.ok.learner, score: m.ok.score, maxScore: m.ok.maxScore, completedAt: m.ok.completedAt });
        return { index, status: 'invalid' };
      });
      const results = await this.ingest(tenantId, items, { source });
      results.forEach((r, i) => {
        out[positions[i]!] = { ...r, index: positions[i]! };
      });
      return out;
    },

    /** Historical completions (an import): stored as they were, awarding nothing — awards come with the import. */
    async storeHistorical(tenantId: string, items: ReadonlyArray<{ index: number; courseId: string; moduleId: string; learnerId: string; score: number; maxScore: number; completedAt: string }>): Promise<Map<number, boolean>> {
      const targets = await repo.targets(tenantId, items.map((i) => ({ courseId: i.courseId, moduleId: i.moduleId })), null);
      const known = items.flatMap((i) => {
        const target = targets.get(`${i.courseId}\n${i.moduleId}`);
        return target ? [{ ...i, target }] : [];
      });
      const ids = await repo.upsertLearners(tenantId, [...new Map(known.map((k) => [`${k.target.platformId}\n${k.learnerId}`, { id: newId(), platformId: k.target.platformId, lmsUserId: k.learnerId, email: null, name: null, isTest: false }])).values()]);
      await repo.insert(deps.db, tenantId, known.map((k) => ({
        id: newId(), courseId: k.target.courseId, moduleId: k.target.moduleId, userId: ids.get(`${k.target.platformId}\n${k.learnerId}`)!, score: k.score, maxScore: k.maxScore,
        completedAt: k.completedAt, source: 'api', qualifies: meets(k.score, k.maxScore, k.target.minScore), awardId: null,
      })));
      return new Map(items.map((i) => [i.index, targets.has(`${i.courseId}\n${i.moduleId}`)]));
    },

    /** A learner's launch of a placed module completion link completes that module. */
    async recordLaunch(s: { tenantId: string; courseId: string; lmsContextId: string; moduleId: string; lmsUserId: string }): Promise<CompletionResult> {
      const [result] = await this.ingest(s.tenantId, [{
        courseId: s.courseId, moduleId: s.moduleId, learner: { id: s.lmsUserId }, score: 1, maxScore: 1, completedAt: deps.clock.now().toISOString(),
      }], { source: 'launch', courseScope: s.courseId });
      return result!;
    },
  };
}

export type CompletionService = ReturnType<typeof createCompletionService>;
