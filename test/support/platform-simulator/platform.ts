// The simulator object: shared state, URL layout per product, and the HTTP server that hosts the routes.
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import { SignJWT } from 'jose';
import { defaultContext, defaultResourceLink, type ClaimsEnv, type DeepLinkRequestRecord, type PendingLaunch } from './claims.js';
import { DEEP_LINK_RETURN_PATH, mountDeepLinkReturn } from './deeplink.js';
import { PlatformKeys } from './keys.js';
import { runLaunch } from './launch.js';
import { mountOidc } from './oidc.js';
import { mountRegistration } from './registration.js';
import { mountServices } from './services.js';
import {
  SERVICE_SCOPES,
  type LaunchOptions,
  type LaunchResult,
  type LoginInitiation,
  type ManualToolRegistration,
  type PlatformSimulator,
  type Product,
  type SimContext,
  type SimUser,
  type StartOptions,
  type ToolRecord,
} from './types.js';

// Real endpoint paths of each product, so tools that pattern-match URLs meet what they would in production.
const PATHS: Record<Product, { openid: string; auth: string; token: string; jwks: string; registration: string }> = {
  moodle: {
    openid: '/mod/lti/openid-configuration.php',
    auth: '/mod/lti/auth.php',
    token: '/mod/lti/token.php',
    jwks: '/mod/lti/certs.php',
    registration: '/mod/lti/openid-registration.php',
  },
  canvas: {
    openid: '/api/lti/security/openid-configuration',
    auth: '/api/lti/authorize_redirect',
    token: '/login/oauth2/token',
    jwks: '/api/lti/security/jwks',
    registration: '/api/lti/registrations',
  },
};

const enc = encodeURIComponent;

export class Platform implements PlatformSimulator {
  origin = '';
  deploymentId: string;
  tool: ToolRecord | undefined;
  registration: any | undefined;
  deepLinkReturns: Array<{ jwt: string; payload: any }> = [];
  ags: { lineItems: any[]; scores: Array<{ lineItemId: string; score: any }> } = { lineItems: [], scores: [] };
  members: Array<SimUser & { status?: string }> = [];
  tokenRequests: Array<{ scopes: string[]; ok: boolean; error?: string }> = [];
  requests: Array<{ method: string; path: string }> = [];
  jwksDelayMs = 0;

  // ---- internals shared with the route modules ----
  readonly paths: (typeof PATHS)[Product];
  readonly platformGuid = randomUUID();
  readonly registrationTokens = new Set<string>();
  readonly pending = new Map<string, PendingLaunch>();
  readonly launchPages = new Map<string, LoginInitiation>();
  readonly deepLinkRequests = new Map<string, DeepLinkRequestRecord>();
  readonly accessTokens = new Map<string, { clientId: string; scopes: string[]; expiresAt: number }>();
  readonly usedAssertionIds = new Set<string>();
  readonly contexts = new Map<string, SimContext>();
  private lineItemSeq = 0;
  private server: http.Server | undefined;

  constructor(
    readonly product: Product,
    readonly keys: PlatformKeys,
    deploymentId?: string,
  ) {
    this.paths = PATHS[product];
    // Moodle's deployment id is the tool type id; Canvas' is "<id>:<context hash>".
    this.deploymentId = deploymentId ?? (product === 'moodle' ? '1' : `7:${randomBytes(20).toString('hex')}`);
  }

  // Moodle's issuer is its wwwroot; for both products the origin is unique per instance (ephemeral port)
  // and is a prefix of the openid-configuration URL, as DR 1.0 expects.
  get issuer(): string {
    return this.origin;
  }
  get openidConfigurationUrl(): string {
    return this.origin + this.paths.openid;
  }
  get authUrl(): string {
    return this.origin + this.paths.auth;
  }
  get tokenUrl(): string {
    return this.origin + this.paths.token;
  }
  get jwksUrl(): string {
    return this.origin + this.paths.jwks;
  }
  get registrationUrl(): string {
    return this.origin + this.paths.registration;
  }
  get deepLinkReturnUrl(): string {
    return this.origin + DEEP_LINK_RETURN_PATH;
  }
  get clientId(): string | undefined {
    return this.tool?.clientId;
  }

  newRegistrationToken(): string {
    const t = randomBytes(24).toString('base64url');
    this.registrationTokens.add(t);
    return t;
  }

  registerToolManually(t: ManualToolRegistration): void {
    this.tool = {
      clientId: t.clientId,
      loginUrl: t.loginUrl,
      redirectUris: [...t.redirectUris],
      jwksUrl: t.jwksUrl,
      scopes: [...(t.scopes ?? SERVICE_SCOPES)],
    };
    if (t.deploymentId !== undefined) this.deploymentId = t.deploymentId;
  }

  launch(o: LaunchOptions): Promise<LaunchResult> {
    return runLaunch(this, o);
  }

  async prepareLaunch(o: LaunchOptions): Promise<LoginInitiation> {
    const tool = this.tool;
    if (!tool) throw new Error('platform simulator: no tool registered (dynamic registration or registerToolManually first)');
    const messageType = o.messageType ?? 'LtiResourceLinkRequest';
    const context = o.context === null ? null : (o.context ?? defaultContext(this.product));
    const resourceLink = messageType === 'LtiResourceLinkRequest' ? (o.resourceLink ?? defaultResourceLink(this.product)) : undefined;
    if (context) {
      this.contexts.set(context.id, context);
      // Whoever launches from a course is enrolled in it, so NRPS and AGS know the user.
      if (!this.members.some((m) => m.sub === o.user.sub)) this.members.push({ ...o.user, roles: [...o.user.roles], status: 'Active' });
    }

    const messageHint = await this.messageHint(messageType, context, resourceLink, o.storageTarget !== undefined);
    this.pending.set(messageHint, {
      options: o,
      messageHint,
      loginHint: o.user.sub,
      messageType,
      context,
      resourceLink,
      dlData: messageType === 'LtiDeepLinkingRequest' ? randomBytes(18).toString('base64url') : undefined,
    });

    const params = new URLSearchParams({
      iss: this.issuer,
      login_hint: o.user.sub,
      target_link_uri: o.targetLinkUri,
      lti_message_hint: messageHint,
      client_id: tool.clientId,
      lti_deployment_id: this.deploymentId,
    });
    if (this.product === 'canvas') {
      params.set('canvas_environment', 'prod');
      params.set('canvas_region', 'us-east-1');
    }
    if (o.storageTarget !== undefined) params.set('lti_storage_target', o.storageTarget);
    const method = o.loginMethod ?? (this.product === 'canvas' ? 'POST' : 'GET');
    const url = new URL(o.toolLoginUrl);
    if (method === 'GET') for (const [k, v] of params) url.searchParams.append(k, v);
    return { method, url: url.toString(), params, messageHint };
  }

  async launchPageUrl(o: LaunchOptions): Promise<string> {
    const init = await this.prepareLaunch(o);
    const id = randomBytes(9).toString('base64url');
    this.launchPages.set(id, init);
    return `${this.origin}/sim/launch/${id}`;
  }

  /** Moodle sends a JSON hint naming the course module; Canvas an opaque signed JWT. */
  private async messageHint(type: string, context: SimContext | null, link: { id: string } | undefined, storage: boolean): Promise<string> {
    const nonce = randomBytes(8).toString('hex');
    if (this.product === 'moodle') {
      const launchid = `ltilaunch${this.deploymentId}_${nonce}`;
      return JSON.stringify(type === 'LtiResourceLinkRequest' ? { cmid: Number(link?.id) || 12, launchid } : { launchid });
    }
    return new SignJWT({ verifier: nonce, canvas_domain: new URL(this.origin).host, context_type: 'Course', context_id: context?.id, include_storage_target: storage })
      .setProtectedHeader({ alg: 'RS256', kid: this.keys.current.kid })
      .setExpirationTime('5m')
      .sign(this.keys.current.privateKey);
  }

  signIdToken(claims: Record<string, unknown>, o?: { key?: 'platform' | 'other'; kid?: string; alg?: 'RS256' }): Promise<string> {
    return this.keys.sign(claims, o);
  }

  rotateKeys(): Promise<void> {
    return this.keys.rotate();
  }

  // ---- AGS / NRPS URL layout ----
  private lineItemsPath(contextId: string): string {
    return `/ags/${enc(contextId)}/lineitems`;
  }
  /** Moodle appends `?type_id=` to its AGS URLs; tools must insert `/scores` into the path, not append to the string. */
  private moodleQuery(): string {
    return this.product === 'moodle' ? `?type_id=${enc(this.deploymentId)}` : '';
  }
  lineItemsUrl(contextId: string): string {
    return this.origin + this.lineItemsPath(contextId) + this.moodleQuery();
  }
  lineItemUrl(contextId: string, itemId: string): string {
    return `${this.origin}${this.lineItemsPath(contextId)}/${enc(itemId)}${this.moodleQuery()}`;
  }
  membershipsUrl(contextId: string): string {
    return `${this.origin}/nrps/${enc(contextId)}/memberships`;
  }
  /** Finds a stored line item by context and item id (path segment), ignoring any query in its id URL. */
  findLineItem(contextId: string, itemId: string): any | undefined {
    const path = `${this.lineItemsPath(contextId)}/${enc(itemId)}`;
    return this.ags.lineItems.find((li) => new URL(li.id).pathname === path);
  }
  lineItemsOf(contextId: string): any[] {
    const prefix = `${this.lineItemsPath(contextId)}/`;
    return this.ags.lineItems.filter((li) => new URL(li.id).pathname.startsWith(prefix));
  }
  createLineItem(contextId: string, fields: Record<string, unknown>): any {
    const item = { id: this.lineItemUrl(contextId, String(++this.lineItemSeq)), ...fields };
    this.ags.lineItems.push(item);
    return item;
  }
  addLineItem(contextId: string, item: { label: string; scoreMaximum: number; resourceLinkId?: string; resourceId?: string; tag?: string }): any {
    return this.createLineItem(contextId, { ...item });
  }

  claimsEnv(tool: ToolRecord): ClaimsEnv {
    return {
      product: this.product,
      issuer: this.issuer,
      origin: this.origin,
      deploymentId: this.deploymentId,
      tool,
      platformGuid: this.platformGuid,
      deepLinkReturnUrl: this.deepLinkReturnUrl,
      lineItemsUrl: (c) => this.lineItemsUrl(c),
      membershipsUrl: (c) => this.membershipsUrl(c),
      lineItemFor: (c, rl) => {
        const bound = this.lineItemsOf(c).filter((li) => li.resourceLinkId === rl);
        return bound.length === 1 ? bound[0].id : undefined;
      },
    };
  }

  async listen(): Promise<void> {
    const app = express();
    app.disable('x-powered-by');
    app.use((req, _res, next) => {
      this.requests.push({ method: req.method, path: req.path });
      next();
    });
    mountRegistration(app, this);
    mountOidc(app, this);
    mountDeepLinkReturn(app, this);
    mountServices(app, this);
    app.use((req: Request, res: Response) => {
      res.status(404).json({ error: 'not_found', error_description: `${req.method} ${req.path}` });
    });
    // Body-parser errors (bad JSON, wrong charset) carry a 4xx status; anything else is a simulator bug.
    app.use((err: any, _req: Request, res: Response, _next: NextFunction) => {
      const status = typeof err?.status === 'number' ? err.status : 500;
      res.status(status).json({ error: status < 500 ? 'invalid_request' : 'server_error', error_description: String(err?.message ?? err) });
    });

    const server = http.createServer(app);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // Keep-alive sockets (undici's pool in the test process) would otherwise keep close() pending.
    server.closeAllConnections();
    await closed;
  }
}

export async function startPlatform(opts: StartOptions = {}): Promise<PlatformSimulator> {
  const sim = new Platform(opts.product ?? 'moodle', await PlatformKeys.create(), opts.deploymentId);
  await sim.listen();
  return sim;
}
