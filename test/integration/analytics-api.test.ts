// GET /api/v1/analytics over a known history: the numbers of §5 as the formulas give them, the
// scopes and filters, and authorisation across two tenants. (The full import-driven check of every
// field is issue 5's remaining work.)
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { buildBadge, buildLearner, buildWorld, type World } from '../support/builders.js';

let app: TestApp;
let w: World;
let other: World;
let key: string;
let otherKey: string;
let b1: string;
let b2: string;
const day = (d: number, h = 0) => new Date(Date.UTC(2026, 10, d, h));

async function event(awardId: string, type: string, channel: string | null, at: Date, isBot = false) {
  await app.testDb.db.query(
    `insert into events (tenant_id, award_id, course_id, badge_id, module_id, learner_id, type, channel, is_bot, occurred_at)
     select tenant_id, id, course_id, badge_id, module_id, user_id, $2, $3, $4, $5 from awards where id = $1`, [awardId, type, channel, isBot, at]);
}

beforeAll(async () => {
  app = await startTestApp();
  w = await buildWorld(app);
  other = await buildWorld(app, 'Elsewhere');
  key = (await app.built.services.tenants.createApiKey(w.tenantId)).key;
  otherKey = (await app.built.services.tenants.createApiKey(other.tenantId)).key;
  b1 = (await buildBadge(app, w)).id;
  b2 = (await buildBadge(app, w, { name: 'Second' })).id;
  const learners = await Promise.all([1, 2, 3, 4].map(() => buildLearner(app, w)));
  const issue = async (badgeId: string, userId: string, at: Date) => (await app.built.services.awards.issue({ tenantId: w.tenantId, badgeId, userId, method: 'api', awardedAt: at })).award.id;
  // In range (Nov 10–19): four awards of b1, two of b2; one b1 award before the range.
  const a = [await issue(b1, learners[0]!, day(10)), await issue(b1, learners[1]!, day(11)), await issue(b1, learners[2]!, day(12)), await issue(b1, learners[3]!, day(13))];
  const c = [await issue(b2, learners[0]!, day(14)), await issue(b2, learners[1]!, day(15))];
  const accept = (id: string, at: Date) => app.testDb.db.query('update awards set accepted_at = $2, is_public = true where id = $1', [id, at]);
  await accept(a[0]!, day(10, 2)); // 2 h
  await accept(a[1]!, day(12, 11)); // 35 h
  await accept(a[2]!, day(22)); // 240 h, after the range end: still counts (cohort)
  await accept(c[0]!, day(14, 0)); // 0 h
  await event(a[0]!, 'shared', 'linkedin_profile', day(10, 3));
  await event(a[0]!, 'viewed', 'linkedin', day(10, 4));
  await event(a[0]!, 'viewed', 'linkedin', day(10, 5), true); // a bot: not a view
  await event(a[1]!, 'shared', 'x', day(13));
  await event(a[1]!, 'shared', 'x', day(14));
  await event(a[1]!, 'viewed', 'other', day(14));
  await event(a[1]!, 'viewed', 'direct', day(15));
  await event(c[0]!, 'shared', 'copy_link', day(14, 1));
  await issue(b1, await buildLearner(app, w), day(2)); // before the range
  await buildBadge(app, other); // another tenant's badge
});
afterAll(async () => {
  await app?.close();
});

const get = async (query: string, k = key) => fetch(`${app.url}/api/v1/analytics?${query}`, { headers: { authorization: `Bearer ${k}` } });

describe('analytics API', () => {
  it('computes the organisation KPIs of the range as §5 defines them', async () => {
    const res = await get('from=2026-11-10&to=2026-11-19');
    expect(res.status).toBe(200);
    const r = await res.json();
    expect(r.kpis.awarded).toBe(6);
    expect(r.kpis.badgesCreated).toBe(2);
    expect(r.kpis.acceptanceRate).toBeCloseTo(4 / 6, 12);
    expect(r.kpis.shareRate).toBeCloseTo(3 / 4, 12); // a0, a1, c0 of 4 accepted
    expect(r.kpis.views).toBe(3);
    expect(r.kpis.externalImpactScore).toBeCloseTo(3 / 4, 12); // 3 views ÷ 4 shares
    expect(r.kpis.learnerEngagementScore).toBeCloseTo((4 / 6 * 0.6 + 0.75 * 0.4) * 100, 10);
    expect(r.kpis.timeToClaim.medianHours).toBeCloseTo(18.5, 10); // 0, 2, 35, 240
    expect(r.kpis.timeToClaim.buckets).toEqual({ lt1h: 1, h1to24: 1, d1to7: 1, gt7d: 1, never: 2 });
    expect(r.kpis.repeatEarnerRate).toBeCloseTo(2 / 4, 12); // learners 1 and 2 hold two live awards each
    expect(r.funnel).toEqual({ awarded: 6, accepted: 4, shared: 3, viewed: 2 });
    expect(r.distribution.awarding).toEqual({ api: 6 });
    expect(r.distribution.sharing).toEqual({ linkedin_profile: 1, x: 2, copy_link: 1 });
    expect(r.distribution.viewing).toEqual({ linkedin: 1, other: 1, direct: 1 });
    // by name, whatever order the rows came in
    expect([Object.keys(r.distribution.sharing), Object.keys(r.distribution.viewing)]).toEqual([['copy_link', 'linkedin_profile', 'x'], ['direct', 'linkedin', 'other']]);
    expect(r.allTime.awarded).toBe(7);
    expect(r.trends.awarded).toBe(6 - 1); // the previous ten days hold the Nov 2 award
    const m1 = r.modules.find((m: { gap: number }) => m.gap !== null && m.gap === 0.25);
    expect(m1).toMatchObject({ qualifyingCompletions: 4, accepted: 3, flag: 'watch' });
    const badges = Object.fromEntries(r.badges.map((b: { badgeId: string }) => [b.badgeId, b]));
    expect(badges[b1]).toMatchObject({ awarded: 4, accepted: 3, shared: 2, shares: 3, views: 3 });
    expect(badges[b2]).toMatchObject({ awarded: 2, accepted: 1, shared: 1, shares: 1, views: 0, externalImpactScore: 0 });
    // Both badges are aligned to skills (the builder gives them two): none without.
    const skills = r.drivers.find((d: { attribute: string }) => d.attribute === 'aligned_to_skills');
    expect(skills.with.badges).toBe(2);
    expect(skills.without).toEqual({ badges: 0, learnerEngagementScore: null, externalImpactScore: null });
    expect(r.drivers.map((d: { attribute: string }) => d.attribute)).toEqual(['aligned_to_skills', 'part_of_pathway', 'has_expiry', 'awarded_by_api']);
    expect(r.pathways).toEqual([]);
  });

  it('filters by badge and status, and answers null (not 0) for empty denominators', async () => {
    const r = await (await get(`scope=badge&badgeId=${b2}&from=2026-11-10&to=2026-11-19&status=pending`)).json();
    expect(r.kpis.awarded).toBe(1);
    expect(r.kpis.acceptanceRate).toBe(0);
    expect(r.kpis.shareRate).toBeNull();
    expect(r.kpis.externalImpactScore).toBeNull();
    const empty = await (await get('from=2020-01-01&to=2020-01-31')).json();
    expect(empty.kpis.acceptanceRate).toBeNull();
    expect(empty.kpis.timeToClaim.medianHours).toBeNull();
  });

  it('never shows another tenant\'s data, and refuses bad input clearly', async () => {
    const theirs = await (await get('from=2026-11-01&to=2026-11-30', otherKey)).json();
    expect(theirs.kpis.awarded).toBe(0);
    expect(theirs.kpis.badgesCreated).toBe(1);
    expect((await get(`scope=badge&badgeId=${b1}`, otherKey)).status).toBe(404);
    expect((await get(`scope=course&courseId=${w.courseId}`, otherKey)).status).toBe(404);
    expect((await get('scope=planet')).status).toBe(400);
    expect((await get('from=yesterday')).status).toBe(400);
    const backwards = await get('from=2026-11-20&to=2026-11-10');
    expect(backwards.status).toBe(400);
    expect((await backwards.json()).error.code).toBe('invalid_range');
    expect((await get(`badgeId=${randomUUID()}&scope=badge`)).status).toBe(404);
    expect((await fetch(`${app.url}/api/v1/analytics`)).status).toBe(401);
    const courseKey = (await app.built.services.tenants.createApiKey(w.tenantId, w.courseId)).key;
    expect((await get('scope=org', courseKey)).status).toBe(403);
    expect((await get('from=2026-11-10&to=2026-11-19', courseKey)).status).toBe(200);
  });
});
