// The one place that builds objects and mounts routers. Returns the app without listening, so
// tests and main.ts start it the same way.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Express } from 'express';
import type { Config } from './config.js';
import { createAnalytics } from './analytics/index.js';
import { createExports } from './exports/index.js';
import { createImporter } from './imports/index.js';
import { createAwardService, createNotifier, createSmtpMailer } from './awards/index.js';
import { createCompletionService, createLmsPull } from './completions/index.js';
import { createBadgeCatalog, createCourseService } from './courses/index.js';
import { createCredentials } from './credentials/index.js';
import { purgeExpiredLtijsDocuments, type Db } from './db/index.js';
import { createLti } from './lti/index.js';
import { systemClock, type Clock, type Logger, createLogger } from './shared/index.js';
import { createTenantService } from './tenancy/index.js';
import { errorHandler, notFound } from './web/errors.js';
import { analyticsRouter } from './web/routes/analytics.js';
import { exportsRouter } from './web/routes/exports.js';
import { apiRouter } from './web/routes/api.js';
import { appViewsRouter } from './web/routes/app-views.js';
import { credentialPageRouter } from './web/routes/credential-page.js';
import { obRouter } from './web/routes/ob.js';
import { eventsInRouter } from './web/routes/events-in.js';
import { instructorRouter } from './web/routes/instructor.js';
import { learnerRouter } from './web/routes/learner.js';
import { panelRouter } from './web/routes/panel.js';
import { ltiRouter } from './web/routes/lti.js';
import { publicRouter } from './web/routes/public.js';
import { remindersRouter } from './web/routes/reminders.js';
import { baseHeaders } from './web/security.js';
import { vendorRouter } from './web/vendor.js';
import { createViews } from './web/views.js';

// Resolved from this file, not the working directory: src/ in development, dist/ when built.
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface AppDeps {
  config: Config;
  db: Db;
  clock?: Clock;
  logger?: Logger;
}

export async function buildApp({ config, db, clock = systemClock, logger = createLogger(config.logLevel) }: AppDeps) {
  const tenants = createTenantService({ db });
  const courses = createCourseService({ db });
  const badges = createBadgeCatalog({ db });
  const credentials = createCredentials({ db, publicUrl: config.publicUrl, secretKey: config.secretKey, clock });
  const signingKeys = credentials.keys;
  const mailer = config.mail.smtpUrl ? createSmtpMailer(config.mail.smtpUrl, config.mail.from) : null;
  const notifier = createNotifier({ db, mailer, secretKey: config.secretKey, publicUrl: config.publicUrl, clock, logger });
  const lti = await createLti({
    db, tenants, clock, logger,
    publicUrl: config.publicUrl,
    secretKey: config.secretKey,
    tokenMaxAgeSeconds: config.lti.tokenMaxAgeSeconds,
    jwksTimeoutMs: config.lti.jwksTimeoutMs,
    jwksCacheSeconds: config.lti.jwksCacheSeconds,
    loginStateSeconds: config.lti.loginStateSeconds,
    sessionTtlHours: config.sessionTtlHours,
    autoActivate: config.lti.autoActivate,
  });
  const awards = createAwardService({
    db, credentials, clock, claimTokenDays: config.claimTokenDays, notifier, logger,
    // A claim becomes a score in the LMS gradebook (AGS), when the platform allows it.
    onAccepted: async (a) => {
      const lmsUserId = await awards.lmsUserIdOf(a.tenantId, a.userId);
      if (lmsUserId) await lti.ags.publishClaim({ tenantId: a.tenantId, courseId: a.courseId, badgeId: a.badgeId, lmsUserId });
    },
  });
  const completions = createCompletionService({ db, awards, clock, claimUrl: (token) => `${config.publicUrl}/claim/${token}` });
  const lmsPull = createLmsPull({ db, ingest: (t, items, o) => completions.ingest(t, items, o), secretKey: config.secretKey, logger });
  const views = createViews(path.join(ROOT, 'views'));
  const analytics = createAnalytics({ db, clock });
  const importer = createImporter({ db, badges, awards, completions, credentials });

  const app: Express = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  const staticMaxAge = config.env === 'production' ? '1h' : 0;
  app.use('/static/vendor', vendorRouter(ROOT, staticMaxAge));
  app.use('/static', express.static(path.join(ROOT, 'static'), { maxAge: staticMaxAge }));
  app.use(baseHeaders(() => lti.platforms.frameOrigins()));
  app.use(publicRouter({ db, keys: signingKeys, keyUrl: credentials.urls.key }));
  app.use('/lti', ltiRouter({ lti, views, publicUrl: config.publicUrl, completions, onInstructorLaunch: (tenantId, courseId) => {
    // Fresh grades from the LMS API while the instructor looks; never holds the launch.
    lmsPull.pullCourse(tenantId, courseId).catch((err) => logger.warn('LMS pull failed', { course: courseId, error: String(err) }));
  } }));
  app.use('/app', instructorRouter({ lti, views, courses, completions, clock }));
  app.use('/app', remindersRouter({ lti, awards }));
  app.use('/app', appViewsRouter({ lti, views, courses, tenants, badges, awards }));
  app.use('/app', panelRouter({ lti, views, analytics, courses, awards, clock }));
  app.use('/ob', obRouter({ db, credentials, badges }));
  app.use('/ob', credentialPageRouter({ db, awards, badges, credentials, lti, views, clock }));
  app.use(learnerRouter({ db, awards, badges, credentials, lti, views, clock, secretKey: config.secretKey }));
  app.use(eventsInRouter({ tenants, completions, clock }));
  app.use('/api', analyticsRouter({ analytics, tenants, lti, clock }));
  // Exports compute badges and modules through the analytics service: the API's numbers by construction.
  app.use('/api', exportsRouter({ exports: createExports({ db, analytics, clock }), analytics, tenants, lti, clock }));
  app.use('/api', apiRouter({ tenants, badges, awards, completions, importer }));
  app.use(notFound());
  app.use(errorHandler(views, logger));

  // Expired launch state, sessions and ltijs documents are swept, not kept.
  const sweep = setInterval(() => {
    Promise.all([lti.sessions.purgeExpired(), purgeExpiredLtijsDocuments(db)]).catch((err) => logger.warn('sweep failed', { error: String(err) }));
  }, 10 * 60_000);
  sweep.unref();
  // The notification queue is drained every few seconds; rows survive restarts in the database.
  let draining = false;
  const drain = setInterval(() => {
    if (draining) return;
    draining = true;
    notifier.processDue().catch((err) => logger.warn('notification worker failed', { error: String(err) })).finally(() => { draining = false; });
  }, 5_000);
  drain.unref();
  const pull = config.lmsPullMinutes > 0 ? setInterval(() => void lmsPull.pullAll().catch(() => undefined), config.lmsPullMinutes * 60_000) : null;
  pull?.unref();
  // Bulk-issued awards are signed in the background, on every core.
  awards.signing.start();

  return {
    app,
    services: { tenants, courses, badges, credentials, signingKeys, awards, completions, notifier, lmsPull, lti, analytics, importer },
    async close() {
      clearInterval(sweep);
      clearInterval(drain);
      if (pull) clearInterval(pull);
      mailer?.close();
      await awards.signing.stop();
      await credentials.close();
      await lti.close();
    },
  };
}

export type BuiltApp = Awaited<ReturnType<typeof buildApp>>;
