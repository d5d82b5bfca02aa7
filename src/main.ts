// Loads config, opens and migrates the database, builds the app, listens, and opens the admin
// socket. In demo mode it also starts the demo LMS on its own port.
import type { Server } from 'node:http';
import { buildApp } from './app.js';
import { isListening, startAdminSocket } from './admin/socket.js';
import { ConfigError, loadConfig, loadDotEnv, type Config } from './config.js';
import { migrate, openDatabase } from './db/index.js';
import { DEMO_COURSE, seedDemo } from './demo/seed.js';
import { createLogger, limitHeapGrowth, systemClock } from './shared/index.js';
import { startDemoLms } from './web/demo-lms.js';

async function start(): Promise<void> {
  limitHeapGrowth();
  // A closed pipe on stdout (a supervisor gone) must not crash shutdown.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
  loadDotEnv();
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);
  // PGlite belongs to one process: refuse before touching the data if a server already runs.
  if (await isListening(config.adminSocket)) throw new Error(`another Badgetrail server is already running (${config.adminSocket})`);
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  const applied = await migrate(db);
  if (applied.length) logger.info('migrations applied', { versions: applied });
  const built = await buildApp({ config, db, logger });
  const admin = await startAdminSocket(config.adminSocket, {
    tenants: built.services.tenants,
    platforms: built.services.lti.platforms,
    signingKeys: built.services.signingKeys, lmsPull: built.services.lmsPull, importer: built.services.importer,
  });
  const server: Server = await new Promise((resolve, reject) => {
    const s = built.app.listen(config.port, config.host, (err?: Error) => (err ? reject(err) : resolve(s)));
  });

  const lines = [
    `Badgetrail listening on ${config.host}:${config.port} (${db.kind}${db.kind === 'pglite' ? `, data in ${config.dataDir}` : ''})`,
    `Registration URL: ${config.publicUrl}/lti/register`,
    `Moodle: Site administration → Plugins → Activity modules → External tool → Manage tools → paste the registration URL into "Tool URL" → "Add LTI Advantage".`,
    `Canvas: Admin → Developer Keys → + Developer Key → LTI Key → Method "Enter URL" → ${config.publicUrl}/lti/config/canvas.json, then register it with \`npm run admin -- platform add\`.`,
  ];
  let demo: Awaited<ReturnType<typeof startDemoLms>> | undefined;
  if (config.demo.enabled) {
    demo = await startDemoLms({ host: config.host, port: config.demo.lmsPort, toolUrl: config.publicUrl, course: DEMO_COURSE });
    await seedDemo({ db, tenants: built.services.tenants, lti: built.services.lti, importer: built.services.importer, clock: systemClock }, demo);
    lines.push(`Demo LMS: ${demo.issuer}/  (open it and launch as instructor, learner or admin)`);
  }
  for (const l of lines) process.stdout.write(l + '\n');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping', { signal });
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await demo?.close();
    await admin.close();
    await built.close();
    await db.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

start().catch((err) => {
  process.stderr.write(`Badgetrail could not start: ${(err as Error).message}\n`);
  process.exit(1);
});
