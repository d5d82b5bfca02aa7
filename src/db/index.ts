export type { Db, Queryable, Row } from './types.js';
export { openDatabase } from './open.js';
export { openPglite } from './pglite.js';
export { openPostgres } from './postgres.js';
export { migrate } from './migrate.js';
export { ensureEventPartitions, type EventPartitionReport } from './partitions.js';
export { migrations } from './migrations/index.js';
export { createLtijsStore, purgeExpiredLtijsDocuments, type LtijsStore } from './ltijs-store.js';
export { claimBucketOf } from './migrations/020-claim-time-histogram.js';
