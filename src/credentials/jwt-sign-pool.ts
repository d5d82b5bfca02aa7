// RS256 signing on worker threads, one per core: a core signs about 3,200 RS256 tokens a second, so
// bulk issuance would otherwise be bounded by the one core the server's event loop runs on. Each
// worker runs jsonwebtoken exactly as signers.signJwt does; keys travel as KeyObjects (cloned,
// never exported as text).
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { KeyObject } from 'node:crypto';

// An eval'd worker: the same code whether the server runs from src/ (tsx, vitest) or from dist/.
// On Linux each worker lowers its own thread's priority (setpriority takes a thread id there):
// bulk signing is background work and yields the cores to requests and the database.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads')
const jwt = require(workerData.jsonwebtoken)
if (workerData.nice) {
  try {
    const tid = Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop())
    require('node:os').setPriority(tid, workerData.nice)
  } catch {}
}
parentPort.on('message', ({ id, claims, key, keyid }) => {
  try {
    parentPort.postMessage({ id, tokens: claims.map((c) => jwt.sign(c, key, { algorithm: 'RS256', keyid, noTimestamp: true })) })
  } catch (error) {
    parentPort.postMessage({ id, error: String(error && error.message || error) })
  }
})
`;

interface Job { resolve: (tokens: string[]) => void; reject: (error: Error) => void }

export interface JwtSignPool {
  /** Signs each claims set with the key; tokens in the same order. */
  sign(claims: readonly Record<string, unknown>[], key: KeyObject, keyid: string): Promise<string[]>;
  readonly size: number;
  close(): Promise<void>;
}

export function createJwtSignPool(size = availableParallelism(), nice = 10): JwtSignPool {
  const jsonwebtoken = createRequire(import.meta.url).resolve('jsonwebtoken');
  let workers: Array<{ worker: Worker; busy: number }> | null = null;
  const jobs = new Map<number, Job>();
  let nextId = 1;

  function start() {
    workers = Array.from({ length: Math.max(1, size) }, () => {
      const worker = new Worker(WORKER, { eval: true, workerData: { jsonwebtoken, nice } });
      const entry = { worker, busy: 0 };
      worker.on('message', (m: { id: number; tokens?: string[]; error?: string }) => {
        entry.busy--;
        const job = jobs.get(m.id);
        jobs.delete(m.id);
        if (m.tokens) job?.resolve(m.tokens);
        else job?.reject(new Error(`signing failed: ${m.error}`));
      });
      worker.on('error', (error) => {
        for (const job of jobs.values()) job.reject(error);
        jobs.clear();
      });
      // Idle workers must not keep the process alive.
      worker.unref();
      return entry;
    });
    return workers;
  }

  function post(claims: readonly Record<string, unknown>[], key: KeyObject, keyid: string): Promise<string[]> {
    const all = workers ?? start();
    const entry = all.reduce((a, b) => (b.busy < a.busy ? b : a));
    const id = nextId++;
    entry.busy++;
    return new Promise((resolve, reject) => {
      jobs.set(id, { resolve, reject });
      entry.worker.postMessage({ id, claims, key, keyid });
    });
  }

  return {
    size: Math.max(1, size),
    async sign(claims, key, keyid) {
      if (claims.length === 0) return [];
      // One slice per worker, so a batch uses every core.
      const per = Math.ceil(claims.length / Math.max(1, size));
      const slices: Array<Promise<string[]>> = [];
      for (let at = 0; at < claims.length; at += per) slices.push(post(claims.slice(at, at + per), key, keyid));
      return (await Promise.all(slices)).flat();
    },
    async close() {
      const all = workers;
      workers = null;
      if (all) await Promise.all(all.map((w) => w.worker.terminate()));
    },
  };
}
