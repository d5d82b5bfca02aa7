// "My badges" as a learner sees it inside the LMS frame, in headless Chromium: a pending badge,
// the Claim button, then the accepted badge with its counts, share buttons, visibility switch and
// downloads. Screenshots in test-artifacts/.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { launchChromium } from '../support/browser.js';
import { buildUser, launchOptions, launchTo, registeredPlatform } from '../support/lti.js';
import { startPlatform, type PlatformSimulator } from '../support/platform-simulator.js';

const ARTIFACTS = path.resolve(import.meta.dirname, '../../test-artifacts');
let app: TestApp;
let sim: PlatformSimulator;
let browser: Browser;
const course = { id: 'browser-learner-101', title: 'Data Ethics' };

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  [app, sim, browser] = await Promise.all([startTestApp(), startPlatform(), launchChromium()]);
  await registeredPlatform(app, sim);
  await launchTo(app, sim, buildUser('instructor'), { context: course });
});
afterAll(async () => {
  await browser?.close();
  await sim?.close();
  await app?.close();
});

describe('my badges in the LMS frame', { timeout: 120_000 }, () => {
  it('shows a pending badge, claims it, then offers sharing, visibility and downloads', async () => {
    const tenantId = (await app.testDb.db.query<{ tenant_id: string }>('select tenant_id from courses where lms_context_id = $1', [course.id]))[0]!.tenant_id;
    await app.built.services.badges.create(tenantId, { courseId: course.id, moduleId: 'ethics-3', moduleTitle: 'Module 3: Data ethics', name: 'Responsible Data Practitioner', criteria: 'Complete Module 3.', validForDays: 365 });
    const learner = buildUser('learner', { name: 'Leo Learner' });
    const key = (await app.built.services.tenants.createApiKey(tenantId)).key;
    const res = await fetch(`${app.url}/api/v1/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ completions: [{ courseId: course.id, moduleId: 'ethics-3', learner: { id: learner.sub }, score: 1, maxScore: 1, completedAt: new Date().toISOString() }] }) });
    expect((await res.json()).results[0].status).toBe('awarded');

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(30_000);
    // Problems of the tool's own pages (the simulated LMS page has no favicon, which is its business).
    const errors: string[] = [];
    page.on('response', (r) => r.url().startsWith(app.url) && r.status() >= 400 && errors.push(`${r.status()} ${r.url()}`));
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(await sim.launchPageUrl(launchOptions(app, learner, { context: course })));
    const frame = page.frameLocator('iframe');
    await expect.poll(() => frame.getByRole('heading', { level: 1, name: 'My badges' }).isVisible(), { timeout: 30_000 }).toBe(true);
    expect(await frame.locator('.badge-list').first().textContent()).toContain('Responsible Data Practitioner');
    await page.screenshot({ path: path.join(ARTIFACTS, 'learner-pending.png') });

    await frame.getByRole('button', { name: 'Claim' }).click();
    await expect.poll(() => frame.getByRole('button', { name: 'Make public' }).isVisible(), { timeout: 30_000 }).toBe(true);
    for (const name of ['Add to LinkedIn', 'Copy link', 'Post on LinkedIn', 'Embed code']) expect(await frame.getByRole('button', { name }).count()).toBe(1);
    for (const name of ['Baked image', 'VC-JWT', 'JSON']) expect(await frame.getByRole('link', { name }).count()).toBe(1);
    expect(await frame.locator('.stats').textContent()).toContain('private · 0 view(s) · 0 share(s) · 0 verification(s)');
    await page.screenshot({ path: path.join(ARTIFACTS, 'learner-accepted.png') });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: path.join(ARTIFACTS, 'learner-accepted-mobile.png') });

    const accepted = await app.testDb.db.query<{ channel: string }>(`select e.channel from events e join users u on u.id = e.learner_id where u.lms_user_id = $1 and e.type = 'accepted'`, [learner.sub]);
    expect(accepted).toEqual([{ channel: 'lms' }]);
    expect(errors).toEqual([]);
    await page.close();
  });
});
