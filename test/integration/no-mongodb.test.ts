// ltijs ships with MongoDB (mongoose) as its database; Badgetrail must never use it. Every TCP
// connection this process attempts is recorded while the app starts, registers a platform, serves
// full launches (instructor, learner, deep linking with its signed response) and its keyset.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mongoose from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../support/app.js';
import type { PlatformSimulator } from '../support/platform-simulator.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SRC = path.resolve(HERE, '../../src');

type Target = { via: string; host?: string | undefined; port?: number | undefined; path?: string | undefined };
const attempts: Target[] = [];

/** Reads where a connect call goes, for every calling convention of net / Socket#connect. */
function targetOf(via: string, args: unknown[]): Target {
  // net.connect() hands Socket#connect its already normalised [options, callback] array.
  const list = Array.isArray(args[0]) ? (args[0] as unknown[]) : args;
  const first = list[0];
  if (first && typeof first === 'object') {
    const o = first as { host?: unknown; hostname?: unknown; port?: unknown; path?: unknown };
    const host = typeof o.host === 'string' ? o.host : typeof o.hostname === 'string' ? o.hostname : undefined;
    return { via, host: host ?? (o.path === undefined ? 'localhost' : undefined), port: o.port === undefined ? undefined : Number(o.port), path: typeof o.path === 'string' ? o.path : undefined };
  }
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    return { via, port: Number(first), host: typeof list[1] === 'string' ? list[1] : 'localhost' };
  }
  if (typeof first === 'string') return { via, path: first };
  return { via };
}

type AnyFn = (...args: unknown[]) => unknown;
const originals = {
  socketConnect: net.Socket.prototype.connect as unknown as AnyFn,
  connect: net.connect as unknown as AnyFn,
  createConnection: net.createConnection as unknown as AnyFn,
};

function installRecorders(): void {
  const { socketConnect, connect, createConnection } = originals;
  (net.Socket.prototype as unknown as { connect: AnyFn }).connect = function (this: net.Socket, ...args: unknown[]) {
    attempts.push(targetOf('Socket#connect', args));
    return socketConnect.apply(this, args);
  };
  const netObject = net as unknown as { connect: AnyFn; createConnection: AnyFn };
  netObject.connect = function (...args: unknown[]) {
    attempts.push(targetOf('net.connect', args));
    return connect.apply(net, args);
  };
  netObject.createConnection = function (...args: unknown[]) {
    attempts.push(targetOf('net.createConnection', args));
    return createConnection.apply(net, args);
  };
}

function restoreRecorders(): void {
  (net.Socket.prototype as unknown as { connect: AnyFn }).connect = originals.socketConnect;
  const netObject = net as unknown as { connect: AnyFn; createConnection: AnyFn };
  netObject.connect = originals.connect;
  netObject.createConnection = originals.createConnection;
}

const portOf = (url: string) => Number(new URL(url).port);
const isMongo = (t: Target) => t.port === 27017 || /mongo/i.test(t.host ?? '') || /mongo/i.test(t.path ?? '');

let app: TestApp;
let sim: PlatformSimulator;
let lti: typeof import('../support/lti.js');

beforeAll(async () => {
  // Installed before the app (and ltijs) is imported or built.
  installRecorders();
  const { startTestApp } = await import('../support/app.js');
  const { startPlatform } = await import('../support/platform-simulator.js');
  lti = await import('../support/lti.js');
  app = await startTestApp();
  sim = await startPlatform({ product: 'moodle' });
  await lti.registeredPlatform(app, sim);
});

afterAll(async () => {
  try {
    await app?.close();
    await sim?.close();
  } finally {
    restoreRecorders();
  }
  expect(net.Socket.prototype.connect).toBe(originals.socketConnect);
  expect(net.connect).toBe(originals.connect);
  expect(net.createConnection).toBe(originals.createConnection);
});

describe('no MongoDB', () => {
  it('runs registration, launches, deep linking and the keyset without a single connection to MongoDB', async () => {
    const instructor = await lti.launchTo(app, sim, lti.buildUser('instructor'), { context: { id: 'nomongo-1', title: 'No Mongo 101' } });
    expect(instructor.location).toMatch(/^\/app\/course\?ltik=/);
    expect(instructor.html).toContain('No Mongo 101');

    const learner = await lti.launchTo(app, sim, lti.buildUser('learner'), { context: { id: 'nomongo-1', title: 'No Mongo 101' } });
    expect(learner.location).toMatch(/^\/app\/me\?ltik=/);

    // Deep linking: the request, the picker, and the response ltijs signs with the key from our store.
    const dl = await lti.launchTo(app, sim, lti.buildUser('instructor'), { messageType: 'LtiDeepLinkingRequest', context: { id: 'nomongo-1', title: 'No Mongo 101' } });
    expect(dl.location).toMatch(/^\/app\/deep-link\?ltik=/);
    const placed = await fetch(`${app.url}/app/deep-link`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ kind: 'course', ltik: dl.ltik }),
    });
    const placedHtml = await placed.text();
    expect(placed.status, placedHtml).toBe(200);
    const action = /<form[^>]*action="([^"]+)"/.exec(placedHtml)?.[1];
    const jwt = /name="JWT" value="([^"]+)"/.exec(placedHtml)?.[1];
    expect(action).toBe(sim.deepLinkReturnUrl);
    expect(jwt).toBeTruthy();
    const returned = await fetch(action!, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ JWT: jwt! }) });
    expect(returned.status, await returned.clone().text()).toBe(200);
    expect(sim.deepLinkReturns).toHaveLength(1);

    const keys = await fetch(`${app.url}/lti/keys`);
    expect(keys.status).toBe(200);
    const platform = (await app.built.services.lti.platforms.byIssuer(sim.issuer))[0]!;
    expect(((await keys.json()) as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid)).toContain(platform.ltijsKid);

    // The recorder saw this traffic (so it would have seen MongoDB's): the app, the simulated
    // platform the app itself called, and the PostgreSQL server when one is used.
    const ports = new Set(attempts.map((a) => a.port));
    expect(ports.has(portOf(app.url)), JSON.stringify(attempts)).toBe(true);
    expect(ports.has(portOf(sim.origin)), JSON.stringify(attempts)).toBe(true);
    if (process.env.DATABASE_URL) expect(ports.has(Number(new URL(process.env.DATABASE_URL).port || 5432))).toBe(true);

    const mongo = attempts.filter(isMongo);
    expect(mongo, JSON.stringify(mongo)).toEqual([]);
  });

  it('leaves mongoose (the copy ltijs loads) unconnected and without ltijs models', () => {
    // The mongoose imported here is the very module ltijs required.
    const fromLtijs = createRequire(createRequire(import.meta.url).resolve('ltijs'))('mongoose') as unknown;
    expect(fromLtijs).toBe(mongoose);
    expect(mongoose.connection.readyState).toBe(0);
    expect(mongoose.connections.length).toBeGreaterThan(0);
    expect(mongoose.connections.every((c) => c.readyState === 0)).toBe(true);
    // ltijs registers its models only when it builds its own MongoDB database class.
    expect(mongoose.modelNames()).toEqual([]);
  });

  it('has no MongoDB connection string or mongoose call in src/', () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else files.push(p);
      }
    };
    walk(SRC);
    expect(files.some((f) => f.endsWith(path.join('db', 'ltijs-store.ts')))).toBe(true);
    const offending: string[] = [];
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      if (/mongodb(\+srv)?:\/\//i.test(text) || /mongoose\s*\.\s*connect/.test(text) || /from\s+['"]mongoose['"]|require\(\s*['"]mongoose['"]\s*\)/.test(text)) {
        offending.push(path.relative(SRC, f));
      }
    }
    expect(offending).toEqual([]);
  });
});

describe('the connection recorder', () => {
  it('sees a plain net.connect and would flag MongoDB targets (so the checks above can fail)', async () => {
    // A port that was just free: the attempt is refused, but it is an attempt.
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const before = attempts.length;
    const socket = net.connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve) => {
      socket.once('error', () => resolve());
      socket.once('connect', () => resolve());
    });
    socket.destroy();
    const seen = attempts.splice(before);
    expect(seen.some((t) => t.port === port && t.host === '127.0.0.1')).toBe(true);

    expect(isMongo(targetOf('t', [27017, '10.0.0.5']))).toBe(true);
    expect(isMongo(targetOf('t', [{ host: 'mongo.internal', port: 1234 }]))).toBe(true);
    expect(isMongo(targetOf('t', [[{ host: 'cluster0.mongodb.net', port: 27018 }, () => undefined]]))).toBe(true);
    expect(isMongo(targetOf('t', [{ host: '127.0.0.1', port: 5432 }]))).toBe(false);
  });
});
