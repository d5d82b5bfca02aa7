// Self-test of the LTI platform simulator against a tiny throwaway tool built here with express + jose,
// so the simulator is proven against spec behaviour independently of Badgetrail's own LTI code.
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLAIM,
  JWT_BEARER,
  MEDIA,
  ROLE,
  SCOPE,
  findAuthRequest,
  startPlatform,
  type PlatformSimulator,
  type SimUser,
} from '../support/platform-simulator.js';

// ---------------------------------------------------------------------------------------------
// Throwaway tool
// ---------------------------------------------------------------------------------------------

interface PlatformConfig {
  issuer: string;
  clientId: string;
  authUrl: string;
  jwksUrl: string;
}

interface FakeTool {
  origin: string;
  loginUrl: string;
  launchUrl: string;
  jwksUrl: string;
  platform?: PlatformConfig;
  /** Overrides applied to the auth request the tool builds (to provoke auth endpoint errors). */
  authOverrides: Record<string, string | null>;
  /** Sign a JWT with the tool's published key (client assertions, deep-linking responses). */
  sign(payload: Record<string, unknown>, o?: { foreign?: boolean }): Promise<string>;
  close(): Promise<void>;
}

async function startFakeTool(): Promise<FakeTool> {
  const kid = `tool-${randomBytes(4).toString('hex')}`;
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  const foreign = await generateKeyPair('RS256', { extractable: true });
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  const states = new Map<string, { nonce: string }>();
  let platformJwks: ReturnType<typeof createRemoteJWKSet> | undefined;

  const app = express();
  const tool: FakeTool = {
    origin: '',
    loginUrl: '',
    launchUrl: '',
    jwksUrl: '',
    authOverrides: {},
    sign: (payload, o) =>
      new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid }).sign((o?.foreign ? foreign.privateKey : privateKey) as CryptoKey),
    close: async () => {},
  };

  app.get('/jwks', (_req, res) => res.json({ keys: [publicJwk] }));

  app.all('/lti/login', express.urlencoded({ extended: false }), (req, res): void => {
    const p = (req.method === 'POST' ? req.body : req.query) as Record<string, string>;
    const pf = tool.platform;
    if (!pf || p.iss !== pf.issuer || p.client_id !== pf.clientId) return void res.status(400).send('unknown platform');
    const state = randomBytes(16).toString('base64url');
    const nonce = randomBytes(16).toString('base64url');
    states.set(state, { nonce });
    res.cookie(`state_${state}`, '1', { sameSite: 'none', secure: true, httpOnly: true, path: '/lti' });
    const auth = new URL(pf.authUrl);
    const params: Record<string, string> = {
      scope: 'openid',
      response_type: 'id_token',
      client_id: pf.clientId,
      redirect_uri: tool.launchUrl,
      login_hint: p.login_hint!,
      state,
      response_mode: 'form_post',
      nonce,
      prompt: 'none',
      ...(p.lti_message_hint !== undefined && { lti_message_hint: p.lti_message_hint }),
    };
    for (const [k, v] of Object.entries({ ...params, ...tool.authOverrides })) if (v !== null) auth.searchParams.set(k, v);
    // With lti_storage_target the tool answers with a page (it would postMessage the state first).
    if (p.lti_storage_target) return void res.type('html').send(`<html><body><div id="go" data-auth-url="${auth.toString().replace(/&/g, '&amp;')}"></div></body></html>`);
    res.redirect(302, auth.toString());
  });

  app.post('/lti/launch', express.urlencoded({ extended: false }), async (req, res): Promise<void> => {
    const pf = tool.platform!;
    const { id_token: idToken, state } = req.body as Record<string, string | undefined>;
    const pending = state ? states.get(state) : undefined;
    if (!idToken || !state || !pending) return void res.status(401).json({ error: 'unknown state' });
    if (!(req.get('cookie') ?? '').includes(`state_${state}=1`)) return void res.status(401).json({ error: 'state cookie missing' });
    states.delete(state);
    try {
      platformJwks ??= createRemoteJWKSet(new URL(pf.jwksUrl), { cooldownDuration: 0 });
      const { payload } = await jwtVerify(idToken, platformJwks, { issuer: pf.issuer, audience: pf.clientId, algorithms: ['RS256'] });
      if (payload.nonce !== pending.nonce) return void res.status(401).json({ error: 'nonce mismatch' });
      res.json({ claims: payload });
    } catch (e) {
      res.status(401).json({ error: (e as Error).message, code: (e as { code?: string }).code });
    }
  });

  const server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  tool.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  tool.loginUrl = `${tool.origin}/lti/login`;
  tool.launchUrl = `${tool.origin}/lti/launch`;
  tool.jwksUrl = `${tool.origin}/jwks`;
  tool.close = () =>
    new Promise<void>((r) => {
      server.close(() => r());
      server.closeAllConnections();
    });
  return tool;
}

function registrationRequest(tool: FakeTool, scopes: string[]) {
  return {
    application_type: 'web',
    response_types: ['id_token'],
    grant_types: ['implicit', 'client_credentials'],
    initiate_login_uri: tool.loginUrl,
    redirect_uris: [tool.launchUrl],
    client_name: 'Throwaway tool',
    jwks_uri: tool.jwksUrl,
    token_endpoint_auth_method: 'private_key_jwt',
    scope: scopes.join(' '),
    [CLAIM.toolConfiguration]: {
      domain: new URL(tool.origin).host,
      target_link_uri: tool.launchUrl,
      claims: ['iss', 'sub', 'name', 'email'],
      messages: [{ type: 'LtiDeepLinkingRequest', target_link_uri: tool.launchUrl }],
    },
  };
}

/** The tool's side of LTI Dynamic Registration: fetch the configuration, POST its metadata. */
async function registerDynamically(sim: PlatformSimulator, tool: FakeTool, scopes: string[] = [SCOPE.lineItem, SCOPE.score, SCOPE.resultReadonly, SCOPE.membershipReadonly]) {
  const config = (await (await fetch(sim.openidConfigurationUrl)).json()) as Record<string, any>;
  const res = await fetch(config.registration_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${sim.newRegistrationToken()}` },
    body: JSON.stringify(registrationRequest(tool, scopes)),
  });
  expect(res.status).toBe(201);
  const reg = (await res.json()) as Record<string, any>;
  tool.platform = { issuer: config.issuer, clientId: reg.client_id, authUrl: config.authorization_endpoint, jwksUrl: config.jwks_uri };
  return reg;
}

async function clientAssertion(sim: PlatformSimulator, tool: FakeTool, o: { foreign?: boolean; jti?: string } = {}) {
  const clientId = tool.platform!.clientId;
  const now = Math.floor(Date.now() / 1000);
  return tool.sign({ iss: clientId, sub: clientId, aud: sim.tokenUrl, iat: now, exp: now + 300, jti: o.jti ?? randomUUID() }, o);
}

async function requestToken(sim: PlatformSimulator, assertion: string, scopes: string[]) {
  const res = await fetch(sim.tokenUrl, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'client_credentials', client_assertion_type: JWT_BEARER, client_assertion: assertion, scope: scopes.join(' ') }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

const student: SimUser = { sub: '5', name: 'Ada Lovelace', given_name: 'Ada', family_name: 'Lovelace', email: 'ada@example.edu', roles: [ROLE.learner] };
const teacher: SimUser = { sub: '3', name: 'Grace Hopper', given_name: 'Grace', family_name: 'Hopper', email: 'grace@example.edu', roles: [ROLE.instructor] };
const course = { id: '2', label: 'BT101', title: 'Badges 101' };

// ---------------------------------------------------------------------------------------------

describe('platform simulator: configuration and dynamic registration', () => {
  let sim: PlatformSimulator;
  let tool: FakeTool;
  beforeAll(async () => {
    [sim, tool] = await Promise.all([startPlatform(), startFakeTool()]);
  });
  afterAll(async () => {
    await Promise.all([sim.close(), tool.close()]);
  });

  it('serves an OpenID configuration per LTI DR §3.4', async () => {
    const res = await fetch(sim.openidConfigurationUrl);
    expect(res.status).toBe(200);
    const c = (await res.json()) as Record<string, any>;
    expect(c).toMatchObject({
      issuer: sim.issuer,
      authorization_endpoint: sim.authUrl,
      token_endpoint: sim.tokenUrl,
      jwks_uri: sim.jwksUrl,
      registration_endpoint: sim.registrationUrl,
      response_types_supported: ['id_token'],
      id_token_signing_alg_values_supported: ['RS256'],
    });
    expect(c.scopes_supported).toEqual(expect.arrayContaining(['openid', SCOPE.lineItem, SCOPE.score, SCOPE.membershipReadonly]));
    expect(c.claims_supported).toEqual(expect.arrayContaining(['sub', 'iss']));
    expect(c.subject_types_supported).toContain('public');
    const pc = c[CLAIM.platformConfiguration];
    expect(pc.product_family_code).toBe('moodle');
    expect(typeof pc.version).toBe('string');
    expect(pc.messages_supported.map((m: { type: string }) => m.type)).toEqual(['LtiResourceLinkRequest', 'LtiDeepLinkingRequest']);
    expect(sim.openidConfigurationUrl.startsWith(c.issuer)).toBe(true);
  });

  it('publishes RS256 signing keys and rotates them', async () => {
    const jwks = (await (await fetch(sim.jwksUrl)).json()) as { keys: JWK[] };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
    expect(jwks.keys[0]!.d).toBeUndefined();
    await sim.rotateKeys();
    const after = (await (await fetch(sim.jwksUrl)).json()) as { keys: JWK[] };
    expect(after.keys.map((k) => k.kid)).toEqual([jwks.keys[0]!.kid, expect.any(String)]);
    expect(sim.requests.filter((r) => r.path === new URL(sim.jwksUrl).pathname)).toHaveLength(2);
  });

  it('delays JWKS responses when asked', async () => {
    sim.jwksDelayMs = 400;
    await expect(fetch(sim.jwksUrl, { signal: AbortSignal.timeout(100) })).rejects.toThrow();
    sim.jwksDelayMs = 0;
  });

  it('accepts a registration with a valid one-time token and refuses bad ones', async () => {
    const body = JSON.stringify(registrationRequest(tool, [SCOPE.score]));
    const post = (token: string | undefined, b = body) =>
      fetch(sim.registrationUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) }, body: b });

    expect((await post(undefined)).status).toBe(401);
    expect((await post('not-a-token')).status).toBe(401);

    const token = sim.newRegistrationToken();
    const bad = await post(token, JSON.stringify({ ...registrationRequest(tool, []), grant_types: ['implicit'] }));
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as Record<string, unknown>).error).toBe('invalid_client_metadata');

    const ok = await post(token);
    expect(ok.status).toBe(201);
    const reg = (await ok.json()) as Record<string, any>;
    expect(typeof reg.client_id).toBe('string');
    expect(reg[CLAIM.toolConfiguration].deployment_id).toBe(sim.deploymentId);
    expect(reg.redirect_uris).toEqual([tool.launchUrl]);
    expect(sim.clientId).toBe(reg.client_id);
    expect(sim.registration.jwks_uri).toBe(tool.jwksUrl);

    expect((await post(token)).status).toBe(401); // single use
  });
});

describe('platform simulator: moodle launches and services', () => {
  let sim: PlatformSimulator;
  let tool: FakeTool;
  const launch = (extra: Partial<Parameters<PlatformSimulator['launch']>[0]> = {}) =>
    sim.launch({ toolLoginUrl: tool.loginUrl, targetLinkUri: tool.launchUrl, user: student, context: course, resourceLink: { id: '12', title: 'Earn a badge' }, ...extra });

  beforeAll(async () => {
    [sim, tool] = await Promise.all([startPlatform({ product: 'moodle' }), startFakeTool()]);
    await registerDynamically(sim, tool);
  });
  afterAll(async () => {
    await Promise.all([sim.close(), tool.close()]);
  });

  it('drives a full OIDC resource link launch', async () => {
    const r = await launch({ custom: { badge: 'b1' } });
    expect(r.stage).toBe('launch');
    expect(r.loginResponse.status).toBe(302);
    expect(r.authRequest?.get('login_hint')).toBe(student.sub);
    expect(JSON.parse(r.authRequest!.get('lti_message_hint')!)).toMatchObject({ cmid: 12, launchid: expect.stringMatching(/^ltilaunch/) });
    expect(r.response.status).toBe(200);
    expect(r.cookies.sent).toHaveLength(1);

    const { claims } = JSON.parse(r.response.body) as { claims: Record<string, any> };
    expect(claims).toEqual(r.claims);
    expect(claims).toMatchObject({
      iss: sim.issuer,
      aud: sim.clientId,
      azp: sim.clientId,
      sub: '5',
      nonce: r.authRequest!.get('nonce'),
      name: 'Ada Lovelace',
      email: 'ada@example.edu',
      [CLAIM.messageType]: 'LtiResourceLinkRequest',
      [CLAIM.version]: '1.3.0',
      [CLAIM.deploymentId]: sim.deploymentId,
      [CLAIM.targetLinkUri]: tool.launchUrl,
      [CLAIM.resourceLink]: { id: '12', title: 'Earn a badge' },
      [CLAIM.roles]: [ROLE.learner],
      [CLAIM.context]: { id: '2', label: 'BT101', title: 'Badges 101', type: ['http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering'] },
      [CLAIM.toolPlatform]: { product_family_code: 'moodle', url: sim.origin },
      [CLAIM.launchPresentation]: { document_target: 'iframe', return_url: `${sim.origin}/course/view.php?id=2`, locale: 'en' },
      [CLAIM.custom]: { badge: 'b1' },
      [CLAIM.nrps]: { context_memberships_url: sim.membershipsUrl('2'), service_versions: ['2.0'] },
    });
    expect(claims.exp - claims.iat).toBe(60);
    expect(claims[CLAIM.agsEndpoint].lineitems).toBe(sim.lineItemsUrl('2'));
    // Only the AGS scopes the registration asked for are advertised.
    expect(claims[CLAIM.agsEndpoint].scope.sort()).toEqual([SCOPE.resultReadonly, SCOPE.score, SCOPE.lineItem].sort());
    expect(claims[CLAIM.dlSettings]).toBeUndefined();

    // Replaying the same id_token + state must be refused by a tool with single-use state.
    const replayed = await r.replay();
    expect(replayed.status).toBe(401);
    expect(JSON.parse(replayed.body).error).toBe('unknown state');
  });

  it('forged signatures fail verification in the tool', async () => {
    const r = await launch({ signWith: 'other' });
    expect(r.response.status).toBe(401);
    expect(JSON.parse(r.response.body).code).toBe('ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
  });

  it('tampering hooks reach the tool', async () => {
    const wrongAud = await launch({ mutateClaims: (c) => void (c.aud = 'someone-else') });
    expect(wrongAud.response.status).toBe(401);
    expect(JSON.parse(wrongAud.response.body).code).toBe('ERR_JWT_CLAIM_VALIDATION_FAILED');
    expect(wrongAud.claims?.aud).toBe('someone-else');

    const wrongState = await launch({ replaceState: 'forged' });
    expect(wrongState.state).toBe('forged');
    expect(wrongState.response.status).toBe(401);
    expect(JSON.parse(wrongState.response.body).error).toBe('unknown state');

    const noState = await launch({ replaceState: null });
    expect(noState.state).toBeUndefined();
    expect(noState.response.status).toBe(401);

    const swapped = await launch({ beforeLaunchPost: async (f) => void (f.id_token = await sim.signIdToken({ iss: sim.issuer, aud: sim.clientId, sub: 'x' }, { key: 'other' })) });
    expect(swapped.response.status).toBe(401);
    expect(JSON.parse(swapped.response.body).code).toBe('ERR_JWS_SIGNATURE_VERIFICATION_FAILED');

    // Browsers blocking third-party cookies never return the tool's state cookie.
    const blocked = await launch({ cookies: 'none' });
    expect(blocked.response.status).toBe(401);
    expect(JSON.parse(blocked.response.body).error).toBe('state cookie missing');
    expect(blocked.cookies.withheld).toHaveLength(1);
  });

  it('signs with a rotated key and the tool still verifies', async () => {
    await sim.rotateKeys();
    const r = await launch();
    expect(r.response.status).toBe(200);
    const header = JSON.parse(Buffer.from(r.idToken!.split('.')[0]!, 'base64url').toString());
    const jwks = (await (await fetch(sim.jwksUrl)).json()) as { keys: JWK[] };
    expect(header.kid).toBe(jwks.keys.at(-1)!.kid);
  });

  it('refuses malformed authentication requests with 400 invalid_request', async () => {
    for (const [k, v] of [['prompt', 'login'], ['response_mode', 'query'], ['redirect_uri', 'http://127.0.0.1:1/evil'], ['nonce', null], ['lti_message_hint', null]] as const) {
      tool.authOverrides = { [k]: v };
      const r = await launch();
      expect(r.stage, k).toBe('auth');
      expect(r.response.status, k).toBe(400);
      const err = JSON.parse(r.response.body);
      expect(err.error, k).toBe('invalid_request');
      expect(err.error_description, k).toContain(k);
    }
    tool.authOverrides = {};
  });

  it('token endpoint: verifies the client assertion and grants only registered scopes', async () => {
    const ok = await requestToken(sim, await clientAssertion(sim, tool), [SCOPE.score, SCOPE.membershipReadonly]);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: `${SCOPE.score} ${SCOPE.membershipReadonly}` });

    const forged = await requestToken(sim, await clientAssertion(sim, tool, { foreign: true }), [SCOPE.score]);
    expect(forged.status).toBe(401);
    expect(forged.body.error).toBe('invalid_client');

    const jti = randomUUID();
    expect((await requestToken(sim, await clientAssertion(sim, tool, { jti }), [SCOPE.score])).status).toBe(200);
    expect((await requestToken(sim, await clientAssertion(sim, tool, { jti }), [SCOPE.score])).body.error).toBe('invalid_client');

    // lineitem.readonly was not requested at registration.
    const scope = await requestToken(sim, await clientAssertion(sim, tool), [SCOPE.lineItemReadonly]);
    expect(scope.status).toBe(400);
    expect(scope.body.error).toBe('invalid_scope');

    expect(sim.tokenRequests.map((t) => t.ok)).toEqual([true, false, true, false, false]);
  });

  it('AGS: line items, scores and results behind bearer tokens', async () => {
    const lineitems = sim.lineItemsUrl('2');
    expect((await fetch(lineitems)).status).toBe(401);

    const { body: limited } = await requestToken(sim, await clientAssertion(sim, tool), [SCOPE.score]);
    expect((await fetch(lineitems, { headers: { authorization: `Bearer ${limited.access_token}` } })).status).toBe(403);

    const { body: tok } = await requestToken(sim, await clientAssertion(sim, tool), [SCOPE.lineItem, SCOPE.score, SCOPE.resultReadonly]);
    const auth = { authorization: `Bearer ${tok.access_token}` };
    const created = await fetch(lineitems, {
      method: 'POST',
      headers: { ...auth, 'content-type': MEDIA.lineItem },
      body: JSON.stringify({ label: 'Badge earned', scoreMaximum: 10, resourceId: 'badge-1', tag: 'badge', resourceLinkId: '12' }),
    });
    expect(created.status).toBe(201);
    const item = (await created.json()) as Record<string, any>;
    expect(item).toMatchObject({ label: 'Badge earned', scoreMaximum: 10, resourceId: 'badge-1', tag: 'badge' });
    expect(sim.ags.lineItems).toContainEqual(item);

    const wrongType = await fetch(lineitems, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{}' });
    expect(wrongType.status).toBe(415);

    const list = await fetch(`${lineitems}&tag=badge`, { headers: { ...auth, accept: MEDIA.lineItemContainer } });
    expect(list.headers.get('content-type')).toContain(MEDIA.lineItemContainer);
    expect(((await list.json()) as unknown[]).length).toBe(1);

    // Moodle's line item URLs carry a query; /scores goes into the path.
    const scoresUrl = new URL(item.id);
    scoresUrl.pathname += '/scores';
    const score = { userId: '5', scoreGiven: 7, scoreMaximum: 10, activityProgress: 'Completed', gradingProgress: 'FullyGraded', timestamp: new Date().toISOString() };
    const posted = await fetch(scoresUrl, { method: 'POST', headers: { ...auth, 'content-type': MEDIA.score }, body: JSON.stringify(score) });
    expect(posted.status).toBeLessThan(300);
    expect(sim.ags.scores).toEqual([{ lineItemId: item.id, score }]);

    const tooHigh = await fetch(scoresUrl, { method: 'POST', headers: { ...auth, 'content-type': MEDIA.score }, body: JSON.stringify({ ...score, scoreGiven: 11 }) });
    expect(tooHigh.status).toBe(400);
    const naive = await fetch(`${item.id}/scores`, { method: 'POST', headers: { ...auth, 'content-type': MEDIA.score }, body: JSON.stringify(score) });
    expect(naive.status).toBeGreaterThanOrEqual(400);

    const resultsUrl = new URL(item.id);
    resultsUrl.pathname += '/results';
    const results = (await (await fetch(resultsUrl, { headers: auth })).json()) as Array<Record<string, unknown>>;
    expect(results).toEqual([expect.objectContaining({ userId: '5', resultScore: 7, resultMaximum: 10, scoreOf: item.id })]);

    // A later launch for the bound resource link advertises the line item.
    const r = await launch();
    expect(r.claims![CLAIM.agsEndpoint].lineitem).toBe(item.id);
  });

  it('NRPS: roster with paging', async () => {
    sim.members.push({ ...teacher, status: 'Active' }, { sub: '9', name: 'Inactive Ivan', roles: [ROLE.learner], status: 'Inactive' });
    const { body: tok } = await requestToken(sim, await clientAssertion(sim, tool), [SCOPE.membershipReadonly]);
    const url = new URL(sim.membershipsUrl('2'));
    url.searchParams.set('limit', '2');
    const res = await fetch(url, { headers: { authorization: `Bearer ${tok.access_token}`, accept: MEDIA.membershipContainer } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain(MEDIA.membershipContainer);
    const page = (await res.json()) as Record<string, any>;
    expect(page.context).toEqual(course);
    expect(page.members).toHaveLength(2);
    expect(page.members[0]).toMatchObject({ status: 'Active', user_id: '5', name: 'Ada Lovelace', email: 'ada@example.edu', roles: [ROLE.learner] });
    const next = /<([^>]+)>;\s*rel="next"/.exec(res.headers.get('link') ?? '')?.[1];
    expect(next).toBeDefined();
    const rest = (await (await fetch(next!, { headers: { authorization: `Bearer ${tok.access_token}` } })).json()) as Record<string, any>;
    expect(rest.members.map((m: { user_id: string }) => m.user_id)).toEqual(['9']);
    expect(rest.members[0].status).toBe('Inactive');
  });

  it('deep linking: request claims and a verified response', async () => {
    const r = await launch({ user: teacher, messageType: 'LtiDeepLinkingRequest' });
    expect(r.response.status).toBe(200);
    const claims = r.claims!;
    expect(claims[CLAIM.messageType]).toBe('LtiDeepLinkingRequest');
    expect(claims[CLAIM.resourceLink]).toBeUndefined();
    const settings = claims[CLAIM.dlSettings];
    expect(settings).toMatchObject({
      deep_link_return_url: `${sim.origin}/deeplink/return`,
      accept_types: ['ltiResourceLink'],
      accept_presentation_document_targets: ['iframe', 'window'],
      accept_multiple: true,
      auto_create: true,
      data: expect.any(String),
    });

    const response = (data: unknown, items: unknown[] = [{ type: 'ltiResourceLink', title: 'Badge', url: tool.launchUrl }]) => {
      const now = Math.floor(Date.now() / 1000);
      return tool.sign({
        iss: sim.clientId,
        aud: sim.issuer,
        iat: now,
        exp: now + 300,
        nonce: randomUUID(),
        [CLAIM.deploymentId]: sim.deploymentId,
        [CLAIM.messageType]: 'LtiDeepLinkingResponse',
        [CLAIM.version]: '1.3.0',
        [CLAIM.dlData]: data,
        [CLAIM.dlContentItems]: items,
      });
    };
    const post = async (jwt: string) => {
      const res = await fetch(settings.deep_link_return_url, { method: 'POST', body: new URLSearchParams({ JWT: jwt }) });
      return { status: res.status, body: await res.text() };
    };

    expect((await post(await response('not-the-data'))).status).toBe(400);
    expect((await post(await response(settings.data, [{ type: 'file', url: 'x' }]))).status).toBe(400);
    const ok = await post(await response(settings.data));
    expect(ok).toMatchObject({ status: 200, body: expect.stringContaining('1 items added') });
    expect(sim.deepLinkReturns).toHaveLength(1);
    expect(sim.deepLinkReturns[0]!.payload[CLAIM.dlContentItems]).toEqual([{ type: 'ltiResourceLink', title: 'Badge', url: tool.launchUrl }]);
    expect((await post(await response(settings.data))).status).toBe(400); // already answered
  });
});

describe('findAuthRequest', () => {
  const auth = 'http://127.0.0.1:9/mod/lti/auth.php';
  it('reads data-auth-url, forms and script URLs', () => {
    expect(findAuthRequest(`<div data-auth-url="${auth}?a=1&amp;b=2"></div>`, auth)?.params.get('b')).toBe('2');
    const form = findAuthRequest(`<form method="post" action="${auth}"><input type="hidden" name="state" value="s&amp;1"><input name="nonce" value='n'></form>`, auth);
    expect(form).toMatchObject({ method: 'POST' });
    expect(Object.fromEntries(form!.params)).toEqual({ state: 's&1', nonce: 'n' });
    expect(findAuthRequest(`<script>location.href = "${auth}?state=x\\u0026nonce=y";</script>`, auth)?.params.get('nonce')).toBe('y');
    expect(findAuthRequest(`<a href="http://127.0.0.1:9/elsewhere?x=1">`, auth)).toBeUndefined();
  });
});

describe('platform simulator: canvas flavour', () => {
  let sim: PlatformSimulator;
  let tool: FakeTool;
  beforeAll(async () => {
    [sim, tool] = await Promise.all([startPlatform({ product: 'canvas' }), startFakeTool()]);
    sim.registerToolManually({ clientId: '10000000000042', loginUrl: tool.loginUrl, redirectUris: [tool.launchUrl], jwksUrl: tool.jwksUrl, deploymentId: '42:abc' });
    tool.platform = { issuer: sim.issuer, clientId: '10000000000042', authUrl: sim.authUrl, jwksUrl: sim.jwksUrl };
  });
  afterAll(async () => {
    await Promise.all([sim.close(), tool.close()]);
  });

  it('posts the login initiation and follows a storage-target page to the auth endpoint', async () => {
    const config = (await (await fetch(sim.openidConfigurationUrl)).json()) as Record<string, any>;
    expect(config[CLAIM.platformConfiguration].product_family_code).toBe('canvas');

    const r = await sim.launch({ toolLoginUrl: tool.loginUrl, targetLinkUri: tool.launchUrl, user: teacher, storageTarget: '_parent' });
    expect(r.loginResponse.status).toBe(200);
    expect(r.authRequest?.get('lti_message_hint')?.split('.')).toHaveLength(3);
    expect(r.response.status).toBe(200);
    expect(r.claims).toMatchObject({
      aud: '10000000000042',
      [CLAIM.deploymentId]: '42:abc',
      [CLAIM.toolPlatform]: { product_family_code: 'canvas' },
    });
    // Manual registration grants every service scope.
    expect(r.claims![CLAIM.agsEndpoint].scope).toHaveLength(4);
    expect(sim.requests.some((q) => q.method === 'GET' && q.path === '/api/lti/authorize_redirect')).toBe(true);
  });

  it('serves a browser entry page that starts the launch in an iframe', async () => {
    const page = await sim.launchPageUrl({ toolLoginUrl: tool.loginUrl, targetLinkUri: tool.launchUrl, user: student });
    const html = await (await fetch(page)).text();
    expect(html).toContain(`src="${new URL(page).pathname}/start"`);
    const start = await fetch(`${page}/start`);
    // Canvas posts the login initiation: an auto-submitting form to the tool's login URL.
    const form = findAuthRequest(await start.text(), tool.loginUrl);
    expect(form?.method).toBe('POST');
    expect(form?.params.get('login_hint')).toBe(student.sub);
    expect(form?.params.get('iss')).toBe(sim.issuer);
  });

  it('reports status 0 when the tool does not send the browser to the platform', async () => {
    const r = await sim.launch({ toolLoginUrl: `${tool.origin}/nowhere`, targetLinkUri: tool.launchUrl, user: teacher });
    expect(r.stage).toBe('login');
    expect(r.loginResponse.status).toBe(404);
    expect(r.response.status).toBe(0);
  });
});
