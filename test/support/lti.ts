// Test helpers for full LTI flows: register a simulated platform with the tool, launch as a role,
// and follow the tool's redirect to the page a person would see.
import { expect } from 'vitest';
import type { LaunchOptions, PlatformSimulator, SimUser } from './platform-simulator.js';
import type { TestApp } from './app.js';

export const ROLE = {
  instructor: 'http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor',
  learner: 'http://purl.imsglobal.org/vocab/lis/v2/membership#Learner',
  admin: 'http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator',
  testUser: 'http://purl.imsglobal.org/vocab/lti/system/person#TestUser',
};

export function buildUser(kind: keyof typeof ROLE, over: Partial<SimUser> = {}): SimUser {
  return { sub: `user-${kind}-${Math.random().toString(36).slice(2, 8)}`, name: `${kind} person`, email: `${kind}@school.example`, roles: [ROLE[kind]], ...over };
}

/** Dynamic registration as an LMS admin would start it; returns the tool's answer. */
export async function registerDynamically(app: TestApp, sim: PlatformSimulator, token = sim.newRegistrationToken()): Promise<Response> {
  const url = new URL(`${app.url}/lti/register`);
  url.searchParams.set('openid_configuration', sim.openidConfigurationUrl);
  url.searchParams.set('registration_token', token);
  return fetch(url);
}

export async function registeredPlatform(app: TestApp, sim: PlatformSimulator): Promise<void> {
  const res = await registerDynamically(app, sim);
  expect(res.status, await res.clone().text()).toBe(200);
}

export function launchOptions(app: TestApp, user: SimUser, over: Partial<LaunchOptions> = {}): LaunchOptions {
  return { toolLoginUrl: `${app.url}/lti/login`, targetLinkUri: `${app.url}/lti/launch`, user, ...over };
}

/** A full launch that must succeed; returns the landing page. */
export async function launchTo(app: TestApp, sim: PlatformSimulator, user: SimUser, over: Partial<LaunchOptions> = {}) {
  const result = await sim.launch(launchOptions(app, user, over));
  expect(result.response.status, result.response.body).toBe(303);
  const location = result.response.location!;
  const page = await fetch(new URL(location, app.url));
  return { result, location, page, html: await page.text(), ltik: new URL(location, app.url).searchParams.get('ltik')! };
}

export async function countRows(app: TestApp, table: string): Promise<number> {
  const rows = await app.testDb.db.query<{ n: number }>(`select count(*)::int as n from ${table}`);
  return rows[0]!.n;
}
