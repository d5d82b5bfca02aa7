// Measuring helpers: operations per second over a fixed count, latency percentiles, the process's
// peak RSS (lifetime, and sampled over one phase), and a loopback HTTP server for the app.
import { fork } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { readdirSync, readFileSync } from 'node:fs';
import { resourceUsage } from 'node:process';
import type { RequestListener } from 'node:http';

export interface BenchResult {
  name: string;
  value: number;
  /** "/s" by default. */
  unit?: string;
  ratio?: number;
  /** What the figure should reach, as text printed beside it ("≥ 5,000 /s", "≤ 100 ms"). */
  target?: string;
  /** The ratio's target, when the target is on the ratio. */
  ratioTarget?: string;
}

export async function rate(label: string, count: number, op: () => Promise<void>): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < count; i += 1) await op();
  const seconds = (performance.now() - start) / 1000;
  const perSecond = count / seconds;
  process.stderr.write(`  ${label}: ${count} in ${seconds.toFixed(2)} s\n`);
  return perSecond;
}

/** Each run's duration in ms, in order. */
export async function timings(count: number, op: (i: number) => Promise<void>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const start = performance.now();
    await op(i);
    out.push(performance.now() - start);
  }
  return out;
}

/** Continuous percentile (linear interpolation), p in 0..1. */
export function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const k = (s.length - 1) * p;
  const lo = Math.floor(k);
  return s[lo]! + (s[Math.min(lo + 1, s.length - 1)]! - s[lo]!) * (k - lo);
}

/** Peak resident set size of this process so far, in MB. */
export const peakRss = (): number => resourceUsage().maxRSS / 1024;

/** Samples the RSS every 50 ms until stopped; returns the highest seen in MB (the phase's own peak). */
export function sampleRss(): { stop(): number } {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage.rss()); }, 50);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage.rss()) / 1_048_576;
    },
  };
}

/** Serves a request listener on 127.0.0.1 (an ephemeral port). */
export async function serve(listener: RequestListener): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer({ keepAliveTimeout: 30_000 }, listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** CPU seconds (user + system) of the local PostgreSQL server's processes, from /proc (Linux); null elsewhere. */
function postgresCpuSeconds(): number | null {
  let dirs: string[];
  try {
    dirs = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return null;
  }
  const tick = 100; // USER_HZ: 100 on every Linux this runs on
  let ticks = 0;
  let found = false;
  for (const pid of dirs) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    const close = stat.lastIndexOf(')');
    if (stat.slice(stat.indexOf('(') + 1, close) !== 'postgres') continue;
    // fields after the name: state ppid … utime (14th field overall) stime (15th)
    const fields = stat.slice(close + 2).split(' ');
    ticks += Number(fields[11]) + Number(fields[12]);
    found = true;
  }
  return found ? ticks / tick : null;
}

/** Whether the database is a PostgreSQL server on this machine (its processes' CPU can be read). */
export const isLocalPostgres = (kind: string, url: string): boolean =>
  kind === 'postgres' && /@(127\.0\.0\.1|localhost|\[::1\])(:|\/)/.test(url);

/**
 * CPU spent over one phase: this process's (every thread: the server, its signing threads) and,
 * when the database is a PostgreSQL server on this machine, its processes' (all of them). On a machine whose
 * speed drifts, CPU per unit of work moves less than the rate does.
 */
export function cpuMeter(opts: { localPostgres: boolean }): { stop(): { processMs: number; postgresMs: number | null } } {
  const process0 = process.cpuUsage();
  const pg0 = opts.localPostgres ? postgresCpuSeconds() : null;
  return {
    stop() {
      const used = process.cpuUsage(process0);
      const pg1 = opts.localPostgres ? postgresCpuSeconds() : null;
      return { processMs: (used.user + used.system) / 1000, postgresMs: pg0 !== null && pg1 !== null ? (pg1 - pg0) * 1000 : null };
    },
  };
}

/**
 * Sends `message` to a bench client script run as a process of its own (so that its memory and
 * event loop are not the server's) and resolves with its one answer; `what` names it in errors.
 */
export function askChild<T>(script: URL, message: unknown, what: string): Promise<T> {
  const child = fork(script, [], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise<T>((resolve, reject) => {
    child.once('message', (m) => resolve(m as T));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${what} exited (${code}) before answering`)));
    child.send(message as object);
  });
}
