// The learner's actions: claiming from a notification link (first-party page, CSRF-checked form),
// claiming inside the LMS frame, sharing, and the visibility switch. An award is only ever acted
// on by its own learner.
import express, { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Award, AwardService } from '../../awards/index.js';
import type { BadgeCatalog } from '../../courses/index.js';
import { linkedInAddToProfileUrl, type Credentials } from '../../credentials/index.js';
import type { Db } from '../../db/index.js';
import { recordEvent } from '../../events/index.js';
import type { Lti, LaunchSession } from '../../lti/index.js';
import { BadRequestError, ForbiddenError, NotFoundError, type Clock } from '../../shared/index.js';
import { createCsrf } from '../csrf.js';
import { asyncHandler, launchToken } from '../http.js';
import type { Views } from '../views.js';
import { framedSession } from '../session.js';

export const SHARE_CHANNELS = ['linkedin_profile', 'linkedin_post', 'x', 'facebook', 'email', 'copy_link', 'embed', 'download'] as const;
const ShareBody = z.object({ channel: z.enum(SHARE_CHANNELS), ltik: z.string().optional() });
const VisibilityBody = z.object({ public: z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]), ltik: z.string().optional() });

export function learnerRouter(deps: { db: Db; awards: AwardService; badges: BadgeCatalog; credentials: Credentials; lti: Lti; views: Views; clock: Clock; secretKey: string }): Router {
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: '16kb' });
  const json = express.json({ limit: '16kb' });
  const csrf = createCsrf(deps.secretKey, () => deps.clock.now());

  async function ownAward(req: Request, res: Response): Promise<{ award: Award; session: LaunchSession }> {
    const session = await framedSession(deps.lti, req, res);
    const award = await deps.awards.find(String(req.params.id));
    // Another learner's award does not exist for this session.
    if (!award || award.tenantId !== session.tenantId || award.userId !== session.userId) throw new NotFoundError('award_not_found', 'No such award among your badges.');
    return { award, session };
  }

  async function claimPage(res: Response, token: string, award: Award, extra: Record<string, unknown> = {}) {
    const badge = (await deps.badges.get(award.badgeId))!;
    const issuer = (await deps.credentials.issuerDocs.issuer(award.tenantId))!;
    res.type('html').send(deps.views.render('claim', {
      title: `Claim ${badge.name}`, badge, issuer, image: deps.credentials.badgeImageUrl(badge), token,
      csrf: csrf.issue(`claim:${award.id}`), accepted: !!award.acceptedAt, url: deps.credentials.urls.credential(award.id),
      awardedOn: award.awardedAt.toISOString().slice(0, 10), ...extra,
    }));
  }

  router.get('/claim/:token', asyncHandler(async (req, res) => {
    const award = await deps.awards.byClaimToken(String(req.params.token));
    await claimPage(res, String(req.params.token), award);
  }));

  router.post('/claim/:token', form, asyncHandler(async (req, res) => {
    const award = await deps.awards.byClaimToken(String(req.params.token));
    if (!csrf.valid(`claim:${award.id}`, (req.body as Record<string, unknown>)?.csrf)) throw new ForbiddenError('invalid_csrf', 'This form has expired. Reload the page and press Accept again.');
    const { award: accepted } = await deps.awards.accept(award, 'email');
    await claimPage(res, String(req.params.token), accepted, { justAccepted: true });
  }));

  // Inside the LMS frame: the launch token proves the learner.
  router.post('/app/awards/:id/accept', form, asyncHandler(async (req, res) => {
    const { award } = await ownAward(req, res);
    await deps.awards.accept(award, 'lms');
    res.redirect(303, `/app/me?ltik=${encodeURIComponent(launchToken(req)!)}`);
  }));

  router.post('/me/awards/:id/visibility', form, json, asyncHandler(async (req, res) => {
    const { award } = await ownAward(req, res);
    const parsed = VisibilityBody.safeParse(req.body);
    if (!parsed.success) throw new BadRequestError('invalid_visibility', 'Send {"public": true} or {"public": false}.');
    const updated = await deps.awards.setVisibility(award, parsed.data.public);
    if (req.is('application/x-www-form-urlencoded')) {
      res.redirect(303, `/app/me?ltik=${encodeURIComponent(launchToken(req)!)}`);
      return;
    }
    res.json({ public: updated.isPublic });
  }));

  router.post('/me/awards/:id/share', form, json, asyncHandler(async (req, res) => {
    const { award } = await ownAward(req, res);
    const parsed = ShareBody.safeParse(req.body);
    if (!parsed.success) throw new BadRequestError('invalid_channel', `channel must be one of ${SHARE_CHANNELS.join(', ')}.`);
    if (award.revokedAt) throw new BadRequestError('award_revoked', 'A revoked badge cannot be shared.');
    // Sharing a link means the page must be visible: sharing makes the badge public (recorded).
    const shared = parsed.data.channel === 'download' ? award : await deps.awards.setVisibility(award, true);
    const badge = (await deps.badges.get(award.badgeId))!;
    const issuer = (await deps.credentials.issuerDocs.issuer(award.tenantId))!;
    const url = shareUrl(parsed.data.channel, deps.credentials.urls.credential(award.id), badge.name, issuer.name, shared, deps.credentials.badgeImageUrl(badge));
    await recordEvent(deps.db, { tenantId: award.tenantId, type: 'shared', channel: parsed.data.channel, occurredAt: deps.clock.now(), courseId: award.courseId, moduleId: award.moduleId, badgeId: award.badgeId, awardId: award.id, learnerId: award.userId });
    res.json({ channel: parsed.data.channel, url, public: shared.isPublic });
  }));

  return router;
}

/** The link or snippet each channel needs; every shared link carries its `src` tag. */
function shareUrl(channel: (typeof SHARE_CHANNELS)[number], credentialUrl: string, badgeName: string, issuerName: string, award: Award, image: string): string {
  const tagged = (src: string) => `${credentialUrl}?src=${src}`;
  const text = `I earned "${badgeName}" from ${issuerName}.`;
  switch (channel) {
    case 'linkedin_profile':
      return linkedInAddToProfileUrl({ name: badgeName, organizationName: issuerName, issuedAt: award.awardedAt, expiresAt: award.validUntil, credentialUrl, credentialId: award.id });
    case 'linkedin_post':
      return `https://www.linkedin.com/sharing/share-offsite/?url=${encodeURIComponent(tagged('linkedin'))}`;
    case 'x':
      return `https://twitter.com/intent/tweet?text=${encodeURIComponent(text)}&url=${encodeURIComponent(tagged('x'))}`;
    case 'facebook':
      return `https://www.facebook.com/sharer/sharer.php?u=${encodeURIComponent(tagged('facebook'))}`;
    case 'email':
      return `mailto:?subject=${encodeURIComponent(badgeName)}&body=${encodeURIComponent(`${text} ${tagged('email')}`)}`;
    case 'copy_link':
      return credentialUrl;
    case 'embed':
      return `<a href="${tagged('embed')}"><img src="${image}" alt="${badgeName.replace(/"/g, '&quot;')}" width="120" height="120"></a>`;
    case 'download':
      return `${credentialUrl}/baked.svg`;
  }
}
