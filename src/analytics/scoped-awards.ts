// The awards a query looks at, as SQL: the scope, test accounts and status filter applied, with the
// award_stats counters beside them. Every aggregate query of analytics starts from this CTE.
import type { Scope } from './repository.js';

export type AwardStatus = 'pending' | 'accepted' | 'revoked' | 'expired';

/** What compute() filters on: the scope, the status as of `now`, and optionally the award dates. */
export interface AwardFilter extends Scope { now: Date; status?: AwardStatus | undefined }

/** Numbered query parameters, added as the SQL text is built. */
export class Params {
  readonly values: unknown[] = [];
  add(value: unknown, cast = ''): string {
    this.values.push(value);
    return `$${this.values.length}${cast}`;
  }
}

/**
 * Hours to claim of award alias a, from whole milliseconds as JS computes them: the one text every
 * query uses, so that the histogram's percentiles (claim-percentiles.ts) equal percentile_cont's.
 */
export const hoursToClaimOf = (a: string) => `round((date_part('epoch', ${a}.accepted_at) - date_part('epoch', ${a}.awarded_at)) * 1000) / 3600000`;

/**
 * What to take besides the filter: awards of `awarded` (an SQL condition on a.awarded_at, such as
 * windows.ts makes), of the `learners` given only, and the event counts.
 */
export interface ScopedOptions { awarded?: string; learners?: readonly string[] | undefined; stats?: boolean }

/**
 * `with scoped as (…)`: one row per award of the filter, with its award_stats counters unless
 * `stats: false`. Without them the awards are read from the index awards_awarded alone (migration
 * 013), not from the wide heap (the planner keeps a removed join's key, so the join must not be written).
 * Status as statusOf defined it: revoked > expired (valid_until <= now) > accepted > pending.
 * `hours` is accepted_at − awarded_at in hours from whole milliseconds, as JS computes it: date_part
 * is float8 (fast, unlike numeric extract) and exact to well under a millisecond, so the rounding is exact.
 */
export function scopedAwards(f: AwardFilter, p: Params, o: ScopedOptions = {}): string {
  const where = [`a.tenant_id = ${p.add(f.tenantId)}`];
  if (f.courseId) where.push(`a.course_id = ${p.add(f.courseId)}`);
  if (f.badgeId) where.push(`a.badge_id = ${p.add(f.badgeId)}`);
  if (!f.includeTest) where.push('not a.is_test');
  if (o.awarded) where.push(`(${o.awarded})`);
  if (o.learners) where.push(`a.user_id = any(${p.add(o.learners, '::uuid[]')})`);
  const now = p.add(f.now, '::timestamptz');
  if (f.status) {
    const status = `case when a.revoked_at is not null then 'revoked' when a.valid_until <= ${now} then 'expired'
      when a.accepted_at is not null then 'accepted' else 'pending' end`;
    where.push(`${status} = ${p.add(f.status, '::text')}`);
  }
  const stats = o.stats ?? true;
  return `with scoped as (
    select a.badge_id, a.course_id, a.user_id, a.awarded_at,
      a.accepted_at is not null as accepted,
      a.revoked_at is null and (a.valid_until is null or a.valid_until > ${now}) as live,
      ${hoursToClaimOf('a')} as hours${stats ? `,
      a.module_id, a.method, a.is_public,
      coalesce(s.shares, 0) as shares, coalesce(s.views, 0) as views, coalesce(s.verifications, 0) as verifications,
      coalesce(s.notified_sent, 0) as sent, coalesce(s.notified_failed, 0) as failed, s.shared_channels, s.view_sources` : ''}
    from awards a${stats ? ' left join award_stats s on s.tenant_id = a.tenant_id and s.award_id = a.id' : ''}
    where ${where.join(' and ')}
  )`;
}

/** The per-award counts every breakdown sums, over the rows of `scoped`. */
export const COUNTS = `count(*)::int as awarded,
  count(*) filter (where accepted)::int as accepted,
  count(*) filter (where accepted and shares > 0)::int as accepted_shared,
  count(*) filter (where accepted and is_public)::int as accepted_public,
  count(*) filter (where accepted and shares > 0 and views > 0)::int as shared_viewed,
  coalesce(sum(shares), 0)::float8 as shares, coalesce(sum(views), 0)::float8 as views,
  coalesce(sum(verifications), 0)::float8 as verifications,
  coalesce(sum(sent), 0)::float8 as sent, coalesce(sum(failed), 0)::float8 as failed`;

/** The sums a badge's, module's, course's, method's or period's figures are made of. */
export type EngagementRow = Pick<CountsRow, 'awarded' | 'accepted' | 'accepted_shared' | 'shares' | 'views' | 'verifications'>;

export interface CountsRow {
  awarded: number; accepted: number; accepted_shared: number; accepted_public: number; shared_viewed: number;
  shares: number; views: number; verifications: number; sent: number; failed: number;
}
