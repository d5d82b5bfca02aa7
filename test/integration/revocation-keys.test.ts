// Revocation through the published Bitstring Status List, checked with the Digital Bazaar status
// list library over HTTP (as an outside verifier would), and issuer key rotation that keeps every
// credential already issued verifiable (jose for VC-JWT, the Digital Bazaar verifier for Data
// Integrity). Signing keys are sealed at rest.
import { randomUUID } from 'node:crypto';
import { createRemoteJWKSet, decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import * as vc from '@digitalbazaar/vc';
import { DataIntegrityProof } from '@digitalbazaar/data-integrity';
import { cryptosuite } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as securityContext from '@digitalbazaar/security-context';
import * as multikeyContext from '@digitalbazaar/multikey-context';
import { checkStatus } from '@digitalbazaar/vc-bitstring-status-list';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { buildBadge, buildLearner, buildWorld, type World } from '../support/builders.js';
import { httpDocumentLoader } from '../support/ob3.js';

const documentLoader = (url: string) => httpDocumentLoader(app.url, [...securityContext.contexts, ...multikeyContext.contexts])(url);

const suite = () => new DataIntegrityProof({ cryptosuite });

/** The Digital Bazaar status check: the list credential verified and its issuer matched. */
async function revocationStatus(credential: Record<string, any>): Promise<boolean> {
  // The library's typings (src/types) leave out `results`; its runtime answer has them.
  const result = (await checkStatus({ credential, documentLoader, suite: suite(), verifyBitstringStatusListCredential: true, verifyMatchingIssuers: true })) as {
    verified: boolean; error?: { message?: string }; results: Array<{ status: boolean }>;
  };
  expect(result.verified, String(result.error?.message ?? '')).toBe(true);
  expect(result.results).toHaveLength(1);
  return result.results[0]!.status;
}

async function verifyDi(credential: Record<string, any>) {
  const result = await vc.verifyCredential({
    credential, documentLoader, suite: suite(),
    checkStatus: (o: Record<string, unknown>) => checkStatus({ ...o, verifyBitstringStatusListCredential: true, verifyMatchingIssuers: true }),
  });
  return { verified: result.verified as boolean, why: JSON.stringify(result.error?.errors?.map((e: Error) => e.message) ?? result.error?.message) };
}

let app: TestApp;
let w: World;
let w2: World;
let key: string;
let otherKey: string;

beforeAll(async () => {
  app = await startTestApp();
  w = await buildWorld(app, 'North College');
  w2 = await buildWorld(app, 'South College');
  key = (await app.built.services.tenants.createApiKey(w.tenantId)).key;
  otherKey = (await app.built.services.tenants.createApiKey(w2.tenantId)).key;
});
afterAll(async () => {
  await app?.close();
});

async function issuePublic(world: World, over: Record<string, unknown> = {}) {
  const badge = await buildBadge(app, world, over);
  const userId = await buildLearner(app, world);
  const { award } = await app.built.services.awards.issue({ tenantId: world.tenantId, badgeId: badge.id, userId, method: 'manual' });
  await app.testDb.db.query('update awards set is_public = true where id = $1', [award.id]);
  return { badge, userId, award };
}

async function credentialJson(awardId: string) {
  const res = await fetch(`${app.url}/ob/credentials/${awardId}`, { headers: { accept: 'application/ld+json' } });
  expect(res.status).toBe(200);
  return res.json();
}

function revoke(awardId: string, apiKey: string | null, body: unknown = { reason: 'Academic misconduct' }) {
  return fetch(`${app.url}/api/v1/awards/${awardId}/revoke`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
    body: JSON.stringify(body),
  });
}

const revokedEvents = (awardId: string) =>
  app.testDb.db.query<{ type: string; metadata: Record<string, unknown>; tenant_id: string; learner_id: string }>(
    `select type, metadata, tenant_id, learner_id from events where award_id = $1 and type = 'revoked'`, [awardId]);

describe('revocation', () => {
  it('is visible to an outside verifier through the status list, and in our verification', async () => {
    const { award, userId } = await issuePublic(w);
    const credential = await credentialJson(award.id);
    expect(credential.credentialStatus).toMatchObject({ type: 'BitstringStatusListEntry', statusPurpose: 'revocation' });
    expect(credential.credentialStatus.statusListCredential).toBe(`${app.url}/ob/status/${award.statusListId}`);
    expect(await revocationStatus(credential)).toBe(false);
    const before = await verifyDi(credential);
    expect(before.verified, before.why).toBe(true);

    const res = await revoke(award.id, key);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.award.id).toBe(award.id);
    expect(Number.isNaN(Date.parse(body.award.revokedAt))).toBe(false);

    // The same credential, checked again by the outside library: revoked, with a status list
    // credential that itself verifies and is issued by the credential's issuer.
    expect(await revocationStatus(credential)).toBe(true);
    const list = await (await fetch(credential.credentialStatus.statusListCredential, { headers: { accept: 'application/ld+json' } })).json();
    expect(list.type).toContain('BitstringStatusListCredential');
    expect(list.issuer).toBe(credential.issuer.id);
    const listCheck = await vc.verifyCredential({ credential: list, documentLoader, suite: suite() });
    expect(listCheck.verified, JSON.stringify(listCheck.error?.message)).toBe(true);

    // Our own verification reports the status check with its reason, for both proofs.
    const verify = await (await fetch(`${app.url}/ob/credentials/${award.id}/verify`, { method: 'POST', headers: { 'user-agent': 'Mozilla/5.0' } })).json();
    expect(verify.verified).toBe(false);
    for (const proof of ['vc-jwt', 'data-integrity']) {
      const checks = verify.proofs[proof].checks as Array<{ check: string; ok: boolean; message: string }>;
      const status = checks.find((c) => c.check === 'status')!;
      expect(status.ok, proof).toBe(false);
      expect(status.message).toMatch(/revoked/i);
      expect(checks.find((c) => c.check === 'signature')!.ok, proof).toBe(true);
    }

    // Row, event and page.
    const rows = await app.testDb.db.query<{ revoked_at: Date | null; revocation_reason: string | null }>('select revoked_at, revocation_reason from awards where id = $1', [award.id]);
    expect(rows[0]!.revoked_at).not.toBeNull();
    expect(rows[0]!.revocation_reason).toBe('Academic misconduct');
    const events = await revokedEvents(award.id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ tenant_id: w.tenantId, learner_id: userId, metadata: { reason: 'Academic misconduct' } });
    const html = await (await fetch(`${app.url}/ob/credentials/${award.id}`, { headers: { accept: 'text/html' } })).text();
    expect(html).toContain('Revoked by the issuer');
    expect(html).not.toContain('>Valid<');
  });

  it('refuses to revoke twice with 409 already_revoked, adding no event', async () => {
    const { award } = await issuePublic(w);
    expect((await revoke(award.id, key)).status).toBe(200);
    const again = await revoke(award.id, key, { reason: 'Once more' });
    expect(again.status).toBe(409);
    expect((await again.json()).error.code).toBe('already_revoked');
    const events = await revokedEvents(award.id);
    expect(events).toHaveLength(1);
    expect(events[0]!.metadata).toEqual({ reason: 'Academic misconduct' });
  });

  it('records one revocation when requests race', async () => {
    const { award } = await issuePublic(w);
    const statuses = (await Promise.all(['a', 'b', 'c', 'd'].map((reason) => revoke(award.id, key, { reason })))).map((r) => r.status).sort();
    expect(statuses).toEqual([200, 409, 409, 409]);
    expect(await revokedEvents(award.id)).toHaveLength(1);
  });

  it('revokes once when the service is called twice at the same time', async () => {
    const { award } = await issuePublic(w);
    const { awards } = app.built.services;
    const results = await Promise.allSettled([awards.revoke(w.tenantId, award.id, 'first'), awards.revoke(w.tenantId, award.id, 'second')]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined;
    expect((rejected?.reason as { code?: string } | undefined)?.code).toBe('already_revoked');
    expect(await revokedEvents(award.id)).toHaveLength(1);
  });

  it('does not let another tenant (or an unauthenticated caller) revoke, and changes nothing', async () => {
    const { award } = await issuePublic(w);
    const other = await revoke(award.id, otherKey);
    expect(other.status).toBe(404);
    expect(await other.json()).toEqual({ error: { code: 'award_not_found', message: 'No such award.' } });
    expect((await revoke(award.id, null)).status).toBe(401);
    expect((await revoke(award.id, 'bt_forged')).status).toBe(401);

    // A course key of another course of the same tenant cannot either.
    const courseId = randomUUID();
    await app.testDb.db.query('insert into courses (tenant_id, id, platform_id, lms_context_id, title) values ($1, $2, $3, $4, $5)', [w.tenantId, courseId, w.platformId, `ctx-${courseId.slice(0, 8)}`, 'Other course']);
    const courseKey = (await app.built.services.tenants.createApiKey(w.tenantId, courseId)).key;
    expect((await revoke(award.id, courseKey)).status).toBe(404);

    const rows = await app.testDb.db.query<{ revoked_at: Date | null }>('select revoked_at from awards where id = $1', [award.id]);
    expect(rows[0]!.revoked_at).toBeNull();
    expect(await revokedEvents(award.id)).toHaveLength(0);
    expect(await revocationStatus(await credentialJson(award.id))).toBe(false);
  });

  it('refuses a revocation without a reason with 400, changing nothing', async () => {
    const { award } = await issuePublic(w);
    for (const body of [{}, { reason: '   ' }, { reason: 'x', extra: true }]) {
      const res = await revoke(award.id, key, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect((await res.json()).error.code).toBe('invalid_revocation');
    }
    const rows = await app.testDb.db.query<{ revoked_at: Date | null }>('select revoked_at from awards where id = $1', [award.id]);
    expect(rows[0]!.revoked_at).toBeNull();
    expect(await revokedEvents(award.id)).toHaveLength(0);
  });

  it('answers 404 for unknown and malformed award ids', async () => {
    for (const id of [randomUUID(), 'not-an-id', '0123456789abcdef0123456789abcdef0123', '------------------------------------']) {
      const res = await revoke(id, key);
      expect(res.status, id).toBe(404);
      expect((await res.json()).error.code, id).toBe('award_not_found');
    }
  });
});

describe('signing key rotation', () => {
  it('keeps credentials issued before a rotation verifiable, and signs new ones with the new keys', async () => {
    const w3 = await buildWorld(app, 'Rotating College');
    const a = await issuePublic(w3);
    const credA = await credentialJson(a.award.id); // its Data Integrity proof is made now, with the first Ed25519 key
    const kidA = decodeProtectedHeader(a.award.credentialJwt!).kid!;

    const fresh = await app.built.services.signingKeys.rotate(w3.tenantId);
    expect(fresh.map((k) => k.alg).sort()).toEqual(['EdDSA', 'RS256']);

    const b = await issuePublic(w3);
    const credB = await credentialJson(b.award.id);
    const kidB = decodeProtectedHeader(b.award.credentialJwt!).kid!;
    expect(kidB).not.toBe(kidA);
    expect(kidB).toBe(`${app.url}/ob/keys/${fresh.find((k) => k.alg === 'RS256')!.kid}`);
    expect(credB.proof[0].verificationMethod).not.toBe(credA.proof[0].verificationMethod);

    // jose with the published JWKS, looked up by kid: both verify, and A's retired key is still there.
    const jwksJson = await (await fetch(`${app.url}/.well-known/jwks.json`)).json();
    const kids = jwksJson.keys.map((k: { kid: string }) => k.kid);
    expect(kids).toContain(kidA);
    expect(kids).toContain(kidB);
    for (const k of jwksJson.keys) expect(k.d, k.kid).toBeUndefined();
    const jwks = createRemoteJWKSet(new URL(`${app.url}/.well-known/jwks.json`));
    const va = await jwtVerify(a.award.credentialJwt!, jwks);
    expect(va.payload.jti).toBe(credA.id);
    expect(va.protectedHeader.kid).toBe(kidA);
    const vb = await jwtVerify(b.award.credentialJwt!, jwks);
    expect(vb.payload.jti).toBe(credB.id);
    // The retired key's own URL still answers one JWK that verifies A.
    const jwkA = await (await fetch(kidA)).json();
    await expect(jwtVerify(a.award.credentialJwt!, await importJWK(jwkA, 'RS256'))).resolves.toBeTruthy();

    // The Digital Bazaar verifier, resolving keys from the issuer document: both verify.
    for (const [name, c] of [['A', credA], ['B', credB]] as const) {
      const r = await verifyDi(c);
      expect(r.verified, `${name}: ${r.why}`).toBe(true);
    }
    const profile = await (await fetch(credA.issuer.id, { headers: { accept: 'application/ld+json' } })).json();
    expect(profile.assertionMethod).toContain(credA.proof[0].verificationMethod);
    expect(profile.assertionMethod).toContain(credB.proof[0].verificationMethod);

    // And our own verification endpoint agrees for the old award.
    const verify = await (await fetch(`${app.url}/ob/credentials/${a.award.id}/verify`, { method: 'POST', headers: { 'user-agent': 'Mozilla/5.0' } })).json();
    expect(verify.verified, JSON.stringify(verify)).toBe(true);

    // Rotation added keys; it replaced none.
    const keys = await app.testDb.db.query<{ alg: string; retired: boolean }>('select alg, retired_at is not null as retired from signing_keys where tenant_id = $1 order by alg, created_at', [w3.tenantId]);
    expect(keys).toEqual([{ alg: 'EdDSA', retired: true }, { alg: 'EdDSA', retired: false }, { alg: 'RS256', retired: true }, { alg: 'RS256', retired: false }]);
  });

  it('keeps private keys sealed at rest', async () => {
    const rows = await app.testDb.db.query<{ private_key: string; public_jwk: Record<string, unknown> }>('select private_key, public_jwk from signing_keys');
    expect(rows.length).toBeGreaterThanOrEqual(4);
    for (const r of rows) {
      expect(r.private_key.startsWith('v1.')).toBe(true);
      expect(r.private_key).not.toContain('PRIVATE KEY');
      // No part is a DER key in base64 (those start with MII); 'MII' inside random ciphertext is chance.
      expect(r.private_key.split('.').some((part) => part.startsWith('MII'))).toBe(false);
      expect(r.private_key.split('.')).toHaveLength(4);
      expect(r.public_jwk.d).toBeUndefined();
    }
  });
});
