// Claim emails through a real SMTP server on 127.0.0.1: delivered with a working claim link, a
// refusing server recorded as failed, a temporary refusal retried, and the queue surviving a restart.
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { createTestDb, type TestDb } from '../support/db.js';
import { buildWorld, type World } from '../support/builders.js';
import { startSmtp } from '../support/smtp.js';

let smtp: Awaited<ReturnType<typeof startSmtp>>;
let testDb: TestDb;
let app: TestApp;
let w: World;
let key: string;
let n = 0;

beforeAll(async () => {
  smtp = await startSmtp();
  testDb = await createTestDb(); // kept across the restart below
  app = await startTestApp({ env: { SMTP_URL: smtp.url, MAIL_FROM: 'Badges <badges@college.example>' }, testDb });
  w = await buildWorld(app);
  key = (await app.built.services.tenants.createApiKey(w.tenantId)).key;
});
afterAll(async () => {
  await app?.close();
  await testDb?.drop();
  await smtp?.close();
});

async function award(target: TestApp = app, email: string | null = `learner${++n}@school.example`) {
  const moduleId = `notify-m${++n}`;
  await target.built.services.badges.create(w.tenantId, { courseId: w.lmsContextId, moduleId, moduleTitle: `Module ${n}`, name: `Badge ${n}`, criteria: 'c' });
  const res = await fetch(`${target.url}/api/v1/completions`, {
    method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ completions: [{ courseId: w.lmsContextId, moduleId, learner: { id: `l-${n}`, ...(email ? { email } : {}), name: 'Ada Lovelace' }, score: 1, maxScore: 1, completedAt: new Date().toISOString() }] }),
  });
  const [r] = (await res.json()).results;
  return { awardId: r.awardId as string, email: email ?? undefined };
}
const row = async (awardId: string) => (await app.testDb.db.query<{ status: string; attempts: number; last_error: string | null }>('select status, attempts, last_error from notifications where award_id = $1', [awardId]))[0];
const notified = async (awardId: string) => (await app.testDb.db.query<{ channel: string; metadata: { outcome: string } }>(`select channel, metadata from events where award_id = $1 and type = 'notified'`, [awardId])).map((e) => [e.channel, e.metadata.outcome]);

describe('claim notifications', () => {
  it('sends the claim email; its link opens the claim page; the outcome is a notified event', async () => {
    smtp.refuse = null;
    const { awardId, email } = await award();
    expect(await row(awardId)).toMatchObject({ status: 'queued', attempts: 0 });
    expect(await app.built.services.notifier.processDue()).toBe(1);
    const mail = smtp.received.find((m) => m.to.includes(email!))!;
    expect(mail.from).toBe('badges@college.example');
    const parsed = await simpleParser(mail.raw);
    expect(parsed.subject).toMatch(/^You earned "Badge \d+"$/);
    expect(parsed.text).toContain('Hello Ada Lovelace');
    const link = /(http:\/\/127\.0\.0\.1:\d+\/claim\/[A-Za-z0-9_-]+)/.exec(parsed.text ?? '')![1]!;
    const page = await fetch(link);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Accept badge');
    expect(await row(awardId)).toMatchObject({ status: 'sent', attempts: 1 });
    expect(await notified(awardId)).toEqual([['email', 'sent']]);
    expect(await app.built.services.notifier.processDue()).toBe(0); // nothing sent twice
  });

  it('records a refusing server (550) as failed at once', async () => {
    const { awardId } = await award();
    smtp.refuse = 'permanent';
    await app.built.services.notifier.processDue();
    smtp.refuse = null;
    expect(await row(awardId)).toMatchObject({ status: 'failed', attempts: 1 });
    expect((await row(awardId))!.last_error).toContain('550');
    expect(await notified(awardId)).toEqual([['email', 'failed']]);
  });

  it('retries a temporary refusal (451) later, without an event until it is settled', async () => {
    const { awardId } = await award();
    smtp.refuse = 'temporary';
    await app.built.services.notifier.processDue();
    smtp.refuse = null;
    expect(await row(awardId)).toMatchObject({ status: 'queued', attempts: 1 });
    expect(await notified(awardId)).toEqual([]);
    // A second in the past: the database's now() has microseconds, the worker's clock milliseconds.
    await app.testDb.db.query("update notifications set next_attempt_at = now() - interval '1 second' where award_id = $1", [awardId]);
    await app.built.services.notifier.processDue();
    expect(await row(awardId)).toMatchObject({ status: 'sent', attempts: 2 });
    expect(await notified(awardId)).toEqual([['email', 'sent']]);
  });

  it('keeps queued emails across a restart of the tool', async () => {
    const { awardId, email } = await award();
    await app.close(); // stops without sending; the database stays
    app = await startTestApp({ env: { SMTP_URL: smtp.url }, testDb });
    expect(await row(awardId)).toMatchObject({ status: 'queued' });
    await app.built.services.notifier.processDue();
    expect(smtp.received.some((m) => m.to.includes(email!))).toBe(true);
    expect(await row(awardId)).toMatchObject({ status: 'sent' });
  });

  it('queues nothing for a learner without an email address', async () => {
    const { awardId } = await award(app, null);
    expect(await row(awardId)).toBeUndefined();
  });
});
