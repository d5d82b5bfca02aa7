// Issuer signing keys per tenant: RS256 for VC-JWT, Ed25519 for Data Integrity. Generated on
// first use, private halves sealed at rest, rotated by adding: retired keys stay published.
import { generateKeyPair as generateKeyPairCb, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import type { Db } from '../db/index.js';
import { createSecretBox, newToken } from '../shared/index.js';

const generateKeyPair = promisify(generateKeyPairCb);

export type SigningAlg = 'RS256' | 'EdDSA';

export interface PublicSigningKey {
  kid: string;
  tenantId: string;
  alg: SigningAlg;
  publicJwk: Record<string, unknown>;
  createdAt: Date;
  retiredAt: Date | null;
}

type KeyRow = { kid: string; tenant_id: string; alg: SigningAlg; public_jwk: Record<string, unknown>; private_key: string; created_at: Date; retired_at: Date | null };

const toPublic = (r: KeyRow): PublicSigningKey => ({
  kid: r.kid,
  tenantId: r.tenant_id,
  alg: r.alg,
  publicJwk: r.public_jwk,
  createdAt: r.created_at,
  retiredAt: r.retired_at,
});

async function generate(alg: SigningAlg): Promise<{ publicJwk: Record<string, unknown>; privatePem: string }> {
  // Generated off the event loop: RSA generation blocks for a second or more otherwise.
  const { publicKey, privateKey } =
    alg === 'RS256'
      ? await generateKeyPair('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } })
      : await generateKeyPair('ed25519', { publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
  const publicJwk = createPublicKey(publicKey).export({ format: 'jwk' }) as Record<string, unknown>;
  return { publicJwk, privatePem: privateKey };
}

export interface ActiveKey {
  key: PublicSigningKey;
  /** Parsed once: jsonwebtoken re-parses a PEM on every call (about 4x slower). */
  privateKey: KeyObject;
}

// Active keys are cached briefly; a rotation in this process clears the tenant's entries, and a
// rotation elsewhere is seen within the TTL (old keys stay valid for verification meanwhile).
const ACTIVE_KEY_TTL_MS = 60_000;

export function createSigningKeyStore({ db, secretKey }: { db: Db; secretKey: string }) {
  const box = createSecretBox(secretKey, 'signing-keys');
  const cache = new Map<string, { at: number; value: Promise<ActiveKey> }>();

  async function insertKey(tenantId: string, alg: SigningAlg): Promise<PublicSigningKey> {
    const { publicJwk, privatePem } = await generate(alg);
    const kid = newToken(16);
    const rows = await db.query<KeyRow>(
      'insert into signing_keys (tenant_id, kid, alg, public_jwk, private_key) values ($1, $2, $3, $4::jsonb, $5) returning *',
      [tenantId, kid, alg, JSON.stringify({ ...publicJwk, kid, alg, use: 'sig' }), box.seal(privatePem)],
    );
    return toPublic(rows[0]!);
  }

  async function active(tenantId: string, alg: SigningAlg): Promise<KeyRow | undefined> {
    const rows = await db.query<KeyRow>(
      'select * from signing_keys where tenant_id = $1 and alg = $2 and retired_at is null order by created_at desc limit 1',
      [tenantId, alg],
    );
    return rows[0];
  }

  return {
    /** The active key for signing, generated on first use. */
    activeKey(tenantId: string, alg: SigningAlg): Promise<ActiveKey> {
      const id = `${tenantId}:${alg}`;
      const hit = cache.get(id);
      if (hit && Date.now() - hit.at < ACTIVE_KEY_TTL_MS) return hit.value;
      const value = (async () => {
        let row = await active(tenantId, alg);
        if (!row) {
          // Two first issuances may race here; the later key simply becomes the active one.
          await insertKey(tenantId, alg);
          row = await active(tenantId, alg);
        }
        return { key: toPublic(row!), privateKey: createPrivateKey(box.open(row!.private_key)) };
      })();
      value.catch(() => cache.delete(id));
      cache.set(id, { at: Date.now(), value });
      return value;
    },
    /** Retires the active keys of a tenant and publishes new ones; old keys stay verifiable. */
    async rotate(tenantId: string): Promise<PublicSigningKey[]> {
      cache.delete(`${tenantId}:RS256`);
      cache.delete(`${tenantId}:EdDSA`);
      const fresh: PublicSigningKey[] = [];
      for (const alg of ['RS256', 'EdDSA'] as const) {
        const next = await generate(alg);
        const kid = newToken(16);
        const row = await db.transaction(async (tx) => {
          await tx.query('update signing_keys set retired_at = now() where tenant_id = $1 and alg = $2 and retired_at is null', [tenantId, alg]);
          const rows = await tx.query<KeyRow>(
            'insert into signing_keys (tenant_id, kid, alg, public_jwk, private_key) values ($1, $2, $3, $4::jsonb, $5) returning *',
            [tenantId, kid, alg, JSON.stringify({ ...next.publicJwk, kid, alg, use: 'sig' }), box.seal(next.privatePem)],
          );
          return rows[0]!;
        });
        fresh.push(toPublic(row));
      }
      cache.delete(`${tenantId}:RS256`);
      cache.delete(`${tenantId}:EdDSA`);
      return fresh;
    },
    async publicKey(kid: string): Promise<PublicSigningKey | null> {
      const rows = await db.query<KeyRow>('select * from signing_keys where kid = $1', [kid]);
      return rows[0] ? toPublic(rows[0]) : null;
    },
    /** Every published key (active and retired), optionally of one tenant. */
    async publicKeys(tenantId?: string): Promise<PublicSigningKey[]> {
      const rows = tenantId
        ? await db.query<KeyRow>('select * from signing_keys where tenant_id = $1 order by created_at', [tenantId])
        : await db.query<KeyRow>('select * from signing_keys order by created_at');
      return rows.map(toPublic);
    },
  };
}

export type SigningKeyStore = ReturnType<typeof createSigningKeyStore>;
