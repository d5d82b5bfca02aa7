// Launch validation (1EdTech Security Framework §5.1.3, LTI Core §5.3): the state must be one we
// issued and unused; the id_token must be signed by the platform's key, for us (aud/azp), recent,
// carry the nonce issued with that state, and name a registered deployment. Only then does a
// session exist: a refused launch leaves nothing behind but the spent state.
import { decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { z } from 'zod';
import type { Db } from '../db/index.js';
import { AppError, BadRequestError, UnauthorizedError, type Clock } from '../shared/index.js';
import { LTI_CLAIM, LTI_MESSAGE } from './constants.js';
import type { JwksCache } from './jwks-cache.js';
import type { Platform, PlatformRegistry } from './platforms.js';
import { isTestUser, viewForRoles, type LaunchView } from './roles.js';

export const LaunchForm = z.object({
  id_token: z.string().min(1).optional(),
  state: z.string().min(1).optional(),
});

export interface DeepLinkingSettings {
  deep_link_return_url: string;
  accept_types?: string[];
  accept_multiple?: boolean | string;
  data?: string;
  [k: string]: unknown;
}

export interface LaunchContext {
  tenantId: string;
  platform: Platform;
  deploymentId: string;
  messageType: 'LtiResourceLinkRequest' | 'LtiDeepLinkingRequest';
  sub: string;
  name: string | null;
  email: string | null;
  roles: string[];
  view: LaunchView;
  isTest: boolean;
  context: { id: string; title: string; label: string } | null;
  resourceLink: { id: string; title: string } | null;
  custom: Record<string, string>;
  deepLinking: DeepLinkingSettings | null;
  claims: JWTPayload & Record<string, unknown>;
}

type LoginRow = { state: string; nonce: string; platform_id: string; tenant_id: string };

const obj = (v: unknown): Record<string, unknown> | null => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null);
const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);

export function createLaunchValidator(deps: { db: Db; platforms: PlatformRegistry; jwks: JwksCache; clock: Clock; tokenMaxAgeSeconds: number }) {
  async function consumeState(state: string): Promise<LoginRow> {
    const rows = await deps.db.query<LoginRow>(
      `update lti_logins set used_at = $2 where state = $1 and used_at is null and expires_at > $2
       returning state, nonce, platform_id, tenant_id`,
      [state, deps.clock.now()],
    );
    if (!rows[0]) throw new UnauthorizedError('invalid_state', 'This launch does not match a login we started (the state is unknown, expired or already used). Open the tool again from your course.');
    return rows[0];
  }

  async function verifyToken(idToken: string, platform: Platform): Promise<JWTPayload & Record<string, unknown>> {
    let alg: string | undefined;
    try {
      alg = decodeProtectedHeader(idToken).alg;
    } catch {
      throw new UnauthorizedError('malformed_id_token', 'The id_token is not a JWT.');
    }
    if (alg !== 'RS256') throw new UnauthorizedError('unsupported_algorithm', `The id_token must be signed with RS256, not ${alg ?? 'nothing'}.`);
    try {
      const { payload } = await jwtVerify(idToken, deps.jwks.forUrl(platform.jwksUrl), {
        issuer: platform.issuer,
        audience: platform.clientId,
        algorithms: ['RS256'],
        maxTokenAge: deps.tokenMaxAgeSeconds,
        clockTolerance: 5,
        currentDate: deps.clock.now(),
        requiredClaims: ['exp', 'iat', 'sub'],
      });
      return payload as JWTPayload & Record<string, unknown>;
    } catch (err) {
      throw mapJoseError(err);
    }
  }

  return {
    async validate(form: unknown): Promise<LaunchContext> {
      const parsed = LaunchForm.safeParse(form ?? {});
      const idToken = parsed.success ? parsed.data.id_token : undefined;
      const state = parsed.success ? parsed.data.state : undefined;
      if (!idToken) throw new UnauthorizedError('missing_id_token', 'The launch carries no id_token: it must come from the LMS.');
      if (!state) throw new UnauthorizedError('missing_state', 'The launch carries no state: it must follow a login started by the tool.');
      const login = await consumeState(state);
      const platform = await deps.platforms.get(login.platform_id);
      if (!platform || !platform.active) throw new UnauthorizedError('platform_inactive', 'The platform of this launch is no longer registered or active.');
      // A token naming another issuer is refused before any key is fetched for it.
      if (unverifiedIssuer(idToken) !== platform.issuer) {
        throw new UnauthorizedError('wrong_issuer', 'The id_token was issued by another platform than the one that started the login (iss).');
      }
      const claims = await verifyToken(idToken, platform);

      // With several audiences, azp must name us; when present it must always be us.
      const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
      if ((aud.length > 1 && claims.azp === undefined) || (claims.azp !== undefined && claims.azp !== platform.clientId)) {
        throw new UnauthorizedError('wrong_azp', 'The id_token was issued to another client (azp).');
      }
      if (typeof claims.nonce !== 'string') throw new UnauthorizedError('missing_nonce', 'The id_token carries no nonce.');
      if (claims.nonce !== login.nonce) throw new UnauthorizedError('wrong_nonce', 'The id_token nonce is not the one issued for this login.');

      const deploymentId = str(claims[LTI_CLAIM.DEPLOYMENT_ID]);
      if (!deploymentId || !platform.deploymentIds.includes(deploymentId)) {
        throw new UnauthorizedError('unknown_deployment', `Deployment ${deploymentId ?? '(none)'} is not registered for this platform.`);
      }
      if (claims[LTI_CLAIM.VERSION] !== '1.3.0') throw new BadRequestError('unsupported_version', 'Only LTI 1.3.0 launches are supported.');
      const messageType = claims[LTI_CLAIM.MESSAGE_TYPE];
      if (messageType !== LTI_MESSAGE.RESOURCE_LINK && messageType !== LTI_MESSAGE.DEEP_LINKING) {
        throw new BadRequestError('unsupported_message_type', `Message type ${String(messageType)} is not supported.`);
      }
      const roles = Array.isArray(claims[LTI_CLAIM.ROLES]) ? (claims[LTI_CLAIM.ROLES] as unknown[]).filter((r): r is string => typeof r === 'string') : [];
      const ctx = obj(claims[LTI_CLAIM.CONTEXT]);
      const link = obj(claims[LTI_CLAIM.RESOURCE_LINK]);
      if (messageType === LTI_MESSAGE.RESOURCE_LINK && !str(link?.id)) throw new BadRequestError('missing_resource_link', 'A resource link launch must carry resource_link.id.');
      const dl = obj(claims[LTI_CLAIM.DEEP_LINKING_SETTINGS]);
      if (messageType === LTI_MESSAGE.DEEP_LINKING && !str(dl?.deep_link_return_url)) {
        throw new BadRequestError('missing_deep_linking_settings', 'A deep linking launch must carry deep_link_return_url.');
      }
      const custom = Object.fromEntries(Object.entries(obj(claims[LTI_CLAIM.CUSTOM]) ?? {}).map(([k, v]) => [k, String(v)]));
      return {
        tenantId: platform.tenantId,
        platform,
        deploymentId,
        messageType,
        sub: String(claims.sub),
        name: str(claims.name) ?? ([str(claims.given_name), str(claims.family_name)].filter(Boolean).join(' ') || null),
        email: str(claims.email),
        roles,
        view: viewForRoles(roles),
        isTest: isTestUser(roles),
        context: ctx && str(ctx.id) ? { id: String(ctx.id), title: str(ctx.title) ?? '', label: str(ctx.label) ?? '' } : null,
        resourceLink: link && str(link.id) ? { id: String(link.id), title: str(link.title) ?? '' } : null,
        custom,
        deepLinking: dl ? (dl as DeepLinkingSettings) : null,
        claims,
      };
    },
  };
}

function unverifiedIssuer(idToken: string): unknown {
  try {
    return decodeJwt(idToken).iss;
  } catch {
    throw new UnauthorizedError('malformed_id_token', 'The id_token is not a JWT.');
  }
}

function mapJoseError(err: unknown): AppError {
  if (err instanceof joseErrors.JWTExpired && err.claim === 'iat') return new UnauthorizedError('token_too_old', 'The id_token was issued too long ago (iat).');
  if (err instanceof joseErrors.JWTExpired) return new UnauthorizedError('token_expired', 'The id_token has expired.');
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    const byClaim: Record<string, [string, string]> = {
      aud: ['wrong_audience', 'The id_token is not addressed to this tool (aud).'],
      iss: ['wrong_issuer', 'The id_token was issued by another platform than the one that started the login (iss).'],
      iat: ['token_too_old', 'The id_token is too old or issued in the future (iat).'],
      nbf: ['token_not_yet_valid', 'The id_token is not valid yet (nbf).'],
      sub: ['missing_subject', 'The id_token names no user (sub).'],
    };
    const [code, message] = byClaim[err.claim] ?? ['invalid_claim', `The id_token claim ${err.claim} is invalid.`];
    return new UnauthorizedError(code, message);
  }
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return new UnauthorizedError('invalid_signature', 'The id_token signature does not verify with the platform keys.');
  if (err instanceof joseErrors.JWKSNoMatchingKey) return new UnauthorizedError('unknown_key', 'The id_token is signed with a key the platform does not publish.');
  if (err instanceof joseErrors.JWKSTimeout) return new AppError(502, 'platform_keys_timeout', 'The platform did not publish its keys in time.');
  if (err instanceof joseErrors.JOSEError) return new UnauthorizedError('invalid_id_token', `The id_token is invalid (${err.code}).`);
  return new AppError(502, 'platform_keys_unavailable', 'The platform keys could not be read.');
}

export type LaunchValidator = ReturnType<typeof createLaunchValidator>;
