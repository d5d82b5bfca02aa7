// The admin command line (PRODUCT.md §7b) as real processes: first directly against the database
// (no server running), then through a running server's admin socket — on PGlite the command line
// must never open the server's data directory a second time. Also the server's start output.
//
// The tests in this file run in order and build on each other (one data directory, one database).
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPglite } from '../../src/db/index.js';
import {
  childEnv, freePort, killStartedChildren, lastLine, runProcess, startProcess, tsxArgs,
  type ProcessResult, type RunningProcess,
} from '../support/processes.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PG_URL = process.env.DATABASE_URL;
// A command line run opens (and on first use creates) the database; PGlite's first start is slow.
const CLI_TIMEOUT = 120_000;
const SLOW = 300_000;

let tmp: string;
let dataDir: string;
let dbName: string | undefined;
let dbUrl: string | undefined;
let server: RunningProcess | undefined;

const lines = (out: string) => out.split('\n').filter((l) => l.trim() !== '');

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'bt-cli-'));
  dataDir = path.join(tmp, 'data');
  if (PG_URL) {
    dbName = `bt_cli_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    try {
      await admin.query(`create database ${dbName}`);
    } finally {
      await admin.end();
    }
    const u = new URL(PG_URL);
    u.pathname = `/${dbName}`;
    dbUrl = u.toString();
  }
});

afterAll(async () => {
  if (server) await server.stop('SIGKILL', 10_000);
  killStartedChildren();
  if (PG_URL && dbName) {
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    try {
      await admin.query(`drop database if exists ${dbName} with (force)`);
    } finally {
      await admin.end();
    }
  }
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** The children's environment: PostgreSQL mode gets its own database, PGlite mode its own data dir (and no DATABASE_URL). */
function env(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return childEnv({ NODE_ENV: 'development', DATA_DIR: dataDir, DATABASE_URL: dbUrl, LOG_LEVEL: 'info', ...extra });
}

async function cli(args: string[], extraEnv: Record<string, string | undefined> = {}): Promise<ProcessResult> {
  const r = await runProcess(process.execPath, tsxArgs('src/admin/cli.ts', args), { env: env(extraEnv), timeoutMs: CLI_TIMEOUT });
  expect(r.timedOut, `admin ${args.join(' ')} did not finish in time\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`).toBe(false);
  return r;
}

/** Runs a command that must succeed and returns its output lines. */
async function cliOk(args: string[], extraEnv: Record<string, string | undefined> = {}): Promise<ProcessResult> {
  const r = await cli(args, extraEnv);
  expect(r.code, `admin ${args.join(' ')} failed\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`).toBe(0);
  return r;
}

/**
 * Runs a command that must fail with a reason on the first line of stderr; returns that line.
 * With `oneLine`, the reason must be all there is (no usage text after it).
 */
async function cliFails(args: string[], extraEnv: Record<string, string | undefined> = {}, oneLine = false): Promise<string> {
  const r = await cli(args, extraEnv);
  expect(r.code, `admin ${args.join(' ')} should have failed\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`).not.toBe(0);
  expect(r.code).not.toBeNull();
  expect(r.stdout.trim(), 'a refused command prints nothing on stdout').toBe('');
  const first = r.stderr.split('\n')[0]!;
  expect(first).toMatch(/^error: \S/);
  expect(r.stderr, 'no stack trace').not.toMatch(/\n\s+at .+:\d+/);
  if (oneLine) expect(lines(r.stderr), 'the reason is one line').toEqual([first]);
  return first;
}

/** Queries the children's database: PostgreSQL directly, PGlite by opening the data dir (only while no process holds it). */
async function withDb<T>(fn: (query: <R>(sql: string, params?: unknown[]) => Promise<R[]>) => Promise<T>): Promise<T> {
  if (dbUrl) {
    const c = new pg.Client({ connectionString: dbUrl });
    await c.connect();
    try {
      return await fn(async <R,>(sql: string, params: unknown[] = []) => (await c.query(sql, params)).rows as R[]);
    } finally {
      await c.end();
    }
  }
  const running = server !== undefined && server.child.exitCode === null && server.child.signalCode === null;
  expect(running, 'the server must not hold the data dir').toBe(false);
  const db = await openPglite({ dataDir: path.join(dataDir, 'pglite') });
  try {
    return await fn(<R,>(sql: string, params: unknown[] = []) => db.query<R>(sql, params));
  } finally {
    await db.close();
  }
}

function platformArgs(tenant: string, over: Record<string, string> = {}): string[] {
  const flags: Record<string, string> = {
    tenant,
    issuer: 'https://moodle.north.example',
    'client-id': 'north-client-1',
    'auth-url': 'https://moodle.north.example/mod/lti/auth.php',
    'token-url': 'https://moodle.north.example/mod/lti/token.php',
    'jwks-url': 'https://moodle.north.example/mod/lti/certs.php',
    deployment: 'dep-1',
    name: 'North Moodle',
    ...over,
  };
  return ['platform', 'add', ...Object.entries(flags).flatMap(([k, v]) => [`--${k}`, v])];
}

// State built up by the tests, in order.
let tenantId = '';
let platformId = '';
let platformListing = '';
let apiKey = '';
const rotatedKids: string[] = [];

describe('direct mode (no server running)', () => {
  it('tenant create --name prints the new id alone on its last line; tenant list shows it', { timeout: SLOW }, async () => {
    expect(existsSync(path.join(dataDir, 'admin.sock'))).toBe(false);
    const created = await cliOk(['tenant', 'create', '--name', 'North College']);
    tenantId = lastLine(created.stdout);
    expect(tenantId).toMatch(UUID);
    expect(created.stdout.split('\n').some((l) => l === tenantId), 'the id is alone on its line').toBe(true);

    const list = await cliOk(['tenant', 'list']);
    const row = lines(list.stdout).find((l) => l.includes(tenantId));
    expect(row, list.stdout).toBeDefined();
    expect(row).toContain('North College');
  });

  it('tenant create without --name exits non-zero with "error: missing --name"', { timeout: SLOW }, async () => {
    const first = await cliFails(['tenant', 'create']);
    expect(first).toBe('error: missing --name');
  });

  it('an unknown command (or none) exits non-zero with a reason', { timeout: SLOW }, async () => {
    expect(await cliFails(['frobnicate', 'everything'])).toMatch(/unknown command/);
    expect(await cliFails(['tenant', 'explode'])).toMatch(/unknown command: tenant explode/);
    // Nothing was created by the refused commands.
    const list = await cliOk(['tenant', 'list']);
    expect(lines(list.stdout)).toHaveLength(1);
  });

  it('platform add with every flag prints the platform id alone on its last line; platform list shows it', { timeout: SLOW }, async () => {
    const added = await cliOk(platformArgs(tenantId));
    platformId = lastLine(added.stdout);
    expect(platformId).toMatch(UUID);
    expect(added.stdout.split('\n')).toContain(platformId);

    const list = await cliOk(['platform', 'list']);
    platformListing = list.stdout;
    expect(lines(list.stdout)).toHaveLength(1);
    const row = lines(list.stdout)[0]!.split('\t');
    expect(row[0]).toBe(platformId);
    expect(row[1]).toBe(tenantId);
    expect(row).toContain('https://moodle.north.example');
    expect(row).toContain('north-client-1');
    expect(row).toContain('dep-1');
  });

  it('a malformed URL is refused with a one-line reason and nothing is stored', { timeout: SLOW }, async () => {
    const reason = await cliFails(platformArgs(tenantId, { issuer: 'https://bad.north.example', 'client-id': 'bad-client', 'auth-url': 'notaurl' }), {}, true);
    expect(reason).toMatch(/auth/i);

    const list = await cliOk(['platform', 'list']);
    expect(list.stdout).toBe(platformListing);
  });

  it('an unknown tenant, a non-UUID tenant and a second registration of the same issuer and client id are refused', { timeout: SLOW }, async () => {
    const unknown = randomUUID();
    expect(await cliFails(platformArgs(unknown, { 'client-id': 'other-client' }), {}, true)).toMatch(new RegExp(`unknown tenant.*${unknown}`));
    expect(await cliFails(platformArgs('not-a-uuid', { 'client-id': 'other-client-2' }), {}, true)).toMatch(/tenant/);
    expect(await cliFails(platformArgs(tenantId), {}, true)).toMatch(/already registered/);

    const list = await cliOk(['platform', 'list']);
    expect(list.stdout).toBe(platformListing);
  });

  it('platform remove --id removes a platform (and refuses one that is not there)', { timeout: SLOW }, async () => {
    const added = await cliOk(platformArgs(tenantId, { 'client-id': 'north-client-2', deployment: 'dep-2' }));
    const secondId = lastLine(added.stdout);
    expect(secondId).toMatch(UUID);

    const removed = await cliOk(['platform', 'remove', '--id', secondId]);
    expect(removed.stdout).toContain(secondId);

    const list = await cliOk(['platform', 'list']);
    expect(list.stdout).toBe(platformListing);
    expect(list.stdout).not.toContain(secondId);

    expect(await cliFails(['platform', 'remove', '--id', secondId], {}, true)).toMatch(/unknown platform/);
  });

  it('apikey create prints a bt_ key alone on its last line and stores only its sha256 hash', { timeout: SLOW }, async () => {
    const created = await cliOk(['apikey', 'create', '--tenant', tenantId]);
    apiKey = lastLine(created.stdout);
    expect(apiKey).toMatch(/^bt_[A-Za-z0-9_-]{20,}$/);
    expect(created.stdout.split('\n')).toContain(apiKey);

    const rows = await withDb((q) => q<Record<string, unknown>>('select * from api_keys'));
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    const secret = apiKey.slice('bt_'.length);
    for (const [column, value] of Object.entries(row)) {
      const text = value instanceof Date ? value.toISOString() : typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
      expect(text, `column ${column} holds the plain key`).not.toContain(secret);
    }
    expect(row.key_hash).toBe(createHash('sha256').update(apiKey).digest('hex'));
    expect(row.tenant_id).toBe(tenantId);
    expect(row.course_id).toBeNull();
  });

  it('apikey create --course with an unknown course is refused ("no course") and stores nothing', { timeout: SLOW }, async () => {
    const course = randomUUID();
    expect(await cliFails(['apikey', 'create', '--tenant', tenantId, '--course', course], {}, true)).toMatch(/no course/);
    const rows = await withDb((q) => q<{ n: number }>('select count(*)::int as n from api_keys'));
    expect(rows[0]!.n).toBe(1);
  });

  it('keys rotate twice leaves four keys, two of them active', { timeout: SLOW }, async () => {
    for (let i = 0; i < 2; i++) {
      const r = await cliOk(['keys', 'rotate', '--tenant', tenantId]);
      for (const m of r.stdout.matchAll(/^new (RS256|EdDSA) key (\S+)$/gm)) rotatedKids.push(m[2]!);
    }
    expect(rotatedKids).toHaveLength(4);
    expect(new Set(rotatedKids).size).toBe(4);

    const rows = await withDb((q) =>
      q<{ kid: string; alg: string; retired_at: Date | null }>('select kid, alg, retired_at from signing_keys where tenant_id = $1', [tenantId]),
    );
    expect(rows).toHaveLength(4);
    expect(rows.map((r) => r.kid).sort()).toEqual([...rotatedKids].sort());
    const active = rows.filter((r) => r.retired_at === null);
    expect(active).toHaveLength(2);
    expect(active.map((r) => r.alg).sort()).toEqual(['EdDSA', 'RS256']);
    // The second rotation's keys are the active ones.
    expect(active.map((r) => r.kid).sort()).toEqual(rotatedKids.slice(2).sort());

    expect(await cliFails(['keys', 'rotate', '--tenant', randomUUID()], {}, true)).toMatch(/unknown tenant/);
  });
});

describe('with the server running (commands go through the admin socket)', () => {
  let port = 0;
  let base = '';
  const socketPath = () => path.join(dataDir, 'admin.sock');
  let cliTenant = '';
  let cliPlatform = '';

  beforeAll(async () => {
    port = await freePort();
    base = `http://127.0.0.1:${port}`;
    server = startProcess(process.execPath, tsxArgs('src/main.ts'), {
      env: env({ PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: base }),
    });
    // The start-up lines arrive one by one: wait for the last of them (Canvas), not the first.
    await server.waitForLine(/^Canvas:.*\/lti\/config\/canvas\.json/, 180_000);
  }, 240_000);

  it('prints the registration URL and how to add the tool in Moodle and Canvas', () => {
    const out = lines(server!.stdout);
    expect(out.find((l) => l.includes('Registration URL'))).toContain(`${base}/lti/register`);
    expect(out.some((l) => /^Moodle:/.test(l) && /registration URL/i.test(l)), server!.stdout).toBe(true);
    const canvas = out.find((l) => /^Canvas:/.test(l));
    expect(canvas, server!.stdout).toBeDefined();
    expect(canvas).toContain(`${base}/lti/config/canvas.json`);
  });

  it('answers /health and the Canvas configuration', async () => {
    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });

    const res = await fetch(`${base}/lti/config/canvas.json`);
    expect(res.status).toBe(200);
    const body = JSON.parse(await res.text()) as { oidc_initiation_url?: unknown };
    expect(typeof body.oidc_initiation_url).toBe('string');
    expect(body.oidc_initiation_url as string).toMatch(/\/lti\/login$/);
    expect(body.oidc_initiation_url).toBe(`${base}/lti/login`);
  });

  it('publishes all four keys of the rotated tenant, retired ones included', async () => {
    const res = await fetch(`${base}/.well-known/jwks.json`);
    expect(res.status).toBe(200);
    // Published kids are the keys' own URLs (…/ob/keys/<kid>), as in VC-JWT headers.
    const kids = ((await res.json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
    for (const kid of rotatedKids) expect(kids).toContain(`${base}/ob/keys/${kid}`);
  });

  it('keeps the admin socket in the data dir with mode 0600', () => {
    const st = statSync(socketPath());
    expect(st.isSocket()).toBe(true);
    expect((st.mode & 0o777).toString(8)).toBe('600');
  });

  it('runs commands inside the server: a tenant and platform created by the CLI are the server\'s', { timeout: SLOW }, async () => {
    const created = await cliOk(['tenant', 'create', '--name', 'South College']);
    cliTenant = lastLine(created.stdout);
    expect(cliTenant).toMatch(UUID);

    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });

    const added = await cliOk(platformArgs(cliTenant, { issuer: 'https://canvas.south.example', 'client-id': '10000000000001', name: 'South Canvas' }));
    cliPlatform = lastLine(added.stdout);
    expect(cliPlatform).toMatch(UUID);

    const tenants = await cliOk(['tenant', 'list']);
    expect(tenants.stdout).toContain(tenantId);
    expect(tenants.stdout).toContain(`${cliTenant}\tSouth College`);
    const platforms = await cliOk(['platform', 'list', '--tenant', cliTenant]);
    expect(lines(platforms.stdout)).toHaveLength(1);
    expect(platforms.stdout).toContain(cliPlatform);

    // A key rotated through the CLI is published by the server at once.
    const rotated = await cliOk(['keys', 'rotate', '--tenant', cliTenant]);
    const kids = [...rotated.stdout.matchAll(/^new (?:RS256|EdDSA) key (\S+)$/gm)].map((m) => m[1]!);
    expect(kids).toHaveLength(2);
    const jwks = (await (await fetch(`${base}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
    for (const kid of kids) expect(jwks.keys.map((k) => k.kid)).toContain(`${base}/ob/keys/${kid}`);
  });

  it('keeps bad input a one-line, non-zero refusal through the socket', { timeout: SLOW }, async () => {
    expect(await cliFails(['tenant', 'create'])).toBe('error: missing --name');
    expect(await cliFails(platformArgs(cliTenant, { 'auth-url': 'notaurl', 'client-id': 'x' }), {}, true)).toMatch(/auth/i);
    expect(await cliFails(['apikey', 'create', '--tenant', cliTenant, '--course', randomUUID()], {}, true)).toMatch(/no course/);
  });

  it('never opens a database itself while a server answers on the socket', { timeout: SLOW }, async () => {
    // Point the CLI at the server's socket but at an empty data dir and no DATABASE_URL: had it
    // opened a database of its own, it would have created one there and listed no tenants.
    const elsewhere = mkdtempSync(path.join(tmp, 'elsewhere-'));
    const list = await cliOk(['tenant', 'list'], { DATA_DIR: elsewhere, DATABASE_URL: undefined, ADMIN_SOCKET: socketPath() });
    expect(list.stdout).toContain(cliTenant);
    expect(readdirSync(elsewhere).filter((f) => f !== 'secret.key')).toEqual([]);

    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(200);
  });

  it('stops on SIGTERM with exit code 0, and the CLI\'s writes are in the database', { timeout: SLOW }, async () => {
    const stopped = await server!.stop('SIGTERM', 30_000);
    expect(stopped.timedOut, server!.stderr).toBe(false);
    expect(stopped.code, server!.stderr).toBe(0);

    const tenants = await withDb((q) => q<{ name: string }>('select name from tenants where tenant_id = $1', [cliTenant]));
    expect(tenants.map((t) => t.name)).toEqual(['South College']);
    const platforms = await withDb((q) => q<{ tenant_id: string }>('select tenant_id from platforms where id = $1', [cliPlatform]));
    expect(platforms.map((p) => p.tenant_id)).toEqual([cliTenant]);
  });
});
