export { createCompletionService, type CompletionService, type CompletionSource } from './service.js';
export { CompletionBatch, MAX_BATCH, type CompletionResult, type CompletionStatus } from './schema.js';
export { mapXapiStatement, mapCaliperEvent, type Mapped } from './event-formats.js';
export { parseCompletionsCsv, CSV_MAX_ROWS, type CsvRow, type CsvProblem } from './csv.js';
export { createLmsPull, type LmsPull, type LmsKind } from './lms-pull/service.js';
