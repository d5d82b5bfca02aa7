// The official OB 3.0 conformance data from shared/conformance (never a copy): the JSON Schema
// validator and the official JSON-LD contexts, for tests that check our credentials independently.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2019 } from 'ajv/dist/2019.js';
import formatsModule from 'ajv-formats';

export const CONFORMANCE = path.resolve(import.meta.dirname, '../../../shared/conformance/ob3');
export const readConformanceJson = (p: string) => JSON.parse(readFileSync(path.join(CONFORMANCE, p), 'utf8'));

// ajv-formats is CommonJS with a default export; under NodeNext it arrives wrapped.
const addFormats = ((formatsModule as unknown as { default?: typeof formatsModule }).default ?? formatsModule) as unknown as (a: Ajv2019) => void;
const ajv = new Ajv2019({ strict: false, allErrors: true });
addFormats(ajv);

export const validateCredential = ajv.compile(readConformanceJson('achievementcredential.schema.json'));

export const officialContexts = new Map<string, unknown>([
  ['https://www.w3.org/ns/credentials/v2', readConformanceJson('1EdTech-digital-credentials-public-validator/inspector-vc/src/main/resources/contexts/credentials-v2.jsonld')],
  ['https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json', readConformanceJson('context-3.0.3.json')],
]);

/**
 * An independent verifier's JSON-LD document loader: the official contexts (and the W3C security
 * and multikey contexts from npm) locally; issuer documents fetched from the running tool over
 * HTTP, a key URL resolved to its verification method inside the issuer's controller document.
 */
export function httpDocumentLoader(baseUrl: string, extraContexts: Iterable<[string, unknown]>) {
  const contexts = new Map<string, unknown>([...officialContexts, ...extraContexts]);
  return async (url: string) => {
    const local = contexts.get(url);
    if (local) return { contextUrl: null, documentUrl: url, document: local };
    if (!url.startsWith(baseUrl)) throw new Error(`refusing to fetch ${url}`);
    const [base] = url.split('#');
    const res = await fetch(base!, { headers: { accept: 'application/ld+json' } });
    if (!res.ok) throw new Error(`${url}: ${res.status}`);
    const doc = await res.json();
    if (!url.includes('#')) return { contextUrl: null, documentUrl: url, document: doc };
    const method = (doc.verificationMethod ?? []).find((m: { id: string }) => m.id === url);
    if (!method) throw new Error(`${url}: no such verification method`);
    return { contextUrl: null, documentUrl: url, document: { '@context': 'https://w3id.org/security/multikey/v1', ...method } };
  };
}
