// Public types and spec constants of the LTI 1.3 platform simulator.
// Claim names and media types are the 1EdTech ones (LTI Core 1.3, DL 2.0, AGS 2.0, NRPS 2.0, DR 1.0);
// they are collected here so tests can reference them instead of re-typing long URIs.

export type Product = 'moodle' | 'canvas';

export interface SimUser {
  sub: string;
  name?: string;
  given_name?: string;
  family_name?: string;
  email?: string;
  roles: string[];
}

export interface SimContext {
  id: string;
  label?: string;
  title?: string;
}

export interface StartOptions {
  /** Which LMS to imitate (endpoint paths, claims quirks, login method). Default 'moodle'. */
  product?: Product;
  /** Override the deployment id (default: '1' for moodle, a Canvas-style '<n>:<hash>' for canvas). */
  deploymentId?: string;
}

/**
 * Which of the tool's cookies the emulated browser sends with the cross-site POST of id_token+state.
 * - 'cross-site' (default): what a current browser does when the platform (another site in production)
 *   auto-submits the form: only `SameSite=None; Secure` cookies are sent.
 * - 'all': every cookie the tool set (a lenient, same-site browser).
 * - 'none': third-party cookies blocked entirely (Safari / iframe with storage partitioning).
 */
export type CookiePolicy = 'cross-site' | 'all' | 'none';

export interface ManualToolRegistration {
  clientId: string;
  loginUrl: string;
  redirectUris: string[];
  jwksUrl: string;
  deploymentId?: string;
  /** Service scopes the tool may obtain; default: all AGS + NRPS scopes. */
  scopes?: string[];
}

/** Tool registration as the platform stores it (from dynamic or manual registration). */
export interface ToolRecord {
  clientId: string;
  loginUrl: string;
  redirectUris: string[];
  jwksUrl: string;
  scopes: string[];
  targetLinkUri?: string;
}

export interface DeepLinkSettingsOverride {
  accept_types?: string[];
  accept_presentation_document_targets?: string[];
  accept_multiple?: boolean;
  auto_create?: boolean;
  title?: string;
  text?: string;
}

export interface LaunchOptions {
  toolLoginUrl: string;
  targetLinkUri: string;
  user: SimUser;
  /** Course context; default a simulated course. `null` = launch without context (no context/AGS/NRPS claims). */
  context?: SimContext | null;
  resourceLink?: { id: string; title?: string };
  messageType?: 'LtiResourceLinkRequest' | 'LtiDeepLinkingRequest';
  custom?: Record<string, string>;
  loginMethod?: 'GET' | 'POST';
  storageTarget?: string;
  /** Overrides merged into the deep_linking_settings claim (LtiDeepLinkingRequest only). */
  deepLinkSettings?: DeepLinkSettingsOverride;
  /** Cookie behaviour of the emulated browser on the final POST; default 'cross-site'. */
  cookies?: CookiePolicy;
  mutateClaims?: (claims: Record<string, any>) => void | Promise<void>;
  signWith?: 'platform' | 'other';
  replaceState?: string | null;
  beforeLaunchPost?: (form: { id_token: string; state?: string }) => void | Promise<void>;
}

export interface HttpResult {
  status: number;
  location?: string | undefined;
  body: string;
  headers: Headers;
}

export interface LaunchResult {
  /** Where the flow ended: 'login' (tool did not send us to the auth endpoint), 'auth' (auth endpoint refused), 'launch'. */
  stage: 'login' | 'auth' | 'launch';
  loginResponse: { status: number; location?: string | undefined; body: string };
  authRequest?: URLSearchParams | undefined;
  /** The authorization endpoint's raw answer (form_post page or 400 JSON). */
  authResponse?: { status: number; body: string } | undefined;
  idToken?: string | undefined;
  state?: string | undefined;
  claims?: Record<string, any> | undefined;
  /** Tool's answer to the id_token POST; or the auth endpoint's error (stage 'auth'); or status 0 (stage 'login'). */
  response: HttpResult;
  /** Cookies the emulated browser sent / withheld on the id_token POST (helps diagnose state-cookie failures). */
  cookies: { sent: string[]; withheld: Array<{ name: string; reason: string }> };
  replay(): Promise<HttpResult>;
}

export interface LoginInitiation {
  method: 'GET' | 'POST';
  /** Tool login URL (for GET: with the query already appended). */
  url: string;
  params: URLSearchParams;
  messageHint: string;
}

export interface PlatformSimulator {
  readonly product: Product;
  readonly issuer: string;
  readonly origin: string;
  readonly openidConfigurationUrl: string;
  readonly authUrl: string;
  readonly tokenUrl: string;
  readonly jwksUrl: string;
  readonly registrationUrl: string;
  readonly deepLinkReturnUrl: string;
  deploymentId: string;
  readonly clientId: string | undefined;
  readonly tool: ToolRecord | undefined;
  newRegistrationToken(): string;
  registration: any | undefined;
  registerToolManually(t: ManualToolRegistration): void;
  launch(o: LaunchOptions): Promise<LaunchResult>;
  /** Sets up a pending launch and returns the login initiation request without sending it (for custom/browser flows). */
  prepareLaunch(o: LaunchOptions): Promise<LoginInitiation>;
  /** URL of a platform "course page" that starts the launch in a real browser (iframe), e.g. for Playwright. */
  launchPageUrl(o: LaunchOptions): Promise<string>;
  signIdToken(claims: Record<string, unknown>, o?: { key?: 'platform' | 'other'; kid?: string; alg?: 'RS256' }): Promise<string>;
  rotateKeys(): Promise<void>;
  /** Line item seeded by the platform (as if created in the gradebook); returns it with its id URL. */
  addLineItem(contextId: string, item: { label: string; scoreMaximum: number; resourceLinkId?: string; resourceId?: string; tag?: string }): any;
  /** The AGS lineitems container URL for a context (as put into the AGS claim). */
  lineItemsUrl(contextId: string): string;
  /** The NRPS memberships URL for a context. */
  membershipsUrl(contextId: string): string;
  deepLinkReturns: Array<{ jwt: string; payload: any }>;
  ags: { lineItems: any[]; scores: Array<{ lineItemId: string; score: any }> };
  members: Array<SimUser & { status?: string }>;
  tokenRequests: Array<{ scopes: string[]; ok: boolean; error?: string }>;
  requests: Array<{ method: string; path: string }>;
  jwksDelayMs: number;
  close(): Promise<void>;
}

export const CLAIM = {
  messageType: 'https://purl.imsglobal.org/spec/lti/claim/message_type',
  version: 'https://purl.imsglobal.org/spec/lti/claim/version',
  deploymentId: 'https://purl.imsglobal.org/spec/lti/claim/deployment_id',
  targetLinkUri: 'https://purl.imsglobal.org/spec/lti/claim/target_link_uri',
  resourceLink: 'https://purl.imsglobal.org/spec/lti/claim/resource_link',
  roles: 'https://purl.imsglobal.org/spec/lti/claim/roles',
  context: 'https://purl.imsglobal.org/spec/lti/claim/context',
  toolPlatform: 'https://purl.imsglobal.org/spec/lti/claim/tool_platform',
  launchPresentation: 'https://purl.imsglobal.org/spec/lti/claim/launch_presentation',
  custom: 'https://purl.imsglobal.org/spec/lti/claim/custom',
  lis: 'https://purl.imsglobal.org/spec/lti/claim/lis',
  ext: 'https://purl.imsglobal.org/spec/lti/claim/ext',
  lti1p1: 'https://purl.imsglobal.org/spec/lti/claim/lti1p1',
  agsEndpoint: 'https://purl.imsglobal.org/spec/lti-ags/claim/endpoint',
  nrps: 'https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice',
  dlSettings: 'https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings',
  dlContentItems: 'https://purl.imsglobal.org/spec/lti-dl/claim/content_items',
  dlData: 'https://purl.imsglobal.org/spec/lti-dl/claim/data',
  dlMsg: 'https://purl.imsglobal.org/spec/lti-dl/claim/msg',
  dlErrorMsg: 'https://purl.imsglobal.org/spec/lti-dl/claim/errormsg',
  toolConfiguration: 'https://purl.imsglobal.org/spec/lti-tool-configuration',
  platformConfiguration: 'https://purl.imsglobal.org/spec/lti-platform-configuration',
} as const;

export const SCOPE = {
  lineItem: 'https://purl.imsglobal.org/spec/lti-ags/scope/lineitem',
  lineItemReadonly: 'https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly',
  resultReadonly: 'https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly',
  score: 'https://purl.imsglobal.org/spec/lti-ags/scope/score',
  membershipReadonly: 'https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly',
} as const;

export const AGS_SCOPES: string[] = [SCOPE.lineItem, SCOPE.lineItemReadonly, SCOPE.resultReadonly, SCOPE.score];
export const SERVICE_SCOPES: string[] = [...AGS_SCOPES, SCOPE.membershipReadonly];

export const MEDIA = {
  lineItemContainer: 'application/vnd.ims.lis.v2.lineitemcontainer+json',
  lineItem: 'application/vnd.ims.lis.v2.lineitem+json',
  score: 'application/vnd.ims.lis.v1.score+json',
  resultContainer: 'application/vnd.ims.lis.v2.resultcontainer+json',
  membershipContainer: 'application/vnd.ims.lti-nrps.v2.membershipcontainer+json',
} as const;

export const ROLE = {
  instructor: 'http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor',
  learner: 'http://purl.imsglobal.org/vocab/lis/v2/membership#Learner',
  contentDeveloper: 'http://purl.imsglobal.org/vocab/lis/v2/membership#ContentDeveloper',
  institutionStudent: 'http://purl.imsglobal.org/vocab/lis/v2/institution/person#Student',
  institutionInstructor: 'http://purl.imsglobal.org/vocab/lis/v2/institution/person#Instructor',
  administrator: 'http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator',
} as const;

export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
export const COURSE_OFFERING = 'http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering';
