// Frame origins are read on every response (frame-ancestors), so the registry keeps them in memory:
// one read while nothing changes, and this process's own changes are seen at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/index.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { buildWorld, type World } from '../support/builders.js';

let app: TestApp;
let w: World;
let reads = 0;
beforeAll(async () => {
  app = await startTestApp();
  w = await buildWorld(app);
  // Count the origin reads the registry sends to the real database.
  const db = app.testDb.db as Db & { query: Db['query'] };
  const query = db.query.bind(db);
  db.query = ((sql: string, params?: unknown[]) => {
    if (sql.includes('unnest(frame_origins)')) reads += 1;
    return query(sql, params);
  }) as Db['query'];
});
afterAll(async () => {
  await app?.close();
});

const header = async () => (await fetch(`${app.url}/health`)).headers.get('content-security-policy') ?? '';

describe('frame origins', () => {
  it('are read once while nothing changes', async () => {
    await header();
    const before = reads;
    for (let i = 0; i < 5; i += 1) await header();
    expect(reads).toBe(before);
  });

  it('include an origin learned from a launch, and a new platform, at once', async () => {
    const { lti } = app.built.services;
    await lti.platforms.addFrameOrigin(w.platformId, 'https://school.instructure.example');
    expect(await header()).toContain('https://school.instructure.example');
    const other = await buildWorld(app, 'Second College');
    const issuer = (await lti.platforms.get(other.platformId))!.issuer;
    expect(await header()).toContain(new URL(issuer).origin);
    await lti.platforms.remove(other.platformId);
    expect(await header()).not.toContain(new URL(issuer).origin);
  });
});
