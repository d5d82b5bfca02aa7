// The issuer's key document: its Profile, which names its Ed25519 Multikeys (active and retired) in
// assertionMethod, and each key at `<issuer id>#z6Mk…` — what Data Integrity verifiers dereference.
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import type { Db } from '../db/index.js';
import { MULTIKEY_CONTEXT, OB3_CONTEXT, SECURITY_V2_CONTEXT, VC_V2_CONTEXT } from './document-loader.js';
import type { SigningKeyStore } from './keys.js';
import { issuerProfile, urls, type IssuerInfo } from './ob3.js';

export function createIssuerDocuments(deps: { db: Db; keys: SigningKeyStore; publicUrl: string }) {
  const u = urls(deps.publicUrl);
  const multibaseCache = new Map<string, string>();

  async function multibase(kid: string, jwk: Record<string, unknown>): Promise<string> {
    let mb = multibaseCache.get(kid);
    if (!mb) {
      mb = (await Ed25519Multikey.fromJwk({ jwk })).publicKeyMultibase;
      multibaseCache.set(kid, mb);
    }
    return mb;
  }

  async function issuer(tenantId: string): Promise<IssuerInfo | null> {
    const rows = await deps.db.query<{ name: string; issuer_url: string | null; issuer_email: string | null }>(
      'select name, issuer_url, issuer_email from tenants where tenant_id = $1',
      [tenantId],
    );
    const r = rows[0];
    return r ? { tenantId, name: r.name, url: r.issuer_url, email: r.issuer_email } : null;
  }

  async function verificationMethods(tenantId: string) {
    const id = u.issuer(tenantId);
    const keys = (await deps.keys.publicKeys(tenantId)).filter((k) => k.alg === 'EdDSA');
    return Promise.all(keys.map(async (k) => {
      const mb = await multibase(k.kid, k.publicJwk);
      return { id: `${id}#${mb}`, type: 'Multikey', controller: id, publicKeyMultibase: mb, retired: k.retiredAt !== null };
    }));
  }

  return {
    issuer,
    multibase,
    /** The issuer Profile, as JSON-LD with its assertion methods. */
    async profile(tenantId: string): Promise<Record<string, unknown> | null> {
      const info = await issuer(tenantId);
      if (!info) return null;
      const methods = await verificationMethods(tenantId);
      // A controller document as Data Integrity verifiers read it: the keys in verificationMethod,
      // named again in assertionMethod. security/v2 and multikey/v1 define those terms.
      return {
        '@context': [VC_V2_CONTEXT, OB3_CONTEXT, SECURITY_V2_CONTEXT, MULTIKEY_CONTEXT],
        ...issuerProfile(deps.publicUrl, info),
        verificationMethod: methods.map(({ retired: _retired, ...m }) => m),
        assertionMethod: methods.map((m) => m.id),
      };
    },
    /** Resolves an issuer URL or one of its key URLs, for the JSON-LD document loader. */
    async resolve(url: string): Promise<object | null> {
      const prefix = `${u.issuer('')}`;
      if (!url.startsWith(prefix)) return null;
      const [base, fragment] = url.slice(prefix.length).split('#');
      if (!base || !/^[0-9a-f-]{36}$/.test(base)) return null;
      if (!fragment) return this.profile(base);
      const method = (await verificationMethods(base)).find((m) => m.publicKeyMultibase === fragment);
      if (!method) return null;
      return { '@context': MULTIKEY_CONTEXT, id: method.id, type: 'Multikey', controller: method.controller, publicKeyMultibase: method.publicKeyMultibase };
    },
  };
}

export type IssuerDocuments = ReturnType<typeof createIssuerDocuments>;
