// The learner list of a badge and "remind unclaimed", through a real SMTP server and real LTI
// launches: who is reminded and who is skipped (and why), the reminder's working claim link and its
// `notified` event, the double-click guard, and who may remind at all.
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../../src/shared/index.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { buildLearner, type World } from '../support/builders.js';
import { buildUser, launchTo, registeredPlatform, ROLE } from '../support/lti.js';
import { startPlatform, type PlatformSimulator } from '../support/platform-simulator.js';
import { startSmtp } from '../support/smtp.js';

let smtp: Awaited<ReturnType<typeof startSmtp>>;
let app: TestApp;
let sim: PlatformSimulator;
let otherSim: PlatformSimulator;
let world: World;
let otherTenantId: string;
let apiKey: string;
const ltik = { instructor: '', otherCourse: '', admin: '', learner: '', otherTenant: '' };
const courseA = { id: 'remind-a', title: 'Reminders A' };
const courseB = { id: 'remind-b', title: 'Reminders B' };

// Real time plus an offset the tests move forward: launches validate against real timestamps.
let offset = 0;
const clock: Clock = { now: () => new Date(Date.now() + offset) };

const tenantOf = async (lmsContextId: string) => (await app.testDb.db.query<{ tenant_id: string; id: string; platform_id: string }>('select tenant_id, id, platform_id from courses where lms_context_id = $1', [lmsContextId]))[0]!;

beforeAll(async () => {
  smtp = await startSmtp();
  app = await startTestApp({ env: { SMTP_URL: smtp.url, MAIL_FROM: 'badges@college.example' }, clock });
  sim = await startPlatform();
  otherSim = await startPlatform();
  await registeredPlatform(app, sim);
  await registeredPlatform(app, otherSim);
  ltik.instructor = (await launchTo(app, sim, buildUser('instructor'), { context: courseA })).ltik;
  ltik.otherCourse = (await launchTo(app, sim, buildUser('instructor'), { context: courseB })).ltik;
  ltik.admin = (await launchTo(app, sim, buildUser('admin', { roles: [ROLE.admin, ROLE.instructor] }), { context: courseA })).ltik;
  ltik.learner = (await launchTo(app, sim, buildUser('learner'), { context: courseA })).ltik;
  ltik.otherTenant = (await launchTo(app, otherSim, buildUser('instructor'), { context: { id: 'remind-x', title: 'Elsewhere' } })).ltik;
  const a = await tenantOf(courseA.id);
  world = { tenantId: a.tenant_id, platformId: a.platform_id, courseId: a.id, lmsContextId: courseA.id };
  otherTenantId = (await tenantOf('remind-x')).tenant_id;
  expect(otherTenantId).not.toBe(world.tenantId);
  await tenantOf(courseB.id); // both courses are known from the launches
  apiKey = (await app.built.services.tenants.createApiKey(world.tenantId)).key;
});
afterAll(async () => {
  await app?.close();
  await sim?.close();
  await otherSim?.close();
  await smtp?.close();
});

let n = 0;
async function newBadge(tenantId = world.tenantId, course = courseA.id) {
  n += 1;
  const badge = await app.built.services.badges.create(tenantId, { courseId: course, moduleId: `remind-m${n}`, moduleTitle: `Module ${n}`, name: `Reminder badge ${n}`, criteria: 'Finish it.', validForDays: 30 });
  return { badgeId: badge.id, moduleId: `remind-m${n}`, course };
}

/** An award through the Completion API, as an LMS integration makes it. */
async function complete(b: { moduleId: string; course: string }, learner: { name: string; email?: string; testAccount?: boolean }, key = apiKey) {
  n += 1;
  const res = await fetch(`${app.url}/api/v1/completions`, {
    method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ completions: [{ courseId: b.course, moduleId: b.moduleId, learner: { id: `rl-${n}`, ...learner }, score: 1, maxScore: 1, completedAt: new Date().toISOString() }] }),
  });
  const [r] = (await res.json()).results;
  expect(r.status).toBe('awarded');
  return r.awardId as string;
}

/** Every queued email sent: the server's own worker may hold one (leased, still queued) while it sends. */
async function drain() {
  const queued = async () => (await app.testDb.db.query<{ n: number }>(`select count(*)::int as n from notifications where status = 'queued'`))[0]!.n;
  await expect.poll(async () => {
    while ((await app.built.services.notifier.processDue()) > 0);
    return queued();
  }, { timeout: 15_000 }).toBe(0);
}
const mailsTo = async (email: string) => Promise.all(smtp.received.filter((m) => m.to.includes(email)).map((m) => simpleParser(m.raw)));
const claimLink = (text: string | undefined) => /(http:\/\/127\.0\.0\.1:\d+\/claim\/[A-Za-z0-9_-]+)/.exec(text ?? '')![1]!;
const csrfOf = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)![1]!;
async function claim(link: string) {
  const csrf = csrfOf(await (await fetch(link)).text());
  return fetch(link, { method: 'POST', body: new URLSearchParams({ csrf }) });
}
const remind = (session: string, badgeId: string, extra: Record<string, string> = {}) =>
  fetch(`${app.url}/app/badges/${badgeId}/remind`, { method: 'POST', headers: { accept: 'application/json' }, body: new URLSearchParams({ ltik: session, ...extra }) });
const queuedReminders = async () => (await app.testDb.db.query<{ n: number }>(`select count(*)::int as n from notifications where kind = 'reminder'`))[0]!.n;

/** One badge with a learner in every state, claim emails already delivered. */
async function cohort() {
  const b = await newBadge();
  const tag = `c${n}`;
  const ids = {
    zoe: await complete(b, { name: 'Zoe Pending', email: `zoe.${tag}@school.example` }),
    adam: await complete(b, { name: 'adam pending', email: `adam.${tag}@school.example` }),
    bea: await complete(b, { name: 'Bea Accepted', email: `bea.${tag}@school.example` }),
    carl: await complete(b, { name: 'Carl Revoked', email: `carl.${tag}@school.example` }),
    eve: await complete(b, { name: 'Eve NoEmail' }),
    tess: await complete(b, { name: 'Tess Test', email: `tess.${tag}@school.example`, testAccount: true }),
    // Awarded 40 days ago with a 30-day validity: expired, never claimed.
    dora: (await app.built.services.awards.issue({ tenantId: world.tenantId, badgeId: b.badgeId, method: 'manual', awardedAt: new Date(clock.now().getTime() - 40 * 86_400_000),
      userId: await buildLearner(app, world, { name: 'Dora Expired', email: `dora.${tag}@school.example` }) })).award.id,
  };
  await drain();
  expect((await claim(claimLink((await mailsTo(`bea.${tag}@school.example`))[0]!.text))).status).toBe(200);
  await app.built.services.awards.revoke(world.tenantId, ids.carl, 'issued in error');
  return { ...b, ids, email: (who: string) => `${who}.${tag}@school.example` };
}

describe('the learner list of a badge', () => {
  it('shows every award with its state and notifications: unclaimed first, by name; test accounts only when asked', async () => {
    const c = await cohort();
    const list = await app.built.services.awards.badgeLearners(world.tenantId, c.badgeId, { includeTest: false });
    expect(list.map((l) => [l.name, l.state, l.canRemind, l.remindBlockedBy])).toEqual([
      ['adam pending', 'pending', true, null],
      ['Eve NoEmail', 'pending', false, 'no_email'],
      ['Zoe Pending', 'pending', true, null],
      ['Carl Revoked', 'revoked', false, 'revoked'],
      ['Dora Expired', 'expired', false, 'expired'],
      ['Bea Accepted', 'accepted', false, 'accepted'],
    ]);
    const zoe = list.find((l) => l.awardId === c.ids.zoe)!;
    expect(zoe).toMatchObject({ email: c.email('zoe'), isTest: false, acceptedAt: null, notificationsSent: 1, notificationsFailed: 0, lastRemindedAt: null });
    expect(zoe.lastNotifiedAt).toBeInstanceOf(Date);
    expect(list.find((l) => l.awardId === c.ids.eve)).toMatchObject({ email: null, notificationsSent: 0, lastNotifiedAt: null });
    expect(list.find((l) => l.awardId === c.ids.bea)!.acceptedAt).toBeInstanceOf(Date);

    const withTest = await app.built.services.awards.badgeLearners(world.tenantId, c.badgeId, { includeTest: true });
    expect(withTest).toHaveLength(7);
    expect(withTest.find((l) => l.awardId === c.ids.tess)).toMatchObject({ isTest: true, state: 'pending', canRemind: true });
  });

  it('is not found for a badge of another course or another tenant', async () => {
    const c = await newBadge();
    await expect(app.built.services.awards.badgeLearners(world.tenantId, c.badgeId, { courseId: (await tenantOf(courseB.id)).id })).rejects.toMatchObject({ status: 404 });
    await expect(app.built.services.awards.badgeLearners(otherTenantId, c.badgeId)).rejects.toMatchObject({ status: 404 });
  });
});

describe('remind unclaimed', () => {
  it('sends a reminder with a new claim link that works, recorded as a notified event with reminder=true', async () => {
    const c = await cohort();
    const res = await fetch(`${app.url}/app/badges/${c.badgeId}/remind`, { method: 'POST', body: new URLSearchParams({ ltik: ltik.instructor }), redirect: 'manual' });
    expect(res.status).toBe(303);
    const back = new URL(res.headers.get('location')!, app.url);
    expect(back.pathname).toBe('/app/analytics');
    expect(Object.fromEntries(back.searchParams)).toEqual({ ltik: ltik.instructor, badgeId: c.badgeId, reminded: '2', skipped: '5' });
    await drain();

    const [first, second] = await mailsTo(c.email('zoe'));
    expect(second!.subject).toBe(`Reminder: claim your badge "Reminder badge ${c.moduleId.slice(8)}"`);
    expect(second!.text).toContain('Hello Zoe Pending');
    const [oldLink, newLink] = [claimLink(first!.text), claimLink(second!.text)];
    expect(newLink).not.toBe(oldLink);
    expect((await fetch(oldLink)).status).toBe(404); // one live link per award: the reminder's
    const accepted = await claim(newLink);
    expect(accepted.status).toBe(200);
    expect(await accepted.text()).toContain('Claimed');
    expect((await mailsTo(c.email('adam')))).toHaveLength(2);

    const events = await app.testDb.db.query<{ type: string; channel: string | null; metadata: Record<string, unknown> }>('select type, channel, metadata from events where award_id = $1 order by id', [c.ids.zoe]);
    expect(events).toEqual([
      { type: 'awarded', channel: 'api', metadata: {} },
      { type: 'notified', channel: 'email', metadata: { outcome: 'sent' } },
      { type: 'notified', channel: 'email', metadata: { outcome: 'sent', reminder: true } },
      { type: 'accepted', channel: 'email', metadata: {} },
    ]);
    const zoe = (await app.built.services.awards.badgeLearners(world.tenantId, c.badgeId)).find((l) => l.awardId === c.ids.zoe)!;
    expect(zoe).toMatchObject({ state: 'accepted', notificationsSent: 2, canRemind: false });
    expect(zoe.lastRemindedAt).toBeInstanceOf(Date);
  });

  it('skips accepted, revoked, expired, no-email and test-account awards with their reasons, and a second reminder within the hour', async () => {
    const c = await cohort();
    const sent = smtp.received.length;
    const res = await remind(ltik.instructor, c.badgeId);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.queued).toBe(2);
    expect(new Map(body.skipped.map((s: { awardId: string; reason: string }) => [s.awardId, s.reason]))).toEqual(new Map([
      [c.ids.bea, 'accepted'], [c.ids.carl, 'revoked'], [c.ids.dora, 'expired'], [c.ids.eve, 'no_email'], [c.ids.tess, 'test_account'],
    ]));
    // A double click: the first reminder is still in the queue, then sent and too recent.
    const again = await (await remind(ltik.instructor, c.badgeId, { awardId: c.ids.zoe })).json();
    expect(again).toEqual({ queued: 0, skipped: [{ awardId: c.ids.zoe, reason: 'already_queued' }] });
    await drain();
    expect(smtp.received.length).toBe(sent + 2);
    const later = await (await remind(ltik.instructor, c.badgeId)).json();
    expect(later.queued).toBe(0);
    expect(later.skipped).toEqual(expect.arrayContaining([{ awardId: c.ids.zoe, reason: 'recently_reminded' }, { awardId: c.ids.adam, reason: 'recently_reminded' }]));
    await drain();
    expect(smtp.received.length).toBe(sent + 2);

    // An hour on, one learner can be reminded again; a test account when asked; a stranger's award is not found.
    offset += 61 * 60_000;
    const stranger = await complete(await newBadge(), { name: 'Someone Else', email: `someone.${n}@school.example` });
    const one = await (await fetch(`${app.url}/app/badges/${c.badgeId}/remind`, {
      method: 'POST', headers: { accept: 'application/json', authorization: `Bearer ${ltik.instructor}`, 'content-type': 'application/json' },
      body: JSON.stringify({ awardId: [c.ids.adam, c.ids.tess, stranger], includeTest: true }),
    })).json();
    expect(one.queued).toBe(2);
    expect(one.skipped).toEqual([{ awardId: stranger, reason: 'not_found' }]);
    await drain();
    expect(await mailsTo(c.email('adam'))).toHaveLength(3);
    expect(await mailsTo(c.email('tess'))).toHaveLength(2);
  });

  it('sends one reminder when two requests for the same learner arrive at once', async () => {
    const b = await newBadge();
    const awardId = await complete(b, { name: 'Dee Double', email: `dee.${n}@school.example` });
    await drain();
    const both = await Promise.all([remind(ltik.instructor, b.badgeId), remind(ltik.instructor, b.badgeId, { awardId })]);
    const answers = await Promise.all(both.map((r) => r.json()));
    expect(answers.map((a) => a.queued).sort()).toEqual([0, 1]);
    expect(answers.flatMap((a) => a.skipped)).toEqual([{ awardId, reason: 'already_queued' }]);
  });
});

describe('who may remind', () => {
  it('refuses a badge of another course or tenant (404) and a learner (403), queueing nothing; an admin reaches every course of the tenant', async () => {
    const inB = await newBadge(world.tenantId, courseB.id);
    await complete(inB, { name: 'Bo Other', email: `bo.${n}@school.example` });
    const otherKey = (await app.built.services.tenants.createApiKey(otherTenantId)).key;
    const elsewhere = await newBadge(otherTenantId, 'remind-x');
    await complete(elsewhere, { name: 'Xena Far', email: `xena.${n}@school.example` }, otherKey);
    const own = await newBadge();
    await complete(own, { name: 'Ola Own', email: `ola.${n}@school.example` });
    await drain();
    const before = await queuedReminders();

    for (const [session, badgeId] of [[ltik.instructor, inB.badgeId], [ltik.instructor, elsewhere.badgeId], [ltik.admin, elsewhere.badgeId], [ltik.otherTenant, own.badgeId], [ltik.instructor, 'not-a-badge']] as const) {
      const res = await remind(session, badgeId);
      expect(res.status).toBe(404);
      expect((await res.json()).error.code).toMatch(/not_found/);
    }
    const asLearner = await fetch(`${app.url}/app/badges/${own.badgeId}/remind`, { method: 'POST', body: new URLSearchParams({ ltik: ltik.learner }) });
    expect(asLearner.status).toBe(403);
    expect((await remind('', own.badgeId)).status).toBe(401);
    expect((await remind(ltik.instructor, own.badgeId, { awardId: 'not-an-id' })).status).toBe(400);
    expect(await queuedReminders()).toBe(before);

    expect(await (await remind(ltik.admin, inB.badgeId)).json()).toEqual({ queued: 1, skipped: [] });
    expect(await (await remind(ltik.otherCourse, inB.badgeId)).json()).toMatchObject({ queued: 0 });
    expect(await queuedReminders()).toBe(before + 1);
  });
});
