// RS256 signing on worker threads, one per core: a core signs about 3,200 RS256 tokens a second, so
// bulk issuance would otherwise be bounded by the one core the server's event loop runs on. Each
// worker runs jsonwebtoken exactly as signers.signJwt does; keys travel as KeyObjects (cloned,
// never exported as text). Each worker's heap is capped (WORKER_LIMITS): left to V8's defaults,
// two workers' uncollected garbage added some 60 MB to the server's RSS during bulk issuance. A
// worker that dies (out of memory, or any crash) fails its own jobs only and is replaced.
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { KeyObject } from 'node:crypto';

// An eval'd worker: the same code whether the server runs from src/ (tsx, vitest) or from dist/.
// On Linux each worker lowers its own thread's priority (setpriority takes a thread id there):
// signing yields the cores to requests and the database. The signing queue's pool runs at the
// lowest priority (19), the one a request waits on (a manual award of several learners) at 10.
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
interface Entry { worker: Worker; busy: number; jobs: Map<number, Job> }

/**
 * A worker's heap, and the most JSON text of claims one job carries: a message larger than the heap
 * would abort the whole process (V8 fails the allocation itself, not the worker), so a batch is cut
 * into slices of at most SLICE_CHARS as well as one per worker. A claims set is 2–3 kB; at its
 * largest (descriptions, criteria and 50 alignments at their limits) about 120 kB.
 */
const WORKER_LIMITS = { maxOldGenerationSizeMb: 48, maxYoungGenerationSizeMb: 8 };
const SLICE_CHARS = 2_000_000;

/** Claims cut into at most `per` sets and about SLICE_CHARS of JSON per slice, in order. */
function slicesOf<T>(claims: readonly T[], per: number): T[][] {
  const out: T[][] = [];
  let slice: T[] = [];
  let chars = 0;
  for (const c of claims) {
    const n = JSON.stringify(c).length;
    if (slice.length > 0 && (slice.length >= per || chars + n > SLICE_CHARS)) {
      out.push(slice);
      slice = [];
      chars = 0;
    }
    slice.push(c);
    chars += n;
  }
  if (slice.length > 0) out.push(slice);
  return out;
}

export interface JwtSignPool {
  /** Signs each claims set with the key; tokens in the same order. */
  sign(claims: readonly Record<string, unknown>[], key: KeyObject, keyid: string): Promise<string[]>;
  readonly size: number;
  close(): Promise<void>;
}

export function createJwtSignPool(size = availableParallelism(), nice = 10): JwtSignPool {
  const jsonwebtoken = createRequire(import.meta.url).resolve('jsonwebtoken');
  let workers: Entry[] | null = null;
  let nextId = 1;

  function spawn(): Entry {
    const worker = new Worker(WORKER, { eval: true, workerData: { jsonwebtoken, nice }, resourceLimits: WORKER_LIMITS });
    const entry: Entry = { worker, busy: 0, jobs: new Map() };
    worker.on('message', (m: { id: number; tokens?: string[]; error?: string }) => {
      entry.busy--;
      const job = entry.jobs.get(m.id);
      entry.jobs.delete(m.id);
      if (m.tokens) job?.resolve(m.tokens);
      else job?.reject(new Error(`signing failed: ${m.error}`));
    });
    const fail = (error: Error) => {
      for (const job of entry.jobs.values()) job.reject(error);
      entry.jobs.clear();
      entry.busy = 0;
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      fail(new Error(`a signing worker stopped (exit code ${code})`));
      // replaced unless the pool was closed
      const i = workers?.indexOf(entry) ?? -1;
      if (workers && i >= 0) workers[i] = spawn();
    });
    // Idle workers must not keep the process alive.
    worker.unref();
    return entry;
  }

  function post(claims: readonly Record<string, unknown>[], key: KeyObject, keyid: string): Promise<string[]> {
    const all = workers ?? (workers = Array.from({ length: Math.max(1, size) }, spawn));
    const entry = all.reduce((a, b) => (b.busy < a.busy ? b : a));
    const id = nextId++;
    entry.busy++;
    return new Promise((resolve, reject) => {
      entry.jobs.set(id, { resolve, reject });
      entry.worker.postMessage({ id, claims, key, keyid });
    });
  }

  return {
    size: Math.max(1, size),
    async sign(claims, key, keyid) {
      if (claims.length === 0) return [];
      // One slice per worker, so a batch uses every core (more when the claims are large).
      const slices = slicesOf(claims, Math.ceil(claims.length / Math.max(1, size)));
      return (await Promise.all(slices.map((slice) => post(slice, key, keyid)))).flat();
    },
    async close() {
      const all = workers;
      workers = null;
      if (all) await Promise.all(all.map((w) => w.worker.terminate()));
    },
  };
}
