// The demo's history generator now lives with the import path it feeds (src/imports/synthetic.ts),
// where `admin seed` and the benchmarks use it too; the demo keeps importing it from here.
export { generateHistory, type HistoryModule, type HistoryOptions } from '../imports/index.js';
