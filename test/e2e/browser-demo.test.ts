// The demo in a real (headless) Chromium: `npm run demo`'s server as a child process, its demo LMS
// on http://127.0.0.1:<port> framing the tool on http://localhost:<port> — two sites, third-party
// cookies refused — launched as instructor, learner, admin and for deep linking, by clicking.
// Screenshots land in test-artifacts/ (git-ignored) for a person to look at.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Frame, FrameLocator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, hostForLocalhost, launchChromium, spawnServer, thirdPartyCookiesBlocked, type ChildServer } from '../support/browser.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ARTIFACTS = path.join(ROOT, 'test-artifacts');
const DESKTOP = { width: 1280, height: 900 };
const MOBILE = { width: 390, height: 844 };
const COURSE = 'Introduction to Data Science';
const MODULES = ['Module 1: Data literacy', 'Module 2: Statistics basics', 'Module 3: Data ethics'];

let server: ChildServer | undefined;
let cookiesBlocked: boolean | undefined;
let browser: Browser | undefined;
let context: BrowserContext;
let page: Page;
let dataDir: string;
let toolOrigin: string;
let lmsOrigin: string;
const problems: string[] = []; // console errors, CSP violations, failed requests, cookies set by the tool
// For a person, written to test-artifacts/demo-notes.log: start-up times, the widths measured at
// each screenshot, and every console message of every frame.
const notes: string[] = [];

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  const [toolPort, lmsPort, host] = await Promise.all([freePort(), freePort(), hostForLocalhost()]);
  toolOrigin = `http://localhost:${toolPort}`;
  lmsOrigin = `http://127.0.0.1:${lmsPort}`;
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'badgetrail-demo-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(toolPort),
    HOST: host,
    PUBLIC_URL: toolOrigin,
    DEMO_MODE: 'true',
    DEMO_LMS_PORT: String(lmsPort),
    DATA_DIR: dataDir,
    NODE_ENV: 'development',
    LOG_LEVEL: 'info',
  };
  delete env.DATABASE_URL; // the demo runs on embedded PGlite
  delete env.SECRET_KEY;
  delete env.ADMIN_SOCKET;
  // The server (PGlite start-up dominates, 10–25 s here) and the browser start side by side; the
  // browser probes its third-party cookie blocking meanwhile.
  const t0 = Date.now();
  const [started, launched] = await Promise.allSettled([
    spawnServer({ cwd: ROOT, args: ['tsx', 'src/main.ts'], env, readyPrefix: 'Demo LMS:', timeoutMs: 80_000 }).then((s) => {
      notes.push(`server ready after ${Date.now() - t0} ms`);
      return s;
    }),
    launchChromium().then(async (b) => {
      browser = b; // closed by afterAll even if the probe or the server fails
      notes.push(`browser launched after ${Date.now() - t0} ms`);
      cookiesBlocked = await thirdPartyCookiesBlocked(b);
      notes.push(`third-party cookie probe done after ${Date.now() - t0} ms`);
      return b;
    }),
  ]);
  if (started.status === 'fulfilled') server = started.value;
  if (started.status === 'rejected') throw started.reason;
  if (launched.status === 'rejected') throw launched.reason;
  expect(server!.output()).toContain(`Demo LMS: ${lmsOrigin}/`);

  context = await browser!.newContext({ viewport: DESKTOP });
  await watch(context);
  page = await context.newPage();
  // Every action fails with its own message after 30 s instead of waiting for the test timeout.
  page.setDefaultTimeout(30_000);
  await page.goto(`${lmsOrigin}/`);
}, 90_000);

afterAll(async () => {
  if (notes.length) writeFileSync(path.join(ARTIFACTS, 'demo-notes.log'), notes.join('\n') + '\n');
  await browser?.close();
  await server?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const fromTool = (url: string | undefined) => !!url && url.startsWith(`${toolOrigin}/`);
const strip = (url: string) => url.replace(/ltik=[^&\s]+/g, 'ltik=…');

async function watch(ctx: BrowserContext): Promise<void> {
  // CSP violations in any frame, reported by the page itself (the init script is not subject to CSP).
  await ctx.exposeBinding('__cspViolation', (source, v: { directive: string; blocked: string; doc: string }) => {
    problems.push(`CSP violation in ${strip(source.frame.url())}: ${v.directive} blocked ${v.blocked}`);
  });
  await ctx.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      (window as unknown as { __cspViolation: (v: unknown) => void }).__cspViolation({ directive: e.effectiveDirective, blocked: e.blockedURI, doc: e.documentURI });
    });
  });
  ctx.on('console', (m) => {
    const where = m.location().url;
    const line = `console.${m.type()} @ ${strip(where)}: ${strip(m.text())}`;
    notes.push(line);
    // The tool frame's own errors, and any CSP report, whichever frame logs it (a frame-ancestors
    // refusal is logged by the framing LMS page).
    if ((m.type() === 'error' && fromTool(where)) || m.text().includes('Content Security Policy')) problems.push(line);
  });
  ctx.on('weberror', (e) => problems.push(`uncaught error: ${e.error().message}`));
  ctx.on('requestfailed', (r) => {
    if (fromTool(r.url())) problems.push(`request failed: ${strip(r.url())} (${r.failure()?.errorText})`);
  });
  ctx.on('response', async (r) => {
    if (!fromTool(r.url())) return;
    if (r.status() >= 400) problems.push(`HTTP ${r.status()} for ${strip(r.url())}`);
    const setCookie = await r.headerValue('set-cookie').catch(() => null);
    if (setCookie) problems.push(`tool set a cookie: ${strip(r.url())} → ${setCookie}`);
  });
}

function tool(): FrameLocator {
  return page.frameLocator('iframe[name=tool]');
}

function toolFrame(): Frame {
  const f = page.frame({ name: 'tool' });
  if (!f) throw new Error('no tool frame');
  return f;
}

async function launchAs(button: string, heading: string): Promise<FrameLocator> {
  await page.getByRole('button', { name: button }).click();
  await expect.poll(() => tool().getByRole('heading', { level: 1, name: heading }).isVisible(), { timeout: 20_000 }).toBe(true);
  return tool();
}

async function expectCrossSiteAndCookieless(path: string): Promise<void> {
  expect(new URL(page.url()).origin).toBe(lmsOrigin);
  const frameUrl = new URL(toolFrame().url());
  expect(frameUrl.origin).toBe(toolOrigin);
  expect(frameUrl.pathname).toBe(path);
  expect(await context.cookies(toolOrigin)).toEqual([]);
  expect((await context.cookies()).map((c) => `${c.domain} ${c.name}`)).toEqual([]);
}

// Resizing re-lays out the cross-site (out-of-process) frame asynchronously: wait until the frame
// has the new width and has painted, or the screenshot may show it empty or half drawn.
async function resize(size: { width: number; height: number }): Promise<void> {
  await page.setViewportSize(size);
  const iframeWidth = () => page.locator('iframe[name=tool]').evaluate((el) => el.clientWidth);
  await expect.poll(async () => (await toolFrame().evaluate(() => window.innerWidth)) === (await iframeWidth())).toBe(true);
  // Two animation frames, or half a second: a frame that is not rendering (navigating, hidden)
  // never runs requestAnimationFrame, and the test must not wait for it forever.
  const painted = () => new Promise<void>((r) => {
    requestAnimationFrame(() => requestAnimationFrame(() => r()));
    setTimeout(r, 500);
  });
  await toolFrame().evaluate(painted);
  await page.evaluate(painted);
}

// The whole page at one width. Not `fullPage: true`: that grows the viewport during the capture,
// and the framed tool is captured before it repaints (blank at 390 px). Grow it first, then wait.
async function capture(file: string, size: { width: number; height: number }): Promise<void> {
  await resize(size);
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  if (height > size.height) await resize({ width: size.width, height });
  await page.screenshot({ path: path.join(ARTIFACTS, file) });
}

/** Horizontal overflow inside the tool frame, which a person would have to scroll sideways to read. */
async function overflow(name: string): Promise<void> {
  const o = await toolFrame().evaluate(() => ({
    frameWidth: document.documentElement.clientWidth,
    contentWidth: document.documentElement.scrollWidth,
    wide: Array.from(document.querySelectorAll('main table, main .card')).filter((el) => el.scrollWidth > el.clientWidth + 1 || el.getBoundingClientRect().right > document.documentElement.clientWidth + 1).map((el) => `${el.tagName.toLowerCase()}.${el.className} ${Math.round(el.getBoundingClientRect().width)}px`),
  }));
  notes.push(`layout ${name}: frame ${o.frameWidth}px, content ${o.contentWidth}px${o.contentWidth > o.frameWidth ? ' (scrolls sideways)' : ''}${o.wide.length ? `; too wide: ${o.wide.join(', ')}` : ''}`);
}

async function screenshots(name: string): Promise<void> {
  await overflow(`${name} @ ${DESKTOP.width}`);
  await capture(`demo-${name}.png`, DESKTOP);
  await resize(MOBILE);
  await overflow(`${name} @ ${MOBILE.width}`);
  await capture(`demo-${name}-mobile.png`, MOBILE);
  await resize(DESKTOP);
}

async function tableRows(frame: FrameLocator, card: string): Promise<string[][]> {
  const rows = frame.locator('section.card', { has: frame.getByRole('heading', { level: 2, name: card }) }).locator('tbody tr');
  return rows.evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => (td.textContent ?? '').trim())));
}

// Generous per-test bounds: a loaded CI machine runs Chromium, the server and other test files at once.
describe('demo LMS in a browser', { timeout: 120_000 }, () => {
  it('runs in a browser that refuses third-party cookies', async () => {
    expect(cookiesBlocked).toBe(true);
  });

  it('shows the demo LMS with its four launches', async () => {
    expect(new URL(page.url()).origin).toBe(lmsOrigin);
    for (const name of ['Instructor (course panel)', 'Learner (my badges)', 'Admin (organisation)', 'Instructor placing a link (deep linking)']) {
      await expect.poll(() => page.getByRole('button', { name }).isVisible()).toBe(true);
    }
  });

  it('launches the instructor into the course panel with the seeded modules', async () => {
    const frame = await launchAs('Instructor (course panel)', 'Course badges');
    await expectCrossSiteAndCookieless('/app/course');
    expect(await frame.locator('.page-head').textContent()).toContain(COURSE);
    expect(await frame.locator('.page-head').textContent()).toContain('Ines Instructor');
    const modules = await tableRows(frame, 'Modules');
    expect(modules.map((r) => r[1])).toEqual(MODULES);
    expect(modules.map((r) => r[2])).toEqual(['1', '1', '1']);
    const badges = await tableRows(frame, 'Badges');
    expect(badges.map((r) => r[0])).toEqual(['Data Literate', 'Statistics Foundations', 'Responsible Data Practitioner']);
    expect(await frame.locator('img[src$="logo.svg"]').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
    await screenshots('instructor');
    expect(problems).toEqual([]);
  });

  it('launches the learner into "My badges"', async () => {
    const frame = await launchAs('Learner (my badges)', 'My badges');
    await expectCrossSiteAndCookieless('/app/me');
    expect(await frame.locator('.page-head').textContent()).toContain('Leo Learner');
    expect(await frame.locator('.page-head').textContent()).toContain(COURSE);
    expect(await frame.getByRole('heading', { level: 2 }).allTextContents()).toEqual(['Waiting for you to claim', 'Earned']);
    await screenshots('learner');
    expect(problems).toEqual([]);
  });

  it('launches the admin into the organisation view', async () => {
    const frame = await launchAs('Admin (organisation)', 'Organisation');
    await expectCrossSiteAndCookieless('/app/org');
    expect(await frame.locator('.page-head').textContent()).toContain('Demo University');
    const courses = await tableRows(frame, 'Courses');
    const row = courses.find((r) => r[0] === COURSE);
    expect(row, JSON.stringify(courses)).toBeDefined();
    // modules, badges, learners: the instructor and the admin who launched are not learners
    expect(row!.slice(1, 4)).toEqual(['3', '3', '1']);
    const platforms = await tableRows(frame, 'Connected platforms');
    // name with its issuer beneath, deployments, status
    expect(platforms).toEqual([[`Demo LMS${lmsOrigin}`, '1', 'active']]);
    await screenshots('admin');
    expect(problems).toEqual([]);
  });

  it('places a module completion link by deep linking, and the new module shows in the course panel', async () => {
    const frame = await launchAs('Instructor placing a link (deep linking)', 'Place Badgetrail');
    await expectCrossSiteAndCookieless('/app/deep-link');
    await frame.getByRole('radio', { name: /Module completion link/ }).check();
    await frame.getByLabel('New module title').fill('Module 4: Visualisation');
    await screenshots('deeplink');

    await frame.getByRole('button', { name: 'Place link' }).click();
    await expect.poll(() => tool().getByRole('heading', { level: 1, name: 'Link placed' }).isVisible(), { timeout: 20_000 }).toBe(true);
    const back = new URL(toolFrame().url());
    expect(back.origin).toBe(lmsOrigin);
    expect(back.pathname).toBe('/deep-link-return');

    const panel = await launchAs('Instructor (course panel)', 'Course badges');
    await expectCrossSiteAndCookieless('/app/course');
    const modules = await tableRows(panel, 'Modules');
    expect(modules.map((r) => r[1])).toEqual([...MODULES, 'Module 4: Visualisation']);
    expect(modules.at(-1)![0]).toBe('4');
    await capture('demo-instructor-after-deeplink.png', DESKTOP);
    expect(problems).toEqual([]);
  });
});
