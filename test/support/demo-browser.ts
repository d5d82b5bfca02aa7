// The demo in a real (headless) Chromium, shared by the browser tests: `npm run demo`'s server as a
// child process, its demo LMS on http://127.0.0.1:<port> framing the tool on http://localhost:<port>
// — two sites, third-party cookies refused — with launches by clicking, a watch on everything that
// goes wrong in the tool frame, and screenshots in test-artifacts/ for a person to look at.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Frame, FrameLocator, Page } from 'playwright-core';
import { expect } from 'vitest';
import { freePort, hostForLocalhost, launchChromium, spawnServer, thirdPartyCookiesBlocked, type ChildServer } from './browser.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const ARTIFACTS = path.join(ROOT, 'test-artifacts');
export const DESKTOP = { width: 1280, height: 900 };
export const MOBILE = { width: 390, height: 844 };

const strip = (url: string) => url.replace(/ltik=[^&\s]+/g, 'ltik=…');

/**
 * Rejects after `ms` instead of waiting for ever: frame.evaluate() has no timeout of its own, and a
 * cross-site frame that is navigating or starved of CPU may not answer. Shared by the browser tests.
 */
export function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<T>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no answer after ${ms} ms`)), ms); });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

export async function startDemoBrowser(name: string) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const [toolPort, lmsPort, host] = await Promise.all([freePort(), freePort(), hostForLocalhost()]);
  const toolOrigin = `http://localhost:${toolPort}`;
  const lmsOrigin = `http://127.0.0.1:${lmsPort}`;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'badgetrail-demo-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env, PORT: String(toolPort), HOST: host, PUBLIC_URL: toolOrigin, DEMO_MODE: 'true', DEMO_LMS_PORT: String(lmsPort), DATA_DIR: dataDir, NODE_ENV: 'development', LOG_LEVEL: 'info',
  };
  delete env.DATABASE_URL; // the demo runs on embedded PGlite
  delete env.SECRET_KEY;
  delete env.ADMIN_SOCKET;
  // For a person, written to test-artifacts/<name>-notes.log: start-up times, the widths measured at
  // each screenshot, and every console message of every frame.
  const notes: string[] = [];
  const problems: string[] = []; // console errors, CSP violations, failed requests, cookies set by the tool
  let server: ChildServer | undefined;
  let browser: Browser | undefined;
  let cookiesBlocked: boolean | undefined;
  const close = async () => {
    if (notes.length) writeFileSync(path.join(ARTIFACTS, `${name}-notes.log`), notes.join('\n') + '\n');
    await browser?.close();
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };

  // The server (PGlite start-up dominates, 10–25 s here) and the browser start side by side; the
  // browser probes its third-party cookie blocking meanwhile.
  const t0 = Date.now();
  const [started, launched] = await Promise.allSettled([
    spawnServer({ cwd: ROOT, args: ['tsx', 'src/main.ts'], env, readyPrefix: 'Demo LMS:', timeoutMs: 80_000 }).then((s) => {
      notes.push(`server ready after ${Date.now() - t0} ms`);
      return s;
    }),
    launchChromium().then(async (b) => {
      browser = b; // closed by close() even if the probe or the server fails
      notes.push(`browser launched after ${Date.now() - t0} ms`);
      cookiesBlocked = await thirdPartyCookiesBlocked(b);
      return b;
    }),
  ]);
  if (started.status === 'fulfilled') server = started.value;
  if (started.status === 'rejected' || launched.status === 'rejected') {
    await close();
    throw started.status === 'rejected' ? started.reason : (launched as PromiseRejectedResult).reason;
  }
  expect(server!.output()).toContain(`Demo LMS: ${lmsOrigin}/`);

  const context = await browser!.newContext({ viewport: DESKTOP, acceptDownloads: true });
  await watch(context, toolOrigin, problems, notes);
  const page = await context.newPage();
  // Every action fails with its own message after 30 s instead of waiting for the test timeout.
  page.setDefaultTimeout(30_000);
  await page.goto(`${lmsOrigin}/`);

  const tool = (): FrameLocator => page.frameLocator('iframe[name=tool]');
  const toolFrame = (): Frame => {
    const f = page.frame({ name: 'tool' });
    if (!f) throw new Error('no tool frame');
    return f;
  };
  const shots = screenshotter(page, toolFrame, notes);
  return {
    toolOrigin, lmsOrigin, page, context, problems, notes, tool, toolFrame, close, cookiesBlocked: cookiesBlocked!, ...shots,
    /** The tool frame's path and launch token: a new launch has a new token. */
    framePath(): string {
      const url = page.frame({ name: 'tool' })?.url();
      return url && url.startsWith(toolOrigin) ? `${new URL(url).pathname} ${new URL(url).searchParams.get('ltik')}` : '';
    },
    async launchAs(button: string, heading: string | RegExp): Promise<FrameLocator> {
      const before = this.framePath();
      const landed = () => { const now = this.framePath(); return now !== '' && now !== before; };
      await page.getByRole('button', { name: button }).click();
      // Never act on the previous launch's page while the frame navigates to the new one. On a
      // loaded machine the demo LMS's launch (deep linking, rarely) has not reached the tool after
      // 15 s; a person would click again: so does the test, once, and the notes log says so.
      try {
        await expect.poll(landed, { timeout: 15_000 }).toBe(true);
      } catch {
        notes.push(`launch "${button}" had not reached the tool after 15 s (frame at ${strip(page.frame({ name: 'tool' })?.url() ?? 'none')}): clicked again`);
        await page.getByRole('button', { name: button }).click();
        await expect.poll(landed, { timeout: 30_000 }).toBe(true);
      }
      await expect.poll(() => tool().getByRole('heading', { level: 1, name: heading }).isVisible(), { timeout: 20_000 }).toBe(true);
      return tool();
    },
    async expectCrossSiteAndCookieless(pathname: string): Promise<void> {
      expect(new URL(page.url()).origin).toBe(lmsOrigin);
      const frameUrl = new URL(toolFrame().url());
      expect(frameUrl.origin).toBe(toolOrigin);
      expect(frameUrl.pathname).toBe(pathname);
      expect(await context.cookies(toolOrigin)).toEqual([]);
      expect((await context.cookies()).map((c) => `${c.domain} ${c.name}`)).toEqual([]);
    },
  };
}

export type DemoBrowser = Awaited<ReturnType<typeof startDemoBrowser>>;

async function watch(ctx: BrowserContext, toolOrigin: string, problems: string[], notes: string[]): Promise<void> {
  const fromTool = (url: string | undefined) => !!url && url.startsWith(`${toolOrigin}/`);
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
    // A download's request is handed to the download manager: not a failure.
    if (fromTool(r.url()) && r.failure()?.errorText !== 'net::ERR_ABORTED') problems.push(`request failed: ${strip(r.url())} (${r.failure()?.errorText})`);
  });
  ctx.on('response', async (r) => {
    if (!fromTool(r.url())) return;
    if (r.status() >= 400) problems.push(`HTTP ${r.status()} for ${strip(r.url())}`);
    const setCookie = await r.headerValue('set-cookie').catch(() => null);
    if (setCookie) problems.push(`tool set a cookie: ${strip(r.url())} → ${setCookie}`);
  });
}

function screenshotter(page: Page, toolFrame: () => Frame, notes: string[]) {
  // Resizing re-lays out the cross-site (out-of-process) frame asynchronously: wait until the frame
  // has the new width and has painted, or the screenshot may show it empty or half drawn.
  async function resize(size: { width: number; height: number }): Promise<void> {
    await page.setViewportSize(size);
    const iframeWidth = () => page.locator('iframe[name=tool]').evaluate((el) => el.clientWidth);
    const frameWidth = () => within(5_000, 'tool frame width', toolFrame().evaluate(() => window.innerWidth)).catch(() => -1);
    await expect.poll(async () => (await frameWidth()) === (await iframeWidth()), { timeout: 30_000 }).toBe(true);
    // Two animation frames, or half a second: a frame that is not rendering (navigating, hidden)
    // never runs requestAnimationFrame, and the test must not wait for it forever.
    const painted = () => new Promise<void>((r) => {
      requestAnimationFrame(() => requestAnimationFrame(() => r()));
      setTimeout(r, 500);
    });
    await within(10_000, 'tool frame paint', toolFrame().evaluate(painted));
    await within(10_000, 'LMS page paint', page.evaluate(painted));
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
  async function overflow(name: string): Promise<{ contentWidth: number; frameWidth: number; wide: string[] }> {
    const o = await within(15_000, `layout of ${name}`, toolFrame().evaluate(() => ({
      frameWidth: document.documentElement.clientWidth,
      contentWidth: document.documentElement.scrollWidth,
      wide: Array.from(document.querySelectorAll('main table, main .card')).filter((el) => el.scrollWidth > el.clientWidth + 1 || el.getBoundingClientRect().right > document.documentElement.clientWidth + 1).map((el) => `${el.tagName.toLowerCase()}.${el.className} ${Math.round(el.getBoundingClientRect().width)}px`),
    })));
    notes.push(`layout ${name}: frame ${o.frameWidth}px, content ${o.contentWidth}px${o.contentWidth > o.frameWidth ? ' (scrolls sideways)' : ''}${o.wide.length ? `; too wide: ${o.wide.join(', ')}` : ''}`);
    return o;
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

  return { resize, capture, overflow, screenshots, tableRows };
}
