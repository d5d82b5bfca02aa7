// Issuance is idempotent on tenant + course + module + learner: within a batch, across batches and
// under concurrent requests there is one award and one `awarded` event.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { buildBadge, buildLearner, buildWorld, type World } from '../support/builders.js';
import { validateCredential } from '../support/ob3.js';

let app: TestApp;
let w: World;
beforeAll(async () => {
  app = await startTestApp();
  w = await buildWorld(app);
});
afterAll(async () => {
  await app?.close();
});

const count = async (sql: string, params: unknown[]) => (await app.testDb.db.query<{ n: number }>(sql, params))[0]!.n;

describe('issuance', () => {
  it('issues once for a learner named twice in one batch, and reports the second as a duplicate', async () => {
    const badge = await buildBadge(app, w);
    const [a, b] = [await buildLearner(app, w), await buildLearner(app, w)];
    const results = await app.built.services.awards.issueBatch(w.tenantId, [
      { badgeId: badge.id, userId: a, method: 'api' },
      { badgeId: badge.id, userId: b, method: 'api' },
      { badgeId: badge.id, userId: a, method: 'api' },
    ]);
    expect(results.map((r) => ('error' in r ? r.error : r.created))).toEqual([true, true, false]);
    const [first, , again] = results as Array<{ award: { id: string } }>;
    expect(again!.award.id).toBe(first!.award.id);
    expect(await count('select count(*)::int as n from awards where badge_id = $1', [badge.id])).toBe(2);
    expect(await count(`select count(*)::int as n from events where badge_id = $1 and type = 'awarded'`, [badge.id])).toBe(2);
  });

  it('answers a later batch with the existing award', async () => {
    const badge = await buildBadge(app, w);
    const learner = await buildLearner(app, w);
    const first = await app.built.services.awards.issue({ tenantId: w.tenantId, badgeId: badge.id, userId: learner, method: 'lms' });
    const second = await app.built.services.awards.issue({ tenantId: w.tenantId, badgeId: badge.id, userId: learner, method: 'csv' });
    expect(first.created).toBe(true);
    expect(second).toMatchObject({ created: false, award: { id: first.award.id, method: 'lms' } });
  });

  it('issues exactly one award when the same completion arrives six times at once', async () => {
    const badge = await buildBadge(app, w);
    const learner = await buildLearner(app, w);
    const results = await Promise.all(Array.from({ length: 6 }, () => app.built.services.awards.issue({ tenantId: w.tenantId, badgeId: badge.id, userId: learner, method: 'api' })));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.award.id)).size).toBe(1);
    expect(await count('select count(*)::int as n from awards where badge_id = $1', [badge.id])).toBe(1);
    expect(await count(`select count(*)::int as n from events where badge_id = $1 and type = 'awarded'`, [badge.id])).toBe(1);
  });

  it('issues each award once when batches that share learners in opposite orders arrive at once, queued or signed inline', async () => {
    const badges = [await buildBadge(app, w), await buildBadge(app, w)];
    const learners = await Promise.all(Array.from({ length: 150 }, () => buildLearner(app, w)));
    const requests = badges.flatMap((b) => learners.map((userId) => ({ badgeId: b.id, userId, method: 'api' as const })));
    for (let round = 0; round < 3; round += 1) {
      // each round issues the same keys again: the first round creates them all, later ones none
      const results = await Promise.all([
        // inline batches sign chunk by chunk inside their transaction, holding the keys of one
        // chunk while they sign the next
        app.built.services.awards.issueBatch(w.tenantId, requests, 'inline'),
        app.built.services.awards.issueBatch(w.tenantId, [...requests].reverse(), 'inline'),
        app.built.services.awards.issueBatch(w.tenantId, [...requests.slice(150), ...requests.slice(0, 150)], 'queued'),
      ]);
      const created = results.flat().filter((r) => !('error' in r) && r.created).length;
      expect(created).toBe(round === 0 ? requests.length : 0);
      expect(results.flat().every((r) => !('error' in r))).toBe(true);
    }
    for (const b of badges) {
      expect(await count('select count(*)::int as n from awards where badge_id = $1', [b.id])).toBe(learners.length);
      expect(await count(`select count(*)::int as n from events where badge_id = $1 and type = 'awarded'`, [b.id])).toBe(learners.length);
    }
  });

  it('gives every award its own status entry and a VC-JWT whose payload carries it', async () => {
    const badge = await buildBadge(app, w);
    const learners = await Promise.all(Array.from({ length: 30 }, () => buildLearner(app, w)));
    const results = await app.built.services.awards.issueBatch(w.tenantId, learners.map((userId) => ({ badgeId: badge.id, userId, method: 'csv' as const })));
    const awards = results.map((r) => ('award' in r ? r.award : null)!);
    const entries = new Set(awards.map((a) => `${a.statusListId}#${a.statusIndex}`));
    expect(entries.size).toBe(30);
    for (const a of awards) {
      expect((a.credential as any).credentialStatus.statusListIndex).toBe(String(a.statusIndex));
      // Every credential of the batch against the official schema, as issued (the VC-JWT payload).
      const payload = JSON.parse(Buffer.from(a.credentialJwt!.split('.')[1]!, 'base64url').toString());
      expect(validateCredential(payload), JSON.stringify(validateCredential.errors)).toBe(true);
    }
  });

  it('reports a badge or learner of another tenant as not found, and issues nothing for it', async () => {
    const other = await buildWorld(app, 'South College');
    const foreignBadge = await buildBadge(app, other);
    const learner = await buildLearner(app, w);
    const [r] = await app.built.services.awards.issueBatch(w.tenantId, [{ badgeId: foreignBadge.id, userId: learner, method: 'api' }]);
    expect(r).toEqual({ error: 'badge_or_learner_not_found' });
    expect(await count('select count(*)::int as n from awards where badge_id = $1', [foreignBadge.id])).toBe(0);
  });
});
