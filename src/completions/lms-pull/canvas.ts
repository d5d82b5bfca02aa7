// Canvas REST: graded submissions of a course, with each assignment's points
// (GET /api/v1/courses/:course_id/students/submissions?student_ids[]=all&include[]=assignment),
// following the Link header's rel="next" pages. The activity id is the assignment id.
import { getJson, LmsApiError, type PulledGrade } from './types.js';

type Submission = { user_id?: number | string; assignment_id?: number | string; score?: number | null; workflow_state?: string; graded_at?: string | null; submitted_at?: string | null; assignment?: { points_possible?: number | null } };

const nextLink = (link: string | null): string | null => {
  for (const part of (link ?? '').split(',')) {
    const m = /<([^>]+)>\s*;\s*rel="next"/.exec(part);
    if (m) return m[1]!;
  }
  return null;
};

export async function pullCanvasCourse(baseUrl: string, token: string, apiCourseId: string, timeoutMs = 10_000): Promise<PulledGrade[]> {
  const grades: PulledGrade[] = [];
  let url: string | null = `${baseUrl.replace(/\/+$/, '')}/api/v1/courses/${encodeURIComponent(apiCourseId)}/students/submissions?student_ids[]=all&include[]=assignment&per_page=100`;
  for (let page = 0; url && page < 500; page += 1) {
    const { body, headers } = await getJson(url, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } }, timeoutMs);
    if (!Array.isArray(body)) throw new LmsApiError('Canvas answered something other than a list of submissions');
    for (const s of body as Submission[]) {
      const max = s.assignment?.points_possible;
      if (s.workflow_state !== 'graded' || typeof s.score !== 'number' || typeof max !== 'number' || max <= 0 || s.user_id === undefined || s.assignment_id === undefined) continue;
      grades.push({ activityId: String(s.assignment_id), apiUserId: String(s.user_id), score: Math.max(0, Math.min(s.score, max)), maxScore: max, completedAt: s.graded_at ?? s.submitted_at ?? new Date().toISOString() });
    }
    url = nextLink(headers.get('link'));
  }
  return grades;
}

/** Module progress per learner (GET /api/v1/courses/:course_id/modules?student_id=…): a completed module counts in full. */
export async function pullCanvasModuleProgress(baseUrl: string, token: string, apiCourseId: string, apiUserIds: string[], timeoutMs = 10_000): Promise<PulledGrade[]> {
  const out: PulledGrade[] = [];
  for (const student of apiUserIds) {
    let url: string | null = `${baseUrl.replace(/\/+$/, '')}/api/v1/courses/${encodeURIComponent(apiCourseId)}/modules?student_id=${encodeURIComponent(student)}&per_page=100`;
    for (let page = 0; url && page < 50; page += 1) {
      const { body, headers } = await getJson(url, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } }, timeoutMs);
      if (!Array.isArray(body)) throw new LmsApiError('Canvas answered something other than a list of modules');
      for (const m of body as Array<{ id?: number | string; state?: string; completed_at?: string | null }>) {
        if (m.state !== 'completed' || m.id === undefined) continue;
        out.push({ activityId: String(m.id), apiUserId: student, score: 1, maxScore: 1, completedAt: m.completed_at ?? new Date().toISOString() });
      }
      url = nextLink(headers.get('link'));
    }
  }
  return out;
}
