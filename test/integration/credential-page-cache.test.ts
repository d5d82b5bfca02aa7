// The public page reads its award and records its view in one statement, in group commits of the
// requests that arrive together (src/awards/public-page.ts). Nothing about it is cached between
// requests: revocation and a switch to private show on the very next request; under concurrent
// load every view is counted exactly once (bots apart, repeats by cookie not at all, the learner's
// own visits not at all); and one failing request of a batch fails only itself.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPageViews, type PageRequest } from '../../src/awards/public-page.js';
import type { Queryable } from '../../src/db/index.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { buildBadge, type World } from '../support/builders.js';
import { buildUser, launchTo, registeredPlatform } from '../support/lti.js';
import { startPlatform, type PlatformSimulator } from '../support/platform-simulator.js';

let app: TestApp;
let sim: PlatformSimulator;
let w: World;
let owner: { userId: string; ltik: string };
let stranger: { ltik: string };

const CONTEXT = { id: `ctx-views-${randomUUID().slice(0, 6)}`, title: 'Views 101', label: 'V101' };
const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) Chrome/130.0 Safari/537.36';
const BOT = 'LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)';

async function learnerLaunch(name: string) {
  const user = buildUser('learner', { name });
  const { ltik } = await launchTo(app, sim, user, { context: CONTEXT });
  const rows = await app.testDb.db.query<{ id: string; tenant_id: string; platform_id: string }>('select id, tenant_id, platform_id from users where lms_user_id = $1', [user.sub]);
  return { ltik, userId: rows[0]!.id, tenantId: rows[0]!.tenant_id, platformId: rows[0]!.platform_id };
}

beforeAll(async () => {
  app = await startTestApp();
  sim = await startPlatform({ product: 'moodle' });
  await registeredPlatform(app, sim);
  const first = await learnerLaunch('Grace Hopper');
  owner = { userId: first.userId, ltik: first.ltik };
  stranger = { ltik: (await learnerLaunch('Alan Turing')).ltik };
  const course = await app.testDb.db.query<{ id: string }>('select id from courses where tenant_id = $1 and lms_context_id = $2', [first.tenantId, CONTEXT.id]);
  w = { tenantId: first.tenantId, platformId: first.platformId, courseId: course[0]!.id, lmsContextId: CONTEXT.id };
});
afterAll(async () => {
  await app?.close();
  await sim?.close();
});

async function publicAward() {
  const badge = await buildBadge(app, w);
  const { award } = await app.built.services.awards.issue({ tenantId: w.tenantId, badgeId: badge.id, userId: owner.userId, method: 'manual' });
  const { award: accepted } = await app.built.services.awards.accept(award, 'lms');
  await app.built.services.awards.setVisibility(accepted, true);
  return { award: (await app.built.services.awards.find(award.id))!, url: `${app.url}/ob/credentials/${award.id}` };
}

const views = (awardId: string) =>
  app.testDb.db.query<{ channel: string; is_bot: boolean }>(`select channel, is_bot from events where award_id = $1 and type = 'viewed' order by id`, [awardId]);

async function stats(awardId: string) {
  const rows = await app.testDb.db.query<{ views: number; bot_views: number; view_sources: Record<string, number> }>(
    'select views, bot_views, view_sources from award_stats where award_id = $1', [awardId]);
  return rows[0] ?? { views: 0, bot_views: 0, view_sources: {} };
}

const open = (url: string, headers: Record<string, string> = {}) => fetch(url, { headers: { accept: 'text/html', 'user-agent': BROWSER, ...headers } });

describe('the credential page under concurrent views', () => {
  it('counts every view exactly once: bots apart, repeats by cookie and the learner\'s own visits not at all', async () => {
    const { award, url } = await publicAward();
    const first = await open(url);
    const cookie = first.headers.get('set-cookie')!.split(';')[0]!;
    const kinds = [
      ...Array.from({ length: 30 }, (_, i) => ({ kind: 'browser', url: i % 3 === 0 ? `${url}?src=email` : url, headers: i % 3 === 1 ? { referer: 'https://www.linkedin.com/feed/' } : {} })),
      ...Array.from({ length: 10 }, () => ({ kind: 'bot', url, headers: { 'user-agent': BOT } })),
      ...Array.from({ length: 10 }, () => ({ kind: 'repeat', url, headers: { cookie } })),
      ...Array.from({ length: 5 }, () => ({ kind: 'owner', url: `${url}?ltik=${owner.ltik}`, headers: {} })),
      ...Array.from({ length: 5 }, () => ({ kind: 'stranger', url: `${url}?ltik=${stranger.ltik}`, headers: {} })),
    ];
    // Holds the first page statement back a little, so that the other requests queue up behind it
    // and share statements (on PGlite, which runs one query at a time, they rarely would), and
    // watches the batch sizes.
    const db = app.testDb.db;
    const query = db.query;
    const batches: number[] = [];
    db.query = async (sql, params) => {
      if (sql.includes('insert into events') && sql.includes('with ordinality')) {
        batches.push((params![0] as unknown[]).length);
        if (batches.length === 1) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      return query(sql, params);
    };
    const answers = await Promise.all(kinds.map(async (k) => {
      const res = await open(k.url, k.headers);
      return { kind: k.kind, status: res.status, cookie: res.headers.get('set-cookie'), html: await res.text() };
    })).finally(() => { db.query = query; });
    expect(batches.reduce((n, b) => n + b, 0)).toBe(kinds.length);
    expect(Math.max(...batches)).toBeGreaterThan(1);
    for (const a of answers) {
      expect(a.status, a.kind).toBe(200);
      expect(a.html, a.kind).toContain('Valid');
      expect(a.cookie !== null, a.kind).toBe(a.kind === 'browser' || a.kind === 'stranger');
    }
    expect(answers.filter((a) => a.kind === 'owner').every((a) => a.html.includes('Add to LinkedIn profile'))).toBe(true);
    const recorded = await views(award.id);
    // The first open, 30 browsers and 5 strangers; the 10 bots apart.
    expect(recorded.filter((v) => !v.is_bot)).toHaveLength(36);
    expect(recorded.filter((v) => v.is_bot)).toHaveLength(10);
    expect(await stats(award.id)).toEqual({ views: 36, bot_views: 10, view_sources: { direct: 16, email: 10, linkedin: 10 } });
  });

  it('keeps the views of different awards apart when they share a batch, and records none of a private one', async () => {
    const a = await publicAward();
    const b = await publicAward();
    const hidden = await publicAward();
    await app.built.services.awards.setVisibility(hidden.award, false);
    const urls = Array.from({ length: 45 }, (_, i) => [a.url, b.url, hidden.url][i % 3]!);
    const statuses = await Promise.all(urls.map(async (u) => (await open(u)).status));
    expect(statuses.filter((s) => s === 200)).toHaveLength(30);
    expect(statuses.filter((s) => s === 404)).toHaveLength(15);
    expect(await views(a.award.id)).toHaveLength(15);
    expect(await views(b.award.id)).toHaveLength(15);
    expect(await views(hidden.award.id)).toHaveLength(0);
    expect((await stats(a.award.id)).views).toBe(15);
    expect((await stats(b.award.id)).views).toBe(15);
  });

  it('shows a revocation on the very next request, and still counts the views', async () => {
    const { award, url } = await publicAward();
    expect(await (await open(url)).text()).toContain('<span class="pill ok">Valid</span>');
    await app.built.services.awards.revoke(w.tenantId, award.id, 'issued in error');
    const after = await Promise.all(Array.from({ length: 10 }, async () => (await open(url)).text()));
    for (const html of after) {
      expect(html).toContain('Revoked by the issuer');
      expect(html).not.toContain('<span class="pill ok">Valid</span>');
    }
    expect(await views(award.id)).toHaveLength(11);
  });

  it('answers 404 on the very next request once the learner makes the award private, and records no view of it', async () => {
    const { award, url } = await publicAward();
    expect((await open(url)).status).toBe(200);
    const res = await fetch(`${app.url}/me/awards/${award.id}/visibility`, { method: 'POST', headers: { authorization: `Bearer ${owner.ltik}`, 'content-type': 'application/json' }, body: JSON.stringify({ public: false }) });
    expect(res.status).toBe(200);
    const after = await Promise.all([...Array.from({ length: 10 }, () => open(url)), open(url, { 'user-agent': BOT }), open(`${url}?ltik=${stranger.ltik}`)]);
    for (const r of after) {
      expect(r.status).toBe(404);
      expect(await r.text()).not.toContain('Verify this badge');
    }
    expect((await open(`${url}?ltik=${owner.ltik}`)).status).toBe(200);
    expect(await views(award.id)).toHaveLength(1);
    expect((await stats(award.id)).views).toBe(1);
  });
});

describe('group commits of page requests', () => {
  const request = (awardId: string): PageRequest => ({ awardId, record: true, viewer: null, channel: 'direct', isBot: false, occurredAt: new Date() });

  it('on a failing statement retries each request alone, so only the bad one fails', async () => {
    const statements: string[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    const db: Queryable = {
      async query<T>(_sql: string, params: readonly unknown[] = []) {
        const ids = params[0] as string[];
        statements.push(ids);
        if (statements.length === 1) await gate; // holds the first statement so the others queue up
        if (ids.includes('bad')) throw new Error('boom');
        return ids.map((id) => ({ id })) as T[];
      },
    };
    const pages = createPageViews(db);
    const first = pages.open(request('a'));
    const queued = ['b', 'bad', 'c'].map((id) => pages.open(request(id)).then((p) => p?.id, (err: Error) => err.message));
    release();
    await first;
    expect(await Promise.all(queued)).toEqual(['b', 'boom', 'c']);
    // One alone, then the three queued together, then each of them alone.
    expect(statements).toEqual([['a'], ['b', 'bad', 'c'], ['b'], ['bad'], ['c']]);
  });
});
