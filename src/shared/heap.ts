// How far V8 lets the main heap grow past what the last full collection left alive. By default it
// may grow to several times the live size before collecting again: during a seed or a large import
// (each chunk's objects outlive a few database round trips, so they die in the old generation) the
// heap held up to 300 MB of which about 100 MB was alive, and the server's RSS reached 460 MB.
// Measured on PostgreSQL, one run each (seed of 157k awards; ingest and page as `npm run bench`):
//   default  seed 461 MB · ingest 435–456 MB at 4,438–4,507 /s · page 372 MB, p99 15 ms
//   100 %    ingest 345 MB at 4,319 /s · page 267 MB, p99 19 ms
//   70 %     seed 337 MB · ingest 346 MB at 4,507 /s · page 249 MB, p99 20 ms
//   40 %     seed 344 MB · ingest 352–354 MB at 4,069–4,118 /s · page 236–241 MB, p99 27–28 ms
// It is no cap: a 50 MB import body still gets all the heap it needs, collected more often.
import v8 from 'node:v8';

const HEAP_GROWING_PERCENT = 70;

/** Call once at start, before the work it should apply to. */
export function limitHeapGrowth(): void {
  v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
