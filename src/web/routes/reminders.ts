// "Remind unclaimed" from the analytics panel: instructors for a badge of their own course, admins
// for any badge of the tenant. Answers JSON to scripts and a redirect back to the panel to forms.
import express, { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { AwardService } from '../../awards/index.js';
import type { Lti } from '../../lti/index.js';
import { BadRequestError, ForbiddenError, NotFoundError } from '../../shared/index.js';
import { asyncHandler, launchToken, wantsJson } from '../http.js';
import { framedSession } from '../session.js';

const BadgeParam = z.object({ badgeId: z.uuid() });
const flag = z.union([z.boolean(), z.enum(['true', 'false', '1', '0', 'on']).transform((v) => v === 'true' || v === '1' || v === 'on')]);
const RemindBody = z.object({
  ltik: z.string().optional(),
  // One learner (the row's button), or several (checkboxes send the field more than once).
  awardId: z.union([z.uuid(), z.array(z.uuid()).min(1).max(1000)]).optional(),
  includeTest: flag.optional(),
  // The panel's filters, carried back to it unchanged (PRODUCT.md §6: filters live in the URL).
  from: z.iso.date().optional(),
  to: z.iso.date().optional(),
  status: z.enum(['pending', 'accepted', 'revoked', 'expired']).optional(),
});

export function remindersRouter(deps: { lti: Lti; awards: AwardService }): Router {
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: '64kb' });
  const json = express.json({ limit: '64kb' });

  /** The session's reach: an instructor's own course, or (admin) the whole tenant. */
  async function scope(req: Request, res: Response): Promise<{ tenantId: string; courseId?: string }> {
    const s = await framedSession(deps.lti, req, res);
    if (s.view === 'admin') return { tenantId: s.tenantId };
    if (s.view !== 'instructor') throw new ForbiddenError('wrong_role', 'Only instructors can remind learners.');
    if (!s.courseId) throw new BadRequestError('no_course', 'This launch did not come from a course.');
    return { tenantId: s.tenantId, courseId: s.courseId };
  }

  router.post('/badges/:badgeId/remind', form, json, asyncHandler(async (req, res) => {
    const who = await scope(req, res);
    const param = BadgeParam.safeParse(req.params);
    if (!param.success) throw new NotFoundError('badge_not_found', 'No such badge in this course.');
    const body = RemindBody.safeParse(req.body ?? {});
    if (!body.success) throw new BadRequestError('invalid_request', 'Choose learners of this badge to remind.');
    const { awardId, includeTest } = body.data;
    const result = await deps.awards.remindUnclaimed(who.tenantId, param.data.badgeId, {
      ...(who.courseId ? { courseId: who.courseId } : {}),
      ...(awardId ? { awardIds: Array.isArray(awardId) ? awardId : [awardId] } : {}),
      ...(includeTest !== undefined ? { includeTest } : {}),
    });
    if (wantsJson(req)) {
      res.json(result);
      return;
    }
    const { from, to, status } = body.data;
    const back = new URLSearchParams({
      ltik: launchToken(req)!, badgeId: param.data.badgeId, ...(from ? { from } : {}), ...(to ? { to } : {}), ...(status ? { status } : {}), ...(includeTest ? { includeTest: 'true' } : {}),
      reminded: String(result.queued), skipped: String(result.skipped.length),
    });
    res.redirect(303, `/app/analytics?${back.toString()}`);
  }));

  return router;
}
