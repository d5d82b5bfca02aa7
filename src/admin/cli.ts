// `npm run admin -- <command>`: through the running server's admin socket, or — when no server is
// running — against the database directly (safe then: nobody else holds the PGlite directory).
import { buildApp } from '../app.js';
import { ConfigError, loadConfig, loadDotEnv } from '../config.js';
import { migrate, openDatabase } from '../db/index.js';
import { createLogger } from '../shared/index.js';
import { runAdminCommand, usageProblem } from './commands.js';
import { sendAdminCommand } from './socket.js';

async function main(argv: string[]): Promise<number> {
  loadDotEnv();
  const config = loadConfig({ ...process.env, LOG_LEVEL: 'silent' });
  // A large seed runs for minutes inside the server before it answers.
  const timeoutMs = argv[0] === 'seed' ? 24 * 3_600_000 : undefined;
  const result = usageProblem(argv) ?? (await sendAdminCommand(config.adminSocket, argv, timeoutMs)) ?? (await runDirect(argv, config));
  for (const line of result.out) (result.code === 0 ? process.stdout : process.stderr).write(line + '\n');
  return result.code;
}

async function runDirect(argv: string[], config: ReturnType<typeof loadConfig>) {
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    await migrate(db);
    const built = await buildApp({ config, db, logger: createLogger('silent') });
    try {
      return await runAdminCommand(argv, { tenants: built.services.tenants, platforms: built.services.lti.platforms, signingKeys: built.services.signingKeys, lmsPull: built.services.lmsPull, importer: built.services.importer });
    } finally {
      await built.close();
    }
  } finally {
    await db.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`error: ${err instanceof ConfigError ? err.message : (err as Error).message}\n`);
    process.exit(1);
  },
);
