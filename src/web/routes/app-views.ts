// The views a launch opens: instructor course panel, learner "my badges", admin organisation view,
// and the deep-linking picker. Each needs the launch token and the right kind of session.
import express, { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import multer from 'multer';
import type { AwardService } from '../../awards/index.js';
import { IMAGE_MAX_BYTES, type BadgeCatalog, type CourseService } from '../../courses/index.js';
import type { Lti, LaunchSession } from '../../lti/index.js';
import { AppError, BadRequestError, ForbiddenError } from '../../shared/index.js';
import type { TenantService } from '../../tenancy/index.js';
import { asyncHandler, launchToken } from '../http.js';
import type { Views } from '../views.js';
import { framedSession } from '../session.js';

const DeepLinkForm = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('course'), ltik: z.string() }),
  z.object({ kind: z.literal('module'), ltik: z.string(), moduleId: z.string().optional(), newModuleTitle: z.string().optional() }),
]);

export function appViewsRouter(deps: { lti: Lti; views: Views; courses: CourseService; tenants: TenantService; badges: BadgeCatalog; awards: AwardService }): Router {
  const { lti, views, courses } = deps;
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: '64kb' });

  async function session(req: Request, res: Response, allowed: LaunchSession['view'][]): Promise<LaunchSession> {
    const s = await framedSession(lti, req, res);
    if (!allowed.includes(s.view)) throw new ForbiddenError('wrong_role', 'Your role in this course does not give access to this page.');
    return s;
  }

  const common = (s: LaunchSession, token: string) => ({
    ltik: token,
    frame: true,
    userName: s.user.name ?? 'there',
    courseTitle: s.course?.title || s.course?.label || 'this course',
    isTest: s.isTest,
  });

  router.get('/course', asyncHandler(async (req, res) => {
    const s = await session(req, res, ['instructor', 'admin']);
    if (!s.courseId) throw new BadRequestError('no_course', 'This launch did not come from a course.');
    const overview = await courses.overview(s.tenantId, s.courseId);
    res.type('html').send(views.render('course', { title: 'Course badges', ...common(s, launchToken(req)!), ...overview }));
  }));

  router.get('/me', asyncHandler(async (req, res) => {
    const s = await session(req, res, ['learner', 'instructor', 'admin']);
    const mine = await deps.awards.ofLearner(s.tenantId, s.userId);
    const day = (d: Date | null) => d?.toISOString().slice(0, 10) ?? null;
    const present = (a: (typeof mine.pending)[number]) => ({ ...a, awardedOn: day(a.awardedAt), expiresOn: day(a.validUntil) });
    res.type('html').send(views.render('me', { title: 'My badges', ...common(s, launchToken(req)!), pending: mine.pending.map(present), earned: mine.earned.map(present), scripts: ['/static/js/share.js'] }));
  }));

  router.get('/org', asyncHandler(async (req, res) => {
    const s = await session(req, res, ['admin']);
    const [tenant, list, platforms] = await Promise.all([
      deps.tenants.requireTenant(s.tenantId),
      courses.listCourses(s.tenantId),
      lti.platforms.list(s.tenantId),
    ]);
    res.type('html').send(views.render('org', {
      title: 'Organisation badges',
      ...common(s, launchToken(req)!),
      tenantName: tenant.name,
      courses: list,
      platforms: platforms.map((p) => ({ name: p.name || p.issuer, issuer: p.issuer, deployments: p.deploymentIds.length, active: p.active })),
    }));
  }));

  router.get('/deep-link', asyncHandler(async (req, res) => {
    const s = await session(req, res, ['deep_linking']);
    requireInstructorRole(s);
    const overview = s.courseId ? await courses.overview(s.tenantId, s.courseId) : { modules: [], badges: [] };
    res.type('html').send(views.render('deep-link', { title: 'Place Badgetrail', ...common(s, launchToken(req)!), modules: overview.modules }));
  }));

  router.post('/deep-link', form, asyncHandler(async (req, res) => {
    const s = await session(req, res, ['deep_linking']);
    requireInstructorRole(s);
    const parsed = DeepLinkForm.safeParse(req.body);
    if (!parsed.success) throw new BadRequestError('invalid_choice', 'Choose the course badge page or a module.');
    const choice = parsed.data;
    let result;
    if (choice.kind === 'course') {
      result = await lti.deepLinking.respond(s, { kind: 'course', title: 'Course badges' });
    } else {
      if (!s.courseId) throw new BadRequestError('no_course', 'A module link needs a course.');
      let module: { id: string; title: string };
      if (choice.moduleId) {
        await courses.requireModule(s.tenantId, s.courseId, choice.moduleId);
        const found = (await courses.overview(s.tenantId, s.courseId)).modules.find((m) => m.id === choice.moduleId)!;
        module = { id: found.id, title: found.title };
      } else {
        module = await courses.createModule(s.tenantId, s.courseId, choice.newModuleTitle ?? '');
      }
      result = await lti.deepLinking.respond(s, { kind: 'module', moduleId: module.id, title: `${module.title}: claim your badge` });
    }
    res.type('html').send(views.render('deep-link-return', { title: 'Returning to the course', returnUrl: result.returnUrl, jwt: result.jwt, scripts: ['/static/js/autosubmit.js'] }));
  }));

  // The badge form: multipart, so an image can come along; one file, checked by size and content.
  const upload = multer({ storage: multer.memoryStorage(), limits: { fileSize: IMAGE_MAX_BYTES, files: 1, fields: 20 } });
  const uploadImage = (req: Request, res: Response, next: (err?: unknown) => void) =>
    upload.single('image')(req, res, (err: unknown) => {
      if (err instanceof multer.MulterError && err.code === 'LIMIT_FILE_SIZE') next(new BadRequestError('image_too_large', `The image is larger than ${IMAGE_MAX_BYTES / 1024} KB.`));
      else if (err instanceof multer.MulterError) next(new BadRequestError('invalid_upload', err.message));
      else next(err);
    });

  router.get('/badges/new', asyncHandler(async (req, res) => {
    const s = await session(req, res, ['instructor', 'admin']);
    if (!s.courseId) throw new BadRequestError('no_course', 'This launch did not come from a course.');
    const overview = await courses.overview(s.tenantId, s.courseId);
    res.type('html').send(views.render('badge-form', { title: 'Define a badge', ...common(s, launchToken(req)!), modules: overview.modules.filter((m) => m.badgeCount === 0), values: {} }));
  }));

  router.post('/badges', uploadImage, asyncHandler(async (req, res) => {
    const s = await session(req, res, ['instructor', 'admin']);
    if (!s.courseId) throw new BadRequestError('no_course', 'This launch did not come from a course.');
    const f = req.body as Record<string, string | undefined>;
    const overview = await courses.overview(s.tenantId, s.courseId);
    let imageId: string | null = null;
    try {
      const module = overview.modules.find((m) => m.id === f.moduleId);
      imageId = req.file ? await deps.badges.storeImage(s.tenantId, new Uint8Array(req.file.buffer)) : null;
      const minScore = f.minScore?.trim() ? Number(f.minScore) / 100 : 0;
      await deps.badges.create(s.tenantId, {
        courseId: s.courseId,
        moduleId: module?.id ?? 'new',
        moduleTitle: module?.title ?? f.newModuleTitle ?? '',
        name: f.name ?? '',
        description: f.description ?? '',
        criteria: f.criteria ?? '',
        ...(f.imageUrl?.trim() ? { imageUrl: f.imageUrl.trim() } : {}),
        skills: (f.skills ?? '').split(/[\n,]/).map((x) => x.trim()).filter(Boolean).map((name) => ({ name })),
        ...(f.pathway?.trim() ? { pathway: f.pathway.trim() } : {}),
        rule: { minScore },
        ...(f.validForDays?.trim() ? { validForDays: Number(f.validForDays) } : {}),
      }, { imageId, existingModuleId: module?.id ?? null, newModule: !module });
      res.redirect(303, `/app/course?ltik=${encodeURIComponent(launchToken(req)!)}`);
    } catch (err) {
      if (imageId) await deps.badges.deleteImage(imageId); // bad input changes nothing
      // Show the form again with what was typed and the reason, instead of a bare error page.
      if (!(err instanceof AppError) || err.status >= 500) throw err;
      res.status(err.status).type('html').send(views.render('badge-form', {
        title: 'Define a badge', ...common(s, launchToken(req)!), modules: overview.modules.filter((m) => m.badgeCount === 0), values: f, error: err.message,
      }));
    }
  }));

  return router;
}

function requireInstructorRole(s: LaunchSession): void {
  const teaching = /#(Instructor|ContentDeveloper|TeachingAssistant|Administrator)$|^(Instructor|ContentDeveloper|TeachingAssistant)$/;
  if (!s.roles.some((r) => teaching.test(r))) throw new ForbiddenError('wrong_role', 'Only instructors can place Badgetrail in a course.');
}
