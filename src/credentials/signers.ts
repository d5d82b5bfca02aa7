// The two proofs of a credential: VC-JWT (RS256 with jsonwebtoken, `kid` = the key's own URL) and an
// embedded Data Integrity proof (eddsa-rdfc-2022), both with the tenant's active keys.
import { createPublicKey } from 'node:crypto';
import * as vc from '@digitalbazaar/vc';
import { DataIntegrityProof } from '@digitalbazaar/data-integrity';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import { cryptosuite } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import jwt from 'jsonwebtoken';
import { createDocumentLoader } from './document-loader.js';
import type { IssuerDocuments } from './issuer-documents.js';
import type { JwtSignPool } from './jwt-sign-pool.js';
import type { ActiveKey, SigningKeyStore } from './keys.js';
import { jwtClaimsOf, urls, type BuiltCredential } from './ob3.js';

export function createSigners(deps: { keys: SigningKeyStore; issuerDocs: IssuerDocuments; publicUrl: string; pool: JwtSignPool; backgroundPool?: JwtSignPool }) {
  const u = urls(deps.publicUrl);
  const documentLoader = createDocumentLoader((url) => deps.issuerDocs.resolve(url));
  const edSigners = new Map<string, Promise<{ signer: unknown }>>();

  async function edSigner(tenantId: string) {
    const { key, privateKey } = await deps.keys.activeKey(tenantId, 'EdDSA');
    let entry = edSigners.get(key.kid);
    if (!entry) {
      entry = (async () => {
        const issuerId = u.issuer(tenantId);
        const jwk = privateKey.export({ format: 'jwk' }) as Record<string, unknown>;
        const pair = await Ed25519Multikey.fromJwk({ jwk, secretKey: true });
        pair.id = `${issuerId}#${pair.publicKeyMultibase}`;
        pair.controller = issuerId;
        return { signer: pair.signer() };
      })();
      edSigners.set(key.kid, entry);
    }
    return entry;
  }

  return {
    documentLoader,
    /** Threads that sign VC-JWTs in bulk. */
    poolSize: deps.pool.size,

    /** VC-JWT of one credential, on this thread. */
    async signJwt(tenantId: string, credential: BuiltCredential, signingKey?: ActiveKey): Promise<string> {
      const { key, privateKey } = signingKey ?? (await deps.keys.activeKey(tenantId, 'RS256'));
      // Header: alg, typ and kid only — the spec allows no other fields.
      return jwt.sign(jwtClaimsOf(credential), privateKey, { algorithm: 'RS256', keyid: u.key(key.kid), noTimestamp: true });
    },

    /**
     * VC-JWTs of many payloads (from jwtClaimsOf) on a worker pool, every core at once; same order.
     * `background`: on the pool of the lowest priority (the signing queue), which takes only what
     * requests and the database leave; otherwise on the one a waiting request uses.
     */
    async signJwtMany(claims: readonly Record<string, unknown>[], signingKey: ActiveKey, opts: { background?: boolean } = {}): Promise<string[]> {
      // One or two (a launch, a manual award): here, without the round trip to a thread.
      if (claims.length <= 2) return claims.map((c) => jwt.sign(c, signingKey.privateKey, { algorithm: 'RS256', keyid: u.key(signingKey.key.kid), noTimestamp: true }));
      const pool = opts.background ? (deps.backgroundPool ?? deps.pool) : deps.pool;
      return pool.sign(claims, signingKey.privateKey, u.key(signingKey.key.kid));
    },

    /** Embedded Data Integrity proof; the official schema wants `proof` as an array. */
    async signDataIntegrity(tenantId: string, credential: BuiltCredential): Promise<Record<string, unknown>> {
      const { signer } = await edSigner(tenantId);
      const suite = new DataIntegrityProof({ signer, cryptosuite });
      const signed = await vc.issue({ credential: structuredClone(credential), suite, documentLoader });
      return { ...signed, proof: Array.isArray(signed.proof) ? signed.proof : [signed.proof] };
    },

    /** A public key as a single JWK, for `/ob/keys/:kid`. */
    publicJwk(jwk: Record<string, unknown>): Record<string, unknown> {
      const { kty, n, e, crv, x, kid, alg, use } = createPublicKey({ key: jwk, format: 'jwk' }).export({ format: 'jwk' }) as Record<string, unknown> & { kid?: string };
      return Object.fromEntries(Object.entries({ kty, n, e, crv, x, kid: kid ?? jwk.kid, alg: alg ?? jwk.alg, use: use ?? jwk.use }).filter(([, v]) => v !== undefined));
    },
  };
}

export type Signers = ReturnType<typeof createSigners>;
