// The launches the tool must refuse (1EdTech Security Framework §5.1.3): each gets a clear error
// page without a stack trace, and leaves no session behind.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { buildUser, countRows, launchOptions, registeredPlatform } from '../support/lti.js';
import { startPlatform, type LaunchOptions, type PlatformSimulator } from '../support/platform-simulator.js';

let app: TestApp;
let sim: PlatformSimulator;
let other: PlatformSimulator;

beforeAll(async () => {
  app = await startTestApp({ env: { LTI_JWKS_TIMEOUT_MS: '400' } });
  sim = await startPlatform();
  other = await startPlatform();
  await registeredPlatform(app, sim);
  await registeredPlatform(app, other);
});
afterAll(async () => {
  await app?.close();
  await sim?.close();
  await other?.close();
});

async function refused(over: Partial<LaunchOptions>, platform = sim) {
  const sessionsBefore = await countRows(app, 'launch_sessions');
  const result = await platform.launch(launchOptions(app, buildUser('learner'), over));
  expect(result.stage).toBe('launch');
  const { status, body, location } = result.response;
  expect(location).toBeUndefined();
  expect(body).toContain('<h1>Something is not right</h1>');
  expect(body).not.toMatch(/\bat [\w.<>]+ \(|node_modules|\.ts:\d+/); // no stack trace
  expect(await countRows(app, 'launch_sessions')).toBe(sessionsBefore);
  return { status, body, result };
}

describe('launches the tool refuses', () => {
  it('a replayed launch (same id_token, state and nonce)', async () => {
    const result = await sim.launch(launchOptions(app, buildUser('learner')));
    expect(result.response.status).toBe(303);
    const before = await countRows(app, 'launch_sessions');
    const replay = await result.replay();
    expect(replay.status).toBe(401);
    expect(replay.body).toContain('invalid_state');
    expect(await countRows(app, 'launch_sessions')).toBe(before);
  });

  it('a wrong signature', async () => {
    const { status, body } = await refused({ signWith: 'other' });
    expect(status).toBe(401);
    expect(body).toContain('invalid_signature');
  });

  it('a token for another tool (wrong aud)', async () => {
    const { status, body } = await refused({ mutateClaims: (c) => { c.aud = 'some-other-client'; } });
    expect(status).toBe(401);
    expect(body).toContain('wrong_audience');
  });

  it('a token whose azp names another client', async () => {
    const { status, body } = await refused({ mutateClaims: (c) => { c.aud = [c.aud, 'someone-else']; c.azp = 'someone-else'; } });
    expect(status).toBe(401);
    expect(body).toContain('wrong_azp');
  });

  it('an expired token', async () => {
    const now = Math.floor(Date.now() / 1000);
    const { status, body } = await refused({ mutateClaims: (c) => { c.iat = now - 600; c.exp = now - 300; } });
    expect(status).toBe(401);
    expect(body).toMatch(/token_expired|token_too_old/);
  });

  it('a token issued too long ago, even if not expired', async () => {
    const now = Math.floor(Date.now() / 1000);
    const { status, body } = await refused({ mutateClaims: (c) => { c.iat = now - 3600; c.exp = now + 3600; } });
    expect(status).toBe(401);
    expect(body).toContain('token_too_old');
  });

  it('an unknown deployment', async () => {
    const { status, body } = await refused({ mutateClaims: (c) => { c['https://purl.imsglobal.org/spec/lti/claim/deployment_id'] = 'not-registered'; } });
    expect(status).toBe(401);
    expect(body).toContain('unknown_deployment');
  });

  it('a missing state', async () => {
    const { status, body } = await refused({ replaceState: null });
    expect(status).toBe(401);
    expect(body).toContain('missing_state');
  });

  it('a wrong state', async () => {
    const { status, body } = await refused({ replaceState: 'state-we-never-issued' });
    expect(status).toBe(401);
    expect(body).toContain('invalid_state');
  });

  it('a token without a nonce', async () => {
    const { status, body } = await refused({ mutateClaims: (c) => { delete c.nonce; } });
    expect(status).toBe(401);
    expect(body).toContain('missing_nonce');
  });

  it('a nonce that is not the one issued for this state', async () => {
    const { status, body } = await refused({ mutateClaims: (c) => { c.nonce = 'a-nonce-from-another-login'; } });
    expect(status).toBe(401);
    expect(body).toContain('wrong_nonce');
  });

  it('a token from another registered platform posted against this login', async () => {
    // The other platform signs a valid token of its own; the state belongs to a login with `sim`.
    const prepared = await sim.launch(launchOptions(app, buildUser('learner'), {
      beforeLaunchPost: async (form) => {
        const claims = JSON.parse(Buffer.from(form.id_token.split('.')[1]!, 'base64url').toString());
        claims.iss = other.issuer;
        claims.aud = other.clientId;
        form.id_token = await other.signIdToken(claims);
      },
    }));
    expect(prepared.response.status).toBe(401);
    expect(prepared.response.body).toContain('wrong_issuer');
  });

  it('an issuer that is not registered at all (at login)', async () => {
    const res = await fetch(`${app.url}/lti/login?${new URLSearchParams({ iss: 'https://unknown.example', login_hint: 'x', target_link_uri: `${app.url}/lti/launch` })}`);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('No platform is registered');
  });

  it('a login whose target_link_uri points elsewhere (no open redirect)', async () => {
    const res = await fetch(`${app.url}/lti/login?${new URLSearchParams({ iss: sim.issuer, client_id: sim.clientId!, login_hint: 'x', target_link_uri: 'https://evil.example/launch' })}`, { redirect: 'manual' });
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
  });

  it('a login naming an unknown deployment', async () => {
    const res = await fetch(`${app.url}/lti/login?${new URLSearchParams({ iss: sim.issuer, client_id: sim.clientId!, login_hint: 'x', target_link_uri: `${app.url}/lti/launch`, lti_deployment_id: 'nope' })}`, { redirect: 'manual' });
    expect(res.status).toBe(400);
  });

  it('a launch POST with no id_token', async () => {
    const res = await fetch(`${app.url}/lti/launch`, { method: 'POST', body: new URLSearchParams({ state: 'x' }) });
    expect(res.status).toBe(401);
    expect(await res.text()).toContain('missing_id_token');
  });

  it('a platform whose keys do not arrive in time, without holding the launch', async () => {
    const slow = await startPlatform();
    try {
      await registeredPlatform(app, slow);
      slow.jwksDelayMs = 3000;
      const t0 = Date.now();
      const { status, body } = await refused({}, slow);
      expect(status).toBe(502);
      expect(body).toContain('platform_keys_timeout');
      expect(Date.now() - t0).toBeLessThan(2500);
    } finally {
      slow.jwksDelayMs = 0;
      await slow.close();
    }
  });
});
