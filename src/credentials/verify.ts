// Verification of a credential of ours, stored or presented: signature (VC-JWT with jose, Data
// Integrity with the Digital Bazaar verifier), issuer key, revocation status, and validity dates.
// Every check reports its own result so a person sees which one failed and why.
import { DataIntegrityProof } from '@digitalbazaar/data-integrity';
import { cryptosuite } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as vc from '@digitalbazaar/vc';
import { decodeJwt, decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import type { Clock } from '../shared/index.js';
import type { SigningKeyStore } from './keys.js';
import { urls } from './ob3.js';
import type { Signers } from './signers.js';
import type { StatusLists } from './status-lists.js';

export type CheckName = 'format' | 'signature' | 'issuer' | 'status' | 'expiry';
export interface Check { check: CheckName; ok: boolean; message: string }
export interface VerificationResult { verified: boolean; checks: Check[]; credentialId: string | null; proof: 'vc-jwt' | 'data-integrity' | null }

type Json = Record<string, any>;

export function createVerifier(deps: { keys: SigningKeyStore; signers: Signers; statusLists: StatusLists; publicUrl: string; clock: Clock }) {
  const u = urls(deps.publicUrl);
  const issuerPrefix = u.issuer('');
  const tenantOf = (issuerId: unknown) => (typeof issuerId === 'string' && issuerId.startsWith(issuerPrefix) ? issuerId.slice(issuerPrefix.length) : null);

  async function jwtSignature(token: string): Promise<{ checks: Check[]; credential: Json | null }> {
    let kid: string | undefined;
    let claims: Json;
    try {
      kid = decodeProtectedHeader(token).kid;
      claims = decodeJwt(token) as Json;
    } catch {
      return { checks: [{ check: 'format', ok: false, message: 'Not a compact JWS.' }], credential: null };
    }
    const keyId = kid?.startsWith(u.key('')) ? kid.slice(u.key('').length) : null;
    const key = keyId ? await deps.keys.publicKey(keyId) : null;
    if (!key || key.alg !== 'RS256') {
      return { checks: [{ check: 'signature', ok: false, message: `The signing key ${kid ?? '(none)'} is not one of our issuers' keys.` }], credential: claims };
    }
    const checks: Check[] = [];
    try {
      // Expiry is judged below with the credential's own dates, so jose does not refuse on exp/nbf.
      await jwtVerify(token, await importJWK(key.publicJwk, 'RS256'), { algorithms: ['RS256'], currentDate: new Date(Date.parse(String(claims.validFrom ?? 0)) + 1000) });
      checks.push({ check: 'signature', ok: true, message: 'The VC-JWT signature verifies with the issuer key.' });
    } catch (err) {
      checks.push({ check: 'signature', ok: false, message: `The VC-JWT signature does not verify (${(err as Error).message}).` });
    }
    const mirrored = claims.iss === claims.issuer?.id && claims.jti === claims.id && claims.sub === claims.credentialSubject?.id;
    const issuerOk = mirrored && tenantOf(claims.iss) === key.tenantId;
    checks.push({ check: 'issuer', ok: issuerOk, message: issuerOk ? 'Signed by a key of the issuer named in the credential.' : 'The signing key does not belong to the issuer the credential names.' });
    return { checks, credential: claims };
  }

  async function dataIntegritySignature(credential: Json): Promise<Check[]> {
    const suite = new DataIntegrityProof({ cryptosuite });
    const proofs = Array.isArray(credential.proof) ? credential.proof : [credential.proof];
    const methodOk = proofs.every((p: Json) => typeof p?.verificationMethod === 'string' && p.verificationMethod.startsWith(`${credential.issuer?.id}#`));
    let ok = false;
    let reason = '';
    try {
      const res = await vc.verifyCredential({ credential, suite, documentLoader: deps.signers.documentLoader, checkStatus: async () => ({ verified: true }), now: new Date(Date.parse(String(credential.validFrom ?? 0)) + 1000) });
      ok = res.verified;
      reason = ok ? '' : String(res.error?.errors?.[0]?.message ?? res.error?.message ?? 'proof invalid');
    } catch (err) {
      reason = (err as Error).message;
    }
    return [
      { check: 'signature', ok, message: ok ? 'The Data Integrity proof (eddsa-rdfc-2022) verifies.' : `The Data Integrity proof does not verify (${reason}).` },
      { check: 'issuer', ok: ok && methodOk && tenantOf(credential.issuer?.id) !== null, message: methodOk ? 'Signed by a key the issuer publishes.' : 'The proof names a key that is not the issuer\'s.' },
    ];
  }

  async function statusAndExpiry(credential: Json): Promise<Check[]> {
    const checks: Check[] = [];
    const status = credential.credentialStatus as Json | undefined;
    const listUrl = typeof status?.statusListCredential === 'string' ? status.statusListCredential : '';
    const listId = listUrl.startsWith(u.statusList('')) ? listUrl.slice(u.statusList('').length) : null;
    const index = Number.parseInt(String(status?.statusListIndex), 10);
    if (!listId || !Number.isInteger(index)) {
      checks.push({ check: 'status', ok: false, message: 'The credential has no status entry we can check.' });
    } else {
      const revoked = await deps.statusLists.isRevoked(listId, index);
      checks.push({ check: 'status', ok: !revoked, message: revoked ? 'The issuer has revoked this credential.' : 'Not revoked.' });
    }
    const now = deps.clock.now().getTime();
    const from = Date.parse(String(credential.validFrom));
    const until = credential.validUntil ? Date.parse(String(credential.validUntil)) : null;
    if (Number.isNaN(from) || from > now) checks.push({ check: 'expiry', ok: false, message: 'The credential is not valid yet.' });
    else if (until !== null && until <= now) checks.push({ check: 'expiry', ok: false, message: `The credential expired on ${credential.validUntil}.` });
    else checks.push({ check: 'expiry', ok: true, message: until ? `Valid until ${credential.validUntil}.` : 'Does not expire.' });
    return checks;
  }

  const result = (checks: Check[], credential: Json | null, proof: VerificationResult['proof']): VerificationResult => ({
    verified: checks.length > 0 && checks.every((c) => c.ok),
    checks,
    credentialId: typeof credential?.id === 'string' ? credential.id : null,
    proof,
  });

  return {
    /** A VC-JWT (compact JWS) or a credential with an embedded Data Integrity proof. */
    async verify(presented: string | Json): Promise<VerificationResult> {
      if (typeof presented === 'string') {
        const { checks, credential } = await jwtSignature(presented.trim());
        if (!credential) return result(checks, null, 'vc-jwt');
        return result([...checks, ...(await statusAndExpiry(credential))], credential, 'vc-jwt');
      }
      if (!presented || typeof presented !== 'object' || !presented.proof) {
        return result([{ check: 'format', ok: false, message: 'No proof: send a VC-JWT or a credential with a Data Integrity proof.' }], null, null);
      }
      return result([...(await dataIntegritySignature(presented)), ...(await statusAndExpiry(presented))], presented, 'data-integrity');
    },
  };
}

export type Verifier = ReturnType<typeof createVerifier>;
