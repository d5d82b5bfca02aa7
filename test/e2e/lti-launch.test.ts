// Full OIDC launches from a simulated Moodle and Canvas: registration, the three role views, test
// accounts, framing, and the platform-key cache.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { buildUser, countRows, launchTo, registerDynamically, registeredPlatform, ROLE } from '../support/lti.js';
import { startPlatform, type PlatformSimulator } from '../support/platform-simulator.js';

let app: TestApp;
let moodle: PlatformSimulator;
let canvas: PlatformSimulator;

beforeAll(async () => {
  app = await startTestApp();
  moodle = await startPlatform({ product: 'moodle' });
  canvas = await startPlatform({ product: 'canvas' });
  await registeredPlatform(app, moodle);
  await registeredPlatform(app, canvas);
});
afterAll(async () => {
  await app?.close();
  await moodle?.close();
  await canvas?.close();
});

describe('dynamic registration', () => {
  it('registers with the scopes the tool needs and stores platform and deployment', async () => {
    const reg = moodle.registration;
    expect(reg.initiate_login_uri).toBe(`${app.url}/lti/login`);
    expect(reg.redirect_uris).toContain(`${app.url}/lti/launch`);
    expect(reg.jwks_uri).toBe(`${app.url}/lti/keys`);
    for (const scope of ['lineitem', 'score', 'result.readonly']) expect(reg.scope).toContain(`https://purl.imsglobal.org/spec/lti-ags/scope/${scope}`);
    expect(reg.scope).toContain('https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly');
    const platforms = await app.built.services.lti.platforms.byIssuer(moodle.issuer);
    expect(platforms).toHaveLength(1);
    expect(platforms[0]!.clientId).toBe(moodle.clientId);
    expect(platforms[0]!.deploymentIds).toEqual([moodle.deploymentId]);
  });

  it('ends with the page that posts org.imsglobal.lti.close', async () => {
    const sim = await startPlatform();
    try {
      const res = await registerDynamically(app, sim);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('/static/js/lti-close.js');
      const script = await (await fetch(`${app.url}/static/js/lti-close.js`)).text();
      expect(script).toContain("subject: 'org.imsglobal.lti.close'");
    } finally {
      await sim.close();
    }
  });

  it('refuses a bad registration token clearly and stores nothing', async () => {
    const sim = await startPlatform();
    try {
      const before = await countRows(app, 'platforms');
      const res = await registerDynamically(app, sim, 'not-a-token');
      expect(res.status).toBe(400);
      const body = await res.text();
      expect(body).toContain('refused the registration');
      expect(body).not.toMatch(/at .*\.(js|ts):\d+/);
      expect(await countRows(app, 'platforms')).toBe(before);
    } finally {
      await sim.close();
    }
  });

  it('refuses a missing openid_configuration with 400', async () => {
    const res = await fetch(`${app.url}/lti/register`, { headers: { accept: 'application/json' } });
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBe('invalid_registration');
  });
});

describe('launches by role', () => {
  it('opens the course panel for an instructor, with empty states that say what to do', async () => {
    const { location, page, html } = await launchTo(app, moodle, buildUser('instructor'), { context: { id: 'c-101', title: 'Chemistry 101', label: 'CHEM101' } });
    expect(location).toMatch(/^\/app\/course\?ltik=/);
    expect(page.status).toBe(200);
    expect(html).toContain('Chemistry 101');
    expect(html).toContain('No modules yet');
    expect(html).toContain('No badges yet');
  });

  it('opens "my badges" for a learner', async () => {
    const { location, html } = await launchTo(app, moodle, buildUser('learner'));
    expect(location).toMatch(/^\/app\/me\?ltik=/);
    expect(html).toContain('My badges');
    expect(html).not.toContain('Test account');
  });

  it('opens the organisation view for an admin', async () => {
    const { location, html } = await launchTo(app, moodle, buildUser('admin'));
    expect(location).toMatch(/^\/app\/org\?ltik=/);
    expect(html).toContain('Organisation');
    expect(html).toContain(moodle.issuer);
  });

  it('keeps a learner out of the instructor and admin views', async () => {
    const { ltik } = await launchTo(app, moodle, buildUser('learner'));
    for (const path of ['/app/course', '/app/org']) {
      const res = await fetch(`${app.url}${path}?ltik=${ltik}`);
      expect(res.status).toBe(403);
    }
  });

  it('marks a TestUser launch as a test account', async () => {
    const user = buildUser('learner', { roles: [ROLE.learner, ROLE.testUser] });
    const { html } = await launchTo(app, moodle, user);
    expect(html).toContain('Test account');
    const rows = await app.testDb.db.query<{ is_test: boolean }>('select is_test from users where lms_user_id = $1', [user.sub]);
    expect(rows[0]!.is_test).toBe(true);
  });

  it('works with third-party cookies blocked: the launch token travels in the URL', async () => {
    const { result, page } = await launchTo(app, moodle, buildUser('learner'), { cookies: 'none' });
    expect(result.response.headers.get('set-cookie')).toBeNull();
    expect(page.status).toBe(200);
  });

  it('refuses a page without a valid launch token', async () => {
    const res = await fetch(`${app.url}/app/me?ltik=forged`);
    expect(res.status).toBe(401);
    expect(await res.text()).toContain('Open the tool again');
  });

  it('lets only the registered platforms frame the views', async () => {
    const { page } = await launchTo(app, moodle, buildUser('instructor'));
    const csp = page.headers.get('content-security-policy')!;
    const ancestors = csp.split(';').map((d) => d.trim()).find((d) => d.startsWith('frame-ancestors'))!;
    expect(ancestors).toContain(moodle.origin);
    expect(ancestors).not.toContain(canvas.origin); // another tenant's platform
    expect(ancestors).not.toContain('*');
  });

  it('launches from Canvas: login by POST, platform storage target', async () => {
    const user = buildUser('instructor');
    const { location } = await launchTo(app, canvas, user, { loginMethod: 'POST', storageTarget: '_parent' });
    expect(location).toMatch(/^\/app\/course/);
  });

  it('reads the platform keys once and serves further launches from the cache', async () => {
    const jwksPath = new URL(moodle.jwksUrl).pathname;
    const before = moodle.requests.filter((r) => r.path === jwksPath).length;
    await launchTo(app, moodle, buildUser('learner'));
    await launchTo(app, moodle, buildUser('learner'));
    expect(moodle.requests.filter((r) => r.path === jwksPath).length - before).toBe(0);
  });

  it('refetches the platform keys when the platform rotates them', async () => {
    await moodle.rotateKeys();
    await new Promise((r) => setTimeout(r, 1100)); // past the refetch cooldown
    const { page } = await launchTo(app, moodle, buildUser('learner'));
    expect(page.status).toBe(200);
  });
});

describe('framing of protocol pages', () => {
  it('lets an LMS frame the registration page even before the platform is known', async () => {
    const sim = await startPlatform();
    try {
      const res = await registerDynamically(app, sim);
      const csp = res.headers.get('content-security-policy')!;
      expect(csp).toMatch(/frame-ancestors 'self' \*/);
    } finally {
      await sim.close();
    }
  });
});
