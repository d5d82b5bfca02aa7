// ltijs wrapped: the only file that imports it. We use ltijs for what it does well — the tool
// JWKS, platform key storage, and its Advantage services (Deep Linking messages, AGS, NRPS) — and
// run login and launch validation ourselves, because ltijs leaves the nonce unbound to the login,
// skips the deployment check and needs cookies an LMS iframe does not get (shared/LTIJS.md).
import type { Express } from 'express';
import ltijs from 'ltijs';
import type { LtijsStore } from '../db/index.js';

export interface LtijsIdToken {
  iss: string;
  user: string;
  clientId: string;
  deploymentId: string;
  platformId: string;
  userInfo?: Record<string, unknown>;
  platformInfo?: Record<string, unknown>;
  platformContext: Record<string, unknown>;
}

export interface LtijsProvider {
  /** ltijs's own express app; mounted at /lti it serves the tool keyset at /lti/keys. */
  app: Express;
  createDeepLinkingMessage(idtoken: LtijsIdToken, items: unknown[], options?: { message?: string }): Promise<string>;
  /** AGS through ltijs: it fetches the platform access token with a JWT client assertion. */
  createLineItem(idtoken: AgsToken, lineItem: Record<string, unknown>): Promise<{ id: string }>;
  submitScore(idtoken: AgsToken, lineItemId: string, score: Record<string, unknown>): Promise<unknown>;
  /** NRPS through ltijs, every page. */
  getMembers(idtoken: NrpsToken): Promise<{ members: Array<Record<string, unknown>> }>;
  close(): Promise<void>;
}

export interface NrpsToken {
  iss: string;
  clientId: string;
  platformContext: { namesRoles: { context_memberships_url: string } };
}

/** The part of an idtoken ltijs's grade service reads. */
export interface AgsToken {
  iss: string;
  clientId: string;
  platformContext: { endpoint: { lineitems: string; scope: string[] } };
}

type ProviderInstance = {
  setup(key: string, db: { plugin: LtijsStore }, options: Record<string, unknown>): unknown;
  deploy(options: Record<string, unknown>): Promise<boolean>;
  app: Express;
  DeepLinking: { createDeepLinkingMessage(t: unknown, items: unknown[], o?: unknown): Promise<string> };
  Grade: { createLineItem(t: unknown, item: unknown): Promise<{ id: string }>; submitScore(t: unknown, id: string, score: unknown): Promise<unknown> };
  NamesAndRoles: { getMembers(t: unknown, o?: unknown): Promise<{ members: Array<Record<string, unknown>> }> };
};

export async function createLtijsProvider({ store, key }: { store: LtijsStore; key: string }): Promise<LtijsProvider> {
  // The package exports one shared Provider; each app builds its own instance.
  const ProviderClass = (ltijs.Provider as unknown as { constructor: new () => ProviderInstance }).constructor;
  const provider = new ProviderClass();
  provider.setup(key, { plugin: store }, {
    cors: false, // ltijs defaults to any origin with credentials
    ltiaas: true, // sessions ride on the token, never on a cookie the iframe cannot keep
    loginRoute: '/login',
    appRoute: '/launch',
    keysetRoute: '/keys',
    dynRegRoute: '/register',
    cookies: { secure: true, sameSite: 'None' },
  });
  const before = new Set(process.listeners('SIGINT'));
  await provider.deploy({ serverless: true, silent: true });
  // ltijs installs a SIGINT handler that exits the process; the app owns shutdown instead.
  for (const l of process.listeners('SIGINT')) if (!before.has(l)) process.removeListener('SIGINT', l);
  return {
    app: provider.app,
    createDeepLinkingMessage: (idtoken, items, options) => provider.DeepLinking.createDeepLinkingMessage(idtoken, items, options),
    createLineItem: (idtoken, lineItem) => provider.Grade.createLineItem(idtoken, lineItem),
    submitScore: (idtoken, lineItemId, score) => provider.Grade.submitScore(idtoken, lineItemId, score),
    getMembers: (idtoken) => provider.NamesAndRoles.getMembers(idtoken, { pages: false }),
    close: async () => undefined,
  };
}
