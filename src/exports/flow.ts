// Flow control shared by the writers: notice a reader that went away, wait for 'drain' when a
// stream holds more than its high-water mark, and read a table's first page before any byte goes out.
import { once, type EventEmitter } from 'node:events';
import type { Writable } from 'node:stream';

/** An abort signal raised when `out` closes before we are done (the client went away). */
export function watch(out: Writable): { signal: AbortSignal; done(): void } {
  const ctl = new AbortController();
  // 'close' also follows a normal 'finish': only a close before it means the reader left.
  const onClose = () => {
    if (!out.writableFinished) ctl.abort();
  };
  out.once('close', onClose);
  if (out.destroyed) ctl.abort();
  return { signal: ctl.signal, done: () => out.off('close', onClose) };
}

/** Resolves when `stream` can take more (after 'drain' if it must); false once `signal` aborted. */
export async function drained(stream: EventEmitter, needsDrain: boolean, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  if (!needsDrain) return true;
  try {
    await once(stream, 'drain', { signal });
    return true;
  } catch {
    return false;
  }
}

export const outDrained = (out: Writable, signal: AbortSignal): Promise<boolean> =>
  out.destroyed ? Promise.resolve(false) : drained(out, out.writableNeedDrain, signal);

/** Reads the first page now, so a failing first query still answers with a JSON error, not a cut file. */
export async function primed<T>(pages: AsyncIterable<T>): Promise<AsyncIterable<T>> {
  const it = pages[Symbol.asyncIterator]();
  const first = await it.next();
  return (async function* () {
    if (first.done) return;
    yield first.value;
    yield* { [Symbol.asyncIterator]: () => it };
  })();
}

/** Resolves 'aborted' when the signal is raised; never otherwise. */
export const whenAborted = (signal: AbortSignal): Promise<'aborted'> =>
  new Promise((resolve) => (signal.aborted ? resolve('aborted') : signal.addEventListener('abort', () => resolve('aborted'), { once: true })));
