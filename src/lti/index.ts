// The LTI boundary: everything LTI 1.3 and ltijs, assembled from its parts. Web routes call these.
import { createHmac } from 'node:crypto';
import { createLtijsStore, type Db } from '../db/index.js';
import type { Clock, Logger } from '../shared/index.js';
import type { TenantService } from '../tenancy/index.js';
import { createAgs } from './ags.js';
import { createDeepLinking } from './deep-linking.js';
import { createRosterSync } from './nrps.js';
import { createJwksCache } from './jwks-cache.js';
import { createLaunchValidator } from './launch.js';
import { createLoginService } from './login.js';
import { createPlatformRegistry } from './platforms.js';
import { createLtijsProvider } from './provider.js';
import { createDynamicRegistration } from './registration.js';
import { createSessionService } from './sessions.js';

export { canvasConfiguration } from './canvas-config.js';
export { LTI_CLAIM, LTI_ROLE, LTI_MESSAGE, LTI_SCOPE, CUSTOM_MODULE, CUSTOM_TARGET } from './constants.js';
export type { LaunchContext } from './launch.js';
export type { LaunchSession, SessionView } from './sessions.js';
export type { Platform, PlatformInput, PlatformRegistry } from './platforms.js';
export type { DeepLinkChoice } from './deep-linking.js';
export type { LoginRedirect } from './login.js';

export interface LtiOptions {
  db: Db;
  tenants: TenantService;
  clock: Clock;
  logger: Logger;
  publicUrl: string;
  secretKey: string;
  tokenMaxAgeSeconds: number;
  jwksTimeoutMs: number;
  jwksCacheSeconds: number;
  loginStateSeconds: number;
  sessionTtlHours: number;
  autoActivate: boolean;
}

export async function createLti(o: LtiOptions) {
  // ltijs's key signs its tokens; derived so that SECRET_KEY stays the one secret to keep.
  const ltijsKey = createHmac('sha256', o.secretKey).update('ltijs').digest('base64url');
  const ltijsStore = createLtijsStore(o.db, o.secretKey, o.logger);
  const provider = await createLtijsProvider({ store: ltijsStore, key: ltijsKey });
  const platforms = createPlatformRegistry({ db: o.db, ltijsStore, ltijsKey });
  const jwks = createJwksCache({ timeoutMs: o.jwksTimeoutMs, cacheSeconds: o.jwksCacheSeconds });
  const sessions = createSessionService({ db: o.db, ltijsStore, platforms, clock: o.clock, ttlHours: o.sessionTtlHours });
  return {
    ltijsApp: provider.app,
    ltijsStore,
    platforms,
    sessions,
    login: createLoginService({ db: o.db, platforms, clock: o.clock, publicUrl: o.publicUrl, stateSeconds: o.loginStateSeconds }),
    launches: createLaunchValidator({ db: o.db, platforms, jwks, clock: o.clock, tokenMaxAgeSeconds: o.tokenMaxAgeSeconds }),
    registration: createDynamicRegistration({ db: o.db, platforms, tenants: o.tenants, publicUrl: o.publicUrl, autoActivate: o.autoActivate, timeoutMs: o.jwksTimeoutMs }),
    deepLinking: createDeepLinking({ provider, sessions, publicUrl: o.publicUrl }),
    roster: createRosterSync({ db: o.db, provider, logger: o.logger }),
    ags: createAgs({ db: o.db, platforms, provider, clock: o.clock, logger: o.logger }),
    close: provider.close,
  };
}

export type Lti = Awaited<ReturnType<typeof createLti>>;
