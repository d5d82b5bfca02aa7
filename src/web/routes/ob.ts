// Open Badges public documents at the stable URLs of PRODUCT.md §7: issuer Profiles, Achievements,
// badge images, status lists, keys, and verification of any credential of ours.
import express, { Router } from 'express';
import { defaultBadgeSvg, type Credentials } from '../../credentials/index.js';
import type { Db } from '../../db/index.js';
import { BadRequestError, NotFoundError } from '../../shared/index.js';
import { asyncHandler } from '../http.js';
import type { BadgeCatalog } from '../../courses/index.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const requireUuid = (id: string | string[] | undefined, what: string): string => {
  if (Array.isArray(id)) id = id[0];
  if (!id || !UUID.test(id)) throw new NotFoundError(`${what}_not_found`, `No such ${what}.`);
  return id;
};

export function obRouter(deps: { db: Db; credentials: Credentials; badges: BadgeCatalog }): Router {
  const { credentials } = deps;
  const router = Router();
  const ldJson = (req: express.Request) => (req.accepts(['application/json', 'application/ld+json']) === 'application/ld+json' ? 'application/ld+json' : 'application/json');

  router.get('/issuers/:id', asyncHandler(async (req, res) => {
    const profile = await credentials.issuerDocs.profile(requireUuid(req.params.id, 'issuer'));
    if (!profile) throw new NotFoundError('issuer_not_found', 'No such issuer.');
    res.type(ldJson(req)).send(JSON.stringify(profile));
  }));

  router.get('/achievements/:id', asyncHandler(async (req, res) => {
    const badge = await deps.badges.get(requireUuid(req.params.id, 'achievement'));
    if (!badge) throw new NotFoundError('achievement_not_found', 'No such achievement.');
    const body = { '@context': ['https://www.w3.org/ns/credentials/v2', 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json'], ...credentials.achievement({ ...badge, imageUrl: credentials.badgeImageUrl(badge) }) };
    res.type(ldJson(req)).send(JSON.stringify(body));
  }));

  // The default image of a badge without one: its initials on a coloured medal, as SVG.
  router.get('/achievements/:id/image', asyncHandler(async (req, res) => {
    const badge = await deps.badges.get(requireUuid(req.params.id, 'achievement'));
    if (!badge) throw new NotFoundError('achievement_not_found', 'No such achievement.');
    res.type('image/svg+xml').set('Cache-Control', 'public, max-age=3600').send(defaultBadgeSvg(badge.name, badge.id));
  }));

  router.get('/images/:id', asyncHandler(async (req, res) => {
    const image = await deps.badges.image(requireUuid(req.params.id, 'image'));
    if (!image) throw new NotFoundError('image_not_found', 'No such image.');
    // SVG is served as an image with a sandboxing CSP: scripts inside an upload never run here.
    res.type(image.contentType).set({ 'Cache-Control': 'public, max-age=86400', 'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; sandbox" }).send(Buffer.from(image.bytes));
  }));

  router.get('/status/:listId', asyncHandler(async (req, res) => {
    const credential = await credentials.statusLists.credential(requireUuid(req.params.listId, 'status_list'));
    if (!credential) throw new NotFoundError('status_list_not_found', 'No such status list.');
    res.set('Cache-Control', 'no-cache').type(ldJson(req)).send(JSON.stringify(credential));
  }));

  router.get('/keys/:kid', asyncHandler(async (req, res) => {
    const key = await credentials.keys.publicKey(String(req.params.kid));
    if (!key) throw new NotFoundError('key_not_found', 'No such key.');
    res.json({ ...key.publicJwk, kid: credentials.urls.key(key.kid) });
  }));

  // Verification of a presented credential: a VC-JWT as text, or JSON {credential} / {jwt}.
  router.post('/verify', express.text({ type: ['application/vc+jwt', 'application/jwt', 'text/plain'], limit: '256kb' }), express.json({ limit: '256kb', type: ['application/json', 'application/ld+json'] }), asyncHandler(async (req, res) => {
    const body: unknown = req.body;
    const presented = typeof body === 'string' ? body : (body as { jwt?: unknown; credential?: unknown } | undefined)?.jwt ?? (body as { credential?: unknown } | undefined)?.credential ?? body;
    if (!presented || (typeof presented !== 'string' && typeof presented !== 'object')) throw new BadRequestError('nothing_to_verify', 'Send a VC-JWT or a credential in JSON.');
    res.json(await credentials.verifier.verify(presented as string | Record<string, unknown>));
  }));

  return router;
}
