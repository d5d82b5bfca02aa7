// How far V8 lets the main heap grow past what the last full collection left alive. By default it
// may grow to several times the live size before collecting again: during a seed or a large import
// (each chunk's objects outlive a few database round trips, so they die in the old generation) the
// heap held up to 300 MB of which about 100 MB was alive, and the server's RSS reached 460 MB. At
// 40 % the peak was 345 MB at the same import rate (measured in one run each, 157k awards). It is no
// cap: a 50 MB import body still gets all the heap it needs, collected more often.
import v8 from 'node:v8';

export const HEAP_GROWING_PERCENT = 40;

/** Call once at start, before the work it should apply to. */
export function limitHeapGrowth(percent = HEAP_GROWING_PERCENT): void {
  v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
}
