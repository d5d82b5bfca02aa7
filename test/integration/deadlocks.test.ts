// Writers of awards side by side on a PostgreSQL server: an import's update takes the awards' row
// locks in id order (as the signing queue does), so it waits behind a writer that holds them in
// that order instead of each holding a row the other waits for; a batch takes status entries
// while another batch's awards of that list are still uncommitted; and a transaction PostgreSQL
// aborts to break a deadlock is run again. On PGlite (one connection, one transaction at a time)
// nothing runs side by side, so these run on the server only.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retryingDeadlocks } from '../../src/db/index.js';
import { importRepository } from '../../src/imports/repository.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { buildBadge, buildLearner, buildWorld, type World } from '../support/builders.js';

const onServer = process.env.DATABASE_URL !== undefined;

let app: TestApp;
let w: World;
beforeAll(async () => {
  app = await startTestApp();
  w = await buildWorld(app);
});
afterAll(async () => {
  await app?.close();
});

async function connection(): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: app.testDb.url });
  await c.connect();
  return c;
}

/** Waits until some other session of this database waits for a row lock. */
async function someoneWaitsForALock(observer: pg.Client): Promise<void> {
  for (let i = 0; i < 200; i += 1) {
    const { rows } = await observer.query("select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'");
    if (rows[0].n > 0) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('nobody waited for a lock');
}

describe.runIf(onServer)('writers of awards side by side', () => {
  it('an import marking awards locks them in id order, so it waits for a writer holding them in that order and neither is aborted', async () => {
    const badge = await buildBadge(app, w);
    const learners = [await buildLearner(app, w), await buildLearner(app, w)];
    const issued = await app.built.services.awards.issueBatch(w.tenantId, learners.map((userId) => ({ badgeId: badge.id, userId, method: 'api' as const })), 'queued');
    const [low, high] = issued.map((o) => ('award' in o ? o.award.id : '')).sort();
    const holder = await connection();
    const observer = await connection();
    try {
      await holder.query('begin');
      await holder.query('select 1 from awards where id = $1 for no key update', [low]);
      // The import names the higher id first: locked in that order, it would hold `high` while
      // waiting for `low`, and the holder's next lock would close the circle.
      const marking = app.testDb.db.transaction((tx) => importRepository(tx).markImported(tx, w.tenantId, [
        { awardId: high!, externalId: 'ext-high', acceptedAt: null, revokedAt: null, isPublic: false },
        { awardId: low!, externalId: 'ext-low', acceptedAt: '2026-11-20T10:00:00Z', revokedAt: null, isPublic: true },
      ]));
      await someoneWaitsForALock(observer);
      await holder.query('select 1 from awards where id = $1 for no key update', [high]);
      await holder.query('commit');
      await marking;
    } finally {
      await holder.end();
      await observer.end();
    }
    const rows = await app.testDb.db.query<{ id: string; external_id: string; is_public: boolean }>('select id, external_id, is_public from awards where id = any($1::uuid[]) order by id', [[low, high]]);
    expect(rows).toEqual([{ id: low, external_id: 'ext-low', is_public: true }, { id: high, external_id: 'ext-high', is_public: false }]);
  });

  it('takes status entries while another batch\'s awards, not yet committed, hold their list\'s row by their foreign key', async () => {
    const badge = await buildBadge(app, w);
    const learner = await buildLearner(app, w);
    const [first] = await app.built.services.awards.issueBatch(w.tenantId, [{ badgeId: badge.id, userId: learner, method: 'api' }], 'queued');
    const listId = first && 'award' in first ? first.award.statusListId : '';
    const holder = await connection();
    try {
      await holder.query('begin');
      // what inserting an award of that list takes until its transaction ends
      await holder.query('select 1 from status_lists where id = $1 for key share', [listId]);
      const entries = await app.testDb.db.transaction(async (tx) => {
        await tx.query("set local lock_timeout = '2s'");
        return app.built.services.credentials.statusLists.allocateMany(tx, w.tenantId, 3);
      });
      expect(entries.map((e) => e.listId)).toEqual([listId, listId, listId]);
      await holder.query('commit');
    } finally {
      await holder.end();
    }
  });

  it('runs a transaction PostgreSQL aborted to break a deadlock again, and both writers commit', async () => {
    const learners = [await buildLearner(app, w), await buildLearner(app, w)];
    let attempts = 0;
    // Each locks one learner, waits until the other has locked the other, then asks for it.
    let locked = 0;
    const bothLocked = async () => {
      while (locked < 2) await new Promise((r) => setTimeout(r, 5));
    };
    const writer = (first: string, second: string, name: string) => retryingDeadlocks(() => app.testDb.db.transaction(async (tx) => {
      attempts += 1;
      await tx.query('update users set name = $2 where id = $1', [first, name]);
      locked += 1;
      await bothLocked();
      await tx.query('update users set name = $2 where id = $1', [second, name]);
    }));
    await Promise.all([writer(learners[0]!, learners[1]!, 'first'), writer(learners[1]!, learners[0]!, 'second')]);
    // one of the two ran twice
    expect(attempts).toBe(3);
    const names = await app.testDb.db.query<{ name: string }>('select name from users where id = any($1::uuid[])', [learners]);
    // the one run again wrote last, both rows
    expect(new Set(names.map((n) => n.name)).size).toBe(1);
  });
});

describe('retryingDeadlocks', () => {
  it('gives up on what is not a deadlock at once, and on a deadlock after the attempts it was given', async () => {
    let attempts = 0;
    await expect(retryingDeadlocks(async () => {
      attempts += 1;
      throw Object.assign(new Error('unique violation'), { code: '23505' });
    })).rejects.toThrow('unique violation');
    expect(attempts).toBe(1);
    attempts = 0;
    await expect(retryingDeadlocks(async () => {
      attempts += 1;
      throw Object.assign(new Error('deadlock detected'), { code: '40P01' });
    }, 3)).rejects.toThrow('deadlock detected');
    expect(attempts).toBe(3);
  });
});
