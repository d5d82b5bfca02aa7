// LTI endpoints at the stable URLs of PRODUCT.md §7. Thin: parse, call the lti boundary, answer.
import express, { Router } from 'express';
import type { CompletionService } from '../../completions/index.js';
import { canvasConfiguration, CUSTOM_MODULE, CUSTOM_TARGET, type Lti, type LaunchSession } from '../../lti/index.js';
import { asyncHandler } from '../http.js';
import { setFrameAncestors } from '../security.js';
import type { Views } from '../views.js';

export const viewPath: Record<LaunchSession['view'], string> = {
  instructor: '/app/course',
  learner: '/app/me',
  admin: '/app/org',
  deep_linking: '/app/deep-link',
};

export function ltiRouter(deps: { lti: Lti; views: Views; publicUrl: string; completions: CompletionService; onInstructorLaunch?: (tenantId: string, courseId: string) => void }): Router {
  const { lti, views } = deps;
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: '64kb' });
  // Protocol pages carry no session and no actionable UI, and render inside LMS frames whose origin
  // we cannot know yet (a registration in progress, a first Canvas launch from an institution
  // domain): any ancestor may frame them. The session views are restricted to the tenant's origins.
  router.use((_req, res, next) => {
    setFrameAncestors(res, ['*']);
    next();
  });

  const login = asyncHandler(async (req, res) => {
    const params = { ...(req.query as Record<string, unknown>), ...((req.body as Record<string, unknown>) ?? {}) };
    const redirect = await lti.login.initiate(params);
    if (!redirect.storageTarget) {
      res.redirect(302, redirect.authUrl);
      return;
    }
    // LTI platform storage (Canvas): keep state and nonce in the platform's frame before leaving.
    res.type('html').send(views.render('login-storage', {
      title: 'Signing in',
      authUrl: redirect.authUrl,
      state: redirect.state,
      nonce: redirect.nonce,
      storageTarget: redirect.storageTarget,
      platformOrigin: redirect.platformOrigin,
      scripts: ['/static/js/lti-storage.js'],
    }));
  });
  router.get('/login', login);
  router.post('/login', form, login);

  router.post('/launch', form, asyncHandler(async (req, res) => {
    const context = await lti.launches.validate(req.body);
    const { token, session } = await lti.sessions.start(context);
    // An instructor's launch refreshes the course roster (NRPS), so unlaunched learners are known.
    if (session.view === 'instructor' && session.courseId) {
      await lti.roster.sync(context, session.courseId);
      deps.onInstructorLaunch?.(session.tenantId, session.courseId);
    }
    // A learner opening a placed module completion link has completed that module.
    const moduleId = session.custom[CUSTOM_MODULE];
    if (session.view === 'learner' && session.custom[CUSTOM_TARGET] === 'module' && moduleId && session.courseId) {
      await deps.completions.recordLaunch({ tenantId: session.tenantId, courseId: session.courseId, lmsContextId: session.course!.lmsContextId, moduleId, lmsUserId: session.user.lmsUserId });
    }
    res.redirect(303, `${viewPath[session.view]}?ltik=${encodeURIComponent(token)}`);
  }));

  router.get('/register', asyncHandler(async (req, res) => {
    const platform = await lti.registration.register(req.query);
    res.type('html').send(views.render('registered', {
      title: 'Badgetrail registered',
      platformName: platform.name,
      active: platform.active,
      scripts: ['/static/js/lti-close.js'],
    }));
  }));

  router.get('/config/canvas.json', (_req, res) => {
    res.json(canvasConfiguration(deps.publicUrl));
  });

  // ltijs's app serves the tool keyset (/lti/keys); anything else under /lti it refuses.
  router.use(lti.ltijsApp);
  return router;
}
