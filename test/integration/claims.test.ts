// Claiming, sharing, visibility and view tracking: each state change is one event, an award is only
// ever acted on by its own learner, and views are counted once per browser per 30 minutes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { buildUser, launchTo, registeredPlatform } from '../support/lti.js';
import { startPlatform, type PlatformSimulator } from '../support/platform-simulator.js';

let app: TestApp;
let sim: PlatformSimulator;
let tenantId: string;
let apiKey: string;
const course = { id: 'course-claims', title: 'Claims 101' };

beforeAll(async () => {
  app = await startTestApp();
  sim = await startPlatform();
  await registeredPlatform(app, sim);
  await launchTo(app, sim, buildUser('instructor'), { context: course });
  tenantId = (await app.testDb.db.query<{ tenant_id: string }>('select tenant_id from courses where lms_context_id = $1', [course.id]))[0]!.tenant_id;
  apiKey = (await app.built.services.tenants.createApiKey(tenantId)).key;
});
afterAll(async () => {
  await app?.close();
  await sim?.close();
});

let moduleCounter = 0;
/** A badge and a learner who launched once (so a session exists), awarded through the Completion API. */
async function awarded() {
  moduleCounter += 1;
  const moduleId = `claims-m${moduleCounter}`;
  await app.built.services.badges.create(tenantId, { courseId: course.id, moduleId, moduleTitle: `Module ${moduleCounter}`, name: `Badge ${moduleCounter}`, criteria: 'Finish it.' });
  const learner = buildUser('learner');
  const { ltik } = await launchTo(app, sim, learner, { context: course });
  const res = await fetch(`${app.url}/api/v1/completions`, {
    method: 'POST', headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ completions: [{ courseId: course.id, moduleId, learner: { id: learner.sub }, score: 1, maxScore: 1, completedAt: new Date().toISOString() }] }),
  });
  const [result] = (await res.json()).results;
  expect(result.status).toBe('awarded');
  return { awardId: result.awardId as string, claimUrl: result.claimUrl as string, ltik, learner };
}

const events = async (awardId: string) =>
  (await app.testDb.db.query<{ type: string; channel: string | null; is_bot: boolean }>('select type, channel, is_bot from events where award_id = $1 order by id', [awardId]));

const csrfOf = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)?.[1];

describe('claiming', () => {
  it('by the claim link: the page, then Accept with its CSRF token, once', async () => {
    const { awardId, claimUrl } = await awarded();
    expect(claimUrl).toMatch(new RegExp(`^${app.url}/claim/[A-Za-z0-9_-]{40,}$`));
    const page = await fetch(claimUrl);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Accept badge');
    const csrf = csrfOf(html)!;
    expect((await fetch(claimUrl, { method: 'POST', body: new URLSearchParams({}) })).status).toBe(403);
    expect((await fetch(claimUrl, { method: 'POST', body: new URLSearchParams({ csrf: `${Date.now()}.forged` }) })).status).toBe(403);
    expect((await events(awardId)).map((e) => e.type)).toEqual(['awarded']);
    const accept = await fetch(claimUrl, { method: 'POST', body: new URLSearchParams({ csrf }) });
    expect(accept.status).toBe(200);
    expect(await accept.text()).toContain('Claimed');
    await fetch(claimUrl, { method: 'POST', body: new URLSearchParams({ csrf }) });
    expect(await events(awardId)).toEqual([{ type: 'awarded', channel: 'api', is_bot: false }, { type: 'accepted', channel: 'email', is_bot: false }]);
  });

  it('refuses unknown, expired and revoked claim links', async () => {
    expect((await fetch(`${app.url}/claim/${'x'.repeat(43)}`)).status).toBe(404);
    const expired = await awarded();
    await app.testDb.db.query(`update awards set claim_expires_at = now() - interval '1 minute' where id = $1`, [expired.awardId]);
    const e = await fetch(expired.claimUrl);
    expect(e.status).toBe(410);
    expect(await e.text()).toContain('expired');
    const revoked = await awarded();
    await app.built.services.awards.revoke(tenantId, revoked.awardId, 'test');
    expect((await fetch(revoked.claimUrl)).status).toBe(410);
  });

  it('inside the LMS frame, and never another learner\'s award', async () => {
    const mine = await awarded();
    const someoneElse = await awarded();
    const steal = await fetch(`${app.url}/app/awards/${someoneElse.awardId}/accept`, { method: 'POST', body: new URLSearchParams({ ltik: mine.ltik }), redirect: 'manual' });
    expect(steal.status).toBe(404);
    expect((await events(someoneElse.awardId)).map((e) => e.type)).toEqual(['awarded']);
    const ok = await fetch(`${app.url}/app/awards/${mine.awardId}/accept`, { method: 'POST', body: new URLSearchParams({ ltik: mine.ltik }), redirect: 'manual' });
    expect(ok.status).toBe(303);
    expect((await events(mine.awardId)).map((e) => [e.type, e.channel])).toEqual([['awarded', 'api'], ['accepted', 'lms']]);
    const page = await (await fetch(`${app.url}/app/me?ltik=${mine.ltik}`)).text();
    expect(page).toContain('Make public');
  });
});

describe('sharing, visibility and views', () => {
  it('shares to LinkedIn (making the badge public), counts views once per browser, bots apart', async () => {
    const a = await awarded();
    await fetch(`${app.url}/app/awards/${a.awardId}/accept`, { method: 'POST', body: new URLSearchParams({ ltik: a.ltik }), redirect: 'manual' });
    expect((await fetch(`${app.url}/ob/credentials/${a.awardId}`)).status).toBe(404); // private until shared
    const share = await fetch(`${app.url}/me/awards/${a.awardId}/share`, { method: 'POST', headers: { authorization: `Bearer ${a.ltik}`, 'content-type': 'application/json' }, body: JSON.stringify({ channel: 'linkedin_profile' }) });
    expect(share.status).toBe(200);
    const shared = await share.json();
    expect(shared.public).toBe(true);
    const u = new URL(shared.url);
    expect(u.origin + u.pathname).toBe('https://www.linkedin.com/profile/add');
    expect(u.searchParams.get('certUrl')).toBe(`${app.url}/ob/credentials/${a.awardId}?src=linkedin`);

    const viewer = await fetch(`${app.url}/ob/credentials/${a.awardId}`, { headers: { referer: 'https://www.linkedin.com/feed/', 'user-agent': 'Mozilla/5.0 Chrome/130' } });
    expect(viewer.status).toBe(200);
    const cookie = viewer.headers.get('set-cookie')!.split(';')[0]!;
    await fetch(`${app.url}/ob/credentials/${a.awardId}`, { headers: { cookie, referer: 'https://www.linkedin.com/feed/', 'user-agent': 'Mozilla/5.0 Chrome/130' } });
    await fetch(`${app.url}/ob/credentials/${a.awardId}`, { headers: { 'user-agent': 'LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)' } });
    await fetch(`${app.url}/ob/credentials/${a.awardId}?src=email`, { headers: { 'user-agent': 'Mozilla/5.0 Firefox/130' } });
    expect(await events(a.awardId)).toEqual([
      { type: 'awarded', channel: 'api', is_bot: false },
      { type: 'accepted', channel: 'lms', is_bot: false },
      { type: 'visibility_changed', channel: null, is_bot: false },
      { type: 'shared', channel: 'linkedin_profile', is_bot: false },
      { type: 'viewed', channel: 'linkedin', is_bot: false },
      { type: 'viewed', channel: 'direct', is_bot: true },
      { type: 'viewed', channel: 'email', is_bot: false },
    ]);
  });

  it('switches visibility, and refuses bad channels and other learners', async () => {
    const a = await awarded();
    const b = await awarded();
    const post = (path: string, body: unknown, ltik: string) => fetch(`${app.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${ltik}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post(`/me/awards/${a.awardId}/visibility`, { public: true }, a.ltik)).status).toBe(200);
    expect((await fetch(`${app.url}/ob/credentials/${a.awardId}`)).status).toBe(200);
    expect((await post(`/me/awards/${a.awardId}/visibility`, { public: false }, a.ltik)).status).toBe(200);
    expect((await fetch(`${app.url}/ob/credentials/${a.awardId}`)).status).toBe(404);
    expect((await post(`/me/awards/${a.awardId}/share`, { channel: 'myspace' }, a.ltik)).status).toBe(400);
    expect((await post(`/me/awards/${a.awardId}/visibility`, { public: 'maybe' }, a.ltik)).status).toBe(400);
    expect((await post(`/me/awards/${b.awardId}/visibility`, { public: true }, a.ltik)).status).toBe(404);
    expect((await post(`/me/awards/${b.awardId}/share`, { channel: 'x' }, a.ltik)).status).toBe(404);
    expect((await events(b.awardId)).map((e) => e.type)).toEqual(['awarded']);
    expect((await events(a.awardId)).filter((e) => e.type === 'visibility_changed')).toHaveLength(2);
  });
});

describe('my badges and every share channel', () => {
  it('answers each channel with its link, tagged with its source, and records one share each', async () => {
    const a = await awarded();
    await fetch(`${app.url}/app/awards/${a.awardId}/accept`, { method: 'POST', body: new URLSearchParams({ ltik: a.ltik }), redirect: 'manual' });
    const share = async (channel: string) => (await (await fetch(`${app.url}/me/awards/${a.awardId}/share`, { method: 'POST', headers: { authorization: `Bearer ${a.ltik}`, 'content-type': 'application/json' }, body: JSON.stringify({ channel }) })).json()).url as string;
    const page = `${app.url}/ob/credentials/${a.awardId}`;
    expect(await share('linkedin_post')).toBe(`https://www.linkedin.com/sharing/share-offsite/?url=${encodeURIComponent(`${page}?src=linkedin`)}`);
    expect(await share('x')).toMatch(new RegExp(`^https://twitter\\.com/intent/tweet\\?text=.+&url=${encodeURIComponent(`${page}?src=x`).replace(/[.?]/g, '\\$&')}$`));
    expect(await share('facebook')).toBe(`https://www.facebook.com/sharer/sharer.php?u=${encodeURIComponent(`${page}?src=facebook`)}`);
    expect(await share('email')).toMatch(/^mailto:\?subject=Badge%20\d+&body=.+src%3Demail$/);
    expect(await share('copy_link')).toBe(page);
    expect(await share('embed')).toContain(`<a href="${page}?src=embed"><img src="`);
    expect(await share('download')).toBe(`${page}/baked.svg`);
    const shared = await app.testDb.db.query<{ channel: string }>(`select channel from events where award_id = $1 and type = 'shared' order by id`, [a.awardId]);
    expect(shared.map((s) => s.channel)).toEqual(['linkedin_post', 'x', 'facebook', 'email', 'copy_link', 'embed', 'download']);
  });

  it('lists each award with its state, expiry, views, shares and verifications, and the downloads', async () => {
    const a = await awarded();
    await fetch(`${app.url}/app/awards/${a.awardId}/accept`, { method: 'POST', body: new URLSearchParams({ ltik: a.ltik }), redirect: 'manual' });
    await fetch(`${app.url}/me/awards/${a.awardId}/share`, { method: 'POST', headers: { authorization: `Bearer ${a.ltik}`, 'content-type': 'application/json' }, body: JSON.stringify({ channel: 'copy_link' }) });
    await fetch(`${app.url}/ob/credentials/${a.awardId}`, { headers: { 'user-agent': 'Mozilla/5.0 Safari/17' } });
    await fetch(`${app.url}/ob/credentials/${a.awardId}`, { headers: { 'user-agent': 'Slackbot-LinkExpanding 1.0' } });
    await fetch(`${app.url}/ob/credentials/${a.awardId}/verify`, { method: 'POST', headers: { 'user-agent': 'Mozilla/5.0 Safari/17' } });
    const html = await (await fetch(`${app.url}/app/me?ltik=${a.ltik}`)).text();
    expect(html).toContain('public · 1 view(s) · 1 share(s) · 1 verification(s)');
    expect(html).toContain(`/ob/credentials/${a.awardId}?format=jwt&amp;ltik=`);
    expect(html).toContain(`/ob/credentials/${a.awardId}?format=json&amp;ltik=`);
    const json = await fetch(`${app.url}/ob/credentials/${a.awardId}?format=json&ltik=${a.ltik}`);
    expect((await json.json()).proof).toHaveLength(1);
  });
});
