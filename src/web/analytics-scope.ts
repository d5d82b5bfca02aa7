// Who asks for analytics or exports, and what they may see: an API key (its tenant, or its one
// course) or a launch session (an instructor's course, an admin's tenant). One implementation for
// GET /api/v1/analytics and GET /api/v1/exports/*: the same query, validation and authorisation.
import type { Request } from 'express';
import { z } from 'zod';
import type { Analytics, AnalyticsQuery } from '../analytics/index.js';
import type { Lti } from '../lti/index.js';
import { BadRequestError, ForbiddenError, NotFoundError, UnauthorizedError, type Clock } from '../shared/index.js';
import type { TenantService } from '../tenancy/index.js';
import { launchToken } from './http.js';

const DAY = 86_400_000;

export const AnalyticsQueryParams = z.object({
  scope: z.enum(['org', 'course', 'badge']).optional(),
  courseId: z.uuid({ error: 'courseId must be a Badgetrail course id' }).optional(),
  badgeId: z.uuid({ error: 'badgeId must be a badge id' }).optional(),
  from: z.iso.datetime({ offset: true, error: 'from must be an ISO 8601 date-time' }).or(z.iso.date({ error: 'from must be an ISO 8601 date' })).optional(),
  to: z.iso.datetime({ offset: true, error: 'to must be an ISO 8601 date-time' }).or(z.iso.date({ error: 'to must be an ISO 8601 date' })).optional(),
  status: z.enum(['pending', 'accepted', 'revoked', 'expired']).optional(),
  includeTest: z.enum(['true', 'false']).optional(),
  ltik: z.string().optional(),
}).strict();

export interface Caller { tenantId: string; courseOnly: string | null }

export interface ScopeDeps { analytics: Pick<Analytics, 'courseOf'>; tenants: TenantService; lti: Lti; clock: Clock }

/** Returns `resolve(req)`: the caller's analytics query, or a typed 400/401/403/404 error. */
export function analyticsScope(deps: ScopeDeps): (req: Request) => Promise<AnalyticsQuery> {
  /** Who asks: the tenant, and the one course they are limited to, if any. */
  async function caller(req: Request): Promise<Caller> {
    const auth = req.get('authorization') ?? '';
    if (auth.startsWith('Bearer bt_')) {
      const key = await deps.tenants.verifyApiKey(auth.slice(7).trim());
      if (!key) throw new UnauthorizedError('invalid_api_key', 'Send a valid API key as "Authorization: Bearer <key>".');
      return { tenantId: key.tenantId, courseOnly: key.courseId };
    }
    const session = await deps.lti.sessions.resolve(launchToken(req) ?? '');
    if (!session) throw new UnauthorizedError('unauthenticated', 'Send an API key, or open the panel from the LMS.');
    if (session.view === 'admin') return { tenantId: session.tenantId, courseOnly: null };
    if (session.view === 'instructor' && session.courseId) return { tenantId: session.tenantId, courseOnly: session.courseId };
    throw new ForbiddenError('wrong_role', 'Analytics are for instructors and administrators.');
  }

  async function belongs(table: 'courses' | 'badges', id: string, who: Caller, courseOnly: string | null): Promise<void> {
    const courseId = await deps.analytics.courseOf(table, id, who.tenantId);
    const thing = table === 'courses' ? 'course' : 'badge';
    // Another tenant's (or another course's) course or badge does not exist for this caller.
    if (!courseId || (courseOnly && courseId !== courseOnly)) throw new NotFoundError(`${thing}_not_found`, `No such ${thing}.`);
  }

  function range(q: z.infer<typeof AnalyticsQueryParams>): { from: Date; to: Date } {
    const to = q.to ? new Date(q.to.length === 10 ? `${q.to}T23:59:59.999Z` : q.to) : deps.clock.now();
    const from = q.from ? new Date(q.from) : new Date(to.getTime() - 30 * DAY);
    if (from > to) throw new BadRequestError('invalid_range', '`from` is after `to`.');
    return { from, to };
  }

  return async function resolve(req: Request): Promise<AnalyticsQuery> {
    const who = await caller(req);
    const parsed = AnalyticsQueryParams.safeParse(req.query);
    if (!parsed.success) throw new BadRequestError('invalid_query', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    const q = parsed.data;
    const scope = q.scope ?? (q.badgeId ? 'badge' : q.courseId || who.courseOnly ? 'course' : 'org');
    if (scope === 'org' && who.courseOnly) throw new ForbiddenError('scope_forbidden', 'This key or session sees one course only: use scope=course.');
    const courseId = q.courseId ?? who.courseOnly ?? undefined;
    if (scope === 'course' && !courseId) throw new BadRequestError('invalid_query', 'scope=course needs courseId.');
    if (scope === 'badge' && !q.badgeId) throw new BadRequestError('invalid_query', 'scope=badge needs badgeId.');
    if (courseId) await belongs('courses', courseId, who, who.courseOnly);
    if (q.badgeId) await belongs('badges', q.badgeId, who, who.courseOnly ?? (scope !== 'org' ? courseId ?? null : null));
    return {
      scope, tenantId: who.tenantId, courseId: scope === 'org' ? null : courseId ?? null, badgeId: scope === 'badge' ? q.badgeId! : null,
      includeTest: q.includeTest === 'true', ...range(q), ...(q.status ? { status: q.status } : {}),
    };
  };
}
