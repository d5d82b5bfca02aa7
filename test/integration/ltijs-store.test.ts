// Our ltijs database plugin against a real database: the contract ltijs relies on (shared/LTIJS.md),
// encryption at rest, expiry, and ltijs itself reading its keys through it.
import { createPublicKey, generateKeyPair as generateKeyPairCb } from 'node:crypto';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLtijsStore, purgeExpiredLtijsDocuments, type Db, type LtijsStore } from '../../src/db/index.js';
import type { Logger } from '../../src/shared/index.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { createTestDb, type TestDb } from '../support/db.js';

const generateKeyPair = promisify(generateKeyPairCb);

const SECRET = 'ltijs-store-test-secret-0123456789-abcdefghijklmnop';
const ENC_KEY = 'an-ltijs-encryption-key';

type Logged = { level: string; msg: string; fields?: Record<string, unknown> };
function recordingLogger(): Logger & { entries: Logged[] } {
  const entries: Logged[] = [];
  return {
    entries,
    info: (msg, fields) => void entries.push({ level: 'info', msg, ...(fields ? { fields } : {}) }),
    warn: (msg, fields) => void entries.push({ level: 'warn', msg, ...(fields ? { fields } : {}) }),
    error: (msg, fields) => void entries.push({ level: 'error', msg, ...(fields ? { fields } : {}) }),
  };
}

let testDb: TestDb;
let db: Db;
let logger: ReturnType<typeof recordingLogger>;
let store: LtijsStore;

beforeAll(async () => {
  testDb = await createTestDb();
  db = testDb.db;
  logger = recordingLogger();
  store = createLtijsStore(db, SECRET, logger);
});
afterAll(async () => {
  await testDb?.drop();
});

type RawRow = { id: number; collection: string; doc: Record<string, unknown>; doc_text: string; created_at: Date; expires_at: Date | null };
const raw = (collection: string) =>
  db.query<RawRow>('select id, collection, doc, doc::text as doc_text, created_at, expires_at from ltijs_documents where collection = $1 order by id', [collection]);

/** Drops a PostgreSQL test database whose pool is closed, once its connections are gone. */
async function dropClosedDatabase(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await admin.connect();
  try {
    // pool.end() resolves before its sockets close; dropping "with (force)" under them would make
    // the closed pool emit an unhandled 'error'.
    for (let i = 0; i < 100; i++) {
      const left = await admin.query('select 1 from pg_stat_activity where datname = $1', [name]);
      if (left.rowCount === 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    await admin.query(`drop database if exists ${name}`);
  } finally {
    await admin.end();
  }
}

let seq = 0;
/** A collection name of its own per test, so tests do not see each other's documents. */
const fresh = (base: string) => `${base}_t${++seq}`;

describe('Get / Insert', () => {
  it('returns false (not []) when nothing matches', async () => {
    const c = fresh('platform');
    expect(await store.Get(false, c)).toBe(false);
    expect(await store.Get(false, c, { kid: 'nope' })).toBe(false);
    expect(await store.Get(ENC_KEY, c, { kid: 'nope' })).toBe(false);
    await store.Insert(false, c, { kid: 'one' });
    expect(await store.Get(false, c, { kid: 'other' })).toBe(false);
  });

  it('finds an inserted item by a partial query, whole, with createdAt in milliseconds', async () => {
    const c = fresh('platform');
    const item = { platformUrl: 'https://lms.example', clientId: 'client-1', kid: 'kid-1', authConfig: { method: 'JWK_SET', key: 'https://lms.example/jwks' }, active: true };
    const before = Date.now();
    expect(await store.Insert(false, c, item)).toBe(true);
    const after = Date.now();

    const found = await store.Get(false, c, { clientId: 'client-1' });
    expect(found).not.toBe(false);
    expect(found).toHaveLength(1);
    const got = (found as Array<Record<string, unknown>>)[0]!;
    expect(got).toMatchObject(item);
    expect(Object.keys(got).sort()).toEqual([...Object.keys(item), 'createdAt'].sort());
    expect(typeof got.createdAt).toBe('number');
    // Database clock and ours agree to within a few seconds (same machine).
    expect(got.createdAt as number).toBeGreaterThan(before - 5000);
    expect(got.createdAt as number).toBeLessThan(after + 5000);

    // Two fields, and a nested object, must all match.
    expect(await store.Get(false, c, { clientId: 'client-1', kid: 'kid-1' })).toHaveLength(1);
    expect(await store.Get(false, c, { authConfig: { method: 'JWK_SET', key: 'https://lms.example/jwks' } })).toHaveLength(1);
    expect(await store.Get(false, c, { clientId: 'client-1', kid: 'kid-2' })).toBe(false);
    expect(await store.Get(false, c, { active: false })).toBe(false);
  });

  it('returns all items of a collection, and only of that collection, when there is no query', async () => {
    const c = fresh('state');
    const other = fresh('state');
    await store.Insert(false, c, { state: 's1' });
    await store.Insert(false, c, { state: 's2' });
    await store.Insert(false, c, { state: 's3' });
    await store.Insert(false, other, { state: 'elsewhere' });
    const all = await store.Get(false, c);
    expect(all).not.toBe(false);
    expect((all as Array<Record<string, unknown>>).map((d) => d.state)).toEqual(['s1', 's2', 's3']);
    expect(await store.Get(false, c, {})).toHaveLength(3);
  });
});

describe('encryption at rest', () => {
  let pem: string;
  beforeAll(async () => {
    ({ privateKey: pem } = await generateKeyPair('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    }));
  });

  it('stores the index fields in the clear and the item sealed; Get opens it', async () => {
    const c = fresh('privatekey');
    const index = { kid: 'enc-kid-1', platformUrl: 'https://lms.example', clientId: 'enc-client' };
    await store.Insert(ENC_KEY, c, { key: pem, kid: 'enc-kid-1' }, index);

    const rows = await raw(c);
    expect(rows).toHaveLength(1);
    const stored = rows[0]!;
    for (const [k, v] of Object.entries(index)) expect(stored.doc[k]).toBe(v);
    expect(stored.doc.key).toBeUndefined();
    expect(stored.doc_text).not.toContain('PRIVATE KEY');
    // No piece of the key body either (a line of its base64).
    const bodyLine = pem.split('\n')[5]!;
    expect(bodyLine.length).toBeGreaterThan(40);
    expect(stored.doc_text).not.toContain(bodyLine);

    const found = await store.Get(ENC_KEY, c, { kid: 'enc-kid-1' });
    expect(found).toHaveLength(1);
    const got = (found as Array<Record<string, unknown>>)[0]!;
    expect(got.key).toBe(pem);
    expect(got.kid).toBe('enc-kid-1');
    expect(typeof got.createdAt).toBe('number');
    // Queried by any index field.
    expect(await store.Get(ENC_KEY, c, { platformUrl: 'https://lms.example', clientId: 'enc-client' })).toHaveLength(1);
  });

  it('cannot be opened by a store with another SECRET', async () => {
    const c = fresh('privatekey');
    await store.Insert(ENC_KEY, c, { key: pem, kid: 'enc-kid-2' }, { kid: 'enc-kid-2' });
    const other = createLtijsStore(db, `${SECRET}-rotated`, recordingLogger());
    await expect(other.Get(ENC_KEY, c, { kid: 'enc-kid-2' })).rejects.toThrow();
    // The right SECRET still opens it.
    expect(((await store.Get(ENC_KEY, c, { kid: 'enc-kid-2' })) as Array<Record<string, unknown>>)[0]!.key).toBe(pem);
  });

  it('leaves an item without encryption key readable in the clear', async () => {
    const c = fresh('platform');
    await store.Insert(false, c, { kid: 'plain', note: 'visible' });
    const rows = await raw(c);
    expect(rows[0]!.doc).toEqual({ kid: 'plain', note: 'visible' });
  });
});

describe('Replace', () => {
  it('inserts when nothing matches and replaces what matches: one row after two replaces', async () => {
    const c = fresh('platformStatus');
    await store.Replace(false, c, { id: 'p1' }, { id: 'p1', active: true });
    expect(await raw(c)).toHaveLength(1);
    await store.Replace(false, c, { id: 'p1' }, { id: 'p1', active: false });
    const rows = await raw(c);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.doc).toEqual({ id: 'p1', active: false });
    expect(await store.Get(false, c, { id: 'p1' })).toMatchObject([{ id: 'p1', active: false }]);
  });

  it('replaces every match and leaves other documents alone', async () => {
    const c = fresh('idtoken');
    await store.Insert(false, c, { iss: 'a', user: 'u1', n: 1 });
    await store.Insert(false, c, { iss: 'a', user: 'u1', n: 2 });
    await store.Insert(false, c, { iss: 'a', user: 'u2', n: 3 });
    await store.Replace(false, c, { iss: 'a', user: 'u1' }, { iss: 'a', user: 'u1', n: 4 });
    const docs = (await raw(c)).map((r) => r.doc);
    expect(docs).toHaveLength(2);
    expect(docs).toContainEqual({ iss: 'a', user: 'u2', n: 3 });
    expect(docs).toContainEqual({ iss: 'a', user: 'u1', n: 4 });
  });

  it('replaces an encrypted item with an encrypted item', async () => {
    const c = fresh('publickey');
    const owner = { platformUrl: 'https://lms.example', clientId: 'rc' };
    await store.Replace(ENC_KEY, c, owner, { key: 'FIRST-SECRET-VALUE', kid: 'k1' }, { ...owner, kid: 'k1' });
    await store.Replace(ENC_KEY, c, owner, { key: 'SECOND-SECRET-VALUE', kid: 'k2' }, { ...owner, kid: 'k2' });
    const rows = await raw(c);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.doc_text).not.toContain('SECRET-VALUE');
    expect(rows[0]!.doc.kid).toBe('k2');
    expect(await store.Get(ENC_KEY, c, owner)).toMatchObject([{ key: 'SECOND-SECRET-VALUE', kid: 'k2' }]);
  });
});

describe('Modify', () => {
  it('sets top-level fields of one match and keeps the rest', async () => {
    const c = fresh('platform');
    await store.Insert(false, c, { kid: 'm', name: 'first', authConfig: { method: 'JWK_SET', key: 'a' } });
    await store.Insert(false, c, { kid: 'm', name: 'second', authConfig: { method: 'JWK_SET', key: 'b' } });
    expect(await store.Modify(false, c, { kid: 'm' }, { name: 'renamed', authConfig: { method: 'RSA_KEY', key: 'c' } })).toBe(true);
    const docs = (await raw(c)).map((r) => r.doc);
    expect(docs).toEqual([
      { kid: 'm', name: 'renamed', authConfig: { method: 'RSA_KEY', key: 'c' } },
      { kid: 'm', name: 'second', authConfig: { method: 'JWK_SET', key: 'b' } },
    ]);
  });

  it('does nothing (and does not throw) when nothing matches', async () => {
    const c = fresh('platform');
    await store.Insert(false, c, { kid: 'x', name: 'keep' });
    expect(await store.Modify(false, c, { kid: 'missing' }, { name: 'changed' })).toBe(true);
    expect((await raw(c)).map((r) => r.doc)).toEqual([{ kid: 'x', name: 'keep' }]);
  });

  it('modifies an encrypted item: the change is sealed, the index kept, createdAt not stored', async () => {
    const c = fresh('privatekey');
    const index = { kid: 'mk', platformUrl: 'https://lms.example', clientId: 'mc' };
    await store.Insert(ENC_KEY, c, { key: 'OLD-PRIVATE-MATERIAL', kid: 'mk', extra: 1 }, index);
    await store.Modify(ENC_KEY, c, { kid: 'mk' }, { key: 'NEW-PRIVATE-MATERIAL' });

    const rows = await raw(c);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.doc_text).not.toContain('PRIVATE-MATERIAL');
    for (const [k, v] of Object.entries(index)) expect(rows[0]!.doc[k]).toBe(v);

    const found = (await store.Get(ENC_KEY, c, { kid: 'mk' })) as Array<Record<string, unknown>>;
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ key: 'NEW-PRIVATE-MATERIAL', kid: 'mk', extra: 1 });
    // A second modify works on the decrypted item again (no createdAt folded into the sealed copy).
    await store.Modify(ENC_KEY, c, { kid: 'mk' }, { extra: 2 });
    const again = (await store.Get(ENC_KEY, c, { kid: 'mk' })) as Array<Record<string, unknown>>;
    expect(again[0]).toMatchObject({ key: 'NEW-PRIVATE-MATERIAL', kid: 'mk', extra: 2 });
    expect(typeof again[0]!.createdAt).toBe('number');
  });
});

describe('Delete', () => {
  it('removes every match and nothing else', async () => {
    const c = fresh('contexttoken');
    await store.Insert(false, c, { contextId: 'a', user: 'u1' });
    await store.Insert(false, c, { contextId: 'a', user: 'u2' });
    await store.Insert(false, c, { contextId: 'b', user: 'u1' });
    expect(await store.Delete(c, { contextId: 'a' })).toBe(true);
    expect((await raw(c)).map((r) => r.doc)).toEqual([{ contextId: 'b', user: 'u1' }]);
    expect(await store.Delete(c, { contextId: 'nothing-here' })).toBe(true);
    expect(await raw(c)).toHaveLength(1);
  });

  it('removes the whole collection without a query, and only that collection', async () => {
    const c = fresh('accesstoken');
    const other = fresh('accesstoken');
    await store.Insert(false, c, { a: 1 });
    await store.Insert(false, c, { a: 2 });
    await store.Insert(false, other, { a: 3 });
    expect(await store.Delete(c)).toBe(true);
    expect(await raw(c)).toHaveLength(0);
    expect(await raw(other)).toHaveLength(1);
  });

  it('resolves true on queries the database or JSON refuse, and logs the failure', async () => {
    const c = fresh('nonce');
    await store.Insert(false, c, { nonce: 'kept' });
    const errorsBefore = logger.entries.filter((e) => e.level === 'error').length;
    // A NUL character is refused by jsonb; a BigInt by JSON.stringify.
    await expect(store.Delete(c, { nonce: 'bad\u0000value' })).resolves.toBe(true);
    await expect(store.Delete(c, { nonce: 10n } as unknown as Record<string, unknown>)).resolves.toBe(true);
    const errors = logger.entries.filter((e) => e.level === 'error');
    expect(errors.length - errorsBefore).toBe(2);
    expect(errors.at(-1)!.fields).toMatchObject({ collection: c });
    // Nothing was deleted by the failed calls.
    expect((await raw(c)).map((r) => r.doc)).toEqual([{ nonce: 'kept' }]);
  });

  it('resolves true after its database is closed', async () => {
    const own = await createTestDb();
    const ownLogger = recordingLogger();
    const closedStore = createLtijsStore(own.db, SECRET, ownLogger);
    await closedStore.Insert(false, 'nonce', { nonce: 'n' });
    await own.db.close();
    try {
      await expect(closedStore.Delete('nonce', { nonce: 'n' })).resolves.toBe(true);
      await expect(closedStore.Delete('nonce')).resolves.toBe(true);
      expect(ownLogger.entries.filter((e) => e.level === 'error')).toHaveLength(2);
    } finally {
      // own.drop() would close the pool a second time (pg refuses that): drop the database directly.
      if (own.url) await dropClosedDatabase(own.url);
    }
  });
});

describe('expiry', () => {
  it('gives short-lived collections the lifetimes ltijs expects and long-lived ones none', async () => {
    const expected: Record<string, number | null> = { nonce: 10, state: 600, accesstoken: 3600, idtoken: 86400, contexttoken: 86400, platform: null, publickey: null };
    for (const c of Object.keys(expected)) await store.Insert(false, c, { probe: 'ttl' });
    const rows = await db.query<{ collection: string; ttl: number | null }>(
      `select collection, extract(epoch from (expires_at - created_at))::float8 as ttl from ltijs_documents where doc @> '{"probe":"ttl"}'`,
    );
    expect(rows).toHaveLength(Object.keys(expected).length);
    for (const r of rows) {
      const want = expected[r.collection];
      if (want === null) expect(r.ttl, r.collection).toBeNull();
      else expect(Math.abs(r.ttl! - want!), r.collection).toBeLessThan(5);
    }
    await store.Delete('nonce', { probe: 'ttl' });
    for (const c of Object.keys(expected)) await store.Delete(c, { probe: 'ttl' });
  });

  it('hides an expired nonce from Get and Modify, and purgeExpiredLtijsDocuments removes it', async () => {
    await store.Insert(false, 'nonce', { nonce: 'stale-nonce' });
    await store.Insert(false, 'nonce', { nonce: 'live-nonce' });
    await store.Insert(false, 'platform', { kid: 'never-expires-probe' });
    expect(await store.Get(false, 'nonce', { nonce: 'stale-nonce' })).toHaveLength(1);

    await db.query(`update ltijs_documents set expires_at = now() - interval '1 minute' where collection = 'nonce' and doc @> $1::jsonb`, [
      JSON.stringify({ nonce: 'stale-nonce' }),
    ]);
    expect(await store.Get(false, 'nonce', { nonce: 'stale-nonce' })).toBe(false);
    const all = (await store.Get(false, 'nonce')) as Array<Record<string, unknown>>;
    expect(all.map((d) => d.nonce)).not.toContain('stale-nonce');
    expect(all.map((d) => d.nonce)).toContain('live-nonce');
    await store.Modify(false, 'nonce', { nonce: 'stale-nonce' }, { touched: true });
    expect((await raw('nonce')).find((r) => r.doc.nonce === 'stale-nonce')!.doc.touched).toBeUndefined();
    // Still in the table until purged.
    expect((await raw('nonce')).map((r) => r.doc.nonce)).toContain('stale-nonce');

    await purgeExpiredLtijsDocuments(db);
    const left = (await raw('nonce')).map((r) => r.doc.nonce);
    expect(left).not.toContain('stale-nonce');
    expect(left).toContain('live-nonce');
    expect(await store.Get(false, 'platform', { kid: 'never-expires-probe' })).toHaveLength(1);
  });
});

describe('through ltijs', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app?.close();
  });

  type Jwk = { kid: string; kty: string; n: string; e: string; alg: string; use: string };
  const keyset = async (): Promise<Jwk[]> => {
    const res = await fetch(`${app.url}/lti/keys`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { keys: Jwk[] };
    expect(Array.isArray(body.keys)).toBe(true);
    return body.keys;
  };

  it('serves /lti/keys from the public keys in our store', async () => {
    const { services } = app.built;
    expect(await keyset()).toEqual([]);

    const tenant = await services.tenants.create('x');
    const register = (n: number) =>
      services.lti.platforms.register({
        tenantId: tenant.id,
        issuer: `https://lms${n}.example`,
        clientId: `client-${n}`,
        authUrl: `https://lms${n}.example/auth`,
        tokenUrl: `https://lms${n}.example/token`,
        jwksUrl: `https://lms${n}.example/jwks`,
        deploymentIds: ['1'],
      });
    const one = await register(1);
    const two = await register(2);
    expect(one.ltijsKid).toMatch(/^[0-9a-f]{32}$/);

    const keys = await keyset();
    expect(keys.map((k) => k.kid).sort()).toEqual([one.ltijsKid, two.ltijsKid].sort());
    const jwk = keys.find((k) => k.kid === one.ltijsKid)!;
    expect(jwk).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });

    // The key published is the one in our table (sealed there, opened by our store).
    const stored = (await services.lti.ltijsStore.Get(false, 'publickey', { kid: one.ltijsKid })) as Array<{ key: string }>;
    expect(stored).toHaveLength(1);
    const fromStore = createPublicKey(stored[0]!.key).export({ format: 'jwk' });
    expect(jwk.n).toBe(fromStore.n);
    expect(jwk.e).toBe(fromStore.e);
    const rawRows = await app.testDb.db.query<{ doc_text: string }>(
      `select doc::text as doc_text from ltijs_documents where collection in ('publickey', 'privatekey') and doc @> $1::jsonb`,
      [JSON.stringify({ kid: one.ltijsKid })],
    );
    expect(rawRows).toHaveLength(2);
    for (const r of rawRows) expect(r.doc_text).not.toContain('KEY-----');

    // Take the document away in the database: ltijs no longer publishes it.
    await app.testDb.db.query(`delete from ltijs_documents where collection = 'publickey' and doc @> $1::jsonb`, [JSON.stringify({ kid: two.ltijsKid })]);
    expect((await keyset()).map((k) => k.kid)).toEqual([one.ltijsKid]);
  });
});
