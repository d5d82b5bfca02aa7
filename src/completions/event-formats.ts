// xAPI 1.0.3 statements and IMS Caliper 1.1/1.2 GradeEvents, read into completions. Only what
// completions need: the actor, the activity (a module's id), the score, the time. Pure.

export interface MappedCompletion {
  activityId: string;
  learner: { id: string; email?: string; name?: string };
  score: number;
  maxScore: number;
  completedAt: string;
}
export type Mapped = { ok: MappedCompletion } | { ignored: string } | { invalid: string };

const XAPI_VERBS = new Set(['http://adlnet.gov/expapi/verbs/completed', 'http://adlnet.gov/expapi/verbs/passed']);

const obj = (v: unknown): Record<string, any> | null => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, any>) : null);
const isoOrNow = (v: unknown, now: Date): string | null => {
  if (v === undefined) return now.toISOString();
  const t = typeof v === 'string' ? Date.parse(v) : NaN;
  return Number.isNaN(t) ? null : new Date(t).toISOString();
};

export function mapXapiStatement(raw: unknown, now: Date): Mapped {
  const s = obj(raw);
  if (!s) return { invalid: 'a statement must be an object' };
  const verb = obj(s.verb)?.id;
  if (typeof verb !== 'string') return { invalid: 'verb.id is required' };
  if (!XAPI_VERBS.has(verb)) return { ignored: `verb ${verb} is not a completion` };
  const actor = obj(s.actor);
  const account = obj(actor?.account);
  const mbox = typeof actor?.mbox === 'string' && actor.mbox.startsWith('mailto:') ? actor.mbox.slice(7) : undefined;
  // The LMS account name is the LMS user id; an mbox alone identifies the learner by email.
  const learnerId = typeof account?.name === 'string' && account.name ? account.name : mbox;
  if (!learnerId) return { invalid: 'actor needs account.name or mbox' };
  const activityId = obj(s.object)?.id;
  if (typeof activityId !== 'string' || !activityId) return { invalid: 'object.id (the activity) is required' };
  const result = obj(s.result);
  const scaled = obj(result?.score)?.scaled;
  if (scaled !== undefined && (typeof scaled !== 'number' || scaled < -1 || scaled > 1)) return { invalid: 'result.score.scaled must be a number from -1 to 1' };
  // Without a score, completing counts in full; an explicit failure counts as zero.
  const score = typeof scaled === 'number' ? Math.max(0, scaled) : result?.success === false ? 0 : 1;
  const completedAt = isoOrNow(s.timestamp, now);
  if (!completedAt) return { invalid: 'timestamp is not a date' };
  const name = typeof actor?.name === 'string' ? actor.name : undefined;
  return { ok: { activityId, learner: { id: learnerId, ...(mbox ? { email: mbox } : {}), ...(name ? { name } : {}) }, score, maxScore: 1, completedAt } };
}

export function mapCaliperEvent(raw: unknown, now: Date): Mapped {
  const e = obj(raw);
  if (!e) return { invalid: 'an event must be an object' };
  if (e.type !== 'GradeEvent') return { ignored: `event type ${String(e.type)} is not a GradeEvent` };
  const attempt = obj(e.object);
  const assignee = obj(attempt?.assignee)?.id ?? (typeof attempt?.assignee === 'string' ? attempt.assignee : undefined);
  const assignable = obj(attempt?.assignable)?.id ?? (typeof attempt?.assignable === 'string' ? attempt.assignable : undefined);
  if (typeof assignee !== 'string' || !assignee) return { invalid: 'object.assignee.id (the learner) is required' };
  if (typeof assignable !== 'string' || !assignable) return { invalid: 'object.assignable.id (the activity) is required' };
  const generated = obj(e.generated);
  const scoreGiven = generated?.scoreGiven ?? generated?.scoreGiven;
  const maxScore = generated?.maxScore ?? obj(attempt?.assignable)?.maxScore;
  if (typeof scoreGiven !== 'number' || typeof maxScore !== 'number' || maxScore <= 0 || scoreGiven < 0) return { invalid: 'generated.scoreGiven and a positive maxScore are required' };
  const completedAt = isoOrNow(e.eventTime, now);
  if (!completedAt) return { invalid: 'eventTime is not a date' };
  return { ok: { activityId: assignable, learner: { id: assignee }, score: Math.min(scoreGiven, maxScore), maxScore, completedAt } };
}
