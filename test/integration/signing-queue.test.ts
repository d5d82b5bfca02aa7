// Bulk-issued awards go through the signing queue: stored with what their credentials are built from
// (the badge's part kept once), signed on the worker pool after the commit, each VC-JWT verifiable with jose against the published JWKS and carrying
// exactly the credential the award holds. An award read before the queue reaches it is signed on
// the spot, and the queue keeps that token; what a stopped server left is signed when one starts.
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSigningQueue } from '../../src/awards/signing-queue.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { buildBadge, buildLearner, buildWorld, type World } from '../support/builders.js';
import { validateCredential } from '../support/ob3.js';
import { threadNices } from '../support/threads.js';

let app: TestApp;
let w: World;
let key: string;
beforeAll(async () => {
  app = await startTestApp();
  w = await buildWorld(app);
  key = (await app.built.services.tenants.createApiKey(w.tenantId)).key;
});
afterAll(async () => {
  await app?.close();
});

const queue = () => app.built.services.awards.signing;
const externalOf = async (moduleId: string) => (await app.testDb.db.query<{ external_id: string }>('select external_id from modules where id = $1', [moduleId]))[0]!.external_id;
async function postCompletions(moduleExternalId: string, learners: string[]) {
  const res = await fetch(`${app.url}/api/v1/completions`, {
    method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ completions: learners.map((id) => ({ courseId: w.lmsContextId, moduleId: moduleExternalId, learner: { id, email: `${id}@school.example` }, score: 1, maxScore: 1, completedAt: '2026-11-20T10:00:00Z' })) }),
  });
  expect(res.status).toBe(200);
  const { results } = await res.json() as { results: Array<{ status: string; awardId: string }> };
  expect(results.every((r) => r.status === 'awarded')).toBe(true);
  return results.map((r) => r.awardId);
}
const count = async (sql: string) => (await app.testDb.db.query<{ n: number }>(sql))[0]!.n;
const unsignedOf = async (ids: string[]) => (await app.testDb.db.query<{ n: number }>(
  'select count(*)::int as n from awards where id = any($1::uuid[]) and credential_jwt is null', [ids]))[0]!.n;

describe('signing queue', () => {
  it('stores API completions unsigned and signs them all on the pool, each verifying with the published keys', async () => {
    await queue().stop();
    const badge = await buildBadge(app, w);
    // Two batches of the API's largest size and more than one queue batch (500) in all.
    const mod = await externalOf(badge.moduleId);
    const ids = [...await postCompletions(mod, Array.from({ length: 1000 }, (_, i) => `q${i}`)), ...await postCompletions(mod, Array.from({ length: 200 }, (_, i) => `q${1000 + i}`))];
    // Nothing signed them yet: the claims wait in the rows.
    expect(await unsignedOf(ids)).toBe(ids.length);
    expect(await queue().backlog()).toBeGreaterThanOrEqual(ids.length);

    expect(await queue().drain()).toBeGreaterThanOrEqual(ids.length);
    expect(await unsignedOf(ids)).toBe(0);
    expect(await queue().backlog()).toBe(0);
    // on the pool of the lowest priority (nice 19), one thread a core
    expect(threadNices().filter((n) => n === 19)).toHaveLength(availableParallelism());

    const jwks = createRemoteJWKSet(new URL(`${app.url}/.well-known/jwks.json`));
    const activeKid = (await app.built.services.signingKeys.activeKey(w.tenantId, 'RS256')).key.kid;
    // Every 97th award (and the last): a proper VC-JWT whose payload is the award's credential.
    for (const id of [...ids.filter((_, i) => i % 97 === 0), ids[ids.length - 1]!]) {
      const award = (await app.built.services.awards.find(id))!;
      const { payload, protectedHeader } = await jwtVerify(award.credentialJwt!, jwks);
      expect(protectedHeader).toEqual({ alg: 'RS256', typ: 'JWT', kid: `${app.url}/ob/keys/${activeKid}` });
      expect(payload.jti).toBe(award.credential.id);
      const { iss: _i, jti: _j, sub: _s, nbf: _n, exp: _e, ...credential } = payload;
      expect(credential).toEqual(award.credential);
      expect(validateCredential(credential), JSON.stringify(validateCredential.errors)).toBe(true);
    }
  });

  it('signs an award read before the queue reaches it, and the queue keeps that token', async () => {
    await queue().stop();
    const badge = await buildBadge(app, w);
    const [id] = await postCompletions(await externalOf(badge.moduleId), ['early-reader']);
    expect(await unsignedOf([id!])).toBe(1);
    const award = (await app.built.services.awards.find(id!))!;
    expect(award.credentialJwt).toBeNull();
    // The learner makes it public and fetches the VC-JWT: signed now, on the request.
    await app.built.services.awards.setVisibility(award, true);
    const res = await fetch(`${app.url}/ob/credentials/${id}?format=jwt`);
    expect(res.status).toBe(200);
    const served = await res.text();
    const { payload } = await jwtVerify(served, createRemoteJWKSet(new URL(`${app.url}/.well-known/jwks.json`)));
    expect(payload.jti).toBe(award.credential.id);
    expect(await unsignedOf([id!])).toBe(0);

    await queue().drain();
    expect((await app.built.services.awards.find(id!))!.credentialJwt).toBe(served);
    // Verification and the baked image use the same token.
    const verified = await (await fetch(`${app.url}/ob/credentials/${id}/verify`, { method: 'POST' })).json();
    expect(verified.proofs['vc-jwt'].verified).toBe(true);
  });

  it('signs what waited across a rotation with the key active when it is signed, and starts on what a stopped server left', async () => {
    await queue().stop();
    const badge = await buildBadge(app, w);
    const ids = await postCompletions(await externalOf(badge.moduleId), ['r1', 'r2', 'r3']);
    const fresh = (await app.built.services.signingKeys.rotate(w.tenantId)).find((k) => k.alg === 'RS256')!;
    expect(await unsignedOf(ids)).toBe(3);
    // start() is what a server does when it starts: it drains what it finds.
    queue().start();
    await expect.poll(() => unsignedOf(ids), { timeout: 10_000 }).toBe(0);
    const jwks = createRemoteJWKSet(new URL(`${app.url}/.well-known/jwks.json`));
    for (const id of ids) {
      const jwt = (await app.built.services.awards.find(id))!.credentialJwt!;
      expect(decodeProtectedHeader(jwt).kid).toBe(`${app.url}/ob/keys/${fresh.kid}`);
      await expect(jwtVerify(jwt, jwks)).resolves.toBeTruthy();
    }
  });

  it('signs each award once when several drains and readers race for it', async () => {
    await queue().stop();
    const badge = await buildBadge(app, w);
    const ids = await postCompletions(await externalOf(badge.moduleId), Array.from({ length: 300 }, (_, i) => `race${i}`));
    const awards = await Promise.all(ids.slice(0, 20).map((id) => app.built.services.awards.find(id)));
    const [, , ...readers] = await Promise.all([queue().drain(), queue().drain(), ...awards.map((a) => app.built.services.awards.signedJwt(a!))]);
    // A reader's token is the one stored, whoever signed first.
    for (const [i, jwt] of readers.entries()) expect((await app.built.services.awards.find(ids[i]!))!.credentialJwt).toBe(jwt);
    expect(await unsignedOf(ids)).toBe(0);
  });

  it('vacuums the awards once a bulk drain has rewritten enough rows: their pages become all-visible for index-only scans', async () => {
    await queue().stop();
    const db = app.testDb.db;
    const visible = async () => (await db.query<{ relallvisible: number; relpages: number; vacuums: number }>(
      "select c.relallvisible, c.relpages, s.vacuum_count::int as vacuums from pg_class c join pg_stat_user_tables s on s.relid = c.oid where c.relname = 'awards'"))[0]!;
    const badge = await buildBadge(app, w);
    const ids = await postCompletions(await externalOf(badge.moduleId), Array.from({ length: 400 }, (_, i) => `vac${i}`));
    // below the threshold: signed, not vacuumed (every signed row left a dead version behind)
    const small = createSigningQueue({ db, credentials: app.built.services.credentials, vacuumAfter: 10_000 });
    const before = await visible();
    expect(await small.drain()).toBe(ids.length);
    expect(await visible()).toMatchObject({ vacuums: before.vacuums, relallvisible: before.relallvisible });
    // more than a fifth of the table: 800 of under 3,000 awards
    const more = [...await postCompletions(await externalOf(badge.moduleId), Array.from({ length: 400 }, (_, i) => `vac${400 + i}`)),
      ...await postCompletions(await externalOf(badge.moduleId), Array.from({ length: 400 }, (_, i) => `vac${800 + i}`))];
    expect(5 * more.length).toBeGreaterThan(await count('select count(*)::int as n from awards'));
    const bulk = createSigningQueue({ db, credentials: app.built.services.credentials, vacuumAfter: 300 });
    expect(await bulk.drain()).toBe(more.length);
    const after = await visible();
    expect(after.vacuums).toBe(before.vacuums + 1);
    expect(after.relpages).toBeGreaterThan(0);
    // nothing else runs here, so no open snapshot keeps a page from being marked
    expect(after.relallvisible).toBe(after.relpages);
  });

  it('stores tokens as heap-only updates, touching no index of awards, and takes signed awards out of the queue table', async () => {
    await queue().stop();
    const db = app.testDb.db;
    // Every index of awards together: an update that is not heap-only adds an entry to each of them.
    const indexBytes = async () => (await db.query<{ n: number }>(
      "select sum(pg_relation_size(indexrelid))::float8 as n from pg_index where indrelid = 'awards'::regclass"))[0]!.n;
    const badge = await buildBadge(app, w);
    const ids = await postCompletions(await externalOf(badge.moduleId), Array.from({ length: 1000 }, (_, i) => `hot${i}`));
    expect(await count(`select count(*)::int as n from award_signing_queue where award_id in (${ids.map((id) => `'${id}'`).join(', ')})`)).toBe(ids.length);
    const before = await indexBytes();
    expect(await queue().drain()).toBe(ids.length);
    expect(await count('select count(*)::int as n from award_signing_queue')).toBe(0);
    // 1,000 new versions would add some 8,000 entries (~100 pages); a page may fill up now and then
    expect(await indexBytes() - before).toBeLessThanOrEqual(4 * 8192);
  });

  it('empties the queue of an award signed without leaving it (a server of an earlier version)', async () => {
    await queue().stop();
    const badge = await buildBadge(app, w);
    const [id] = await postCompletions(await externalOf(badge.moduleId), ['stale-1']);
    const award = (await app.built.services.awards.find(id!))!;
    const jwt = await app.built.services.awards.signedJwt(award);
    // as 012's storeSigned did: the token stored, the queue row left
    await app.testDb.db.query('insert into award_signing_queue (award_id, tenant_id, awarded_at) values ($1, $2, $3)', [award.id, award.tenantId, award.awardedAt]);
    expect(await queue().backlog()).toBe(1);
    await queue().drain();
    expect(await queue().backlog()).toBe(0);
    expect((await app.built.services.awards.find(id!))!.credentialJwt).toBe(jwt);
  });

  it('signs each queued award with the credential of its issuance: the badge\'s part kept once, the recipient as the award has it, whatever changed since', async () => {
    await queue().stop();
    const badge = await buildBadge(app, w, { name: 'Queued Cartographer', description: 'Maps before the edit.', validForDays: 30 });
    const mod = await externalOf(badge.moduleId);
    const learners = ['inputs-1', 'inputs-2', 'inputs-3'];
    const ids = await postCompletions(mod, learners);
    const sharedRows = () => count(`select count(*)::int as n from credential_inputs where body->'badge'->>'id' = '${badge.id}'`);
    // one row for the three awards; each award holds its recipient, not the credential
    expect(await sharedRows()).toBe(1);
    const held = await app.testDb.db.query<{ claims: unknown; identity: { identityType: string; identityHash: string } | null; salt: string; status_index: number; awarded_at: Date; valid_until: Date }>(
      'select credential_claims as claims, credential_identity as identity, recipient_salt as salt, status_index, awarded_at, valid_until from awards where id = any($1::uuid[]) order by id', [ids]);
    expect(held.every((r) => r.claims === null && r.identity?.identityType === 'emailAddress')).toBe(true);

    const tenantName = async () => (await app.testDb.db.query<{ name: string }>('select name from tenants where tenant_id = $1', [w.tenantId]))[0]!.name;
    const issuerName = await tenantName();
    // Edited before the queue reaches them: the badge, the issuer's name, the learners' emails.
    await app.testDb.db.query("update badges set name = 'Renamed Cartographer', description = 'After the edit.' where id = $1", [badge.id]);
    await app.testDb.db.query("update tenants set name = 'Renamed College' where tenant_id = $1", [w.tenantId]);
    await app.testDb.db.query("update users set email = 'moved@school.example' where tenant_id = $1 and lms_user_id = any($2::text[])", [w.tenantId, learners]);
    // A later award of the renamed badge shares other inputs.
    const [later] = await postCompletions(mod, ['inputs-after']);
    expect(await sharedRows()).toBe(2);

    expect(await queue().drain()).toBeGreaterThanOrEqual(4);
    const jwks = createRemoteJWKSet(new URL(`${app.url}/.well-known/jwks.json`));
    const payloadOf = async (id: string) => (await jwtVerify((await app.built.services.awards.find(id))!.credentialJwt!, jwks)).payload as Record<string, any>;
    for (const id of ids) {
      const p = await payloadOf(id);
      const row = (await app.testDb.db.query<{ user_id: string; lms_user_id: string; salt: string; status_index: number; status_list_id: string; awarded_at: Date; valid_until: Date }>(
        `select a.user_id, u.lms_user_id, a.recipient_salt as salt, a.status_index, a.status_list_id, a.awarded_at, a.valid_until
         from awards a join users u on u.id = a.user_id where a.id = $1`, [id]))[0]!;
      const { iss: _i, jti: _j, sub: _s, nbf: _n, exp: _e, ...credential } = p;
      expect(validateCredential(credential), JSON.stringify(validateCredential.errors)).toBe(true);
      expect(p.iss).toBe(p.issuer.id);
      expect(p.issuer.name).toBe(issuerName);
      expect(p.name).toBe('Queued Cartographer');
      expect(p.credentialSubject.achievement).toMatchObject({ name: 'Queued Cartographer', description: 'Maps before the edit.' });
      expect(p.credentialSubject.id).toBe(`urn:uuid:${row.user_id}`);
      // the hash of the email the learner had at issuance, salted with the award's salt (computed here, not by our code)
      const email = `${row.lms_user_id}@school.example`;
      expect(p.credentialSubject.identifier).toEqual([{ type: 'IdentityObject', identityType: 'emailAddress', hashed: true,
        identityHash: `sha256$${createHash('sha256').update(email + row.salt).digest('hex')}`, salt: row.salt }]);
      expect(p.validFrom).toBe(row.awarded_at.toISOString().replace(/\.\d{3}Z$/, 'Z'));
      expect(p.validUntil).toBe(row.valid_until.toISOString().replace(/\.\d{3}Z$/, 'Z'));
      expect(p.exp).toBe(Math.floor(row.valid_until.getTime() / 1000));
      expect(p.credentialStatus).toMatchObject({ statusListIndex: String(row.status_index), statusListCredential: `${app.url}/ob/status/${row.status_list_id}` });
      expect(p.id).toBe(`${app.url}/ob/credentials/${id}`);
    }
    const after = await payloadOf(later!);
    expect(after.credentialSubject.achievement).toMatchObject({ name: 'Renamed Cartographer', description: 'After the edit.' });
    expect(after.issuer.name).toBe('Renamed College');
    // signed: the rows hold the token alone
    expect(await count(`select count(*)::int as n from awards where id in ('${[...ids, later].join("','")}') and (credential_identity is not null or credential_inputs_id is not null)`)).toBe(0);
    await app.testDb.db.query('update tenants set name = $2 where tenant_id = $1', [w.tenantId, issuerName]);
  });

  it('signs an award queued with its claims whole (by an earlier version) with exactly those claims', async () => {
    await queue().stop();
    const badge = await buildBadge(app, w);
    const [id] = await postCompletions(await externalOf(badge.moduleId), ['whole-claims']);
    const award = (await app.built.services.awards.find(id!))!;
    // as 012 kept them: the VC-JWT payload on the row
    const claims = { ...award.credential, name: 'Kept Whole', iss: (award.credential as { issuer: { id: string } }).issuer.id, jti: award.credential.id,
      sub: `urn:uuid:${award.userId}`, nbf: Math.floor(award.awardedAt.getTime() / 1000) };
    await app.testDb.db.query('update awards set credential_claims = $2::json, credential_identity = null, credential_inputs_id = null where id = $1', [id, JSON.stringify(claims)]);
    expect((await app.built.services.awards.find(id!))!.credential).toMatchObject({ name: 'Kept Whole' });
    await queue().drain();
    const { payload } = await jwtVerify((await app.built.services.awards.find(id!))!.credentialJwt!, createRemoteJWKSet(new URL(`${app.url}/.well-known/jwks.json`)));
    expect(payload).toEqual(claims);
  });

  it('waits while awards are being issued, up to its bound per batch, and signs everything once they stop', async () => {
    await queue().stop();
    const badge = await buildBadge(app, w);
    const ids = await postCompletions(await externalOf(badge.moduleId), Array.from({ length: 700 }, (_, i) => `yield${i}`));
    let busy = true;
    const yielding = createSigningQueue({ db: app.testDb.db, credentials: app.built.services.credentials, foregroundBusy: () => busy, deferMs: 60_000 });
    const drained = yielding.drain();
    await new Promise((r) => setTimeout(r, 400));
    // nothing signed while the foreground is busy
    expect(await unsignedOf(ids)).toBe(ids.length);
    busy = false;
    expect(await drained).toBe(ids.length);
    expect(await unsignedOf(ids)).toBe(0);

    // busy for good: each batch (500) still goes after its bound
    const more = await postCompletions(await externalOf(badge.moduleId), Array.from({ length: 700 }, (_, i) => `starve${i}`));
    const bounded = createSigningQueue({ db: app.testDb.db, credentials: app.built.services.credentials, foregroundBusy: () => true, deferMs: 300 });
    const started = Date.now();
    expect(await bounded.drain()).toBe(more.length);
    // two batches, each after a wait of its bound
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
    expect(await unsignedOf(more)).toBe(0);
  });

  it('counts the server as busy while a batch is issued and for moments after, not before or long after', async () => {
    const awards = app.built.services.awards;
    const badge = await buildBadge(app, w);
    const learners = await Promise.all(Array.from({ length: 50 }, () => buildLearner(app, w)));
    await new Promise((r) => setTimeout(r, 100));
    expect(awards.issuanceBusy()).toBe(false);
    const issuing = awards.issueBatch(w.tenantId, learners.map((userId) => ({ badgeId: badge.id, userId, method: 'api' as const })), 'queued');
    expect(awards.issuanceBusy()).toBe(true);
    await issuing;
    expect(awards.issuanceBusy()).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    expect(awards.issuanceBusy()).toBe(false);
    expect(await queue().drain()).toBe(learners.length);
  });

  it('runs one signing thread per core', () => {
    expect(app.built.services.credentials.signers.poolSize).toBe(availableParallelism());
  });
});
