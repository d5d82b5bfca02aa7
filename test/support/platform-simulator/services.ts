// LTI Advantage services: OAuth 2 token endpoint (Security Framework §4.1, RFC 7523 client assertion),
// Assignment and Grade Services 2.0 and Names and Role Provisioning Services 2.0.
import { randomBytes } from 'node:crypto';
import express, { type Express, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { verifyToolJwt } from './keys.js';
import type { Platform } from './platform.js';
import { JWT_BEARER, MEDIA, SCOPE, type SimContext } from './types.js';

const TOKEN_TTL_S = 3600;
const ACTIVITY = ['Initialized', 'Started', 'InProgress', 'Submitted', 'Completed'];
const GRADING = ['FullyGraded', 'Pending', 'PendingManual', 'Failed', 'NotReady'];
// AGS requires ISO 8601 with a time zone designator; sub-second precision is optional.
const ISO_TS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Bearer access token check: 401 without a valid token, 403 when it lacks every scope in `anyOf`. */
function requireScope(sim: Platform, anyOf: string[]): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const token = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '')?.[1];
    const t = token ? sim.accessTokens.get(token) : undefined;
    if (!t || t.expiresAt <= Date.now() || t.clientId !== sim.tool?.clientId) {
      res.status(401).set('www-authenticate', 'Bearer error="invalid_token"').json({ error: 'invalid_token', error_description: 'missing, unknown or expired access token' });
      return;
    }
    if (!anyOf.some((s) => t.scopes.includes(s))) {
      res
        .status(403)
        .set('www-authenticate', `Bearer error="insufficient_scope", scope="${anyOf.join(' ')}"`)
        .json({ error: 'insufficient_scope', error_description: `requires one of: ${anyOf.join(' ')}` });
      return;
    }
    next();
  };
}

/** AGS mandates its media types on writes; anything else is 415 rather than silently accepted. */
function jsonBody(mediaType: string): RequestHandler[] {
  return [
    (req, res, next) => {
      if (!req.is(mediaType)) {
        res.status(415).json({ error: 'unsupported_media_type', error_description: `Content-Type must be ${mediaType}` });
        return;
      }
      next();
    },
    express.json({ type: () => true }),
  ];
}

/** limit/offset paging with an RFC 8288 `Link: <...>; rel="next"` header, as AGS §3.2.6 and NRPS §2.4.2 describe. */
function paginate<T>(sim: Platform, req: Request, res: Response, all: T[]): T[] {
  const limit = Number.parseInt(str(req.query.limit) ?? '', 10);
  const offset = Math.max(0, Number.parseInt(str(req.query.offset) ?? '0', 10) || 0);
  if (!(limit > 0)) return all.slice(offset);
  if (offset + limit < all.length) {
    const next = new URL(req.originalUrl, sim.origin);
    next.searchParams.set('limit', String(limit));
    next.searchParams.set('offset', String(offset + limit));
    res.set('link', `<${next}>; rel="next"`);
  }
  return all.slice(offset, offset + limit);
}

/** Line item fields a tool may set (AGS §3.2.2), plus extension properties named by URI. */
function lineItemFields(b: any): { fields?: Record<string, unknown>; problem?: string } {
  if (!b || typeof b !== 'object' || Array.isArray(b)) return { problem: 'body must be a JSON object' };
  if (typeof b.label !== 'string' || !b.label.trim()) return { problem: 'label is required' };
  if (typeof b.scoreMaximum !== 'number' || !(b.scoreMaximum > 0)) return { problem: 'scoreMaximum must be a number > 0' };
  const fields: Record<string, unknown> = { label: b.label, scoreMaximum: b.scoreMaximum };
  for (const k of ['resourceId', 'tag', 'resourceLinkId', 'startDateTime', 'endDateTime']) {
    if (b[k] === undefined) continue;
    if (typeof b[k] !== 'string') return { problem: `${k} must be a string` };
    fields[k] = b[k];
  }
  if (b.gradesReleased !== undefined) fields.gradesReleased = Boolean(b.gradesReleased);
  for (const k of Object.keys(b)) if (k.includes('://')) fields[k] = b[k];
  return { fields };
}

function validateScore(b: any): string | undefined {
  if (!b || typeof b !== 'object' || Array.isArray(b)) return 'body must be a JSON object';
  if (typeof b.userId !== 'string' || !b.userId) return 'userId is required';
  if (!ACTIVITY.includes(b.activityProgress)) return `activityProgress must be one of ${ACTIVITY.join(', ')}`;
  if (!GRADING.includes(b.gradingProgress)) return `gradingProgress must be one of ${GRADING.join(', ')}`;
  if (typeof b.timestamp !== 'string' || !ISO_TS.test(b.timestamp) || Number.isNaN(Date.parse(b.timestamp)))
    return 'timestamp must be an ISO 8601 date-time with time zone';
  if (b.scoreGiven !== undefined) {
    if (typeof b.scoreGiven !== 'number' || !Number.isFinite(b.scoreGiven) || b.scoreGiven < 0) return 'scoreGiven must be a number >= 0';
    if (typeof b.scoreMaximum !== 'number' || !(b.scoreMaximum > 0)) return 'scoreMaximum is required with scoreGiven and must be > 0';
    if (b.scoreGiven > b.scoreMaximum) return 'scoreGiven exceeds scoreMaximum';
  } else if (b.scoreMaximum !== undefined && (typeof b.scoreMaximum !== 'number' || !(b.scoreMaximum > 0))) {
    return 'scoreMaximum must be a number > 0';
  }
  if (b.comment !== undefined && typeof b.comment !== 'string') return 'comment must be a string';
  return undefined;
}

export function mountServices(app: Express, sim: Platform): void {
  // ---------------- token endpoint ----------------
  app.post(sim.paths.token, express.urlencoded({ extended: false }), async (req, res): Promise<void> => {
    const b = (req.body ?? {}) as Record<string, unknown>;
    const scopes = (str(b.scope) ?? '').split(' ').filter(Boolean);
    const fail = (status: number, error: string, error_description: string): void => {
      sim.tokenRequests.push({ scopes, ok: false, error });
      res.status(status).set('cache-control', 'no-store').json({ error, error_description });
    };
    if (b.grant_type !== 'client_credentials') return fail(400, 'unsupported_grant_type', 'grant_type must be client_credentials');
    if (b.client_assertion_type !== JWT_BEARER) return fail(400, 'invalid_request', `client_assertion_type must be ${JWT_BEARER}`);
    const assertion = str(b.client_assertion);
    if (!assertion) return fail(400, 'invalid_request', 'client_assertion missing');
    const tool = sim.tool;
    if (!tool) return fail(401, 'invalid_client', 'no tool registered');
    if (b.client_id !== undefined && b.client_id !== tool.clientId) return fail(401, 'invalid_client', 'client_id does not match');

    let payload;
    try {
      payload = await verifyToolJwt(assertion, tool.jwksUrl, {
        issuer: tool.clientId,
        subject: tool.clientId,
        // Security Framework §4.1.1: aud is the token endpoint; the issuer is tolerated (some tools use it).
        audience: [sim.tokenUrl, sim.issuer],
        requiredClaims: ['exp', 'iat', 'jti'],
      });
    } catch (e) {
      return fail(401, 'invalid_client', `client_assertion rejected: ${(e as Error).message}`);
    }
    const jti = `${payload.iss}:${payload.jti}`;
    if (sim.usedAssertionIds.has(jti)) return fail(401, 'invalid_client', 'client_assertion jti already used');
    sim.usedAssertionIds.add(jti);

    if (scopes.length === 0) return fail(400, 'invalid_scope', 'scope missing');
    const granted = scopes.filter((s) => tool.scopes.includes(s));
    if (granted.length === 0) return fail(400, 'invalid_scope', `none of the requested scopes is granted to this tool (${tool.scopes.join(' ') || 'none'})`);

    const accessToken = randomBytes(24).toString('base64url');
    sim.accessTokens.set(accessToken, { clientId: tool.clientId, scopes: granted, expiresAt: Date.now() + TOKEN_TTL_S * 1000 });
    sim.tokenRequests.push({ scopes, ok: true });
    res.set('cache-control', 'no-store').json({ access_token: accessToken, token_type: 'Bearer', expires_in: TOKEN_TTL_S, scope: granted.join(' ') });
  });

  // ---------------- AGS 2.0 ----------------
  const readItems = requireScope(sim, [SCOPE.lineItem, SCOPE.lineItemReadonly]);
  const writeItems = requireScope(sim, [SCOPE.lineItem]);
  const item = (req: Request, res: Response): any | undefined => {
    const found = sim.findLineItem(String(req.params.contextId), String(req.params.itemId));
    if (!found) res.status(404).json({ error: 'not_found', error_description: 'no such line item' });
    return found;
  };

  app.get('/ags/:contextId/lineitems', readItems, (req, res): void => {
    let items = sim.lineItemsOf(String(req.params.contextId));
    for (const [param, field] of [['resource_link_id', 'resourceLinkId'], ['resource_id', 'resourceId'], ['tag', 'tag']] as const) {
      const v = str(req.query[param]);
      if (v !== undefined) items = items.filter((li) => li[field] === v);
    }
    res.type(MEDIA.lineItemContainer).json(paginate(sim, req, res, items));
  });

  app.post('/ags/:contextId/lineitems', writeItems, ...jsonBody(MEDIA.lineItem), (req, res): void => {
    const { fields, problem } = lineItemFields(req.body);
    if (!fields) return void res.status(400).json({ error: 'invalid_request', error_description: problem });
    res.status(201).type(MEDIA.lineItem).json(sim.createLineItem(String(req.params.contextId), fields));
  });

  app.get('/ags/:contextId/lineitems/:itemId', readItems, (req, res): void => {
    const li = item(req, res);
    if (li) res.type(MEDIA.lineItem).json(li);
  });

  app.put('/ags/:contextId/lineitems/:itemId', writeItems, ...jsonBody(MEDIA.lineItem), (req, res): void => {
    const li = item(req, res);
    if (!li) return;
    if (req.body?.id !== undefined && req.body.id !== li.id) return void res.status(400).json({ error: 'invalid_request', error_description: 'id cannot be changed' });
    const { fields, problem } = lineItemFields(req.body);
    if (!fields) return void res.status(400).json({ error: 'invalid_request', error_description: problem });
    for (const k of Object.keys(li)) if (k !== 'id') delete li[k];
    Object.assign(li, fields);
    res.type(MEDIA.lineItem).json(li);
  });

  app.delete('/ags/:contextId/lineitems/:itemId', writeItems, (req, res): void => {
    const li = item(req, res);
    if (!li) return;
    sim.ags.lineItems.splice(sim.ags.lineItems.indexOf(li), 1);
    res.status(204).end();
  });

  app.post('/ags/:contextId/lineitems/:itemId/scores', requireScope(sim, [SCOPE.score]), ...jsonBody(MEDIA.score), (req, res): void => {
    const li = item(req, res);
    if (!li) return;
    const problem = validateScore(req.body);
    if (problem) return void res.status(400).json({ error: 'invalid_request', error_description: problem });
    const score = req.body;
    if (sim.members.length && !sim.members.some((m) => m.sub === score.userId))
      return void res.status(400).json({ error: 'invalid_request', error_description: `userId ${score.userId} is not a member of the context` });
    // AGS §3.4.1: a platform must not let an older score overwrite a newer one.
    const newer = sim.ags.scores.some((s) => s.lineItemId === li.id && s.score.userId === score.userId && Date.parse(s.score.timestamp) > Date.parse(score.timestamp));
    if (newer) return void res.status(409).json({ error: 'conflict', error_description: 'a score with a later timestamp is already recorded' });
    sim.ags.scores.push({ lineItemId: li.id, score });
    if (sim.product === 'canvas') res.status(200).json({ resultUrl: `${li.id.split('?')[0]}/results/${encodeURIComponent(score.userId)}` });
    else res.status(204).end();
  });

  app.get('/ags/:contextId/lineitems/:itemId/results', requireScope(sim, [SCOPE.resultReadonly]), (req, res): void => {
    const li = item(req, res);
    if (!li) return;
    const latest = new Map<string, any>();
    for (const { lineItemId, score } of sim.ags.scores) {
      if (lineItemId !== li.id) continue;
      const prev = latest.get(score.userId);
      if (!prev || Date.parse(prev.timestamp) <= Date.parse(score.timestamp)) latest.set(score.userId, score);
    }
    const userFilter = str(req.query.user_id);
    const base = li.id.split('?')[0];
    const results = [...latest.values()]
      .filter((s) => userFilter === undefined || s.userId === userFilter)
      .map((s) => ({
        id: `${base}/results/${encodeURIComponent(s.userId)}`,
        scoreOf: li.id,
        userId: s.userId,
        // Results are expressed on the line item's scale (AGS §3.3).
        ...(typeof s.scoreGiven === 'number' && { resultScore: (s.scoreGiven / s.scoreMaximum) * li.scoreMaximum, resultMaximum: li.scoreMaximum }),
        ...(s.comment !== undefined && { comment: s.comment }),
      }));
    res.type(MEDIA.resultContainer).json(paginate(sim, req, res, results));
  });

  // ---------------- NRPS 2.0 ----------------
  app.get('/nrps/:contextId/memberships', requireScope(sim, [SCOPE.membershipReadonly]), (req, res): void => {
    const contextId = String(req.params.contextId);
    const ctx: SimContext = sim.contexts.get(contextId) ?? { id: contextId };
    const role = str(req.query.role);
    const members = sim.members
      .filter((m) => !role || m.roles.some((r) => r === role || r.endsWith(`#${role}`)))
      .map((m) => ({
        status: m.status ?? 'Active',
        ...(m.name !== undefined && { name: m.name }),
        ...(m.given_name !== undefined && { given_name: m.given_name }),
        ...(m.family_name !== undefined && { family_name: m.family_name }),
        ...(m.email !== undefined && { email: m.email }),
        user_id: m.sub,
        roles: [...m.roles],
      }));
    res.type(MEDIA.membershipContainer).json({
      id: new URL(req.originalUrl, sim.origin).toString(),
      context: { id: ctx.id, ...(ctx.label !== undefined && { label: ctx.label }), ...(ctx.title !== undefined && { title: ctx.title }) },
      members: paginate(sim, req, res, members),
    });
  });
}
