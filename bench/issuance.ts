// Issuance benchmark: awards issued per second through the real path (database, VC-JWT, event in
// one transaction) against raw RS256 signing per second of the same payload on this thread; one by
// one (a launch), in batches signed inline on the worker pool, and in batches through the signing
// queue (until every token is stored); and the Data Integrity proof (eddsa-rdfc-2022) beside it.
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { BuiltApp } from '../src/app.js';
import type { Db } from '../src/db/index.js';
import { performance } from 'node:perf_hooks';
import { peakRss, rate, type BenchResult } from './measure.js';

export async function benchIssuance(built: BuiltApp, db: Db, opts: { awards: number; diAwards: number }): Promise<BenchResult[]> {
  const { tenants, lti, badges, awards, credentials } = built.services;
  const tenant = await tenants.create('Bench University');
  const platform = await lti.platforms.register({ tenantId: tenant.id, issuer: 'https://lms.bench.example', clientId: 'bench', authUrl: 'https://lms.bench.example/auth', tokenUrl: 'https://lms.bench.example/token', jwksUrl: 'https://lms.bench.example/jwks', deploymentIds: ['1'] });
  const courseId = randomUUID();
  await db.query('insert into courses (tenant_id, id, platform_id, lms_context_id, title) values ($1, $2, $3, $4, $5)', [tenant.id, courseId, platform.id, 'bench-course', 'Bench course']);
  const badge = await badges.create(tenant.id, { courseId: 'bench-course', moduleId: 'm1', moduleTitle: 'Module 1', name: 'Bench Badge', criteria: 'Finish module 1.', skills: [{ name: 'Benchmarking' }], validForDays: 365 });
  const learners: string[] = [];
  await db.transaction(async (tx) => {
    for (let i = 0; i < opts.awards; i += 1) {
      const id = randomUUID();
      learners.push(id);
      await tx.query('insert into users (tenant_id, id, platform_id, lms_user_id, name, email) values ($1, $2, $3, $4, $5, $6)', [tenant.id, id, platform.id, `u${i}`, `Learner ${i}`, `learner${i}@bench.example`]);
    }
  });
  // Warm up: the key pair is generated on first use and the code paths are compiled.
  await awards.issue({ tenantId: tenant.id, badgeId: badge.id, userId: learners.pop()!, method: 'api' });

  // The raw operation: RS256 over a payload the size of a real credential, key parsed once.
  const sample = (await awards.find((await db.query<{ id: string }>('select id from awards limit 1'))[0]!.id))!.credential;
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const raw = await rate('raw RS256 signature', 2000, async () => {
    jwt.sign({ ...sample, jti: randomUUID() }, privateKey, { algorithm: 'RS256', keyid: 'k', noTimestamp: true });
  });

  // One award per request (an LMS launch), then batches of 100 (the Completion API, CSV).
  const half = Math.floor(learners.length / 3);
  let next = 0;
  const issued: string[] = [];
  const single = await rate('award issued alone (DB + VC-JWT + event)', half, async () => {
    const { award } = await awards.issue({ tenantId: tenant.id, badgeId: badge.id, userId: learners[next++]!, method: 'api' });
    issued.push(award.id);
  });
  const BATCH = 100;
  const batches = Math.floor((learners.length - half) / 2 / BATCH);
  const batched = BATCH * (await rate(`batch of ${BATCH} awards issued`, batches, async () => {
    const chunk = learners.slice(next, next + BATCH);
    next += BATCH;
    const results = await awards.issueBatch(tenant.id, chunk.map((userId) => ({ badgeId: badge.id, userId, method: 'api' as const })));
    if (results.some((r) => 'error' in r || !r.created)) throw new Error('batch issuance did not create every award');
  }));
  // Through the signing queue: the batches commit unsigned, the queue signs on every core; the
  // figure runs until the last token is stored.
  await awards.signing.stop();
  const queuedStart = performance.now();
  for (let b = 0; b < batches; b += 1) {
    const chunk = learners.slice(next, next + BATCH);
    next += BATCH;
    const results = await awards.issueBatch(tenant.id, chunk.map((userId) => ({ badgeId: badge.id, userId, method: 'api' as const })), 'queued');
    if (results.some((r) => 'error' in r || !r.created)) throw new Error('queued issuance did not create every award');
  }
  const signedCount = await awards.signing.drain();
  const queued = (batches * BATCH) / ((performance.now() - queuedStart) / 1000);
  if (signedCount < batches * BATCH || (await awards.signing.backlog()) !== 0) throw new Error('the signing queue did not sign every award');
  awards.signing.start();
  process.stderr.write(`  issuance: ${batches * BATCH} awards queued and signed at ${queued.toFixed(0)} /s on ${credentials.signers.poolSize} signing threads\n`);

  let di = 0;
  const dataIntegrity = await rate('Data Integrity proof added (eddsa-rdfc-2022)', Math.min(opts.diAwards, issued.length), async () => {
    const award = (await awards.find(issued[di++]!))!;
    await awards.withDataIntegrity(award);
  });
  return [
    { name: 'raw RS256 signatures', value: raw },
    { name: 'awards issued one by one, VC-JWT path', value: single, ratio: single / raw },
    { name: `awards issued in batches of ${BATCH}, signed inline on the pool`, value: batched, ratio: batched / raw, ratioTarget: '≥ 0.6' },
    { name: `awards issued in batches of ${BATCH} via the signing queue`, value: queued, ratio: queued / raw },
    { name: 'awards given a Data Integrity proof', value: dataIntegrity, ratio: dataIntegrity / raw },
    { name: 'peak RSS of the process so far', value: peakRss(), unit: 'MB' },
  ];
}
