// Opens the configured database: PostgreSQL when DATABASE_URL is set, else PGlite in dataDir.
import path from 'node:path';
import { openPglite } from './pglite.js';
import { openPostgres } from './postgres.js';
import type { Db } from './types.js';

export async function openDatabase(opts: { databaseUrl?: string; dataDir: string }): Promise<Db> {
  if (opts.databaseUrl) return openPostgres(opts.databaseUrl);
  return openPglite({ dataDir: path.join(opts.dataDir, 'pglite') });
}
