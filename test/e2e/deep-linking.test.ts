// Deep Linking 2.0 round trip: the instructor picks what to place, the tool answers with a signed
// LtiDeepLinkingResponse, and the platform (simulator) verifies it with the tool's published keys.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { buildUser, launchTo, registeredPlatform } from '../support/lti.js';
import { startPlatform, type PlatformSimulator } from '../support/platform-simulator.js';

let app: TestApp;
let sim: PlatformSimulator;
const course = { id: 'course-dl', title: 'Deep Linking 101' };

beforeAll(async () => {
  app = await startTestApp();
  sim = await startPlatform();
  await registeredPlatform(app, sim);
});
afterAll(async () => {
  await app?.close();
  await sim?.close();
});

const decode = (s: string) => s.replace(/&#x([0-9a-f]+);/gi, (_m, h: string) => String.fromCodePoint(parseInt(h, 16))).replace(/&amp;/g, '&').replace(/&quot;/g, '"');

async function pick(ltik: string, fields: Record<string, string>) {
  const res = await fetch(`${app.url}/app/deep-link`, { method: 'POST', body: new URLSearchParams({ ltik, ...fields }) });
  const html = await res.text();
  const action = /<form id="autosubmit" method="post" action="([^"]+)"/.exec(html)?.[1];
  const jwt = /name="JWT" value="([^"]+)"/.exec(html)?.[1];
  return { res, html, action: action && decode(action), jwt: jwt && decode(jwt) };
}

async function deepLinkingSession(user = buildUser('instructor')) {
  const { location, html, ltik } = await launchTo(app, sim, user, { messageType: 'LtiDeepLinkingRequest', context: course });
  expect(location).toMatch(/^\/app\/deep-link\?ltik=/);
  return { html, ltik };
}

describe('deep linking', () => {
  it('places a new module completion link and the platform verifies the signed response', async () => {
    const { html, ltik } = await deepLinkingSession();
    expect(html).toContain('Module completion link');
    const { res, action, jwt } = await pick(ltik, { kind: 'module', newModuleTitle: 'Module 3: Data ethics' });
    expect(res.status).toBe(200);
    expect(action).toBe(sim.deepLinkReturnUrl);
    expect(jwt).toBeTruthy();

    const before = sim.deepLinkReturns.length;
    const back = await fetch(action!, { method: 'POST', body: new URLSearchParams({ JWT: jwt! }) });
    expect(back.status, await back.clone().text()).toBe(200);
    expect(sim.deepLinkReturns.length).toBe(before + 1);
    const payload = sim.deepLinkReturns.at(-1)!.payload;
    expect(payload['https://purl.imsglobal.org/spec/lti/claim/message_type']).toBe('LtiDeepLinkingResponse');
    const [item] = payload['https://purl.imsglobal.org/spec/lti-dl/claim/content_items'];
    expect(item.type).toBe('ltiResourceLink');
    expect(item.url).toBe(`${app.url}/lti/launch`);
    expect(item.custom.badgetrail_target).toBe('module');

    const modules = await app.testDb.db.query<{ id: string; title: string; position: number }>(
      `select m.id, m.title, m.position from modules m join courses c on c.id = m.course_id where c.lms_context_id = $1`, [course.id]);
    expect(modules).toEqual([{ id: item.custom.badgetrail_module, title: 'Module 3: Data ethics', position: 1 }]);
  });

  it('places the course badge page', async () => {
    const { ltik } = await deepLinkingSession();
    const { action, jwt } = await pick(ltik, { kind: 'course' });
    const back = await fetch(action!, { method: 'POST', body: new URLSearchParams({ JWT: jwt! }) });
    expect(back.status).toBe(200);
    const [item] = sim.deepLinkReturns.at(-1)!.payload['https://purl.imsglobal.org/spec/lti-dl/claim/content_items'];
    expect(item.custom).toEqual({ badgetrail_target: 'course' });
  });

  it('offers existing modules and reuses the chosen one', async () => {
    const { html, ltik } = await deepLinkingSession();
    const moduleId = /<option value="([0-9a-f-]{36})">1\. Module 3: Data ethics<\/option>/.exec(html)?.[1];
    expect(moduleId).toBeTruthy();
    const { jwt, action } = await pick(ltik, { kind: 'module', moduleId: moduleId! });
    await fetch(action!, { method: 'POST', body: new URLSearchParams({ JWT: jwt! }) });
    const [item] = sim.deepLinkReturns.at(-1)!.payload['https://purl.imsglobal.org/spec/lti-dl/claim/content_items'];
    expect(item.custom.badgetrail_module).toBe(moduleId);
    const count = await app.testDb.db.query<{ n: number }>('select count(*)::int as n from modules');
    expect(count[0]!.n).toBe(1);
  });

  it('a placed link launches the tool with its custom parameters', async () => {
    const { location } = await launchTo(app, sim, buildUser('learner'), { context: course, custom: { badgetrail_target: 'course' } });
    expect(location).toMatch(/^\/app\/me/);
  });

  it('refuses a module without a title, and a module of another course', async () => {
    const { ltik } = await deepLinkingSession();
    const empty = await pick(ltik, { kind: 'module', newModuleTitle: '   ' });
    expect(empty.res.status).toBe(400);
    expect(empty.html).toContain('a module needs a title');
    const foreign = await pick(ltik, { kind: 'module', moduleId: '00000000-0000-4000-8000-000000000000' });
    expect(foreign.res.status).toBe(404);
  });

  it('refuses deep linking to a learner', async () => {
    const { location } = await launchTo(app, sim, buildUser('learner'), { messageType: 'LtiDeepLinkingRequest', context: course });
    const res = await fetch(new URL(location, app.url));
    expect(res.status).toBe(403);
  });
});
