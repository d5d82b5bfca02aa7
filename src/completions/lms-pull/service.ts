// LMS pull: with a connection an admin gives once (base URL + token), read graded work from the
// LMS's own API for each course with badges — on a schedule and on each instructor launch — and
// ingest it as completions. A grade already pulled is not stored again.
import type { Db } from '../../db/index.js';
import { BadRequestError, NotFoundError, createSecretBox, type Logger } from '../../shared/index.js';
import type { CompletionResult } from '../schema.js';
import { pullCanvasCourse, pullCanvasModuleProgress } from './canvas.js';
import { pullMoodleCompletion, pullMoodleCourse } from './moodle.js';
import type { PulledGrade } from './types.js';

export type LmsKind = 'canvas' | 'moodle';
type Ingest = (tenantId: string, items: unknown[], opts: { source: 'lms_pull'; courseScope?: string | null }) => Promise<CompletionResult[]>;

// Grades for every badge; completion states (which carry no score) only for badges whose rule is
// "completed", so a completion never bypasses a minimum score.
const ADAPTERS: Record<LmsKind, { grades: (base: string, token: string, courseId: string) => Promise<PulledGrade[]>; completion: (base: string, token: string, courseId: string, users: string[]) => Promise<PulledGrade[]> }> = {
  canvas: { grades: pullCanvasCourse, completion: pullCanvasModuleProgress },
  moodle: { grades: pullMoodleCourse, completion: pullMoodleCompletion },
};

export function createLmsPull(deps: { db: Db; ingest: Ingest; secretKey: string; logger: Logger }) {
  const box = createSecretBox(deps.secretKey, 'lms-connections');

  async function pullCourse(tenantId: string, courseId: string): Promise<{ pulled: number; results: CompletionResult[]; unknownLearners: number }> {
    const rows = await deps.db.query<{ platform_id: string; lms_api_id: string | null; kind: LmsKind | null; base_url: string | null; sealed_token: string | null }>(
      `select c.platform_id, c.lms_api_id, l.kind, l.base_url, l.sealed_token from courses c left join lms_connections l on l.platform_id = c.platform_id
       where c.tenant_id = $1 and c.id = $2`, [tenantId, courseId]);
    const c = rows[0];
    if (!c) throw new NotFoundError('course_not_found', 'No such course.');
    if (!c.kind || !c.base_url || !c.sealed_token || !c.lms_api_id) return { pulled: 0, results: [], unknownLearners: 0 };
    let grades: PulledGrade[];
    try {
      const token = box.open(c.sealed_token);
      const completedRule = await deps.db.query<{ external_id: string }>(
        `select m.external_id from modules m join badges b on b.module_id = m.id where m.tenant_id = $1 and m.course_id = $2 and m.external_id is not null and b.min_score = 0`,
        [tenantId, courseId]);
      const apiUsers = completedRule.length === 0 ? [] : (await deps.db.query<{ api_id: string }>(
        `select distinct coalesce(u.lms_api_id, u.lms_user_id) as api_id from enrolments e join users u on u.id = e.user_id
         where e.tenant_id = $1 and e.course_id = $2 and exists (select 1 from unnest(e.roles) r where r like '%#Learner' or r = 'Learner')`,
        [tenantId, courseId])).map((r) => r.api_id);
      const completedIds = new Set(completedRule.map((r) => r.external_id));
      const [fromGrades, fromCompletion] = await Promise.all([
        ADAPTERS[c.kind].grades(c.base_url, token, c.lms_api_id),
        apiUsers.length ? ADAPTERS[c.kind].completion(c.base_url, token, c.lms_api_id, apiUsers) : Promise.resolve([]),
      ]);
      grades = [...fromGrades, ...fromCompletion.filter((g) => completedIds.has(g.activityId))];
      await deps.db.query('update lms_connections set last_run_at = now(), last_error = null where platform_id = $1', [c.platform_id]);
    } catch (err) {
      await deps.db.query('update lms_connections set last_run_at = now(), last_error = $2 where platform_id = $1', [c.platform_id, (err as Error).message]);
      throw err;
    }
    // Only activities that carry a badge matter; a grade pulled before is not stored again.
    const activities = new Set((await deps.db.query<{ external_id: string }>(
      `select m.external_id from modules m join badges b on b.module_id = m.id where m.tenant_id = $1 and m.course_id = $2 and m.external_id is not null`,
      [tenantId, courseId])).map((r) => r.external_id));
    const relevant = grades.filter((g) => activities.has(g.activityId));
    const learners = await deps.db.query<{ lms_api_id: string; lms_user_id: string }>(
      'select lms_api_id, lms_user_id from users where tenant_id = $1 and platform_id = $2 and lms_api_id = any($3::text[])',
      [tenantId, c.platform_id, [...new Set(relevant.map((g) => g.apiUserId))]]);
    const learnerOf = new Map(learners.map((l) => [l.lms_api_id, l.lms_user_id]));
    const seen = new Set((await deps.db.query<{ key: string }>(
      `select m.external_id || chr(10) || coalesce(u.lms_api_id, u.lms_user_id) || chr(10) || to_char(cp.completed_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') as key
       from completions cp join modules m on m.id = cp.module_id join users u on u.id = cp.user_id
       where cp.tenant_id = $1 and cp.course_id = $2 and cp.source = 'lms_pull'`, [tenantId, courseId])).map((r) => r.key));
    let unknownLearners = 0;
    const items = relevant.flatMap((g) => {
      // Moodle's LTI user id is its API user id; Canvas's is not, so an unseen Canvas learner waits for a launch.
      const learner = learnerOf.get(g.apiUserId) ?? (c.kind === 'moodle' ? g.apiUserId : undefined);
      if (!learner) {
        unknownLearners += 1;
        return [];
      }
      if (seen.has(`${g.activityId}\n${g.apiUserId}\n${g.completedAt.slice(0, 19)}`)) return [];
      return [{ courseId, moduleId: g.activityId, learner: { id: learner }, score: g.score, maxScore: g.maxScore, completedAt: g.completedAt }];
    });
    const results = items.length ? await deps.ingest(tenantId, items, { source: 'lms_pull', courseScope: courseId }) : [];
    return { pulled: grades.length, results, unknownLearners };
  }

  return {
    pullCourse,

    async connect(platformId: string, kind: string, baseUrl: string, token: string): Promise<void> {
      if (kind !== 'canvas' && kind !== 'moodle') throw new BadRequestError('invalid_kind', '--kind must be canvas or moodle');
      if (!/^https?:\/\/[^\s]+$/.test(baseUrl)) throw new BadRequestError('invalid_url', '--base-url must be an http(s) URL');
      if (!token.trim()) throw new BadRequestError('invalid_token', '--token is required');
      const rows = await deps.db.query(
        `insert into lms_connections (tenant_id, platform_id, kind, base_url, sealed_token)
         select tenant_id, id, $2, $3, $4 from platforms where id = $1
         on conflict (platform_id) do update set kind = excluded.kind, base_url = excluded.base_url, sealed_token = excluded.sealed_token, last_error = null
         returning platform_id`,
        [platformId, kind, baseUrl.replace(/\/+$/, ''), box.seal(token.trim())]);
      if (rows.length === 0) throw new NotFoundError('platform_not_found', `unknown platform: ${platformId}`);
    },

    /** Every connected course with badges; errors are logged per course and the run goes on. */
    async pullAll(): Promise<number> {
      const courses = await deps.db.query<{ tenant_id: string; id: string }>(
        `select distinct c.tenant_id, c.id from courses c join lms_connections l on l.platform_id = c.platform_id join badges b on b.course_id = c.id`);
      for (const c of courses) {
        await pullCourse(c.tenant_id, c.id).catch((err) => deps.logger.warn('LMS pull failed', { course: c.id, error: (err as Error).message }));
      }
      return courses.length;
    },
  };
}

export type LmsPull = ReturnType<typeof createLmsPull>;
