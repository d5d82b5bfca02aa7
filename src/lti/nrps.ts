// NRPS roster sync (Names and Role Provisioning Services 2.0): on an instructor's launch the course
// learns its members, so learners who never opened the tool are known (reminders, the gap metric).
import type { Db } from '../db/index.js';
import { newId, type Logger } from '../shared/index.js';
import { LTI_CLAIM } from './constants.js';
import type { LaunchContext } from './launch.js';
import type { NrpsToken, LtijsProvider } from './provider.js';
import { isTestUser } from './roles.js';

export function createRosterSync(deps: { db: Db; provider: LtijsProvider; logger: Logger }) {
  return {
    /** Upserts the course's active members; returns how many, or null without NRPS. */
    async sync(c: LaunchContext, courseId: string): Promise<number | null> {
      const nrps = c.claims[LTI_CLAIM.NRPS] as { context_memberships_url?: unknown } | undefined;
      if (typeof nrps?.context_memberships_url !== 'string') return null;
      const token: NrpsToken = { iss: c.platform.issuer, clientId: c.platform.clientId, platformContext: { namesRoles: { context_memberships_url: nrps.context_memberships_url } } };
      let members: Array<Record<string, unknown>>;
      try {
        ({ members } = await deps.provider.getMembers(token));
      } catch (err) {
        deps.logger.warn('NRPS roster sync failed', { course: courseId, error: (err as Error).message });
        return null;
      }
      const active = members.filter((m) => typeof m.user_id === 'string' && (m.status === undefined || m.status === 'Active'));
      if (active.length === 0) return 0;
      await deps.db.transaction(async (tx) => {
        const people = active.map((m) => {
          const roles = Array.isArray(m.roles) ? (m.roles as unknown[]).filter((r): r is string => typeof r === 'string') : [];
          return { id: newId(), lms_user_id: m.user_id, name: typeof m.name === 'string' ? m.name : null, email: typeof m.email === 'string' ? m.email : null, is_test: isTestUser(roles), roles };
        });
        const users = await tx.query<{ id: string; lms_user_id: string }>(
          `insert into users (tenant_id, id, platform_id, lms_user_id, name, email, is_test)
           select $1, x.id, $2, x.lms_user_id, x.name, x.email, x.is_test from json_to_recordset($3::json) as x(id uuid, lms_user_id text, name text, email text, is_test boolean)
           on conflict (tenant_id, platform_id, lms_user_id) do update set name = coalesce(excluded.name, users.name), email = coalesce(excluded.email, users.email)
           returning id, lms_user_id`,
          [c.tenantId, c.platform.id, JSON.stringify(people)],
        );
        const idOf = new Map(users.map((u) => [u.lms_user_id, u.id]));
        // Enrolment roles come from the roster; a launch later refines them for that user.
        await tx.query(
          `insert into enrolments (tenant_id, course_id, user_id, roles)
           select $1, $2, x.user_id, x.roles from json_to_recordset($3::json) as x(user_id uuid, roles text[])
           on conflict (course_id, user_id) do update set roles = excluded.roles`,
          [c.tenantId, courseId, JSON.stringify(people.map((p) => ({ user_id: idOf.get(String(p.lms_user_id)), roles: p.roles })))],
        );
      });
      return active.length;
    },
  };
}

export type RosterSync = ReturnType<typeof createRosterSync>;
