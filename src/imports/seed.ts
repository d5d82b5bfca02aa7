// `admin seed`: a synthetic history for demos and benchmarks, brought in through the import path
// (the code behind POST /api/v1/import) chunk by chunk, so it is exactly what a migration leaves
// behind. Creates the courses the history names on the tenant's platform; a seed already brought
// into the tenant is refused.
import { performance } from 'node:perf_hooks';
import { ConflictError } from '../shared/index.js';
import type { ItemResult } from './schema.js';
import { syntheticCourses, syntheticHistory, type HistoryChunk } from './synthetic.js';

export const SEED_LIMITS = {
  learners: { min: 1, max: 5_000_000 },
  courses: { min: 1, max: 10_000 },
  modules: { min: 1, max: 100 },
  days: { min: 1, max: 3_650 },
  seed: { min: 0, max: 2 ** 31 - 1 },
  views: { min: 1, max: 200 },
} as const;

export interface SeedOptions { platformId: string; learners: number; courses: number; modules: number; days: number; seed: number; now: Date; chunkAwards?: number; viewsPerShare?: number }

export interface Tally { imported: number; refused: number }
export interface SeedReport {
  prefix: string; coursesCreated: number; coursesExisting: number; learners: number; testAccounts: number;
  badges: Tally; completions: Tally; awards: Tally; events: Tally; seconds: number;
}

type Run = (tenantId: string, body: HistoryChunk) => Promise<Record<'badges' | 'completions' | 'awards' | 'events', ItemResult[]>>;
type AlreadySeeded = (tenantId: string, badgeExternalId: string) => Promise<unknown>;
type EnsureCourse = (tenantId: string, platformId: string, lmsContextId: string, title: string) => Promise<{ id: string; created: boolean }>;

export async function seedHistory(deps: { run: Run; ensureCourse: EnsureCourse; badgeByExternalId: AlreadySeeded }, tenantId: string, o: SeedOptions): Promise<SeedReport> {
  const started = performance.now();
  const prefix = `seed${o.seed}`;
  const plan = syntheticCourses(prefix, o.courses, o.modules);
  // Awards and badges would be refused as duplicates, but an import's completions and events carry
  // no id of their own and would count twice: a seed is brought in once per tenant.
  if (await deps.badgeByExternalId(tenantId, `${prefix}-badge-1${o.courses > 1 ? '-1' : ''}`)) {
    throw new ConflictError('already_seeded', `this tenant already holds the history of seed ${o.seed}; give another --seed`);
  }
  let coursesCreated = 0;
  for (const c of plan) if ((await deps.ensureCourse(tenantId, o.platformId, c.courseId, c.title)).created) coursesCreated += 1;
  // About 2 % test accounts (Canvas Student View, Moodle test users): kept, but out of analytics.
  const testAccounts = Math.max(1, Math.round(o.learners * 0.02));
  const tally = { badges: { imported: 0, refused: 0 }, completions: { imported: 0, refused: 0 }, awards: { imported: 0, refused: 0 }, events: { imported: 0, refused: 0 } };
  const history = syntheticHistory({ courses: plan, learners: o.learners, testAccounts, days: o.days, now: o.now, seed: o.seed, prefix, ...(o.viewsPerShare ? { viewsPerShare: o.viewsPerShare } : {}) }, o.chunkAwards ?? 2_000);
  for (const chunk of history) {
    const r = await deps.run(tenantId, chunk);
    for (const part of ['badges', 'completions', 'awards', 'events'] as const) {
      for (const item of r[part]) tally[part][item.status === 'imported' ? 'imported' : 'refused'] += 1;
    }
  }
  return { prefix, coursesCreated, coursesExisting: plan.length - coursesCreated, learners: o.learners, testAccounts, ...tally, seconds: (performance.now() - started) / 1000 };
}
