// GET /app/analytics: the analytics panel inside the LMS frame (PRODUCT.md §6). Instructors see
// their course, admins their organisation (and any course or badge of it); filters live in the URL.
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Analytics, AnalyticsResult } from '../../analytics/index.js';
import type { AwardService } from '../../awards/index.js';
import type { CourseService } from '../../courses/index.js';
import type { Lti, LaunchSession } from '../../lti/index.js';
import { BadRequestError, ForbiddenError, NotFoundError, type Clock } from '../../shared/index.js';
import { asyncHandler, launchToken } from '../http.js';
import { presentPanel } from '../panel-presenter.js';
import type { Views } from '../views.js';
import { framedSession } from '../session.js';

const blank = (v: unknown) => (v === '' ? undefined : v);
const Day = z.preprocess(blank, z.iso.date({ error: 'dates must look like 2026-11-30' }).optional());
const Id = (what: string) => z.preprocess(blank, z.uuid({ error: `${what} is not a valid id` }).optional());

const PanelQuery = z.object({
  ltik: z.string(),
  from: Day,
  to: Day,
  courseId: Id('courseId'),
  badgeId: Id('badgeId'),
  status: z.preprocess(blank, z.enum(['pending', 'accepted', 'revoked', 'expired'], { error: 'status must be pending, accepted, revoked or expired' }).optional()),
  includeTest: z.preprocess(blank, z.enum(['true', 'on', 'false']).optional()),
  reminded: z.preprocess(blank, z.coerce.number().int().min(0).optional()),
  skipped: z.preprocess(blank, z.coerce.number().int().min(0).optional()),
}).strict();

const DAY = 86_400_000;
const day = (d: Date) => d.toISOString().slice(0, 10);

export function panelRouter(deps: { lti: Lti; views: Views; analytics: Analytics; courses: CourseService; awards: AwardService; clock: Clock }): Router {
  const router = Router();

  async function session(req: Request, res: Response): Promise<LaunchSession> {
    const s = await framedSession(deps.lti, req, res);
    if (s.view !== 'instructor' && s.view !== 'admin') throw new ForbiddenError('wrong_role', 'The analytics panel is for instructors and administrators.');
    if (s.view === 'instructor' && !s.courseId) throw new BadRequestError('no_course', 'This launch did not come from a course.');
    return s;
  }

  /** The course the panel shows (null: the organisation), never one outside the caller's reach. */
  async function courseInView(s: LaunchSession, q: z.infer<typeof PanelQuery>): Promise<string | null> {
    const own = s.view === 'instructor' ? s.courseId : null;
    if (q.badgeId) {
      const of = await deps.analytics.courseOf('badges', q.badgeId, s.tenantId);
      if (!of || (own && of !== own) || (q.courseId && of !== q.courseId)) throw new NotFoundError('badge_not_found', 'No such badge in your courses.');
      return of;
    }
    if (q.courseId) {
      const of = await deps.analytics.courseOf('courses', q.courseId, s.tenantId);
      if (!of || (own && of !== own)) throw new NotFoundError('course_not_found', 'No such course.');
      return of;
    }
    return own;
  }

  router.get('/analytics', asyncHandler(async (req, res) => {
    const s = await session(req, res);
    const parsed = PanelQuery.safeParse(req.query);
    if (!parsed.success) throw new BadRequestError('invalid_filter', parsed.error.issues.map((i) => i.message).join('; '));
    const q = parsed.data;
    const courseId = await courseInView(s, q);
    const now = deps.clock.now();
    // Whole UTC days (the last 30 by default), so the export links repeat exactly this range.
    const to = new Date(`${q.to ?? day(now)}T23:59:59.999Z`);
    const from = new Date(q.from ? `${q.from}T00:00:00.000Z` : Date.parse(`${day(to)}T00:00:00.000Z`) - 29 * DAY);
    if (from > to) throw new BadRequestError('invalid_range', 'The start date is after the end date.');
    const includeTest = q.includeTest === 'true' || q.includeTest === 'on';
    const scope = q.badgeId ? 'badge' : courseId ? 'course' : 'org';
    const [result, courseList, overview, learners] = await Promise.all([
      deps.analytics.compute({ scope, tenantId: s.tenantId, courseId, badgeId: q.badgeId ?? null, includeTest, from, to, ...(q.status ? { status: q.status } : {}) }),
      deps.courses.listCourses(s.tenantId),
      courseId ? deps.courses.overview(s.tenantId, courseId) : null,
      q.badgeId ? deps.awards.badgeLearners(s.tenantId, q.badgeId, { includeTest, ...(s.view === 'instructor' ? { courseId: s.courseId! } : {}) }) : null,
    ]);
    const course = courseList.find((c) => c.id === courseId) ?? null;
    const badge = q.badgeId ? overview?.badges.find((b) => b.id === q.badgeId) ?? null : null;
    const filters = { from: day(from), to: day(to), courseId: courseId ?? '', badgeId: q.badgeId ?? '', status: q.status ?? '', includeTest };
    const query = new URLSearchParams({ ltik: launchToken(req)!, from: filters.from, to: filters.to, ...(courseId ? { courseId } : {}), ...(q.badgeId ? { badgeId: q.badgeId } : {}), ...(q.status ? { status: q.status } : {}), ...(includeTest ? { includeTest: 'true' } : {}) });
    const link = (over: Record<string, string | null>) => {
      const u = new URLSearchParams(query);
      for (const [k, v] of Object.entries(over)) if (v === null) u.delete(k); else u.set(k, v);
      return `/app/analytics?${u}`;
    };
    const view = presentPanel(result);
    res.type('html').send(deps.views.render('panel', {
      title: badge ? `${badge.name} · analytics` : course ? 'Course analytics' : 'Organisation analytics',
      ltik: launchToken(req), frame: true, isTest: s.isTest, userName: s.user.name ?? 'there',
      courseTitle: course?.title || course?.label || (s.view === 'admin' ? 'All courses' : 'this course'),
      isAdmin: s.view === 'admin', scope, course, badge, filters, view,
      days: Math.round((to.getTime() - from.getTime()) / DAY),
      badgeOptions: (overview?.badges ?? []).map((b) => ({ id: b.id, name: b.name, selected: b.id === q.badgeId })),
      statusOptions: ['pending', 'accepted', 'revoked', 'expired'].map((v) => ({ value: v, selected: v === q.status })),
      courses: scope === 'org' ? coursesTable(result, courseList, link) : [],
      learners: learners ?? [], isBadgeScope: scope === 'badge', reminded: q.reminded, skipped: q.skipped,
      backLink: q.badgeId ? link({ badgeId: null }) : courseId && s.view === 'admin' ? link({ courseId: null, badgeId: null }) : null,
      badgeLinks: Object.fromEntries(result.badges.map((b) => [b.badgeId, link({ badgeId: b.badgeId, courseId: null })])),
      exportQuery: query.toString(),
      chartData: view.charts,
      scripts: ['/static/vendor/chart.umd.min.js'],
      moduleScripts: ['/static/js/panel.js'],
    }));
  }));

  return router;
}

/** Every course of the tenant, with its numbers for the range (zeros where nothing was awarded). */
function coursesTable(result: AnalyticsResult, list: Array<{ id: string; title: string; label: string }>, link: (o: Record<string, string | null>) => string) {
  const numbers = new Map(result.courses.map((c) => [c.courseId, c]));
  return list.map((c) => ({
    awarded: 0, accepted: 0, acceptanceRate: null, shareRate: null, views: 0, learnerEngagementScore: null,
    ...numbers.get(c.id), title: c.title || c.label || 'Untitled course', href: link({ courseId: c.id, badgeId: null }),
  }));
}
