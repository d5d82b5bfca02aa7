// Measuring helpers: operations per second over a fixed count, and the process's peak RSS.
import { performance } from 'node:perf_hooks';
import { resourceUsage } from 'node:process';

export interface BenchResult {
  name: string;
  perSecond: number;
  ratio?: number;
  target?: number;
}

export async function rate(label: string, count: number, op: () => Promise<void>): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < count; i += 1) await op();
  const seconds = (performance.now() - start) / 1000;
  const perSecond = count / seconds;
  process.stderr.write(`  ${label}: ${count} in ${seconds.toFixed(2)} s\n`);
  return perSecond;
}

/** Peak resident set size of this process so far, in MB. */
export const peakRss = (): number => resourceUsage().maxRSS / 1024;
