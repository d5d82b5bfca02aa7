// The pathway panel's SQL pass (aggregatesRepository.pathways) against metrics.ts pathway() over the
// same awards: random learners with up to one award per badge of a four-step pathway, at random
// and tied award times, some revoked, some expired, some outside the range, some of test accounts.
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAnalytics, pathway, type AnalyticsQuery, type AwardFact } from '../../src/analytics/index.js';
import type { Db } from '../../src/db/index.js';
import { fixedClock } from '../../src/shared/index.js';
import { createTestDb, type TestDb } from '../support/db.js';

const DAY = 86_400_000;
const NOW = new Date('2026-06-15T12:00:00.000Z');
const FROM = new Date(NOW.getTime() - 20 * DAY);

let testDb: TestDb;
let db: Db;
beforeAll(async () => {
  testDb = await createTestDb();
  db = testDb.db;
});
afterAll(async () => {
  await testDb?.drop();
});

/** A tenant with one course of five modules: four badges in one pathway, the fifth in none. */
async function newWorld() {
  const [tenantId, platformId, listId, courseId] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
  await db.query('insert into tenants (tenant_id, name) values ($1, $2)', [tenantId, 'Pathway College']);
  await db.query(`insert into platforms (tenant_id, id, issuer, client_id, auth_url, token_url, jwks_url, ltijs_kid)
    values ($1, $2, $3, 'client', 'https://lms.example/auth', 'https://lms.example/token', 'https://lms.example/jwks', $4)`, [tenantId, platformId, `https://lms-${platformId}.example`, `kid-${platformId}`]);
  await db.query('insert into status_lists (tenant_id, id, size, bits) values ($1, $2, 64, $3)', [tenantId, listId, Buffer.alloc(8)]);
  await db.query('insert into courses (tenant_id, id, platform_id, lms_context_id) values ($1, $2, $3, $4)', [tenantId, courseId, platformId, `ctx-${courseId}`]);
  const badges: Array<{ id: string; moduleId: string; name: string }> = [];
  for (let i = 0; i < 5; i += 1) {
    const moduleId = randomUUID();
    const id = randomUUID();
    await db.query('insert into modules (tenant_id, id, course_id, title, position) values ($1, $2, $3, $4, $5)', [tenantId, moduleId, courseId, `Module ${i + 1}`, i]);
    await db.query('insert into badges (tenant_id, id, course_id, module_id, name, pathway) values ($1, $2, $3, $4, $5, $6)',
      [tenantId, id, courseId, moduleId, `Step ${i + 1}`, i < 4 ? 'The path' : null]);
    badges.push({ id, moduleId, name: `Step ${i + 1}` });
  }
  return { tenantId, platformId, listId, courseId, badges };
}

/** Award days from 25 days before now (outside the range) to now; few distinct days, so that times tie. */
const arbAward = fc.record({ learner: fc.nat({ max: 5 }), badge: fc.nat({ max: 4 }), day: fc.constantFrom(-25, -10, -10, -5, -5, -1, 0), revoked: fc.nat({ max: 4 }).map((n) => n === 0), expired: fc.nat({ max: 4 }).map((n) => n === 0) });

describe('pathways', () => {
  it('give the steps, next steps and repeat earners that pathway() gives over the awards of the range', async () => {
    let repeaters = 0;
    await fc.assert(fc.asyncProperty(fc.uniqueArray(arbAward, { selector: (a) => `${a.learner} ${a.badge}`, minLength: 1, maxLength: 18 }), fc.boolean(), async (awards, includeTest) => {
      const w = await newWorld();
      const users = Array.from({ length: 6 }, () => randomUUID());
      for (const [i, id] of users.entries()) {
        await db.query('insert into users (tenant_id, id, platform_id, lms_user_id, is_test) values ($1, $2, $3, $4, $5)', [w.tenantId, id, w.platformId, `u-${id}`, i === 5]);
      }
      const facts: AwardFact[] = [];
      for (const [i, a] of awards.entries()) {
        const b = w.badges[a.badge]!;
        const id = randomUUID();
        const awardedAt = new Date(NOW.getTime() + a.day * DAY);
        const revokedAt = a.revoked ? new Date(NOW.getTime() - 1000) : null;
        const validUntil = a.expired ? new Date(NOW.getTime() - 1000) : null;
        await db.query(`insert into awards (tenant_id, id, badge_id, course_id, module_id, user_id, method, is_test, awarded_at, revoked_at, valid_until, recipient_salt, status_list_id, status_index, credential_jwt)
          values ($1, $2, $3, $4, $5, $6, 'lms', $7, $8, $9, $10, 'salt', $11, $12, 'jwt')`,
          [w.tenantId, id, b.id, w.courseId, b.moduleId, users[a.learner], a.learner === 5, awardedAt, revokedAt, validUntil, w.listId, i]);
        const inRange = awardedAt >= FROM && awardedAt <= NOW;
        if (inRange && (includeTest || a.learner !== 5)) {
          facts.push({ awardId: id, badgeId: b.id, learnerId: users[a.learner]!, moduleId: b.moduleId, method: 'lms', awardedAt, acceptedAt: null, revokedAt, validUntil,
            isPublic: false, shares: 0, views: 0, verifications: 0, notifiedSent: 0, notifiedFailed: 0 });
        }
      }
      const steps = w.badges.slice(0, 4).map((b) => ({ badgeId: b.id, name: b.name }));
      const want = { name: 'The path', ...pathway(steps, facts, NOW) };
      const analytics = createAnalytics({ db, clock: fixedClock(NOW) });
      for (const scope of [{ scope: 'org' }, { scope: 'course', courseId: w.courseId }] as const) {
        const q: AnalyticsQuery = { tenantId: w.tenantId, from: FROM, to: NOW, includeTest, ...scope };
        expect((await analytics.compute(q)).pathways, scope.scope).toEqual([want]);
      }
      if ((want.repeatEarnerRate ?? 0) > 0) repeaters += 1;
    }), { numRuns: 60 });
    // The runs must reach repeat earners at all; about 16 of 60 do (the fewest in 5,000 seeds: 7),
    // so 5 fails only if the generator stops making them (by chance about once in 14,000 runs).
    expect(repeaters).toBeGreaterThanOrEqual(5);
  });
});
