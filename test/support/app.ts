// Boots the real app on 127.0.0.1 (an ephemeral port) over this file's own database.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildApp, type BuiltApp } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createLogger, type Clock } from '../../src/shared/index.js';
import { createTestDb, type TestDb } from './db.js';

export interface TestApp {
  url: string;
  config: Config;
  built: BuiltApp;
  testDb: TestDb;
  close(): Promise<void>;
}

export async function startTestApp(opts: { env?: Record<string, string>; clock?: Clock; testDb?: TestDb } = {}): Promise<TestApp> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const config = loadConfig({
    NODE_ENV: 'test',
    PUBLIC_URL: url,
    SECRET_KEY: 'test-secret-key-that-is-long-enough-0123456789',
    DATA_DIR: '/nonexistent-badgetrail-data',
    LOG_LEVEL: 'silent',
    ...opts.env,
  });
  const testDb = opts.testDb ?? (await createTestDb());
  const built = await buildApp({ config, db: testDb.db, logger: createLogger('silent'), ...(opts.clock ? { clock: opts.clock } : {}) });
  server.on('request', built.app);
  return {
    url,
    config,
    built,
    testDb,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await built.close();
      if (!opts.testDb) await testDb.drop();
    },
  };
}
