// The public badge page as a person sees it, in headless Chromium: the badge, its issuer and
// criteria, the Verify button running all checks, and the page at phone width. Screenshots are
// kept in test-artifacts/.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { launchChromium } from '../support/browser.js';
import { buildBadge, buildLearner, buildWorld } from '../support/builders.js';

const ARTIFACTS = path.resolve(import.meta.dirname, '../../test-artifacts');
let app: TestApp;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  [app, browser] = await Promise.all([startTestApp(), launchChromium()]);
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

async function publicAward(over: Record<string, unknown> = {}) {
  const w = await buildWorld(app, 'North College');
  const badge = await buildBadge(app, w, over);
  const userId = await buildLearner(app, w, { name: 'Grace Hopper' });
  const { award } = await app.built.services.awards.issue({ tenantId: w.tenantId, badgeId: badge.id, userId, method: 'manual' });
  await app.testDb.db.query('update awards set is_public = true, show_name = true where id = $1', [award.id]);
  return { award, w };
}

describe('public badge page in a browser', { timeout: 120_000 }, () => {
  it('shows the badge and verifies it with one click', async () => {
    const { award } = await publicAward({ validForDays: 365 });
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(`${app.url}/ob/credentials/${award.id}?src=linkedin`, { waitUntil: 'load' });
    await expect.poll(() => page.locator('h1').textContent()).toBe('Responsible Data Practitioner');
    expect(await page.locator('.credential-head').textContent()).toContain('Earned by Grace Hopper');
    expect(await page.locator('img.credential-image').evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);
    await page.getByRole('button', { name: 'Verify this badge' }).click();
    await expect.poll(() => page.locator('#verify-result').textContent(), { timeout: 15_000 }).toContain('Verified: this badge is authentic and valid.');
    expect(await page.locator('#verify-result li.ok').count()).toBe(8); // 4 checks × 2 proofs
    // Its generated image is an SVG: a baked SVG is offered, a baked PNG is not.
    expect(await page.getByRole('link', { name: 'Baked SVG' }).count()).toBe(1);
    expect(await page.getByRole('link', { name: 'Baked PNG' }).count()).toBe(0);
    await page.screenshot({ path: path.join(ARTIFACTS, 'credential-page.png'), fullPage: true });
    const events = await app.testDb.db.query<{ channel: string }>(`select channel from events where award_id = $1 and type = 'verified'`, [award.id]);
    expect(events.map((e) => e.channel)).toEqual(['linkedin']);
    expect(errors, errors.join('\n')).toEqual([]);
    await page.close();
  });

  it('shows a revoked badge as revoked, and Verify says why', async () => {
    const { award, w } = await publicAward();
    await app.built.services.awards.revoke(w.tenantId, award.id, 'issued in error');
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await page.goto(`${app.url}/ob/credentials/${award.id}`, { waitUntil: 'load' });
    expect(await page.locator('.pill.bad').textContent()).toBe('Revoked by the issuer');
    await page.getByRole('button', { name: 'Verify this badge' }).click();
    await expect.poll(() => page.locator('#verify-result').textContent(), { timeout: 15_000 }).toContain('The issuer has revoked this credential.');
    // Nothing wider than the phone's screen.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: path.join(ARTIFACTS, 'credential-page-revoked-mobile.png'), fullPage: true });
    await page.close();
  });
});
