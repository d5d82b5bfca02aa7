// Headless Chromium for the browser end-to-end tests (the Debian package, driven by playwright-core),
// plus the helpers those tests share: free ports, the demo server as a child process, and a probe
// that the browser really refuses third-party cookies.
import { spawn, type ChildProcess } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import http from 'node:http';
import net from 'node:net';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  // Chrome's "third-party cookie phase-out" test switch. Chromium 156 (Debian) already refuses
  // unpartitioned cross-site cookies by default (blocked reason "UserPreferences", in a fresh
  // context as in a persistent profile); the switch keeps it that way should the default change.
  // thirdPartyCookiesBlocked() checks the outcome instead of trusting either.
  '--test-third-party-cookie-phaseout',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 30_000 });
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** The address to bind so that http://localhost:<port> reaches the server. */
export async function hostForLocalhost(): Promise<string> {
  const { address } = await lookup('localhost');
  return address === '127.0.0.1' ? '127.0.0.1' : '::';
}

/**
 * Frames a page on http://localhost:<a> from http://127.0.0.1:<b> (two sites, as in the demo) and
 * reports whether the framed page's `SameSite=None; Secure` cookie was refused.
 */
export async function thirdPartyCookiesBlocked(browser: Browser): Promise<boolean> {
  const framed = http.createServer((_req, res) => {
    res.setHeader('Set-Cookie', 'probe=1; SameSite=None; Secure; Path=/');
    res.setHeader('Content-Type', 'text/html');
    res.end('<!doctype html><p id="probe">framed</p>');
  });
  const top = http.createServer((_req, res) => {
    res.setHeader('Content-Type', 'text/html');
    res.end(`<!doctype html><iframe name="probe" src="http://localhost:${(framed.address() as net.AddressInfo).port}/"></iframe>`);
  });
  const host = await hostForLocalhost();
  await new Promise<void>((resolve) => framed.listen(0, host, resolve));
  await new Promise<void>((resolve) => top.listen(0, '127.0.0.1', resolve));
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(`http://127.0.0.1:${(top.address() as net.AddressInfo).port}/`);
    await page.frameLocator('iframe[name=probe]').locator('#probe').waitFor();
    return (await context.cookies()).every((c) => c.name !== 'probe');
  } finally {
    await context.close();
    framed.closeAllConnections();
    top.closeAllConnections();
    await Promise.all([new Promise((r) => framed.close(r)), new Promise((r) => top.close(r))]);
  }
}

export interface ChildServer {
  process: ChildProcess;
  /** Everything the child printed so far (stdout and stderr), for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Spawns `npx tsx <entry>` in its own process group (npx → tsx → node) and resolves once a stdout
 * line starts with `readyPrefix`. stop() sends SIGTERM to that group, SIGKILL after 5 s.
 */
export function spawnServer(o: { cwd: string; args: string[]; env: NodeJS.ProcessEnv; readyPrefix: string; timeoutMs: number }): Promise<ChildServer> {
  const child = spawn('npx', o.args, { cwd: o.cwd, env: o.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const signal = (sig: NodeJS.Signals) => {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid, sig);
    } catch {
      /* already gone */
    }
  };
  const server: ChildServer = {
    process: child,
    output: () => out,
    async stop() {
      signal('SIGTERM');
      const timer = setTimeout(() => signal('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void server.stop();
      reject(new Error(`server not ready after ${o.timeoutMs} ms:\n${out}`));
    }, o.timeoutMs);
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.split('\n').some((l) => l.startsWith(o.readyPrefix))) {
        clearTimeout(timer);
        resolve(server);
      }
    });
    child.once('exit', (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code ?? sig}) before it was ready:\n${out}`));
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}
