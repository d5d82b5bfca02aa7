// Instructor actions in the course panel: CSV upload (preview with per-row problems, then confirm)
// and manual awards. Both become completions of the course, so awarding stays idempotent.
import express, { Router, type Request, type Response } from 'express';
import multer from 'multer';
import { z } from 'zod';
import { parseCompletionsCsv, type CompletionService } from '../../completions/index.js';
import type { CourseService } from '../../courses/index.js';
import type { Lti, LaunchSession } from '../../lti/index.js';
import { BadRequestError, ForbiddenError, type Clock } from '../../shared/index.js';
import { asyncHandler, launchToken } from '../http.js';
import type { Views } from '../views.js';
import { framedSession } from '../session.js';

const ConfirmedRows = z.array(z.object({
  row: z.number().int(), learnerId: z.string().min(1).max(255), email: z.string().email().nullable(), name: z.string().max(200).nullable(),
  moduleId: z.uuid(), moduleTitle: z.string(), score: z.number().min(0), maxScore: z.number().positive(), completedAt: z.iso.datetime({ offset: true }),
}).strict()).min(1).max(5000);

export function instructorRouter(deps: { lti: Lti; views: Views; courses: CourseService; completions: CompletionService; clock: Clock }): Router {
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: '4mb' });
  const upload = multer({ storage: multer.memoryStorage(), limits: { fileSize: 2 * 1024 * 1024, files: 1, fields: 10 } });

  async function instructor(req: Request, res: Response): Promise<LaunchSession & { courseId: string }> {
    const s = await framedSession(deps.lti, req, res);
    if (s.view !== 'instructor' && s.view !== 'admin') throw new ForbiddenError('wrong_role', 'Only instructors can award badges in this course.');
    if (!s.courseId) throw new BadRequestError('no_course', 'This launch did not come from a course.');
    return s as LaunchSession & { courseId: string };
  }
  const base = (s: LaunchSession, req: Request) => ({ ltik: launchToken(req)!, frame: true, courseTitle: s.course?.title || 'this course', isTest: s.isTest });

  router.get('/csv', asyncHandler(async (req, res) => {
    const s = await instructor(req, res);
    const { modules } = await deps.courses.overview(s.tenantId, s.courseId);
    res.type('html').send(deps.views.render('csv', { title: 'Upload completions', ...base(s, req), modules: modules.filter((m) => m.badgeCount > 0) }));
  }));

  router.post('/csv/preview', (req, res, next) => upload.single('file')(req, res, (err: unknown) => next(err instanceof multer.MulterError ? new BadRequestError('invalid_upload', err.code === 'LIMIT_FILE_SIZE' ? 'The file is larger than 2 MB.' : err.message) : err)), asyncHandler(async (req, res) => {
    const s = await instructor(req, res);
    const text = req.file ? req.file.buffer.toString('utf8') : String((req.body as Record<string, unknown>)?.csv ?? '');
    if (!text.trim()) throw new BadRequestError('empty_csv', 'Choose a CSV file (or paste its text).');
    const { modules } = await deps.courses.overview(s.tenantId, s.courseId);
    const parsed = parseCompletionsCsv(text, modules.filter((m) => m.badgeCount > 0), deps.clock.now());
    res.status(parsed.rows.length === 0 ? 400 : 200).type('html').send(deps.views.render('csv-preview', {
      title: 'Check the upload', ...base(s, req), rows: parsed.rows, problems: parsed.problems, rowsJson: JSON.stringify(parsed.rows),
    }));
  }));

  router.post('/csv/confirm', form, asyncHandler(async (req, res) => {
    const s = await instructor(req, res);
    let raw: unknown;
    try {
      raw = JSON.parse(String((req.body as Record<string, unknown>)?.rows ?? ''));
    } catch {
      throw new BadRequestError('invalid_rows', 'The confirmed rows are missing; upload the file again.');
    }
    const rows = ConfirmedRows.safeParse(raw);
    if (!rows.success) throw new BadRequestError('invalid_rows', 'The confirmed rows are not valid; upload the file again.');
    const results = await deps.completions.ingest(s.tenantId, rows.data.map((r) => ({
      courseId: s.courseId, moduleId: r.moduleId, learner: { id: r.learnerId, ...(r.email ? { email: r.email } : {}), ...(r.name ? { name: r.name } : {}) },
      score: r.score, maxScore: r.maxScore, completedAt: r.completedAt,
    })), { source: 'csv', courseScope: s.courseId });
    const counts = results.reduce<Record<string, number>>((acc, r) => ({ ...acc, [r.status]: (acc[r.status] ?? 0) + 1 }), {});
    res.type('html').send(deps.views.render('csv-done', { title: 'Upload imported', ...base(s, req), counts: Object.entries(counts).map(([status, n]) => ({ status, n })) }));
  }));

  router.get('/awards/new', asyncHandler(async (req, res) => {
    const s = await instructor(req, res);
    const [{ modules }, learners] = await Promise.all([deps.courses.overview(s.tenantId, s.courseId), deps.courses.learners(s.tenantId, s.courseId)]);
    res.type('html').send(deps.views.render('manual-award', { title: 'Award a badge', ...base(s, req), modules: modules.filter((m) => m.badgeCount > 0), learners }));
  }));

  router.post('/awards/manual', form, asyncHandler(async (req, res) => {
    const s = await instructor(req, res);
    const body = req.body as Record<string, string | undefined>;
    const learners = await deps.courses.learners(s.tenantId, s.courseId);
    const learner = learners.find((l) => l.id === body.learnerId);
    if (!learner) throw new BadRequestError('unknown_learner', 'Choose a learner of this course.');
    // A manual award is the instructor's decision: it counts as a full score.
    const [result] = await deps.completions.ingest(s.tenantId, [{ courseId: s.courseId, moduleId: body.moduleId ?? '', learner: { id: learner.lmsUserId }, score: 1, maxScore: 1, completedAt: deps.clock.now().toISOString() }], { source: 'manual', courseScope: s.courseId });
    if (!result || (result.status !== 'awarded' && result.status !== 'duplicate')) throw new BadRequestError('not_awarded', 'Choose a module of this course that has a badge.');
    res.redirect(303, `/app/course?ltik=${encodeURIComponent(launchToken(req)!)}&awarded=${result.status}`);
  }));

  return router;
}
