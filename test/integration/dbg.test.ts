import { it } from 'vitest';
import { startTestApp } from '../support/app.js';
import { buildWorld, buildBadge, buildLearner } from '../support/builders.js';
it('dbg', async () => {
  let t = Date.now();
  console.error('begin');
  const app = await startTestApp(); console.error('app', Date.now() - t); t = Date.now();
  const w = await buildWorld(app); console.error('world', Date.now() - t); t = Date.now();
  const b = await buildBadge(app, w); console.error('badge', Date.now() - t); t = Date.now();
  const u = await buildLearner(app, w); console.error('learner', Date.now() - t); t = Date.now();
  const r = await app.built.services.awards.issue({ tenantId: w.tenantId, badgeId: b.id, userId: u, method: 'manual' }); console.error('issue', Date.now() - t, r.created);
  await app.close();
}, 60000);
