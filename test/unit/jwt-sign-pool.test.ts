// The RS256 signing pool: tokens a JOSE library verifies, in order, whatever the batch's size. Each
// worker's heap is capped; a batch whose claims outweigh it is cut into smaller jobs, and a worker
// that still runs out of memory fails its own job only and is replaced. Its threads run at a
// lower priority than the event loop and the database.
import { generateKeyPairSync } from 'node:crypto';
import { importSPKI, jwtVerify } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { createJwtSignPool } from '../../src/credentials/jwt-sign-pool.js';
import { niceOf, threadNices } from '../support/threads.js';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
const pool = createJwtSignPool(2);
afterAll(() => pool.close());

describe('the signing pool', () => {
  it('signs every claims set, in order, with the key and key id given', async () => {
    const claims = Array.from({ length: 7 }, (_, i) => ({ sub: `learner-${i}` }));
    const tokens = await pool.sign(claims, privateKey, 'kid-1');
    const key = await importSPKI(publicPem, 'RS256');
    for (const [i, token] of tokens.entries()) {
      const { payload, protectedHeader } = await jwtVerify(token, key);
      expect([payload.sub, protectedHeader.kid, protectedHeader.alg]).toEqual([`learner-${i}`, 'kid-1', 'RS256']);
    }
  });

  it('signs a batch heavier than a worker\'s heap in smaller jobs', async () => {
    // 160 claims sets of 1 MB: one job per worker would carry 80 MB into a 48 MB heap
    const claims = Array.from({ length: 160 }, (_, i) => ({ sub: `big-${i}`, note: String(i).padEnd(1_000_000, 'x') }));
    const tokens = await pool.sign(claims, privateKey, 'kid-2');
    expect(tokens).toHaveLength(160);
    const key = await importSPKI(publicPem, 'RS256');
    for (const i of [0, 79, 80, 159]) {
      const { payload } = await jwtVerify(tokens[i]!, key);
      expect([payload.sub, (payload.note as string).length]).toEqual([`big-${i}`, 1_000_000]);
    }
  }, 60_000);

  it('replaces a worker that runs out of its heap, failing only the job it held', async () => {
    // one claims set that no slicing can cut: its token takes more than the worker's heap
    await expect(pool.sign([{ sub: 'huge', note: 'y'.padEnd(40_000_000, 'x') }], privateKey, 'kid-3')).rejects.toThrow(/memory limit/);
    const tokens = await pool.sign(Array.from({ length: 4 }, (_, i) => ({ sub: `after-${i}` })), privateKey, 'kid-3');
    const key = await importSPKI(publicPem, 'RS256');
    expect(await Promise.all(tokens.map(async (t) => (await jwtVerify(t, key)).payload.sub))).toEqual(['after-0', 'after-1', 'after-2', 'after-3']);
  }, 60_000);

  it.each([10, 19])('signs on threads of a lower priority (nice %i), the rest of the process at its own', async (nice) => {
    const pool = createJwtSignPool(2, nice);
    await pool.sign(Array.from({ length: 4 }, (_, i) => ({ sub: `nice-${i}` })), privateKey, 'kid-4');
    const own = niceOf(process.pid);
    // a process started at 10 or lower already gives its threads nothing to lower
    expect(own, 'this test runs in a process of normal priority').toBeLessThan(10);
    const nices = threadNices();
    await pool.close();
    // the file's shared pool (nice 10) has threads of its own by now
    expect(nices.filter((n) => n === nice).length).toBeGreaterThanOrEqual(pool.size);
    expect(nices.filter((n) => n !== 10 && n !== 19 && n !== own)).toEqual([]);
    if (nice === 19) expect(nices.filter((n) => n === 19)).toHaveLength(pool.size);
  });
});
