// Migration 024: an award's tenant, badge, course and module are checked as one key against the
// badge, and a completion's tenant, course and module against the module; completions still go
// with their module and their course. On a database upgraded with rows in it, as on a new one.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, migrations, type Queryable } from '../../src/db/index.js';
import { newRollupWorld, type RollupWorld } from '../support/rollup-world.js';
import { createEmptyDb, createTestDb, type TestDb } from '../support/db.js';

let testDb: TestDb;
beforeAll(async () => {
  testDb = await createTestDb();
});
afterAll(async () => {
  await testDb?.drop();
});

const world = (q: Queryable) => newRollupWorld(q, 'Keys College', [{ course: 0, position: 0, label: 'A' }, { course: 0, position: 1, label: 'B' }, { course: 1, position: 0, label: 'C' }]);

async function newUser(q: Queryable, w: RollupWorld): Promise<string> {
  const id = randomUUID();
  await q.query('insert into users (tenant_id, id, platform_id, lms_user_id) values ($1, $2, $3, $4)', [w.tenantId, id, w.platformId, `u-${id}`]);
  return id;
}

let statusIndex = 0;
async function insertAward(q: Queryable, a: { tenantId: string; badgeId: string; courseId: string; moduleId: string; userId: string; listId: string }): Promise<string> {
  const id = randomUUID();
  await q.query(`insert into awards (tenant_id, id, badge_id, course_id, module_id, user_id, method, awarded_at, recipient_salt, status_list_id, status_index, credential_jwt)
    values ($1, $2, $3, $4, $5, $6, 'lms', now(), 'salt', $7, $8, 'jwt')`, [a.tenantId, id, a.badgeId, a.courseId, a.moduleId, a.userId, a.listId, (statusIndex += 1)]);
  return id;
}

async function insertCompletion(q: Queryable, c: { tenantId: string; courseId: string; moduleId: string; userId: string; awardId?: string }): Promise<string> {
  const id = randomUUID();
  await q.query(`insert into completions (tenant_id, id, course_id, module_id, user_id, score, max_score, completed_at, source, qualifies, award_id)
    values ($1, $2, $3, $4, $5, 1, 2, now(), 'api', false, $6)`, [c.tenantId, id, c.courseId, c.moduleId, c.userId, c.awardId ?? null]);
  return id;
}

/** The keys refuse what does not belong together and keep what does; the refused rows leave nothing behind. */
async function expectKeysHold(q: Queryable): Promise<void> {
  const [w, other] = [await world(q), await world(q)];
  const [a, b, c] = w.badges as [RollupWorld['badges'][0], RollupWorld['badges'][0], RollupWorld['badges'][0]];
  const user = await newUser(q, w);
  const base = { tenantId: w.tenantId, badgeId: a.id, courseId: a.courseId, moduleId: a.moduleId, userId: user, listId: w.listId };
  const foreignKey = { code: '23503' };
  // another module of the same course, a module of another course, another tenant's badge
  await expect(insertAward(q, { ...base, moduleId: b.moduleId })).rejects.toMatchObject(foreignKey);
  await expect(insertAward(q, { ...base, courseId: c.courseId, moduleId: c.moduleId })).rejects.toMatchObject(foreignKey);
  await expect(insertAward(q, { ...base, courseId: c.courseId })).rejects.toMatchObject(foreignKey);
  await expect(insertAward(q, { ...base, tenantId: other.tenantId })).rejects.toMatchObject(foreignKey);
  await expect(insertAward(q, { ...base, badgeId: other.badges[0]!.id, courseId: other.badges[0]!.courseId, moduleId: other.badges[0]!.moduleId })).rejects.toMatchObject(foreignKey);
  expect(await q.query('select 1 from awards where tenant_id = any($1::uuid[])', [[w.tenantId, other.tenantId]])).toHaveLength(0);
  const awardId = await insertAward(q, base);

  await expect(insertCompletion(q, { tenantId: w.tenantId, courseId: c.courseId, moduleId: a.moduleId, userId: user })).rejects.toMatchObject(foreignKey);
  await expect(insertCompletion(q, { tenantId: other.tenantId, courseId: a.courseId, moduleId: a.moduleId, userId: user })).rejects.toMatchObject(foreignKey);
  await expect(insertCompletion(q, { tenantId: w.tenantId, courseId: a.courseId, moduleId: randomUUID(), userId: user })).rejects.toMatchObject(foreignKey);
  await insertCompletion(q, { tenantId: w.tenantId, courseId: a.courseId, moduleId: a.moduleId, userId: user, awardId });
  const [ofB, ofC] = [await insertCompletion(q, { tenantId: w.tenantId, courseId: b.courseId, moduleId: b.moduleId, userId: user }), await insertCompletion(q, { tenantId: w.tenantId, courseId: c.courseId, moduleId: c.moduleId, userId: user })];
  const completions = async () => (await q.query<{ id: string }>('select id from completions where tenant_id = $1 order by id', [w.tenantId])).map((r) => r.id);
  expect(await completions()).toHaveLength(3);

  // a module that has an award stays (the award keeps its badge); one without goes with its completions
  await expect(q.query('delete from modules where id = $1', [a.moduleId])).rejects.toMatchObject(foreignKey);
  await q.query('delete from modules where id = $1', [b.moduleId]);
  expect(await completions()).not.toContain(ofB);
  // and a course takes its modules' completions with it
  await q.query('delete from courses where id = $1', [c.courseId]);
  expect(await completions()).not.toContain(ofC);
  expect(await completions()).toHaveLength(1);
}

describe('award and completion keys', () => {
  it('hold an award to its badge\'s tenant, course and module, and a completion to its module\'s', async () => {
    await expectKeysHold(testDb.db);
    // one key each where there were four and three; none on award_links, which the awards' trigger writes
    const keys = await testDb.db.query<{ table: string; key: string }>(`select conrelid::regclass::text as table, pg_get_constraintdef(oid) as key from pg_constraint
      where contype = 'f' and conrelid in ('awards'::regclass, 'completions'::regclass, 'award_links'::regclass) order by 1, 2`);
    expect(keys).toEqual([
      { table: 'awards', key: 'FOREIGN KEY (status_list_id) REFERENCES status_lists(id)' },
      { table: 'awards', key: 'FOREIGN KEY (tenant_id, badge_id, course_id, module_id) REFERENCES badges(tenant_id, id, course_id, module_id)' },
      { table: 'awards', key: 'FOREIGN KEY (user_id) REFERENCES users(id)' },
      { table: 'completions', key: 'FOREIGN KEY (award_id) REFERENCES awards(id)' },
      { table: 'completions', key: 'FOREIGN KEY (tenant_id, course_id, module_id) REFERENCES modules(tenant_id, course_id, id) ON DELETE CASCADE' },
      { table: 'completions', key: 'FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE' },
    ]);
  });

  it('apply to a database upgraded with awards and completions in it, which keep every row', async () => {
    const empty = await createEmptyDb();
    try {
      await migrate(empty.db, migrations.filter((m) => m.version < 24));
      const w = await world(empty.db);
      const user = await newUser(empty.db, w);
      const before = [];
      for (const b of w.badges) {
        const awardId = await insertAward(empty.db, { tenantId: w.tenantId, badgeId: b.id, courseId: b.courseId, moduleId: b.moduleId, userId: user, listId: w.listId });
        before.push({ awardId, completionId: await insertCompletion(empty.db, { tenantId: w.tenantId, courseId: b.courseId, moduleId: b.moduleId, userId: user, awardId }) });
      }
      expect(await migrate(empty.db)).toEqual(migrations.filter((m) => m.version >= 24).map((m) => m.version));
      const after = await empty.db.query<{ award_id: string; id: string }>('select award_id, id from completions where tenant_id = $1', [w.tenantId]);
      expect(after.map((r) => ({ awardId: r.award_id, completionId: r.id })).sort((x, y) => x.awardId.localeCompare(y.awardId)))
        .toEqual(before.sort((x, y) => x.awardId.localeCompare(y.awardId)));
      await expectKeysHold(empty.db);
    } finally {
      await empty.drop();
    }
  });

  it('stop an upgrade that finds an award off its badge\'s module, with its count, and apply once it is put right', async () => {
    const empty = await createEmptyDb();
    try {
      await migrate(empty.db, migrations.filter((m) => m.version < 24));
      const w = await world(empty.db);
      const user = await newUser(empty.db, w);
      const [a, b] = w.badges as [RollupWorld['badges'][0], RollupWorld['badges'][0]];
      const off = await insertAward(empty.db, { tenantId: w.tenantId, badgeId: a.id, courseId: a.courseId, moduleId: b.moduleId, userId: user, listId: w.listId });
      await expect(migrate(empty.db)).rejects.toThrow(/migration 024: 1 awards name a tenant, course or module that is not their badge's/);
      expect(await empty.db.query('select version from schema_migrations where version = 24')).toHaveLength(0);
      await expect(insertAward(empty.db, { tenantId: w.tenantId, badgeId: b.id, courseId: b.courseId, moduleId: a.moduleId, userId: user, listId: w.listId })).resolves.toBeTruthy();
      await empty.db.query('delete from awards where module_id <> (select module_id from badges where id = awards.badge_id)');
      expect(await empty.db.query('select 1 from awards where id = $1', [off])).toHaveLength(0);
      expect(await migrate(empty.db)).toEqual(migrations.filter((m) => m.version >= 24).map((m) => m.version));
    } finally {
      await empty.drop();
    }
  });
});
