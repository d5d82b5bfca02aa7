// OIDC third-party login initiation (LTI 1.3 / 1EdTech Security Framework §5.1.1). State and nonce
// are bound on the server: no cookie is needed, so it works in a cross-site iframe.
import { z } from 'zod';
import type { Db } from '../db/index.js';
import { BadRequestError, ForbiddenError, type Clock, newToken } from '../shared/index.js';
import type { Platform, PlatformRegistry } from './platforms.js';

export const LoginParams = z.object({
  iss: z.url({ protocol: /^https?$/, error: 'iss must be the platform issuer URL' }),
  login_hint: z.string().min(1, 'login_hint is required'),
  target_link_uri: z.url({ protocol: /^https?$/, error: 'target_link_uri must be a URL' }),
  client_id: z.string().min(1).optional(),
  lti_deployment_id: z.string().min(1).optional(),
  lti_message_hint: z.string().optional(),
  lti_storage_target: z.string().min(1).max(100).optional(),
});
export type LoginParams = z.infer<typeof LoginParams>;

export interface LoginRedirect {
  authUrl: string;
  state: string;
  nonce: string;
  /** Set when the platform offers its postMessage storage (Canvas): the page stores state there first. */
  storageTarget: string | undefined;
  platformOrigin: string;
}

export function createLoginService(deps: { db: Db; platforms: PlatformRegistry; clock: Clock; publicUrl: string; stateSeconds: number }) {
  const launchUrl = `${deps.publicUrl}/lti/launch`;

  async function choosePlatform(p: LoginParams): Promise<Platform> {
    const candidates = (await deps.platforms.byIssuer(p.iss)).filter((c) => !p.client_id || c.clientId === p.client_id);
    if (candidates.length === 0) throw new BadRequestError('unknown_platform', `No platform is registered for issuer ${p.iss}${p.client_id ? ` and client id ${p.client_id}` : ''}.`);
    if (candidates.length > 1) throw new BadRequestError('ambiguous_platform', `Several registrations exist for ${p.iss}; the login must name its client_id.`);
    const platform = candidates[0]!;
    if (!platform.active) throw new ForbiddenError('platform_inactive', 'This platform registration is not active yet. Ask the tool administrator to activate it.');
    return platform;
  }

  return {
    async initiate(raw: unknown): Promise<LoginRedirect> {
      const parsed = LoginParams.safeParse(raw);
      if (!parsed.success) throw new BadRequestError('invalid_login', parsed.error.issues.map((i) => i.message).join('; '));
      const p = parsed.data;
      // Only our own launch URL may be targeted: a login must never become an open redirect.
      if (new URL(p.target_link_uri).origin !== new URL(deps.publicUrl).origin) {
        throw new BadRequestError('invalid_target_link_uri', `target_link_uri must point at ${deps.publicUrl}.`);
      }
      const platform = await choosePlatform(p);
      if (p.lti_deployment_id && !platform.deploymentIds.includes(p.lti_deployment_id)) {
        throw new BadRequestError('unknown_deployment', `Deployment ${p.lti_deployment_id} is not registered for this platform.`);
      }
      const state = newToken(32);
      const nonce = newToken(32);
      const now = deps.clock.now();
      await deps.db.query(
        `insert into lti_logins (tenant_id, state, nonce, platform_id, target_link_uri, storage_target, created_at, expires_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [platform.tenantId, state, nonce, platform.id, p.target_link_uri, p.lti_storage_target ?? null, now, new Date(now.getTime() + deps.stateSeconds * 1000)],
      );
      const auth = new URL(platform.authUrl);
      const query: Record<string, string> = {
        scope: 'openid',
        response_type: 'id_token',
        response_mode: 'form_post',
        prompt: 'none',
        client_id: platform.clientId,
        redirect_uri: launchUrl,
        login_hint: p.login_hint,
        state,
        nonce,
      };
      if (p.lti_message_hint !== undefined) query.lti_message_hint = p.lti_message_hint;
      if (p.lti_storage_target) query.lti_storage_target = p.lti_storage_target;
      for (const [k, v] of Object.entries(query)) auth.searchParams.set(k, v);
      return { authUrl: auth.toString(), state, nonce, storageTarget: p.lti_storage_target, platformOrigin: new URL(platform.authUrl).origin };
    },
  };
}

export type LoginService = ReturnType<typeof createLoginService>;
