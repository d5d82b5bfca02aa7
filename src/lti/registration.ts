// LTI Dynamic Registration 1.0 (tool side): read the platform's OpenID configuration, register with
// the scopes we need, store the platform and the deployment the platform returns (ltijs ignores it).
import { z } from 'zod';
import type { Db } from '../db/index.js';
import type { TenantService } from '../tenancy/index.js';
import { AppError, BadRequestError } from '../shared/index.js';
import { LTI_PLATFORM_CONFIGURATION, LTI_SCOPE, LTI_TOOL_CONFIGURATION } from './constants.js';
import type { Platform, PlatformRegistry } from './platforms.js';

export const RegistrationQuery = z.object({
  openid_configuration: z.url({ protocol: /^https?$/, error: 'openid_configuration must be the platform configuration URL' }),
  registration_token: z.string().min(1).optional(),
});

const OpenIdConfiguration = z.object({
  issuer: z.url(),
  authorization_endpoint: z.url(),
  token_endpoint: z.url(),
  jwks_uri: z.url(),
  registration_endpoint: z.url(),
  [LTI_PLATFORM_CONFIGURATION]: z.object({ product_family_code: z.string().optional(), version: z.string().optional() }).loose().optional(),
}).loose();

const RegistrationResponse = z.object({
  client_id: z.string().min(1),
  [LTI_TOOL_CONFIGURATION]: z.object({ deployment_id: z.string().min(1).optional() }).loose().optional(),
}).loose();

export const TOOL_SCOPES = [LTI_SCOPE.LINEITEM, LTI_SCOPE.LINEITEM_READONLY, LTI_SCOPE.SCORE, LTI_SCOPE.RESULT_READONLY, LTI_SCOPE.NRPS];

export function createDynamicRegistration(deps: { db: Db; platforms: PlatformRegistry; tenants: TenantService; publicUrl: string; autoActivate: boolean; timeoutMs: number; fetch?: typeof fetch }) {
  const doFetch = deps.fetch ?? fetch;
  const url = (p: string) => `${deps.publicUrl}${p}`;

  async function getJson(target: string, init: RequestInit, what: string): Promise<{ status: number; body: unknown }> {
    let res: Response;
    try {
      res = await doFetch(target, { ...init, signal: AbortSignal.timeout(deps.timeoutMs) });
    } catch (err) {
      throw new AppError(502, 'platform_unreachable', `Could not reach the platform's ${what} (${(err as Error).name === 'TimeoutError' ? 'timed out' : (err as Error).message}).`);
    }
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* keep the text for the message */
    }
    return { status: res.status, body };
  }

  /** The tool's registration request (LTI DR §3.5.2 / OIDC Dynamic Client Registration). */
  function registrationRequest(claimsSupported: unknown) {
    return {
      application_type: 'web',
      response_types: ['id_token'],
      grant_types: ['implicit', 'client_credentials'],
      initiate_login_uri: url('/lti/login'),
      redirect_uris: [url('/lti/launch')],
      client_name: 'Badgetrail',
      jwks_uri: url('/lti/keys'),
      logo_uri: url('/static/img/logo.svg'),
      token_endpoint_auth_method: 'private_key_jwt',
      scope: TOOL_SCOPES.join(' '),
      [LTI_TOOL_CONFIGURATION]: {
        domain: new URL(deps.publicUrl).host,
        description: 'Open Badges 3.0 for course completions, with claim and sharing analytics.',
        target_link_uri: url('/lti/launch'),
        claims: Array.isArray(claimsSupported) ? claimsSupported.filter((c) => ['iss', 'sub', 'name', 'given_name', 'family_name', 'email'].includes(c)) : ['iss', 'sub', 'name', 'email'],
        messages: [
          { type: 'LtiResourceLinkRequest', label: 'Badgetrail', placements: ['course_navigation'] },
          { type: 'LtiDeepLinkingRequest', label: 'Badgetrail: place a badge link', placements: ['ContentArea', 'link_selection'] },
        ],
      },
    };
  }

  return {
    async register(query: unknown): Promise<Platform> {
      const parsed = RegistrationQuery.safeParse(query);
      if (!parsed.success) throw new BadRequestError('invalid_registration', parsed.error.issues.map((i) => i.message).join('; '));
      const { openid_configuration, registration_token } = parsed.data;

      const conf = await getJson(openid_configuration, { headers: { accept: 'application/json' } }, 'OpenID configuration');
      const config = OpenIdConfiguration.safeParse(conf.body);
      if (conf.status !== 200 || !config.success) {
        throw new BadRequestError('invalid_openid_configuration', `The platform's OpenID configuration could not be used (HTTP ${conf.status}${config.success ? '' : `: ${config.error.issues[0]!.path.join('.')} ${config.error.issues[0]!.message}`}).`);
      }
      const c = config.data;
      const reg = await getJson(c.registration_endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', ...(registration_token ? { authorization: `Bearer ${registration_token}` } : {}) },
        body: JSON.stringify(registrationRequest(c.claims_supported)),
      }, 'registration endpoint');
      if (reg.status === 401 || reg.status === 403) throw new BadRequestError('registration_refused', `The platform refused the registration (HTTP ${reg.status}): the registration token is missing, expired or already used. Start the registration again from the LMS.`);
      const response = RegistrationResponse.safeParse(reg.body);
      if (reg.status < 200 || reg.status > 299 || !response.success) throw new AppError(502, 'registration_failed', `The platform did not accept the registration (HTTP ${reg.status}).`);
      const deploymentId = response.data[LTI_TOOL_CONFIGURATION]?.deployment_id;
      if (!deploymentId) throw new AppError(502, 'registration_incomplete', 'The platform registered the tool but returned no deployment id; add it with `npm run admin -- platform add`.');

      // One tenant per institution: a platform we already know keeps its tenant.
      const known = await deps.platforms.byIssuer(c.issuer);
      const product = c[LTI_PLATFORM_CONFIGURATION]?.product_family_code ?? '';
      const tenantId = known[0]?.tenantId ?? (await deps.tenants.create(`${new URL(c.issuer).host}${product ? ` (${product})` : ''}`)).id;
      return deps.platforms.register({
        tenantId,
        issuer: c.issuer,
        clientId: response.data.client_id,
        authUrl: c.authorization_endpoint,
        tokenUrl: c.token_endpoint,
        jwksUrl: c.jwks_uri,
        deploymentIds: [deploymentId],
        name: `${product || 'LMS'} at ${new URL(c.issuer).host}`,
        product,
        active: deps.autoActivate,
      });
    },
  };
}

export type DynamicRegistration = ReturnType<typeof createDynamicRegistration>;
