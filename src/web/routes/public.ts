// Public, unauthenticated endpoints: health and the issuers' published keys.
import { Router } from 'express';
import type { SigningKeyStore } from '../../credentials/index.js';
import type { Db } from '../../db/index.js';
import { asyncHandler } from '../http.js';

export function publicRouter(deps: { db: Db; keys: SigningKeyStore; keyUrl: (kid: string) => string }): Router {
  const router = Router();
  router.get('/health', asyncHandler(async (_req, res) => {
    await deps.db.query('select 1');
    res.json({ status: 'ok' });
  }));
  router.get('/.well-known/jwks.json', asyncHandler(async (_req, res) => {
    const keys = await deps.keys.publicKeys();
    // Each key's kid is its own URL, as in the VC-JWT header, so JWKS lookups by kid match.
    res.json({ keys: keys.map((k) => ({ ...k.publicJwk, kid: deps.keyUrl(k.kid) })) });
  }));
  return router;
}
