// The whole life of a badge, through real protocols: a learner's completion launch from the LMS →
// the claim email arrives at the SMTP server → claim → share to LinkedIn → a view from a LinkedIn
// referrer and one from LinkedInBot → exactly the expected events, in order.
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { buildUser, launchTo, registeredPlatform } from '../support/lti.js';
import { startPlatform, type PlatformSimulator } from '../support/platform-simulator.js';
import { startSmtp } from '../support/smtp.js';

let app: TestApp;
let sim: PlatformSimulator;
let smtp: Awaited<ReturnType<typeof startSmtp>>;

beforeAll(async () => {
  smtp = await startSmtp();
  app = await startTestApp({ env: { SMTP_URL: smtp.url } });
  sim = await startPlatform();
  await registeredPlatform(app, sim);
});
afterAll(async () => {
  await app?.close();
  await sim?.close();
  await smtp?.close();
});

it('completion launch → email → claim → LinkedIn share → views: the event log tells it in order', async () => {
  const course = { id: 'life-101', title: 'Lifecycle 101' };
  await launchTo(app, sim, buildUser('instructor'), { context: course });
  const tenantId = (await app.testDb.db.query<{ tenant_id: string }>('select tenant_id from courses where lms_context_id = $1', [course.id]))[0]!.tenant_id;
  const badge = await app.built.services.badges.create(tenantId, { courseId: course.id, moduleId: 'm-final', moduleTitle: 'Final module', name: 'Course Finisher', criteria: 'Reach the end of the course.' });

  // 1. The learner opens the module's completion link in the LMS.
  const learner = buildUser('learner', { email: 'leo@school.example', name: 'Leo Learner' });
  const { ltik } = await launchTo(app, sim, learner, { context: course, custom: { badgetrail_target: 'module', badgetrail_module: badge.moduleId } });

  // 2. The claim email reaches the SMTP server.
  // The server's own worker (every 5 s) may hold the row and be sending it as we ask: wait for the mail.
  await app.built.services.notifier.processDue();
  await expect.poll(() => smtp.received.some((m) => m.to.includes('leo@school.example')), { timeout: 10_000 }).toBe(true);
  const mail = await simpleParser(smtp.received.find((m) => m.to.includes('leo@school.example'))!.raw);
  expect(mail.subject).toBe('You earned "Course Finisher"');
  const claimLink = /(http:\/\/127\.0\.0\.1:\d+\/claim\/[A-Za-z0-9_-]+)/.exec(mail.text ?? '')![1]!;

  // 3. Claim from the email link.
  const claimPage = await (await fetch(claimLink)).text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(claimPage)![1]!;
  expect((await fetch(claimLink, { method: 'POST', body: new URLSearchParams({ csrf }) })).status).toBe(200);

  // 4. Share to LinkedIn from "my badges".
  const awardId = (await app.testDb.db.query<{ id: string }>('select id from awards where badge_id = $1', [badge.id]))[0]!.id;
  const share = await (await fetch(`${app.url}/me/awards/${awardId}/share`, { method: 'POST', headers: { authorization: `Bearer ${ltik}`, 'content-type': 'application/json' }, body: JSON.stringify({ channel: 'linkedin_profile' }) })).json();
  const certUrl = new URL(share.url).searchParams.get('certUrl')!;

  // 5. A person arrives from LinkedIn; LinkedIn's crawler fetches the preview.
  expect((await fetch(certUrl, { headers: { referer: 'https://www.linkedin.com/', 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Chrome/131' } })).status).toBe(200);
  expect((await fetch(certUrl, { headers: { 'user-agent': 'LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)' } })).status).toBe(200);

  const events = await app.testDb.db.query<{ type: string; channel: string | null; is_bot: boolean; outcome: string | null }>(
    `select type, channel, is_bot, metadata->>'outcome' as outcome from events where award_id = $1 order by id`, [awardId]);
  expect(events).toEqual([
    { type: 'awarded', channel: 'lms', is_bot: false, outcome: null },
    { type: 'notified', channel: 'email', is_bot: false, outcome: 'sent' },
    { type: 'accepted', channel: 'email', is_bot: false, outcome: null },
    { type: 'visibility_changed', channel: null, is_bot: false, outcome: null },
    { type: 'shared', channel: 'linkedin_profile', is_bot: false, outcome: null },
    { type: 'viewed', channel: 'linkedin', is_bot: false, outcome: null },
    { type: 'viewed', channel: 'linkedin', is_bot: true, outcome: null },
  ]);
});
