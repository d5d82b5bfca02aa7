export { createImporter, type Importer } from './service.js';
export { ImportBody } from './schema.js';
export { generateHistory, syntheticCourses, syntheticHistory, type HistoryChunk, type HistoryModule, type HistoryOptions, type SyntheticCourse, type SyntheticOptions } from './synthetic.js';
export { SEED_LIMITS, type SeedOptions, type SeedReport } from './seed.js';
