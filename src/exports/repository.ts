// The SQL of the exports: awards and events of a scope, one keyset page at a time, so no query ever
// loads a whole dataset. Awards go by (awarded_at, id); events by id (the events primary key).
import type { Queryable } from '../db/index.js';

export type AwardStatus = 'pending' | 'accepted' | 'revoked' | 'expired';

/** The awards in scope: the same selection as the analytics' "awards in range" (a cohort). */
export interface AwardFilter {
  tenantId: string;
  courseId?: string | null;
  badgeId?: string | null;
  includeTest: boolean;
  from: Date;
  to: Date;
  status?: AwardStatus;
  /** The moment an award's expiry is judged against (the analytics' clock). */
  now: Date;
}

export interface AwardRow {
  id: string; course_id: string; course_title: string; module_id: string; module_title: string; badge_id: string; badge_name: string;
  learner_id: string; learner_name: string | null; method: string; awarded_at: Date; accepted_at: Date | null; revoked_at: Date | null;
  valid_until: Date | null; status: AwardStatus; is_public: boolean; is_test: boolean; shares: number; views: number; verifications: number;
  /** awarded_at at full (microsecond) precision: a JS Date would lose it and repeat or skip rows. */
  cursor_at: string;
}

export interface EventRow {
  id: number; occurred_at: Date; type: string; channel: string | null; outcome: string | null; award_id: string;
  badge_id: string | null; badge_name: string | null; module_id: string | null; module_title: string | null;
  course_id: string | null; course_title: string | null; learner_id: string | null; is_bot: boolean;
}

export interface AwardCursor { at: string; id: string }

const STATUS_SQL = (now: string) => `case when a.revoked_at is not null then 'revoked'
  when a.valid_until is not null and a.valid_until <= ${now} then 'expired'
  when a.accepted_at is not null then 'accepted' else 'pending' end`;

/** The where clause selecting a filter's awards (alias `a`), its parameters pushed onto `params`. */
function awardsWhere(f: AwardFilter, params: unknown[]): string {
  const p = (v: unknown) => `$${params.push(v)}`;
  const parts = [`a.tenant_id = ${p(f.tenantId)}`, `a.awarded_at >= ${p(f.from)}`, `a.awarded_at <= ${p(f.to)}`];
  if (f.courseId) parts.push(`a.course_id = ${p(f.courseId)}`);
  if (f.badgeId) parts.push(`a.badge_id = ${p(f.badgeId)}`);
  if (!f.includeTest) parts.push('not a.is_test');
  if (f.status) parts.push(`${STATUS_SQL(p(f.now))} = ${p(f.status)}`);
  return parts.join(' and ');
}

export function exportsRepository(db: Queryable) {
  return {
    async awardsPage(f: AwardFilter, after: AwardCursor | null, limit: number): Promise<AwardRow[]> {
      const params: unknown[] = [];
      const where = awardsWhere(f, params);
      const now = `$${params.push(f.now)}`;
      const keyset = after ? ` and (a.awarded_at, a.id) > ($${params.push(after.at)}::timestamptz, $${params.push(after.id)}::uuid)` : '';
      return db.query<AwardRow>(
        `select a.id, a.course_id, c.title as course_title, a.module_id, m.title as module_title, a.badge_id, b.name as badge_name,
           a.user_id as learner_id, u.name as learner_name, a.method, a.awarded_at, a.accepted_at, a.revoked_at, a.valid_until,
           ${STATUS_SQL(now)} as status, a.is_public, a.is_test,
           coalesce(e.shares, 0)::int as shares, coalesce(e.views, 0)::int as views, coalesce(e.verifications, 0)::int as verifications,
           a.awarded_at::text as cursor_at
         from awards a
           join courses c on c.id = a.course_id join modules m on m.id = a.module_id
           join badges b on b.id = a.badge_id join users u on u.id = a.user_id
           left join lateral (
             -- as the analytics count them: bots are neither views nor verifications
             select count(*) filter (where type = 'shared') as shares,
                    count(*) filter (where type = 'viewed' and not is_bot) as views,
                    count(*) filter (where type = 'verified' and not is_bot) as verifications
             from events e where e.tenant_id = a.tenant_id and e.award_id = a.id
           ) e on true
         where ${where}${keyset}
         order by a.awarded_at, a.id
         limit $${params.push(limit)}`,
        params,
      );
    },

    /** Events of the filter's awards (bots included, marked), in the order they were recorded. */
    async eventsPage(f: AwardFilter, afterId: number | null, limit: number): Promise<EventRow[]> {
      const params: unknown[] = [];
      const where = awardsWhere(f, params);
      const keyset = afterId !== null ? ` and e.id > $${params.push(afterId)}` : '';
      return db.query<EventRow>(
        `select e.id, e.occurred_at, e.type, e.channel, e.metadata->>'outcome' as outcome, e.award_id,
           e.badge_id, b.name as badge_name, e.module_id, m.title as module_title, e.course_id, c.title as course_title,
           e.learner_id, e.is_bot
         from events e
           join awards a on a.tenant_id = e.tenant_id and a.id = e.award_id
           left join badges b on b.id = e.badge_id left join modules m on m.id = e.module_id left join courses c on c.id = e.course_id
         where e.tenant_id = $${params.push(f.tenantId)} and ${where}${keyset}
         order by e.id
         limit $${params.push(limit)}`,
        params,
      );
    },
  };
}

export type ExportsRepository = ReturnType<typeof exportsRepository>;
