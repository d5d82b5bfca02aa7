// Platform signing keys (published in the JWKS) plus one "impostor" key that is never published,
// and the platform-side verification of JWTs signed by the tool (client assertions, deep-link responses).
import { randomBytes } from 'node:crypto';
import {
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  jwtVerify,
  SignJWT,
  type CryptoKey,
  type JSONWebKeySet,
  type JWK,
  type JWTPayload,
  type JWTVerifyOptions,
} from 'jose';

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export async function newSigningKey(): Promise<SigningKey> {
  const kid = `sim-${randomBytes(8).toString('hex')}`;
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = await exportJWK(publicKey);
  return { kid, privateKey, publicJwk: { ...jwk, kid, alg: 'RS256', use: 'sig' } };
}

export class PlatformKeys {
  private constructor(
    private readonly published: SigningKey[],
    /** Signs forgeries: its public half is never in the JWKS, so a verifying tool must reject them. */
    private readonly impostor: SigningKey,
  ) {}

  static async create(): Promise<PlatformKeys> {
    const [first, impostor] = await Promise.all([newSigningKey(), newSigningKey()]);
    return new PlatformKeys([first], impostor);
  }

  /** The key new tokens are signed with: the most recently added one. */
  get current(): SigningKey {
    return this.published[this.published.length - 1]!;
  }

  jwks(): JSONWebKeySet {
    return { keys: this.published.map((k) => k.publicJwk) };
  }

  /** Key rotation as platforms do it: the new key becomes current, older keys stay published. */
  async rotate(): Promise<void> {
    this.published.push(await newSigningKey());
  }

  async sign(payload: Record<string, unknown>, o: { key?: 'platform' | 'other'; kid?: string } = {}): Promise<string> {
    const signer = o.key === 'other' ? this.impostor : this.current;
    // A forged token advertises a kid that IS published, so the tool must actually check the signature.
    const kid = o.kid ?? this.current.kid;
    return new SignJWT(payload as JWTPayload).setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' }).sign(signer.privateKey);
  }
}

/**
 * Verifies a JWT signed by the tool against the tool's JWKS, fetched fresh every time (a simulator
 * has no reason to cache, and fresh fetches let tests rotate tool keys freely).
 */
export async function verifyToolJwt(jwt: string, jwksUrl: string, options: JWTVerifyOptions): Promise<JWTPayload> {
  let jwks: JSONWebKeySet;
  try {
    const res = await fetch(jwksUrl, { signal: AbortSignal.timeout(5000), headers: { accept: 'application/json' } });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    jwks = (await res.json()) as JSONWebKeySet;
  } catch (e) {
    throw new Error(`cannot fetch tool JWKS ${jwksUrl}: ${(e as Error).message}`);
  }
  const { payload } = await jwtVerify(jwt, createLocalJWKSet(jwks), { algorithms: ['RS256'], ...options });
  return payload;
}
