// After a valid launch: the user, course and enrolment are upserted, ltijs gets the token documents
// its services read, and a launch session is created. Its token travels in URLs and forms (the
// "ltik"), because an LMS iframe on another site gets no cookie.
import { createHash } from 'node:crypto';
import type { Db, LtijsStore, Queryable } from '../db/index.js';
import { UnauthorizedError, type Clock, newId, newToken, sha256Hex } from '../shared/index.js';
import { LTI_CLAIM } from './constants.js';
import type { DeepLinkingSettings, LaunchContext } from './launch.js';
import type { PlatformRegistry } from './platforms.js';
import type { LtijsIdToken } from './provider.js';

export type SessionView = 'instructor' | 'learner' | 'admin' | 'deep_linking';

export interface LaunchSession {
  id: string;
  tenantId: string;
  platformId: string;
  userId: string;
  courseId: string | null;
  view: SessionView;
  roles: string[];
  isTest: boolean;
  messageType: string;
  deploymentId: string;
  resourceLinkId: string | null;
  custom: Record<string, string>;
  deepLinking: DeepLinkingSettings | null;
  ltijsContextId: string | null;
  expiresAt: Date;
  user: { name: string | null; email: string | null; lmsUserId: string };
  course: { title: string; label: string; lmsContextId: string } | null;
}

type SessionRow = {
  id: string; tenant_id: string; platform_id: string; user_id: string; course_id: string | null; view: SessionView;
  roles: string[]; is_test: boolean; message_type: string; deployment_id: string; resource_link_id: string | null;
  custom: Record<string, string>; deep_linking: DeepLinkingSettings | null; ltijs_context_id: string | null; expires_at: Date;
  user_name: string | null; user_email: string | null; lms_user_id: string;
  course_title: string | null; course_label: string | null; lms_context_id: string | null;
};

async function upsertUser(tx: Queryable, c: LaunchContext, now: Date): Promise<string> {
  const rows = await tx.query<{ id: string }>(
    `insert into users (tenant_id, id, platform_id, lms_user_id, name, email, is_test, last_seen_at, lms_api_id)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     on conflict (tenant_id, platform_id, lms_user_id) do update
       set name = coalesce(excluded.name, users.name), email = coalesce(excluded.email, users.email),
           is_test = users.is_test or excluded.is_test, last_seen_at = excluded.last_seen_at,
           lms_api_id = coalesce(excluded.lms_api_id, users.lms_api_id)
     returning id`,
    // The LMS API's own user id: Canvas sends it as a custom parameter; Moodle's LTI sub is it.
    [c.tenantId, newId(), c.platform.id, c.sub, c.name, c.email, c.isTest, now, c.custom.canvas_user_id ?? c.sub],
  );
  return rows[0]!.id;
}

async function upsertCourse(tx: Queryable, c: LaunchContext): Promise<string | null> {
  if (!c.context) return null;
  // The AGS endpoint of the latest launch is kept for write-back outside any launch.
  const ags = c.claims[LTI_CLAIM.AGS_ENDPOINT] as { lineitems?: unknown; scope?: unknown } | undefined;
  const lineitems = typeof ags?.lineitems === 'string' ? ags.lineitems : null;
  const scopes = Array.isArray(ags?.scope) ? ags.scope.filter((x): x is string => typeof x === 'string') : [];
  const rows = await tx.query<{ id: string }>(
    `insert into courses (tenant_id, id, platform_id, lms_context_id, title, label, ags_lineitems_url, ags_scopes, lms_api_id) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     on conflict (tenant_id, platform_id, lms_context_id) do update
       set title = case when excluded.title <> '' then excluded.title else courses.title end,
           label = case when excluded.label <> '' then excluded.label else courses.label end,
           ags_lineitems_url = coalesce(excluded.ags_lineitems_url, courses.ags_lineitems_url),
           ags_scopes = case when excluded.ags_lineitems_url is not null then excluded.ags_scopes else courses.ags_scopes end,
           lms_api_id = coalesce(excluded.lms_api_id, courses.lms_api_id)
     returning id`,
    [c.tenantId, newId(), c.platform.id, c.context.id, c.context.title, c.context.label, lineitems, scopes, c.custom.canvas_course_id ?? c.context.id],
  );
  return rows[0]!.id;
}

export function createSessionService(deps: { db: Db; ltijsStore: LtijsStore; platforms: PlatformRegistry; clock: Clock; ttlHours: number }) {
  // The documents ltijs's own services look up (its launch handler would have written them).
  async function writeLtijsTokens(c: LaunchContext): Promise<string> {
    const resource = c.resourceLink?.id ?? 'NF';
    const contextId = createHash('sha256').update([c.platform.issuer, c.platform.clientId, c.deploymentId, c.context?.id ?? 'NF', resource].join('\n')).digest('hex');
    await deps.ltijsStore.Replace(false, 'idtoken', { iss: c.platform.issuer, clientId: c.platform.clientId, deploymentId: c.deploymentId, user: c.sub }, {
      iss: c.platform.issuer,
      user: c.sub,
      userInfo: { given_name: c.claims.given_name, family_name: c.claims.family_name, name: c.claims.name, email: c.claims.email },
      platformInfo: c.claims[LTI_CLAIM.TOOL_PLATFORM],
      clientId: c.platform.clientId,
      platformId: c.platform.ltijsKid,
      deploymentId: c.deploymentId,
    });
    await deps.ltijsStore.Replace(false, 'contexttoken', { contextId, user: c.sub }, {
      contextId,
      user: c.sub,
      context: c.claims[LTI_CLAIM.CONTEXT],
      resource: c.claims[LTI_CLAIM.RESOURCE_LINK],
      messageType: c.messageType,
      version: '1.3.0',
      deepLinkingSettings: c.deepLinking ?? undefined,
      lis: c.claims[LTI_CLAIM.LIS],
      roles: c.roles,
      targetLinkUri: c.claims[LTI_CLAIM.TARGET_LINK_URI],
      custom: c.custom,
      launchPresentation: c.claims[LTI_CLAIM.LAUNCH_PRESENTATION],
      endpoint: c.claims[LTI_CLAIM.AGS_ENDPOINT],
      namesRoles: c.claims[LTI_CLAIM.NRPS],
    });
    return contextId;
  }

  // An LMS origin the platform itself signed (return URL, platform URL) may frame the tool.
  async function learnFrameOrigins(c: LaunchContext): Promise<void> {
    const candidates = [
      (c.claims[LTI_CLAIM.LAUNCH_PRESENTATION] as { return_url?: unknown } | undefined)?.return_url,
      (c.claims[LTI_CLAIM.TOOL_PLATFORM] as { url?: unknown } | undefined)?.url,
    ];
    for (const u of candidates) {
      if (typeof u !== 'string') continue;
      try {
        const origin = new URL(u).origin;
        if (/^https?:/.test(origin) && !c.platform.frameOrigins.includes(origin)) await deps.platforms.addFrameOrigin(c.platform.id, origin);
      } catch {
        /* not a URL: nothing to learn */
      }
    }
  }

  return {
    async start(c: LaunchContext): Promise<{ token: string; session: LaunchSession }> {
      const now = deps.clock.now();
      const view: SessionView = c.messageType === 'LtiDeepLinkingRequest' ? 'deep_linking' : c.view;
      const ltijsContextId = await writeLtijsTokens(c);
      await learnFrameOrigins(c);
      const token = newToken(32);
      const id = newId();
      await deps.db.transaction(async (tx) => {
        const userId = await upsertUser(tx, c, now);
        const courseId = await upsertCourse(tx, c);
        if (courseId) {
          await tx.query(
            `insert into enrolments (tenant_id, course_id, user_id, roles, last_launch_at) values ($1, $2, $3, $4, $5)
             on conflict (course_id, user_id) do update set roles = excluded.roles, last_launch_at = excluded.last_launch_at`,
            [c.tenantId, courseId, userId, c.roles, now],
          );
        }
        await tx.query(
          `insert into launch_sessions (tenant_id, id, token_hash, platform_id, user_id, course_id, view, roles, is_test,
             message_type, deployment_id, resource_link_id, custom, deep_linking, ltijs_context_id, created_at, expires_at)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::jsonb, $14::jsonb, $15, $16, $17)`,
          [c.tenantId, id, sha256Hex(token), c.platform.id, userId, courseId, view, c.roles, c.isTest, c.messageType, c.deploymentId,
            c.resourceLink?.id ?? null, JSON.stringify(c.custom), c.deepLinking ? JSON.stringify(c.deepLinking) : null, ltijsContextId,
            now, new Date(now.getTime() + deps.ttlHours * 3600_000)],
        );
      });
      return { token, session: (await this.resolve(token))! };
    },

    async resolve(token: string): Promise<LaunchSession | null> {
      const rows = await deps.db.query<SessionRow>(
        `select s.*, u.name as user_name, u.email as user_email, u.lms_user_id,
                c.title as course_title, c.label as course_label, c.lms_context_id
         from launch_sessions s join users u on u.id = s.user_id left join courses c on c.id = s.course_id
         where s.token_hash = $1 and s.expires_at > $2`,
        [sha256Hex(token), deps.clock.now()],
      );
      const r = rows[0];
      if (!r) return null;
      return {
        id: r.id, tenantId: r.tenant_id, platformId: r.platform_id, userId: r.user_id, courseId: r.course_id, view: r.view,
        roles: r.roles, isTest: r.is_test, messageType: r.message_type, deploymentId: r.deployment_id,
        resourceLinkId: r.resource_link_id, custom: r.custom, deepLinking: r.deep_linking, ltijsContextId: r.ltijs_context_id,
        expiresAt: r.expires_at,
        user: { name: r.user_name, email: r.user_email, lmsUserId: r.lms_user_id },
        course: r.course_id ? { title: r.course_title ?? '', label: r.course_label ?? '', lmsContextId: r.lms_context_id ?? '' } : null,
      };
    },

    async require(token: string | undefined): Promise<LaunchSession> {
      const session = token ? await this.resolve(token) : null;
      if (!session) throw new UnauthorizedError('session_expired', 'Your session has expired or is not valid. Open the tool again from your course.');
      return session;
    },

    /** The ltijs idtoken object its Advantage services expect, rebuilt from stored documents. */
    async ltijsIdToken(session: LaunchSession): Promise<LtijsIdToken> {
      const platform = await deps.platforms.get(session.platformId);
      if (!platform || !session.ltijsContextId) throw new UnauthorizedError('session_expired', 'The launch data of this session is gone. Open the tool again.');
      const id = await deps.ltijsStore.Get(false, 'idtoken', { iss: platform.issuer, clientId: platform.clientId, deploymentId: session.deploymentId, user: session.user.lmsUserId });
      const ctx = await deps.ltijsStore.Get(false, 'contexttoken', { contextId: session.ltijsContextId, user: session.user.lmsUserId });
      if (!id || !ctx) throw new UnauthorizedError('session_expired', 'The launch data of this session is gone. Open the tool again.');
      return { ...(id[0] as unknown as LtijsIdToken), platformContext: ctx[0]! };
    },

    purgeExpired: async () => {
      await deps.db.query('delete from launch_sessions where expires_at <= $1', [deps.clock.now()]);
      await deps.db.query('delete from lti_logins where expires_at <= $1', [deps.clock.now()]);
    },
  };
}

export type SessionService = ReturnType<typeof createSessionService>;
