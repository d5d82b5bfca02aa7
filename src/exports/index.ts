// Exports: CSV and XLSX of awards, badges, modules and events for a scope, streamed page by page.
// The web layer resolves who asks and what they may see; this domain reads and writes the rows.
export { createExports, DEFAULT_PAGE_SIZE, type Exports, type ExportsDeps } from './service.js';
export { DATASETS, type Cell, type Dataset, type Table } from './datasets.js';
export { CONTENT_TYPES, FORMATS, type Format, type Outcome } from './writers.js';
