// Migration 021: a course's and a badge's awards are read from an index alone by the per-award
// passes of analytics (median and p90, repeat earners, pathways), and the unique key of an award
// (tenant, course, module, learner) still refuses a second award and still serves ON CONFLICT.
// The plans are those of the real queries, taken from aggregatesRepository as it builds them.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aggregatesRepository } from '../../src/analytics/aggregates-repository.js';
import { orgClaimPercentiles } from '../../src/analytics/claim-percentiles.js';
import { AWARD_METHODS } from '../../src/analytics/rollup-repository.js';
import type { AwardFilter } from '../../src/analytics/scoped-awards.js';
import type { Db, Queryable } from '../../src/db/index.js';
import { createTestDb, type TestDb } from '../support/db.js';

const DAY = 86_400_000;
const NOW = new Date('2026-06-15T12:00:00.000Z');

let testDb: TestDb;
let db: Db;
const world = { tenantId: randomUUID(), platformId: randomUUID(), listId: randomUUID(), courseId: randomUUID(), moduleIds: [] as string[], badgeIds: [] as string[], users: [] as string[] };

/** A tenant with its platform, status list and one course. */
async function insertTenantWithCourse(t: { tenantId: string; platformId: string; listId: string; courseId: string }, name: string): Promise<void> {
  await db.query('insert into tenants (tenant_id, name) values ($1, $2)', [t.tenantId, name]);
  await db.query(`insert into platforms (tenant_id, id, issuer, client_id, auth_url, token_url, jwks_url, ltijs_kid)
    values ($1, $2, $3, 'client', 'https://lms.example/auth', 'https://lms.example/token', 'https://lms.example/jwks', $4)`, [t.tenantId, t.platformId, `https://lms-${t.platformId}.example`, `kid-${t.platformId}`]);
  await db.query('insert into status_lists (tenant_id, id, size, bits) values ($1, $2, 4096, $3)', [t.tenantId, t.listId, Buffer.alloc(512)]);
  await db.query('insert into courses (tenant_id, id, platform_id, lms_context_id) values ($1, $2, $3, $4)', [t.tenantId, t.courseId, t.platformId, `ctx-${t.courseId}`]);
}

beforeAll(async () => {
  testDb = await createTestDb();
  db = testDb.db;
  const w = world;
  await insertTenantWithCourse(w, 'Index College');
  for (let i = 0; i < 3; i += 1) {
    const [moduleId, badgeId] = [randomUUID(), randomUUID()];
    await db.query('insert into modules (tenant_id, id, course_id, title, position) values ($1, $2, $3, $4, $5)', [w.tenantId, moduleId, w.courseId, `Module ${i + 1}`, i]);
    await db.query('insert into badges (tenant_id, id, course_id, module_id, name, pathway) values ($1, $2, $3, $4, $5, $6)', [w.tenantId, badgeId, w.courseId, moduleId, `Step ${i + 1}`, 'The path']);
    w.moduleIds.push(moduleId);
    w.badgeIds.push(badgeId);
  }
  for (let u = 0; u < 40; u += 1) {
    const id = randomUUID();
    await db.query('insert into users (tenant_id, id, platform_id, lms_user_id) values ($1, $2, $3, $4)', [w.tenantId, id, w.platformId, `u-${id}`]);
    w.users.push(id);
  }
  let index = 0;
  for (const [u, userId] of w.users.entries()) {
    for (let m = 0; m <= u % 3; m += 1) {
      const awardedAt = new Date(NOW.getTime() - (u + m) * DAY);
      await db.query(`insert into awards (tenant_id, id, badge_id, course_id, module_id, user_id, method, awarded_at, accepted_at, recipient_salt, status_list_id, status_index, credential_jwt)
        values ($1, $2, $3, $4, $5, $6, 'lms', $7, $8, 'salt', $9, $10, 'jwt')`,
        [w.tenantId, randomUUID(), w.badgeIds[m], w.courseId, w.moduleIds[m], userId, awardedAt, u % 2 ? new Date(awardedAt.getTime() + 3_600_000) : null, w.listId, index++]);
    }
  }
  // an index-only scan needs the visibility map, which vacuum sets
  await db.exec('vacuum analyze awards');
});
afterAll(async () => {
  await testDb?.drop();
});

/** The SQL and parameters aggregatesRepository sends for one aggregate, captured without running it. */
async function queriesOf(run: (agg: ReturnType<typeof aggregatesRepository>) => Promise<unknown>): Promise<Array<{ sql: string; params: readonly unknown[] }>> {
  const captured: Array<{ sql: string; params: readonly unknown[] }> = [];
  const capture: Db = {
    kind: 'pglite', // no per-query transaction around it: the SQL alone
    query: async (sql: string, params: readonly unknown[] = []) => {
      captured.push({ sql, params });
      return [] as never[];
    },
    exec: async () => undefined,
    transaction: async (fn) => fn(capture),
    withSettings: () => capture,
    close: async () => undefined,
  };
  await run(aggregatesRepository(capture)).catch(() => undefined); // its post-processing may stumble on no rows: only the SQL is wanted
  return captured.filter((q) => !/^\s*set /i.test(q.sql));
}

/** Carries a plan out of a transaction that must not commit. */
class RolledBack extends Error {
  constructor(readonly plan: string) { super('rolled back'); }
}

/**
 * The plan of a query when the awards have only `index` (the others dropped in a transaction that
 * is rolled back) and no sequential or bitmap scan: an index-only scan shows that the index alone
 * holds every column the query reads. On a few rows the planner would rather pick any small index.
 */
async function planWithOnly(index: string, q: { sql: string; params: readonly unknown[] }): Promise<string> {
  try {
    await db.transaction(async (tx) => {
      const others = await tx.query<{ name: string; constraint: string | null }>(`select i.indexrelid::regclass::text as name, c.conname as constraint
        from pg_index i left join pg_constraint c on c.conindid = i.indexrelid and c.conrelid = i.indrelid where i.indrelid = 'awards'::regclass and i.indexrelid::regclass::text <> $1`, [index]);
      for (const o of others) await tx.query(o.constraint ? `alter table awards drop constraint ${o.constraint} cascade` : `drop index ${o.name}`);
      await tx.query('set local enable_seqscan = off');
      await tx.query('set local enable_bitmapscan = off');
      const rows = await tx.query<{ 'QUERY PLAN': string }>(`explain ${q.sql}`, q.params);
      throw new RolledBack(rows.map((r) => r['QUERY PLAN']).join('\n'));
    });
  } catch (err) {
    if (err instanceof RolledBack) return err.plan;
    throw err;
  }
  throw new Error('the transaction committed');
}

/** The subplans of a plan's text, each its SubPlan line and the lines indented below it. */
function subplansOf(plan: string): string[] {
  const lines = plan.split('\n');
  const indent = (line: string) => line.length - line.trimStart().length;
  return lines.flatMap((line, i) => {
    if (!line.trim().startsWith('SubPlan')) return [];
    const end = lines.findIndex((l, j) => j > i && indent(l) <= indent(line));
    return [lines.slice(i, end === -1 ? undefined : end).join('\n')];
  });
}

const windows = [{ name: 'range', from: new Date(NOW.getTime() - 30 * DAY), to: NOW }, { name: 'all', from: null, to: null }];

describe('covering indexes of a course and a badge', () => {
  for (const scope of ['course', 'badge'] as const) {
    it(`read a ${scope}'s awards for the per-award passes from ${scope === 'course' ? 'awards_course_learner' : 'awards_badge'} alone`, async () => {
      const f: AwardFilter = { tenantId: world.tenantId, courseId: world.courseId, badgeId: scope === 'badge' ? world.badgeIds[0]! : null, includeTest: false, now: NOW };
      const queries = [
        ...(await queriesOf((agg) => agg.percentiles(f, windows))),
        ...(await queriesOf((agg) => agg.earners(f, windows))),
        ...(await queriesOf((agg) => agg.pathways(f, windows[0] as { from: Date; to: Date }))),
      ];
      expect(queries).toHaveLength(3);
      const index = scope === 'course' ? 'awards_course_learner' : 'awards_badge';
      for (const q of queries) expect(await planWithOnly(index, q)).toContain(`Index Only Scan using ${index} on awards a`);
    });
  }

  it('name every awarding method the awards may hold, which the organisation\'s groups per badge sum one by one', async () => {
    const [check] = await db.query<{ def: string }>(`select pg_get_constraintdef(oid) as def from pg_constraint where conrelid = 'awards'::regclass and contype = 'c' and pg_get_constraintdef(oid) like '%method%'`);
    const allowed = [...check!.def.matchAll(/'([a-z]+)'::text/g)].map((m) => m[1]).sort();
    expect(allowed.length).toBeGreaterThan(0);
    expect([...AWARD_METHODS].sort()).toEqual(allowed);
  });

  it('keep one award per course, module and learner, and ON CONFLICT on those columns still finds the key', async () => {
    const w = world;
    const insert = (conflict: string) => db.query(`insert into awards (tenant_id, id, badge_id, course_id, module_id, user_id, method, awarded_at, recipient_salt, status_list_id, status_index, credential_jwt)
      values ($1, $2, $3, $4, $5, $6, 'lms', $7, 'salt', $8, 4000, 'jwt') ${conflict} returning id`, [w.tenantId, randomUUID(), w.badgeIds[0], w.courseId, w.moduleIds[0], w.users[0], NOW, w.listId]);
    await expect(insert('')).rejects.toMatchObject({ code: '23505' });
    expect(await insert('on conflict (tenant_id, course_id, module_id, user_id) do nothing')).toEqual([]);
    const indexes = await db.query<{ name: string }>(`select indexname as name from pg_indexes where tablename = 'awards' and indexdef like 'CREATE UNIQUE INDEX%(tenant_id, course_id, module_id, user_id)%'`);
    expect(indexes.map((i) => i.name)).toEqual(['awards_course_learner']);
  });
});

describe('the claim-time index of the organisation (migration 027)', () => {
  it('reads a bucket\'s ranked hours by walking awards_claim_order, without sorting the bucket', async () => {
    const f: AwardFilter = { tenantId: world.tenantId, courseId: null, badgeId: null, includeTest: false, now: NOW };
    const sent: Array<{ sql: string; params: readonly unknown[] }> = [];
    const recording = { query: (sql: string, params: readonly unknown[] = []) => (sent.push({ sql, params }), db.query(sql, params)) } as Queryable;
    const answer = await orgClaimPercentiles(recording, f, windows);
    expect(answer.map((w) => w.median_hours)).toEqual([1, 1]); // every accepted award here took an hour
    // one statement: the histogram, then per window the walk to its ranks (a subplan each)
    expect(sent).toHaveLength(1);
    const plan = await planWithOnly('awards_claim_order', sent[0]!);
    const walks = subplansOf(plan);
    // per window a walk from each end of the bucket, of which a CASE runs one
    expect(walks).toHaveLength(2 * windows.length);
    for (const [i, walk] of walks.entries()) {
      expect(walk).toContain(`Index Only Scan${i % 2 === 0 ? ' Backward' : ''} using awards_claim_order on awards a`);
      expect(walk).not.toMatch(/Sort/);
    }
  });

  it('walks a bucket from its nearer end, and its hours come out in order', async () => {
    // a tenant of its own: 60 claims in one bucket of the histogram (3,450-3,745 s, all apart), 5
    // below it and 3 above, so the median's ranks lie mid-bucket and the p90's near its end
    const t = { tenantId: randomUUID(), platformId: randomUUID(), listId: randomUUID(), courseId: randomUUID(), moduleId: randomUUID(), badgeId: randomUUID() };
    await insertTenantWithCourse(t, 'Walk College');
    await db.query('insert into modules (tenant_id, id, course_id, title, position) values ($1, $2, $3, $4, 0)', [t.tenantId, t.moduleId, t.courseId, 'Module']);
    await db.query('insert into badges (tenant_id, id, course_id, module_id, name) values ($1, $2, $3, $4, $5)', [t.tenantId, t.badgeId, t.courseId, t.moduleId, 'Walked']);
    // shuffled, so that neither the heap's order nor the award ids' follows the claim times
    const seconds = [...Array.from({ length: 60 }, (_, i) => 3450 + 5 * i), 60, 120, 300, 600, 900, 864_000, 900_000, 950_000].sort(() => Math.random() - 0.5);
    for (const [i, s] of seconds.entries()) {
      const userId = randomUUID();
      await db.query('insert into users (tenant_id, id, platform_id, lms_user_id) values ($1, $2, $3, $4)', [t.tenantId, userId, t.platformId, `u-${userId}`]);
      const awardedAt = new Date(NOW.getTime() - (i + 2) * DAY);
      await db.query(`insert into awards (tenant_id, id, badge_id, course_id, module_id, user_id, method, awarded_at, accepted_at, recipient_salt, status_list_id, status_index, credential_jwt)
        values ($1, $2, $3, $4, $5, $6, 'lms', $7, $8, 'salt', $9, $10, 'jwt')`, [t.tenantId, randomUUID(), t.badgeId, t.courseId, t.moduleId, userId, awardedAt, new Date(awardedAt.getTime() + s * 1000), t.listId, i]);
    }
    await db.exec('vacuum analyze awards');
    const f: AwardFilter = { tenantId: t.tenantId, courseId: null, badgeId: null, includeTest: false, now: NOW };
    const sent: Array<{ sql: string; params: readonly unknown[] }> = [];
    const recording = { query: (sql: string, params: readonly unknown[] = []) => (sent.push({ sql, params }), db.query(sql, params)) } as Queryable;
    const answer = await orgClaimPercentiles(recording, f, [windows[1]!]);
    const [want] = await db.query<{ p: number[] }>(`select percentile_cont(array[0.5, 0.9]::float8[]) within group (order by
      round((date_part('epoch', accepted_at) - date_part('epoch', awarded_at)) * 1000) / 3600000) as p from awards where tenant_id = $1`, [t.tenantId]);
    expect([answer[0]!.median_hours, answer[0]!.p90_hours]).toEqual(want!.p);
    // ranks 33-34 and 60-61 of 68: one bucket, walked from its end (3 rows in) rather than from its start (28)
    expect(want!.p[0]).toBeGreaterThan(3450 / 3600);
    expect(want!.p[1]).toBeLessThan(3750 / 3600);
    const lines = (await db.query<{ 'QUERY PLAN': string }>(`explain (analyze, timing off, costs off, buffers off) ${sent[0]!.sql}`, sent[0]!.params)).map((r) => r['QUERY PLAN']);
    const [backward, forward] = subplansOf(lines.join('\n'));
    // the walk reads the 3 rows past the p90's last rank and the 29 from it to the median's first
    // (PostgreSQL 17, PGlite's, prints rows with two decimals)
    expect(backward).toMatch(/Index Only Scan Backward using awards_claim_order[^\n]*\(actual rows=32(\.00)? loops=1\)/);
    expect(forward).toContain('never executed');
  });
});
