// Builds the id_token claims of an LTI 1.3 launch (LTI Core 1.3 §5, DL 2.0 §4.4, AGS 2.0 §3.1, NRPS 2.0 §3.6),
// with the product-specific extras Moodle 4.5 / Canvas actually send, so tools meet realistic payloads.
import { randomBytes } from 'node:crypto';
import { AGS_SCOPES, CLAIM, COURSE_OFFERING, SCOPE, type LaunchOptions, type Product, type SimContext, type ToolRecord } from './types.js';

/** A launch started by launch()/prepareLaunch(), looked up by lti_message_hint at the auth endpoint. */
export interface PendingLaunch {
  options: LaunchOptions;
  messageHint: string;
  loginHint: string;
  messageType: 'LtiResourceLinkRequest' | 'LtiDeepLinkingRequest';
  context: SimContext | null;
  resourceLink?: { id: string; title?: string } | undefined;
  /** Opaque deep-linking `data`, which the tool must echo in its LtiDeepLinkingResponse. */
  dlData?: string | undefined;
  /** Filled by the auth endpoint once it has answered with an id_token. */
  issued?: { idToken: string; state?: string | undefined; claims: Record<string, any>; redirectUri: string };
}

/** What the platform remembers about a deep-linking request, to check the tool's response against. */
export interface DeepLinkRequestRecord {
  settings: Record<string, any>;
  deploymentId: string;
  used: boolean;
}

export interface ClaimsEnv {
  product: Product;
  issuer: string;
  origin: string;
  deploymentId: string;
  tool: ToolRecord;
  platformGuid: string;
  deepLinkReturnUrl: string;
  lineItemsUrl(contextId: string): string;
  membershipsUrl(contextId: string): string;
  /** A line item bound to this resource link, if the gradebook has exactly one. */
  lineItemFor(contextId: string, resourceLinkId: string): string | undefined;
}

export const PRODUCT_INFO: Record<Product, { name: string; version: string }> = {
  // Moodle reports its $CFG->release; 4.5's build number is 20241007.
  moodle: { name: 'Badgetrail Sim Moodle', version: '4.5 (Build: 20241007)' },
  canvas: { name: 'Badgetrail Sim Canvas', version: 'cloud' },
};

export function defaultContext(product: Product): SimContext {
  // Moodle course ids are small integers (1 is the site); Canvas sends an opaque hash as context id.
  return product === 'moodle'
    ? { id: '2', label: 'BT101', title: 'Badgetrail Test Course' }
    : { id: '4dde05e8ca1973bcca9bffc13e1548820eee93a3', label: 'BT101', title: 'Badgetrail Test Course' };
}

export function defaultResourceLink(product: Product): { id: string; title: string } {
  return product === 'moodle'
    ? { id: '12', title: 'Badgetrail activity' }
    : { id: randomBytes(20).toString('hex'), title: 'Badgetrail activity' };
}

export function buildLaunchClaims(env: ClaimsEnv, p: PendingLaunch, nonce: string): Record<string, any> {
  const o = p.options;
  const context = p.context;
  const product = env.product;
  const now = Math.floor(Date.now() / 1000);
  const u = o.user;
  const claims: Record<string, any> = {
    iss: env.issuer,
    aud: env.tool.clientId,
    azp: env.tool.clientId,
    sub: u.sub,
    exp: now + 60,
    iat: now,
    nonce,
  };
  for (const k of ['name', 'given_name', 'family_name', 'email'] as const) if (u[k] !== undefined) claims[k] = u[k];

  claims[CLAIM.messageType] = p.messageType;
  claims[CLAIM.version] = '1.3.0';
  claims[CLAIM.deploymentId] = env.deploymentId;
  claims[CLAIM.targetLinkUri] = o.targetLinkUri;
  claims[CLAIM.roles] = [...u.roles];
  if (p.messageType === 'LtiResourceLinkRequest' && p.resourceLink) claims[CLAIM.resourceLink] = { ...p.resourceLink };
  if (context) {
    claims[CLAIM.context] = {
      id: context.id,
      ...(context.label !== undefined && { label: context.label }),
      ...(context.title !== undefined && { title: context.title }),
      type: [COURSE_OFFERING],
    };
  }
  claims[CLAIM.toolPlatform] = {
    guid: env.platformGuid,
    name: PRODUCT_INFO[product].name,
    product_family_code: product,
    version: PRODUCT_INFO[product].version,
    url: env.origin,
  };
  const ctxId = context?.id ?? '1';
  claims[CLAIM.launchPresentation] = {
    document_target: 'iframe',
    return_url:
      product === 'moodle'
        ? `${env.origin}/course/view.php?id=${encodeURIComponent(ctxId)}`
        : `${env.origin}/courses/${encodeURIComponent(ctxId)}/external_content/success/external_tool_redirect`,
    locale: 'en',
  };
  claims[CLAIM.custom] = { ...(o.custom ?? {}) };
  claims[CLAIM.lis] = { person_sourcedid: '', course_section_sourcedid: '' };
  if (product === 'moodle') {
    claims[CLAIM.ext] = { user_username: u.email ?? `user${u.sub}`, lms: 'moodle-2' };
  } else {
    claims['https://www.instructure.com/placement'] = p.messageType === 'LtiDeepLinkingRequest' ? 'link_selection' : 'course_navigation';
    claims[CLAIM.lti1p1] = { user_id: randomBytes(20).toString('hex') };
  }

  // Service claims only list what the registration was granted (a platform never advertises more).
  if (context) {
    const agsScopes = AGS_SCOPES.filter((s) => env.tool.scopes.includes(s));
    if (agsScopes.length) {
      const lineitem = p.resourceLink && p.messageType === 'LtiResourceLinkRequest' ? env.lineItemFor(context.id, p.resourceLink.id) : undefined;
      claims[CLAIM.agsEndpoint] = { scope: agsScopes, lineitems: env.lineItemsUrl(context.id), ...(lineitem && { lineitem }) };
    }
    if (env.tool.scopes.includes(SCOPE.membershipReadonly)) {
      claims[CLAIM.nrps] = { context_memberships_url: env.membershipsUrl(context.id), service_versions: ['2.0'] };
    }
  }

  if (p.messageType === 'LtiDeepLinkingRequest') {
    claims[CLAIM.dlSettings] = {
      deep_link_return_url: env.deepLinkReturnUrl,
      accept_types: ['ltiResourceLink'],
      accept_presentation_document_targets: ['iframe', 'window'],
      accept_multiple: true,
      auto_create: true,
      ...(o.deepLinkSettings ?? {}),
      data: p.dlData,
    };
  }
  return claims;
}
