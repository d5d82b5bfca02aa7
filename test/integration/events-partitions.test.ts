// Migration 011 on the engine this run uses: events partitioned by month of occurred_at, rows routed
// to their month or to events_default and read the same either way, ids that keep increasing, the
// rows, indexes, constraints and triggers of a database at version 10 kept, and ensureEventPartitions.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureEventPartitions, migrate, migrations, type Db, type Queryable } from '../../src/db/index.js';
import { splitStatements } from '../../src/db/migrate.js';
import { monthsAhead } from '../../src/db/partitions.js';
import { eventsOfAward } from '../../src/events/index.js';
import { fixedClock } from '../../src/shared/index.js';
import { createEmptyDb, createTestDb, type TestDb } from '../support/db.js';

let testDb: TestDb;
let db: Db;

beforeAll(async () => {
  testDb = await createTestDb();
  db = testDb.db;
});
afterAll(async () => {
  await testDb?.drop();
});


const monthOf = (d: Date) => `${d.getUTCFullYear()}_${String(d.getUTCMonth() + 1).padStart(2, '0')}`;

async function newTenant(q: Queryable): Promise<string> {
  const id = randomUUID();
  await q.query('insert into tenants (tenant_id, name) values ($1, $2)', [id, 'Partitioned school']);
  return id;
}

/** Inserts an event and returns its id and the partition it went to. */
async function addEvent(q: Queryable, tenantId: string, at: Date | string, awardId: string | null = null, type = 'viewed') {
  const [row] = await q.query<{ id: number; part: string }>(
    `insert into events (tenant_id, award_id, type, occurred_at) values ($1, $2, $3, $4) returning id, tableoid::regclass::text as part`,
    [tenantId, awardId, type, at],
  );
  return row!;
}

const partitions = async (q: Queryable) =>
  (
    await q.query<{ name: string; bound: string }>(
      `select c.relname as name, pg_get_expr(c.relpartbound, c.oid) as bound
       from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = 'events'::regclass order by 1`,
    )
  ).map((p) => p.name);

describe('events, partitioned', () => {
  it('is a table partitioned by range of occurred_at, with a default partition and the months ahead', async () => {
    const [p] = await db.query<{ strategy: string; key: string; kind: string }>(
      `select pt.partstrat as strategy, pg_get_partkeydef(pt.partrelid) as key, c.relkind as kind
       from pg_partitioned_table pt join pg_class c on c.oid = pt.partrelid where pt.partrelid = 'events'::regclass`,
    );
    expect(p).toEqual({ strategy: 'r', key: 'RANGE (occurred_at)', kind: 'p' });
    const names = await partitions(db);
    expect(names).toContain('events_default');
    // migrate() keeps the current month and the next 12 (set up by this run's migration, today).
    const now = new Date();
    for (let n = 0; n <= 12; n++) expect(names).toContain(`events_${monthOf(monthsAhead(now, n))}`);
  });

  it('keeps the primary key (with the partition key), the check, the foreign key and the indexes, as partitioned indexes', async () => {
    const constraints = await db.query<{ name: string; def: string }>(
      `select conname as name, pg_get_constraintdef(oid) as def from pg_constraint where conrelid = 'events'::regclass and contype in ('p', 'c', 'f') order by 1`,
    );
    expect(constraints.map((c) => c.name)).toEqual(['events_pkey', 'events_tenant_id_fkey', 'events_type_check']);
    expect(constraints[0]!.def).toBe('PRIMARY KEY (tenant_id, id, occurred_at)');
    const indexes = await db.query<{ name: string; kind: string; def: string }>(
      `select c.relname as name, c.relkind as kind, pg_get_indexdef(i.indexrelid) as def
       from pg_index i join pg_class c on c.oid = i.indexrelid where i.indrelid = 'events'::regclass order by 1`,
    );
    expect(indexes.map((i) => [i.name, i.kind])).toEqual([['events_award', 'I'], ['events_course_time', 'I'], ['events_pkey', 'I']]);
    expect(indexes[0]!.def).toContain('(tenant_id, award_id, type)');
    expect(indexes[1]!.def).toContain('(tenant_id, course_id, occurred_at)');
    // Every partition has its copy of each index.
    const [missing] = await db.query<{ n: number }>(
      `select count(*)::int as n from pg_inherits i
       where i.inhparent = 'events'::regclass and (select count(*) from pg_index x where x.indrelid = i.inhrelid) <> 3`,
    );
    expect(missing!.n).toBe(0);

    const tenant = await newTenant(db);
    await expect(addEvent(db, tenant, new Date(), null, 'teleported')).rejects.toMatchObject({ code: '23514' });
    await expect(addEvent(db, randomUUID(), new Date())).rejects.toMatchObject({ code: '23503' });
    await expect(db.query(`insert into events (tenant_id, id, type, occurred_at) values ($1, 1, 'viewed', now())`, [tenant])).rejects.toMatchObject({
      code: '428C9', // generated always: ids come from the sequence only
    });
  });

  it('routes events to their month in UTC, anything without a partition to events_default, and reads them all alike', async () => {
    expect(await ensureEventPartitions(db, { from: new Date('2031-01-20T00:00:00Z'), until: new Date('2031-02-01T00:00:00Z') })).toEqual({
      created: ['2031-01', '2031-02'],
      skipped: [],
    });
    const tenant = await newTenant(db);
    const award = randomUUID();
    const placed = [
      await addEvent(db, tenant, '2031-01-01T00:00:00Z', award),
      await addEvent(db, tenant, '2031-01-31T23:59:59.999Z', award, 'shared'),
      // Midnight UTC on the 1st, written with an offset: February, whatever the session's time zone.
      await addEvent(db, tenant, '2031-02-01T01:00:00+01:00', award, 'verified'),
      await addEvent(db, tenant, new Date(), award),
      await addEvent(db, tenant, '2099-07-04T12:00:00Z', award, 'revoked'),
      await addEvent(db, tenant, '1999-12-31T23:00:00Z', null),
    ];
    expect(placed.map((p) => p.part)).toEqual(['events_2031_01', 'events_2031_01', 'events_2031_02', `events_${monthOf(new Date())}`, 'events_default', 'events_default']);
    const ids = placed.map((p) => p.id);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);

    // By (tenant_id, award_id), as the award pages and analytics read them, the far-future one too.
    const ofAward = await eventsOfAward(db, tenant, award);
    expect(ofAward.map((e) => e.id)).toEqual(ids.slice(0, 5));
    expect(ofAward.map((e) => e.type)).toEqual(['viewed', 'shared', 'verified', 'viewed', 'revoked']);
    // By (tenant_id, id) keyset, as the exports page through them.
    const page = await db.query<{ id: number }>('select id from events where tenant_id = $1 and id > $2 order by id limit 3', [tenant, ids[1]]);
    expect(page.map((r) => r.id)).toEqual(ids.slice(2, 5));
    const [count] = await db.query<{ n: number }>('select count(*)::int as n from events where tenant_id = $1', [tenant]);
    expect(count!.n).toBe(6);
    // By time within a course, as the timeline does; pruned to one month's partition.
    const inJanuary = await db.query<{ id: number }>(
      `select id from events where tenant_id = $1 and occurred_at >= '2031-01-01T00:00:00Z' and occurred_at < '2031-02-01T00:00:00Z' order by id`,
      [tenant],
    );
    expect(inJanuary.map((r) => r.id)).toEqual(ids.slice(0, 2));
  });

  it('ensureEventPartitions is idempotent and leaves a month to events_default once that holds events of it', async () => {
    const tenant = await newTenant(db);
    const early = await addEvent(db, tenant, '2041-06-15T08:00:00Z');
    expect(early.part).toBe('events_default');
    const range = { from: new Date('2041-05-31T23:00:00Z'), until: new Date('2041-07-01T00:00:00Z') };
    expect(await ensureEventPartitions(db, range)).toEqual({ created: ['2041-05', '2041-07'], skipped: ['2041-06'] });
    const after = await partitions(db);
    expect(await ensureEventPartitions(db, range)).toEqual({ created: [], skipped: ['2041-06'] });
    expect(await partitions(db)).toEqual(after);
    expect(after).toEqual(expect.arrayContaining(['events_2041_05', 'events_2041_07']));
    expect(after).not.toContain('events_2041_06');
    expect((await addEvent(db, tenant, '2041-07-02T00:00:00Z')).part).toBe('events_2041_07');
    const still = await db.query<{ part: string }>('select tableoid::regclass::text as part from events where tenant_id = $1 and id = $2', [tenant, early.id]);
    expect(still).toEqual([{ part: 'events_default' }]);
  });

  it('migrate() extends the partitions to 12 months after the clock, and applies nothing', async () => {
    expect(await migrate(db, migrations, fixedClock(new Date('2035-03-10T12:00:00Z')))).toEqual([]);
    const names = await partitions(db);
    for (let n = 0; n <= 12; n++) expect(names).toContain(`events_${monthOf(monthsAhead(new Date('2035-03-10T12:00:00Z'), n))}`);
    expect(names).not.toContain('events_2036_04');
    expect(names).not.toContain('events_2035_02');
  });
});

describe('migration 011 on a database at version 10', () => {
  let old: { db: Db; drop(): Promise<void> };
  beforeAll(async () => {
    old = await createEmptyDb();
  });
  afterAll(async () => {
    await old?.drop();
  });

  it('keeps every row with its id, continues the sequence, and keeps the triggers without running them again', async () => {
    const upTo10 = migrations.filter((m) => m.version <= 10);
    expect(upTo10.map((m) => m.version)).toContain(10);
    const upTo11 = migrations.filter((m) => m.version <= 11);
    expect(await migrate(old.db, upTo10)).toEqual(upTo10.map((m) => m.version));
    const [before] = await old.db.query<{ partitioned: boolean }>(`select exists (select 1 from pg_partitioned_table where partrelid = 'events'::regclass) as partitioned`);
    expect(before!.partitioned).toBe(false);

    const tenant = await newTenant(old.db);
    const award = randomUUID();
    for (const at of ['2024-11-15T10:00:00Z', '2025-03-31T23:30:00Z', '2025-04-01T00:00:00Z', '2099-01-01T00:00:00Z'])
      await addEvent(old.db, tenant, at, award);
    await addEvent(old.db, tenant, '2025-04-02T00:00:00Z', award, 'shared');
    // An id handed out by a transaction that rolled back is never handed out again either.
    await expect(
      old.db.transaction(async (tx) => {
        await addEvent(tx, tenant, '2025-04-03T00:00:00Z', award);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    const rows = await old.db.query<Record<string, unknown>>('select * from events order by id');
    expect(rows).toHaveLength(5);
    const triggers = await old.db.query<{ name: string }>(`select tgname as name from pg_trigger where tgrelid = 'events'::regclass and not tgisinternal order by 1`);
    const stats = await old.db.query('select * from award_stats where tenant_id = $1', [tenant]);

    expect(await migrate(old.db, upTo11)).toEqual([11]);

    expect(await old.db.query('select * from events order by id')).toEqual(rows);
    const placed = await old.db.query<{ part: string }>('select tableoid::regclass::text as part from events order by id');
    expect(placed.map((p) => p.part)).toEqual(['events_2024_11', 'events_2025_03', 'events_2025_04', 'events_2099_01', 'events_2025_04']);
    expect(await old.db.query(`select tgname as name from pg_trigger where tgrelid = 'events'::regclass and not tgisinternal order by 1`)).toEqual(triggers);
    // The copy did not fire the rollup's trigger: the counts are those of before.
    expect(await old.db.query('select * from award_stats where tenant_id = $1', [tenant])).toEqual(stats);
    const [seq] = await old.db.query<{ s: string }>(`select pg_get_serial_sequence('events', 'id') as s`);
    expect(seq!.s).toBe('public.events_id_seq');
    expect(await old.db.query(`select 1 from pg_class where relname = 'events_unpartitioned'`)).toEqual([]);

    const next = await addEvent(old.db, tenant, new Date(), award, 'shared');
    const maxBefore = Math.max(...rows.map((r) => r.id as number));
    expect(next.id).toBe(maxBefore + 2); // after the rolled-back one
    expect(next.part).toBe(`events_${monthOf(new Date())}`);
    const [shares] = await old.db.query<{ shares: number }>('select shares from award_stats where tenant_id = $1 and award_id = $2', [tenant, award]);
    expect(shares!.shares).toBe(2);
    // The later migrations apply on top, and then nothing is left to apply.
    expect(await migrate(old.db)).toEqual(migrations.filter((m) => m.version > 11).map((m) => m.version));
    expect(await migrate(old.db)).toEqual([]);
  });
});

describe('splitStatements()', () => {
  it('keeps a dollar-quoted body whole, semicolons at its line ends and all', () => {
    const sql = `-- a comment;\ncreate table a (x int);\ncreate function f() returns int language plpgsql as $fn$\nbegin\n  return 1;\nend\n$fn$;\ndo $$ begin\n  perform 1;\nend $$;\nselect 2;\n`;
    expect(splitStatements(sql)).toEqual([
      'create table a (x int)',
      'create function f() returns int language plpgsql as $fn$\nbegin\n  return 1;\nend\n$fn$',
      'do $$ begin\n  perform 1;\nend $$',
      'select 2',
    ]);
  });
});
