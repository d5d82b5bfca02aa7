// The scheduling priority (nice) of this process's threads, read from /proc (Linux).
import { readdirSync, readFileSync } from 'node:fs';

/** A thread's nice: field 19 of /proc/self/task/<tid>/stat, counted after the name in parentheses. */
export function niceOf(tid: number | string): number {
  const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

/** The nice of every thread of this process now. */
export const threadNices = (): number[] => readdirSync('/proc/self/task').map(niceOf);
