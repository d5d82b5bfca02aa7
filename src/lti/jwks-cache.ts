// Platform keys, cached by URL with a timeout; an unknown kid triggers one refetch (rate-limited),
// so a key rotation at the platform works and a slow JWKS endpoint cannot hold launches.
import { createRemoteJWKSet, type JWTVerifyGetKey } from 'jose';

export interface JwksCache {
  forUrl(url: string): JWTVerifyGetKey;
}

export function createJwksCache(opts: { timeoutMs: number; cacheSeconds: number }): JwksCache {
  const sets = new Map<string, JWTVerifyGetKey>();
  return {
    forUrl(url) {
      let set = sets.get(url);
      if (!set) {
        set = createRemoteJWKSet(new URL(url), {
          timeoutDuration: opts.timeoutMs,
          cacheMaxAge: opts.cacheSeconds * 1000,
          cooldownDuration: 1_000,
        });
        sets.set(url, set);
      }
      return set;
    },
  };
}
