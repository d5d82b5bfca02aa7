// loadConfig with explicit environments: production refuses to start without its secret and public
// address, bad values name their variable, development keeps one generated secret in DATA_DIR, and
// the result is frozen. Plus the real server refusing a production start without SECRET_KEY.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, type Config } from '../../src/config.js';
import { childEnv, killStartedChildren, runProcess, tsxArgs } from '../support/processes.js';

const SECRET = 'a-production-secret-that-is-long-enough-0123456789';
let tmp: string;

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'bt-config-'));
});
afterAll(() => {
  killStartedChildren();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

function freshDir(): string {
  return mkdtempSync(path.join(tmp, 'data-'));
}

function configError(env: NodeJS.ProcessEnv): ConfigError {
  let caught: unknown;
  try {
    loadConfig(env);
  } catch (err) {
    caught = err;
  }
  expect(caught, 'loadConfig should have thrown').toBeInstanceOf(ConfigError);
  return caught as ConfigError;
}

const production = (over: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  NODE_ENV: 'production',
  SECRET_KEY: SECRET,
  PUBLIC_URL: 'https://badges.example.edu',
  DATA_DIR: path.join(tmp, 'prod-data'),
  ...over,
});

describe('production', () => {
  it('accepts a complete production environment', () => {
    const c = loadConfig(production());
    expect(c.env).toBe('production');
    expect(c.secretKey).toBe(SECRET);
    expect(c.publicUrl).toBe('https://badges.example.edu');
    // No secret is generated in production.
    expect(existsSync(path.join(tmp, 'prod-data', 'secret.key'))).toBe(false);
  });

  it('refuses to start without SECRET_KEY, naming it', () => {
    const err = configError(production({ SECRET_KEY: undefined }));
    expect(err.message).toMatch(/SECRET_KEY/);
    expect(existsSync(path.join(tmp, 'prod-data', 'secret.key'))).toBe(false);
  });

  it('treats an empty SECRET_KEY as missing', () => {
    expect(configError(production({ SECRET_KEY: '' })).message).toMatch(/SECRET_KEY/);
  });

  it('refuses a SECRET_KEY that is too short, naming it', () => {
    expect(configError(production({ SECRET_KEY: 'short' })).message).toMatch(/SECRET_KEY.*32/);
  });

  it('refuses to start without PUBLIC_URL, naming it', () => {
    const err = configError(production({ PUBLIC_URL: undefined }));
    expect(err.message).toMatch(/PUBLIC_URL/);
  });

  it('refuses DEMO_MODE, naming it', () => {
    expect(configError(production({ DEMO_MODE: 'true' })).message).toMatch(/DEMO_MODE/);
    expect(loadConfig(production({ DEMO_MODE: 'false' })).demo.enabled).toBe(false);
  });
});

describe('readable errors that name the variable', () => {
  it.each(['abc', '70000', '-1', '3000.5'])('PORT=%s', (port) => {
    const err = configError({ NODE_ENV: 'development', DATA_DIR: freshDir(), SECRET_KEY: SECRET, PORT: port });
    expect(err.message).toMatch(/^\s*PORT: .+/m);
    expect(err.message).not.toMatch(/\n\s+at /);
    expect(err.message).not.toMatch(/^\s*[[{]/m); // not a raw JSON dump of issues
  });

  it.each(['not a url', 'mysql://u@localhost/db', 'http://localhost:5432/db'])('DATABASE_URL=%s', (url) => {
    const err = configError({ NODE_ENV: 'development', DATA_DIR: freshDir(), SECRET_KEY: SECRET, DATABASE_URL: url });
    expect(err.message).toMatch(/^\s*DATABASE_URL: .+/m);
    expect(err.message).not.toMatch(/^\s*[[{]/m);
  });

  it('names every bad variable at once', () => {
    const err = configError({ NODE_ENV: 'development', DATA_DIR: freshDir(), SECRET_KEY: SECRET, PORT: 'abc', DATABASE_URL: 'nope' });
    expect(err.message).toMatch(/PORT/);
    expect(err.message).toMatch(/DATABASE_URL/);
  });

  it('accepts postgres:// and postgresql:// DATABASE_URLs', () => {
    for (const url of ['postgres://u@localhost:5432/db', 'postgresql://u@localhost/db']) {
      expect(loadConfig({ NODE_ENV: 'development', DATA_DIR: freshDir(), SECRET_KEY: SECRET, DATABASE_URL: url }).databaseUrl).toBe(url);
    }
  });
});

describe('development', () => {
  it('generates a secret into DATA_DIR/secret.key and returns the same one on the next call', () => {
    const dir = path.join(freshDir(), 'not-yet-there');
    const first = loadConfig({ NODE_ENV: 'development', DATA_DIR: dir });
    expect(first.secretKey.length).toBeGreaterThanOrEqual(32);
    const file = path.join(dir, 'secret.key');
    expect(readFileSync(file, 'utf8').trim()).toBe(first.secretKey);
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const second = loadConfig({ NODE_ENV: 'development', DATA_DIR: dir });
    expect(second.secretKey).toBe(first.secretKey);

    // Another data dir gets another secret.
    expect(loadConfig({ NODE_ENV: 'development', DATA_DIR: freshDir() }).secretKey).not.toBe(first.secretKey);
  });

  it('uses SECRET_KEY when given and writes no file', () => {
    const dir = freshDir();
    expect(loadConfig({ NODE_ENV: 'development', DATA_DIR: dir, SECRET_KEY: SECRET }).secretKey).toBe(SECRET);
    expect(existsSync(path.join(dir, 'secret.key'))).toBe(false);
  });

  it('defaults PUBLIC_URL from PORT and drops a trailing slash from a given one', () => {
    const dir = freshDir();
    expect(loadConfig({ NODE_ENV: 'development', DATA_DIR: dir, PORT: '4567' }).publicUrl).toBe('http://localhost:4567');
    expect(loadConfig({ NODE_ENV: 'development', DATA_DIR: dir, PUBLIC_URL: 'https://x.example/' }).publicUrl).toBe('https://x.example');
  });

  it('puts the admin socket in DATA_DIR unless ADMIN_SOCKET says otherwise', () => {
    const dir = freshDir();
    expect(loadConfig({ NODE_ENV: 'development', DATA_DIR: dir }).adminSocket).toBe(path.join(dir, 'admin.sock'));
    expect(loadConfig({ NODE_ENV: 'development', DATA_DIR: dir, ADMIN_SOCKET: path.join(tmp, 's.sock') }).adminSocket).toBe(path.join(tmp, 's.sock'));
  });
});

describe('the returned config', () => {
  it('is frozen, nested objects included', () => {
    const c: Config = loadConfig(production());
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.lti)).toBe(true);
    expect(Object.isFrozen(c.demo)).toBe(true);
    expect(() => {
      (c as { port: number }).port = 1;
    }).toThrow(TypeError);
    expect(() => {
      (c.lti as { autoActivate: boolean }).autoActivate = false;
    }).toThrow(TypeError);
    expect(c.port).toBe(3000);
  });
});

describe('the server process', () => {
  it('exits non-zero at once in production without SECRET_KEY, with a clear message and no stack trace', { timeout: 90_000 }, async () => {
    const dataDir = freshDir();
    const r = await runProcess(process.execPath, tsxArgs('src/main.ts'), {
      env: childEnv({ NODE_ENV: 'production', PUBLIC_URL: 'https://badges.example.edu', DATA_DIR: dataDir, HOST: '127.0.0.1', PORT: '0' }),
      timeoutMs: 60_000,
    });
    expect(r.timedOut, `the server kept running\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`).toBe(false);
    expect(r.code).not.toBe(0);
    expect(r.code).not.toBeNull();
    expect(r.stderr).toMatch(/SECRET_KEY/);
    expect(r.stderr).not.toMatch(/\n\s+at .+:\d+/);
    expect(r.stdout).not.toMatch(/listening|Registration URL/);
    // It stopped before touching the data dir: no database, no generated secret.
    expect(existsSync(path.join(dataDir, 'pglite'))).toBe(false);
    expect(existsSync(path.join(dataDir, 'secret.key'))).toBe(false);
  });
});
