// The credential at its stable URL, negotiated (PRODUCT.md §7): an HTML page for browsers, the
// Data Integrity-signed JSON for JSON / JSON-LD clients, the compact VC-JWT for application/vc+jwt
// or ?format=jwt; baked PNG/SVG downloads; and verification with a `verified` event.
import { Router, type Request, type Response } from 'express';
import type { AwardService, Award, AwardPage } from '../../awards/index.js';
import type { BadgeCatalog } from '../../courses/index.js';
import type { Credentials } from '../../credentials/index.js';
import { bakePng, bakeSvg, defaultBadgeSvg, linkedInAddToProfileUrl } from '../../credentials/index.js';
import type { Db } from '../../db/index.js';
import { isBot, recordEvent, sourceOf } from '../../events/index.js';
import type { Lti } from '../../lti/index.js';
import { NotFoundError, type Clock } from '../../shared/index.js';
import { asyncHandler, launchToken } from '../http.js';
import type { Views } from '../views.js';

export function credentialPageRouter(deps: { db: Db; awards: AwardService; badges: BadgeCatalog; credentials: Credentials; lti: Lti; views: Views; clock: Clock }): Router {
  const router = Router();

  // A private award is a 404 to everyone but its learner (who reaches it with the launch token).
  async function visibleAward(req: Request): Promise<{ award: Award; owner: boolean }> {
    const award = await deps.awards.find(String(req.params.id));
    if (!award) throw new NotFoundError('credential_not_found', 'No such credential.');
    const session = await sessionOf(req);
    const owner = !!session && session.tenantId === award.tenantId && session.userId === award.userId;
    if (!award.isPublic && !owner) throw new NotFoundError('credential_not_found', 'No such credential.');
    return { award, owner };
  }
  async function sessionOf(req: Request) {
    const token = launchToken(req);
    return token ? deps.lti.sessions.resolve(token) : null;
  }

  router.get('/credentials/:id', asyncHandler(async (req, res) => {
    const wanted = req.query.format === 'jwt' ? 'application/vc+jwt' : req.query.format === 'json' ? 'application/ld+json' : req.accepts(['text/html', 'application/ld+json', 'application/json', 'application/vc+jwt']);
    if (wanted === 'application/vc+jwt' || wanted === 'application/json' || wanted === 'application/ld+json') {
      const { award } = await visibleAward(req);
      res.vary('Accept');
      if (wanted === 'application/vc+jwt') res.type('application/vc+jwt').send(await deps.awards.signedJwt(award));
      else res.type(wanted).send(JSON.stringify(await deps.awards.withDataIntegrity(award)));
      return;
    }
    const { award, owner } = await openPage(req, res);
    const { badge, issuer } = award;
    const learnerName = award.showName || owner ? award.learnerName : null;
    const url = deps.credentials.urls.credential(award.id);
    const image = deps.credentials.badgeImageUrl(badge);
    const now = deps.clock.now();
    // A PNG can only be baked from a PNG image; the SVG works for every badge.
    const hasPng = badge.imageType === 'image/png';
    const state = award.revokedAt ? 'revoked' : award.validUntil && award.validUntil <= now ? 'expired' : 'valid';
    res.type('html').send(deps.views.render('credential', {
      title: badge.name,
      badge, issuer, image, url, learnerName, owner, state, hasPng,
      issuedOn: award.awardedAt.toISOString().slice(0, 10),
      expiresOn: award.validUntil?.toISOString().slice(0, 10) ?? null,
      og: { title: `${badge.name} — ${issuer.name}`, description: badge.description || badge.criteria, image, url },
      linkedIn: owner && award.acceptedAt && !award.revokedAt ? linkedInAddToProfileUrl({ name: badge.name, organizationName: issuer.name, issuedAt: award.awardedAt, expiresAt: award.validUntil, credentialUrl: url, credentialId: award.id }) : null,
      jwtUrl: `${url}?format=jwt`,
      scripts: ['/static/js/verify.js'],
    }));
  }));

  // The page and its view, in one statement (see awards/public-page.ts). A view's source comes from
  // `src` or the referrer; crawlers and link-preview bots are recorded apart; the same browser
  // within 30 minutes counts once (a short first-party cookie scoped to this page: no IP address
  // or other identity is stored); the learner's own visits are not views.
  async function openPage(req: Request, res: Response): Promise<{ award: AwardPage; owner: boolean }> {
    const id = String(req.params.id).toLowerCase();
    const session = await sessionOf(req);
    const bot = isBot(req.get('user-agent'));
    const cookie = `bt_v_${id.replace(/-/g, '').slice(0, 12)}`;
    const repeat = !bot && (req.get('cookie') ?? '').split(/;\s*/).some((c) => c.startsWith(`${cookie}=`));
    const award = await deps.awards.openPage({
      awardId: id, record: !repeat, viewer: session && { tenantId: session.tenantId, userId: session.userId },
      channel: sourceOf(req.get('referer'), req.query.src), isBot: bot, occurredAt: deps.clock.now(),
    });
    const owner = !!award && !!session && session.tenantId === award.tenantId && session.userId === award.userId;
    if (!award || (!award.isPublic && !owner)) throw new NotFoundError('credential_not_found', 'No such credential.');
    res.vary('Accept');
    if (!owner && !repeat && !bot) res.append('Set-Cookie', `${cookie}=1; Max-Age=1800; Path=/ob/credentials/${award.id}; HttpOnly; SameSite=Lax${req.secure ? '; Secure' : ''}`);
    return { award, owner };
  }

  router.get('/credentials/:id/baked.:format', asyncHandler(async (req, res) => {
    const { award } = await visibleAward(req);
    const badge = (await deps.badges.get(award.badgeId))!;
    const format = req.params.format;
    if (format !== 'png' && format !== 'svg') throw new NotFoundError('not_found', 'Baked badges come as .png or .svg.');
    const stored = badge.imageId ? await deps.badges.image(badge.imageId) : null;
    const filename = `${badge.name.replace(/[^\w.-]+/g, '-').slice(0, 60) || 'badge'}.${format}`;
    res.set('Content-Disposition', `attachment; filename="${filename}"`);
    if (format === 'png') {
      if (stored?.contentType !== 'image/png') throw new NotFoundError('no_png_image', 'This badge has no PNG image; download the SVG instead.');
      res.type('image/png').send(Buffer.from(bakePng(stored.bytes, await deps.awards.signedJwt(award))));
      return;
    }
    const svg = stored?.contentType === 'image/svg+xml' ? Buffer.from(stored.bytes).toString('utf8') : defaultBadgeSvg(badge.name, badge.id);
    res.type('image/svg+xml').send(bakeSvg(svg, await deps.awards.signedJwt(award)));
  }));

  router.post('/credentials/:id/verify', asyncHandler(async (req, res) => {
    const { award } = await visibleAward(req);
    const signed = await deps.awards.withDataIntegrity(award);
    const [jwt, di] = await Promise.all([deps.credentials.verifier.verify(await deps.awards.signedJwt(award)), deps.credentials.verifier.verify(signed)]);
    const bot = isBot(req.get('user-agent'));
    // No IP address or verifier identity is stored: only where the verification came from.
    await recordEvent(deps.db, {
      tenantId: award.tenantId, type: 'verified', channel: sourceOf(req.get('referer'), req.query.src), isBot: bot, occurredAt: deps.clock.now(),
      courseId: award.courseId, moduleId: award.moduleId, badgeId: award.badgeId, awardId: award.id, learnerId: award.userId,
    });
    res.json({ verified: jwt.verified && di.verified, credentialId: jwt.credentialId, proofs: { 'vc-jwt': jwt, 'data-integrity': di } });
  }));

  return router;
}
