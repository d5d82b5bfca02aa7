// The database layer on the engine this run uses (PGlite, or PostgreSQL when DATABASE_URL is set):
// migrations, the tenant_id rule, number parsing, transactions and the schema's own checks.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, migrations, type Db } from '../../src/db/index.js';
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


const versions = (rows: Array<{ version: number }>) => rows.map((r) => r.version);

describe('migrate()', () => {
  it('applies nothing on an already migrated database and leaves schema_migrations as it was', async () => {
    const before = await db.query<{ version: number; name: string; applied_at: Date }>('select * from schema_migrations order by version');
    expect(before.map((r) => ({ version: r.version, name: r.name }))).toEqual(migrations.map((m) => ({ version: m.version, name: m.name })));
    expect(await migrate(db)).toEqual([]);
    const after = await db.query<{ version: number; name: string; applied_at: Date }>('select * from schema_migrations order by version');
    expect(after).toEqual(before);
  });

  describe('on an empty database', () => {
    let empty: { db: Db; drop(): Promise<void> };
    beforeAll(async () => {
      empty = await createEmptyDb();
    });
    afterAll(async () => {
      await empty?.drop();
    });

    it('applies every migration once, records each version, and applies nothing the second time', async () => {
      const all = migrations.map((m) => m.version);
      expect(all.length).toBeGreaterThan(0);
      const tablesBefore = await empty.db.query(`select 1 from information_schema.tables where table_schema = 'public' and table_name = 'tenants'`);
      expect(tablesBefore).toHaveLength(0);

      expect(await migrate(empty.db)).toEqual(all);
      const recorded = await empty.db.query<{ version: number; name: string; applied_at: Date }>('select * from schema_migrations order by version');
      expect(versions(recorded)).toEqual(all);
      expect(recorded.map((r) => r.name)).toEqual(migrations.map((m) => m.name));
      for (const r of recorded) expect(r.applied_at).toBeInstanceOf(Date);
      // The schema is really there.
      const tables = await empty.db.query(`select 1 from information_schema.tables where table_schema = 'public' and table_name in ('tenants', 'ltijs_documents')`);
      expect(tables).toHaveLength(2);

      expect(await migrate(empty.db)).toEqual([]);
      expect(await migrate(empty.db)).toEqual([]);
      const again = await empty.db.query<{ version: number; name: string; applied_at: Date }>('select * from schema_migrations order by version');
      expect(again).toEqual(recorded);
    });

    it('rolls back a failing migration as a whole and does not record it; a later good one applies', async () => {
      await migrate(empty.db);
      const broken = { version: 9001, name: 'broken', sql: 'create table half_done (tenant_id uuid not null, x int);\nselect 1/0;\n' };
      await expect(migrate(empty.db, [...migrations, broken])).rejects.toThrow(/division by zero/);
      const half = await empty.db.query<{ t: string | null }>(`select to_regclass('public.half_done')::text as t`);
      expect(half[0]!.t).toBeNull();
      expect(versions(await empty.db.query<{ version: number }>('select version from schema_migrations where version = 9001'))).toEqual([]);

      const good = { version: 9002, name: 'extra', sql: '-- a comment line\ncreate table extra_one (tenant_id uuid not null);\ncreate index extra_one_t on extra_one (tenant_id);\n' };
      expect(await migrate(empty.db, [...migrations, good])).toEqual([9002]);
      expect(await migrate(empty.db, [...migrations, good])).toEqual([]);
      expect(versions(await empty.db.query<{ version: number }>('select version from schema_migrations order by version'))).toEqual([
        ...migrations.map((m) => m.version),
        9002,
      ]);
    });
  });
});

describe('schema', () => {
  it('gives every table in the public schema except schema_migrations a non-null tenant_id column', async () => {
    const tables = await db.query<{ table_name: string }>(
      `select table_name from information_schema.tables
       where table_schema = 'public' and table_type = 'BASE TABLE' and table_name <> 'schema_migrations' order by table_name`,
    );
    const names = tables.map((t) => t.table_name);
    // Not vacuous: the tables we know of are all listed.
    for (const known of ['tenants', 'platforms', 'deployments', 'lti_logins', 'users', 'courses', 'badges', 'launch_sessions', 'ltijs_documents']) {
      expect(names).toContain(known);
    }
    const cols = await db.query<{ table_name: string; is_nullable: string; data_type: string }>(
      `select table_name, is_nullable, data_type from information_schema.columns
       where table_schema = 'public' and column_name = 'tenant_id'`,
    );
    const withTenant = new Map(cols.map((c) => [c.table_name, c]));
    const missing = names.filter((n) => !withTenant.has(n));
    expect(missing, `tables without tenant_id: ${missing.join(', ')}`).toEqual([]);
    for (const n of names) {
      expect(withTenant.get(n)!.is_nullable, `${n}.tenant_id nullable`).toBe('NO');
      expect(withTenant.get(n)!.data_type, `${n}.tenant_id type`).toBe('uuid');
    }
  });

  it('refuses a tenant with an empty name (check constraint)', async () => {
    await expect(db.query('insert into tenants (tenant_id, name) values ($1, $2)', [randomUUID(), ''])).rejects.toMatchObject({ code: '23514' });
    await expect(db.query('insert into tenants (tenant_id, name) values ($1, $2)', [randomUUID(), 'x'.repeat(201)])).rejects.toMatchObject({ code: '23514' });
    const ok = randomUUID();
    await db.query('insert into tenants (tenant_id, name) values ($1, $2)', [ok, 'A school']);
    expect(await db.query('select name from tenants where tenant_id = $1', [ok])).toEqual([{ name: 'A school' }]);
    expect(await db.query(`select 1 from tenants where name = ''`)).toHaveLength(0);
  });

  it('refuses rows that break foreign keys, checks and not-null columns', async () => {
    // A platform of a tenant that does not exist.
    await expect(
      db.query(
        `insert into platforms (tenant_id, id, issuer, client_id, auth_url, token_url, jwks_url, ltijs_kid)
         values ($1, $2, 'https://lms.example', 'c', 'https://a', 'https://t', 'https://j', 'k')`,
        [randomUUID(), randomUUID()],
      ),
    ).rejects.toMatchObject({ code: '23503' });
    // A signing key with an algorithm we do not use.
    const tenant = randomUUID();
    await db.query('insert into tenants (tenant_id, name) values ($1, $2)', [tenant, 'Keys']);
    await expect(
      db.query(`insert into signing_keys (tenant_id, kid, alg, public_jwk, private_key) values ($1, 'k1', 'HS256', '{}', 'x')`, [tenant]),
    ).rejects.toMatchObject({ code: '23514' });
    // ltijs documents need a collection.
    await expect(db.query(`insert into ltijs_documents (collection, doc) values (null, '{}')`)).rejects.toMatchObject({ code: '23502' });
  });
});

describe('numbers', () => {
  it('returns bigint and numeric as JS numbers, also inside a transaction', async () => {
    const [row] = await db.query<{ a: unknown; b: unknown; c: unknown; s: unknown }>(
      'select 42::bigint as a, 0.75::numeric as b, count(*) as c, sum(x) as s from (values (1::numeric), (2.5::numeric)) v(x)',
    );
    expect(row).toEqual({ a: 42, b: 0.75, c: 2, s: 3.5 });
    expect(typeof row!.a).toBe('number');
    expect(typeof row!.b).toBe('number');

    const inTx = await db.transaction((tx) => tx.query<{ a: unknown; b: unknown }>('select 42::bigint as a, 0.75::numeric as b'));
    expect(inTx).toEqual([{ a: 42, b: 0.75 }]);

    // Parameters round-trip too.
    const [p] = await db.query<{ a: unknown; b: unknown }>('select $1::bigint as a, $2::numeric as b', [7, '1.25']);
    expect(p).toEqual({ a: 7, b: 1.25 });
  });
});

describe('transaction()', () => {
  const count = async (id: string) => (await db.query<{ n: number }>('select count(*)::int as n from tenants where tenant_id = $1', [id]))[0]!.n;

  it('commits and returns the callback result', async () => {
    const id = randomUUID();
    const out = await db.transaction(async (tx) => {
      await tx.query('insert into tenants (tenant_id, name) values ($1, $2)', [id, 'Committed']);
      const seen = await tx.query('select 1 from tenants where tenant_id = $1', [id]);
      return { seen: seen.length };
    });
    expect(out).toEqual({ seen: 1 });
    expect(await count(id)).toBe(1);
  });

  it('runs at read committed unless asked, and on one snapshot from its first statement when asked for repeatable read', async () => {
    const level = (tx: { query: Db['query'] }) => tx.query<{ transaction_isolation: string }>('show transaction_isolation');
    expect(await db.transaction(level)).toEqual([{ transaction_isolation: 'read committed' }]);
    expect(await db.transaction(level, { repeatableRead: true })).toEqual([{ transaction_isolation: 'repeatable read' }]);
    if (db.kind !== 'postgres') return; // PGlite has one connection: no other transaction can commit meanwhile
    const id = randomUUID();
    const seen = await db.transaction(async (tx) => {
      const before = await tx.query('select 1 from tenants where tenant_id = $1', [id]);
      // committed by another connection after this snapshot was taken
      await db.query('insert into tenants (tenant_id, name) values ($1, $2)', [id, 'Later']);
      const after = await tx.query('select 1 from tenants where tenant_id = $1', [id]);
      return [before.length, after.length];
    }, { repeatableRead: true });
    expect(seen).toEqual([0, 0]);
    expect(await count(id)).toBe(1);
  });

  it('rolls back when the callback throws, and rethrows the error', async () => {
    const id = randomUUID();
    const boom = new Error('boom');
    await expect(
      db.transaction(async (tx) => {
        await tx.query('insert into tenants (tenant_id, name) values ($1, $2)', [id, 'Rolled back']);
        expect(await tx.query('select 1 from tenants where tenant_id = $1', [id])).toHaveLength(1);
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(await count(id)).toBe(0);
  });

  it('rolls back everything when a later statement fails, and the database stays usable', async () => {
    const first = randomUUID();
    await expect(
      db.transaction(async (tx) => {
        await tx.query('insert into tenants (tenant_id, name) values ($1, $2)', [first, 'First']);
        await tx.query('insert into tenants (tenant_id, name) values ($1, $2)', [randomUUID(), '']); // check violation
      }),
    ).rejects.toMatchObject({ code: '23514' });
    expect(await count(first)).toBe(0);

    const next = randomUUID();
    await db.transaction((tx) => tx.query('insert into tenants (tenant_id, name) values ($1, $2)', [next, 'Next']));
    expect(await count(next)).toBe(1);
  });
});

describe('withSettings()', () => {
  it('runs every statement with the settings on PostgreSQL (the main pool keeps its own), and is the database itself on PGlite', async () => {
    const tuned = db.withSettings({ work_mem: '48MB', jit: 'off' });
    const show = async (on: Db, name: string) => (await on.query<Record<string, string>>(`show ${name}`))[0]![name];
    if (db.kind === 'postgres') {
      // several statements side by side: each on a connection that started with them
      expect(await Promise.all(Array.from({ length: 6 }, () => show(tuned, 'work_mem')))).toEqual(Array(6).fill('48MB'));
      expect(await tuned.transaction((tx) => tx.query<{ jit: string }>('show jit'))).toEqual([{ jit: 'off' }]);
      expect(await show(db, 'work_mem')).not.toBe('48MB');
      // the same settings, the same pool
      expect(db.withSettings({ work_mem: '48MB', jit: 'off' })).toBe(tuned);
      expect(() => db.withSettings({ work_mem: "48MB' -c fsync=off" })).toThrow(/not a plain setting/);
    } else {
      expect(tuned).toBe(db);
    }
  });
});
