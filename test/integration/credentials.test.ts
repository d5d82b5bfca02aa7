// Every award is an OpenBadgeCredential that validates against the official schema (unmodified,
// from shared/conformance) and verifies with independent libraries: jose for the VC-JWT, the
// Digital Bazaar verifier for the Data Integrity proof, with contexts loaded locally.
import { createLocalJWKSet, createRemoteJWKSet, decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import * as vc from '@digitalbazaar/vc';
import { DataIntegrityProof } from '@digitalbazaar/data-integrity';
import { cryptosuite } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as securityContext from '@digitalbazaar/security-context';
import * as multikeyContext from '@digitalbazaar/multikey-context';
import { checkStatus } from '@digitalbazaar/vc-bitstring-status-list';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { buildBadge, buildLearner, buildWorld, type World } from '../support/builders.js';
import { httpDocumentLoader, validateCredential } from '../support/ob3.js';

// The verifier's own document loader: nothing of ours, the issuer's documents over HTTP.
const documentLoader = (url: string) => httpDocumentLoader(app.url, [...securityContext.contexts, ...multikeyContext.contexts])(url);

let app: TestApp;
let w: World;
beforeAll(async () => {
  app = await startTestApp();
  w = await buildWorld(app);
});
afterAll(async () => {
  await app?.close();
});

async function issue(over: Record<string, unknown> = {}, learner: { email?: string | null } = {}) {
  const badge = await buildBadge(app, w, over);
  const userId = await buildLearner(app, w, learner);
  const { award } = await app.built.services.awards.issue({ tenantId: w.tenantId, badgeId: badge.id, userId, method: 'manual' });
  await app.testDb.db.query('update awards set is_public = true where id = $1', [award.id]);
  return { badge, userId, award };
}

describe('OpenBadgeCredential', () => {
  it('validates against the official schema, as JSON-LD with its Data Integrity proof and as VC-JWT payload', async () => {
    const { award } = await issue({ validForDays: 365 });
    const res = await fetch(`${app.url}/ob/credentials/${award.id}`, { headers: { accept: 'application/ld+json' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/ld+json');
    const credential = await res.json();
    expect(validateCredential(credential), JSON.stringify(validateCredential.errors)).toBe(true);
    expect(credential.type).toEqual(['VerifiableCredential', 'OpenBadgeCredential']);
    expect(credential.proof).toHaveLength(1);
    expect(credential.validUntil).toBeDefined();
    const jwt = await (await fetch(`${app.url}/ob/credentials/${award.id}?format=jwt`)).text();
    const payload = JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString());
    expect(validateCredential(payload), JSON.stringify(validateCredential.errors)).toBe(true);
  });

  it('never carries a plain email: the recipient is a salted sha256 identity hash', async () => {
    const { award, userId } = await issue({}, { email: 'Grace.Hopper@School.example' });
    const text = JSON.stringify(award.credential) + award.credentialJwt!;
    expect(text.toLowerCase()).not.toContain('grace.hopper');
    const subject = (award.credential as any).credentialSubject;
    expect(subject.id).toBe(`urn:uuid:${userId}`);
    const [identifier] = subject.identifier;
    expect(identifier.identityType).toBe('emailAddress');
    const { createHash } = await import('node:crypto');
    expect(identifier.identityHash).toBe(`sha256$${createHash('sha256').update('grace.hopper@school.example' + identifier.salt).digest('hex')}`);
  });

  it('hashes the LMS user id when no email was released', async () => {
    const { award } = await issue({}, { email: null });
    const [identifier] = (award.credential as any).credentialSubject.identifier;
    expect(identifier.identityType).toBe('ltiUserId');
    expect(identifier.hashed).toBe(true);
  });

  it('VC-JWT verifies with jose, with the kid URL answering one public JWK that is also in the JWKS', async () => {
    const { award } = await issue();
    const jwt = award.credentialJwt!;
    const header = decodeProtectedHeader(jwt);
    expect(Object.keys(header).sort()).toEqual(['alg', 'kid', 'typ']);
    expect(header.alg).toBe('RS256');
    const keyRes = await fetch(header.kid!);
    expect(keyRes.status).toBe(200);
    const jwk = await keyRes.json();
    expect(jwk.keys).toBeUndefined();
    expect(jwk.d).toBeUndefined();
    const { payload } = await jwtVerify(jwt, await importJWK(jwk, 'RS256'));
    expect(payload.iss).toBe((award.credential as any).issuer.id);
    expect(payload.jti).toBe((award.credential as any).id);
    expect(payload.sub).toBe((award.credential as any).credentialSubject.id);
    expect(payload.nbf).toBe(Math.floor(Date.parse((award.credential as any).validFrom) / 1000));
    const set = createRemoteJWKSet(new URL(`${app.url}/.well-known/jwks.json`));
    await expect(jwtVerify(jwt, set)).resolves.toBeTruthy();
  });

  it('Data Integrity proof verifies with the Digital Bazaar verifier, resolving the issuer key over HTTP', async () => {
    const { award } = await issue();
    const credential = await (await fetch(`${app.url}/ob/credentials/${award.id}`, { headers: { accept: 'application/json' } })).json();
    const proof = credential.proof[0];
    expect(proof.type).toBe('DataIntegrityProof');
    expect(proof.cryptosuite).toBe('eddsa-rdfc-2022');
    expect(proof.verificationMethod.startsWith(`${credential.issuer.id}#z6Mk`)).toBe(true);
    const result = await vc.verifyCredential({
      credential, documentLoader, suite: new DataIntegrityProof({ cryptosuite }),
      checkStatus: (o: Record<string, unknown>) => checkStatus({ ...o, verifyBitstringStatusListCredential: true, verifyMatchingIssuers: true }),
    });
    expect(result.verified, JSON.stringify(result.error?.errors?.map((e: Error) => e.message) ?? result.error?.message)).toBe(true);
  });

  it('an altered credential fails both independent verifications', async () => {
    const { award } = await issue();
    const credential = await (await fetch(`${app.url}/ob/credentials/${award.id}`, { headers: { accept: 'application/json' } })).json();
    credential.name = 'Master of Everything';
    const di = await vc.verifyCredential({ credential, documentLoader, suite: new DataIntegrityProof({ cryptosuite }), checkStatus: async () => ({ verified: true }) });
    expect(di.verified).toBe(false);
    const [h, p, s] = award.credentialJwt!.split('.');
    const payload = JSON.parse(Buffer.from(p!, 'base64url').toString());
    payload.name = 'Master of Everything';
    const forged = [h, Buffer.from(JSON.stringify(payload)).toString('base64url'), s].join('.');
    const jwks = await (await fetch(`${app.url}/.well-known/jwks.json`)).json();
    await expect(jwtVerify(forged, createLocalJWKSet(jwks))).rejects.toThrow(/signature/);
  });
});
