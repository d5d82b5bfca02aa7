// Moodle web services: every user's grade items of a course (gradereport_user_get_grade_items,
// REST protocol, JSON format). The activity id is the course module id (cmid).
import { getJson, LmsApiError, type PulledGrade } from './types.js';

type GradeItem = { cmid?: number; itemtype?: string; graderaw?: number | null; grademax?: number; gradedategraded?: number | null; gradedatesubmitted?: number | null };
type Answer = { usergrades?: Array<{ userid?: number; gradeitems?: GradeItem[] }>; exception?: string; errorcode?: string; message?: string };

export async function pullMoodleCourse(baseUrl: string, token: string, apiCourseId: string, timeoutMs = 10_000): Promise<PulledGrade[]> {
  const url = new URL(`${baseUrl.replace(/\/+$/, '')}/webservice/rest/server.php`);
  const body = new URLSearchParams({ wstoken: token, wsfunction: 'gradereport_user_get_grade_items', moodlewsrestformat: 'json', courseid: apiCourseId });
  const { body: answer } = await getJson(url.toString(), { method: 'POST', body, headers: { accept: 'application/json' } }, timeoutMs);
  const a = answer as Answer;
  // Moodle reports web service errors with HTTP 200 and an exception object.
  if (a.exception) throw new LmsApiError(`Moodle refused ${body.get('wsfunction')}: ${a.errorcode ?? a.exception} ${a.message ?? ''}`.trim());
  const grades: PulledGrade[] = [];
  for (const user of a.usergrades ?? []) {
    for (const item of user.gradeitems ?? []) {
      if (item.itemtype !== 'mod' || typeof item.cmid !== 'number' || typeof item.graderaw !== 'number' || typeof item.grademax !== 'number' || item.grademax <= 0 || user.userid === undefined) continue;
      const when = item.gradedategraded ?? item.gradedatesubmitted;
      grades.push({ activityId: String(item.cmid), apiUserId: String(user.userid), score: Math.max(0, Math.min(item.graderaw, item.grademax)), maxScore: item.grademax, completedAt: when ? new Date(when * 1000).toISOString() : new Date().toISOString() });
    }
  }
  return grades;
}

/**
 * Activity completion per learner (core_completion_get_activities_completion_status): state 1
 * (complete) and 2 (complete, passed) count in full; 3 (complete, failed) is not a completion a
 * "completed" badge rewards, so it is left out.
 */
export async function pullMoodleCompletion(baseUrl: string, token: string, apiCourseId: string, apiUserIds: string[], timeoutMs = 10_000): Promise<PulledGrade[]> {
  const out: PulledGrade[] = [];
  for (const userid of apiUserIds) {
    const body = new URLSearchParams({ wstoken: token, wsfunction: 'core_completion_get_activities_completion_status', moodlewsrestformat: 'json', courseid: apiCourseId, userid });
    const { body: answer } = await getJson(`${baseUrl.replace(/\/+$/, '')}/webservice/rest/server.php`, { method: 'POST', body, headers: { accept: 'application/json' } }, timeoutMs);
    const a = answer as { statuses?: Array<{ cmid?: number; state?: number; timecompleted?: number }>; exception?: string; errorcode?: string; message?: string };
    if (a.exception) throw new LmsApiError(`Moodle refused ${body.get('wsfunction')}: ${a.errorcode ?? a.exception} ${a.message ?? ''}`.trim());
    for (const s of a.statuses ?? []) {
      if (typeof s.cmid !== 'number' || (s.state !== 1 && s.state !== 2)) continue;
      out.push({ activityId: String(s.cmid), apiUserId: userid, score: 1, maxScore: 1, completedAt: s.timecompleted ? new Date(s.timecompleted * 1000).toISOString() : new Date().toISOString() });
    }
  }
  return out;
}
