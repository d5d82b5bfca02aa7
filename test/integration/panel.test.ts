// GET /app/analytics over HTTP with real LTI launches: the panel shows what GET /api/v1/analytics
// answers for the same scope and filters (tiles, gap, funnel, badges, the chart data), filters change
// the numbers, authorisation across courses and tenants changes nothing, the badge drill-down's
// learner list and reminders, and the headers that let only the tenant's LMS frame the page.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/shared/clock.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { buildUser, countRows, launchTo, registeredPlatform, ROLE } from '../support/lti.js';
import { startPlatform, type PlatformSimulator, type SimUser } from '../support/platform-simulator.js';
import { startSmtp } from '../support/smtp.js';

const clock = fixedClock(new Date());
let app: TestApp;
let sim: PlatformSimulator;
let otherSim: PlatformSimulator;
let smtp: Awaited<ReturnType<typeof startSmtp>>;
let tenantId: string;
let key: string;
const ltik = { instructor: '', otherCourse: '', admin: '', learner: '', otherTenant: '' };
const badge = { a1: '', inB: '', elsewhere: '', remind: '' };
const ctx = { a: { id: 'panel-a', title: 'Panel Course A' }, b: { id: 'panel-b', title: 'Panel Course B' }, x: { id: 'panel-x', title: 'Panel Course X' } };
const NOV = 'from=2026-11-01&to=2026-11-30';

// Launches are checked against real time (iat, exp): the fixed clock is set to now before each.
const launch = async (s: PlatformSimulator, user: SimUser, context: { id: string; title: string }) => {
  clock.set(new Date());
  return (await launchTo(app, s, user, { context })).ltik;
};
const courseRow = async (lmsContextId: string) => (await app.testDb.db.query<{ id: string; tenant_id: string }>('select id, tenant_id from courses where lms_context_id = $1', [lmsContextId]))[0]!;
const json = (method: string, path: string, body: unknown, k = key) => fetch(`${app.url}${path}`, { method, headers: { authorization: `Bearer ${k}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

// History of course A, imported (as from another badge platform): two modules with badges, a third without awards.
const history = {
  badges: [
    { externalId: 'p1', courseId: ctx.a.id, moduleId: 'pm1', moduleTitle: 'Intro </script><i>one</i>', modulePosition: 1, name: 'Starter & <b>Co</b>', criteria: 'c' },
    { externalId: 'p2', courseId: ctx.a.id, moduleId: 'pm2', moduleTitle: 'Deep dive', modulePosition: 2, name: 'Diver', criteria: 'c', rule: { minScore: 0.5 } },
    { externalId: 'p3', courseId: ctx.a.id, moduleId: 'pm3', moduleTitle: 'Capstone', modulePosition: 3, name: 'Finisher', criteria: 'c' },
  ],
  completions: [
    ...['u1', 'u2', 'u3'].map((learnerId) => ({ courseId: ctx.a.id, moduleId: 'pm1', learnerId, score: 10, maxScore: 10, completedAt: '2026-11-02T00:00:00Z' })),
    ...[['u1', 9], ['u2', 8], ['u3', 1]].map(([learnerId, score]) => ({ courseId: ctx.a.id, moduleId: 'pm2', learnerId, score, maxScore: 10, completedAt: '2026-11-11T00:00:00Z' })),
  ],
  awards: [
    { externalId: 'w1', badgeExternalId: 'p1', learnerId: 'u1', method: 'lms', awardedAt: '2026-11-02T01:00:00Z', acceptedAt: '2026-11-02T05:00:00Z', public: true },
    { externalId: 'w2', badgeExternalId: 'p1', learnerId: 'u2', method: 'api', awardedAt: '2026-11-03T00:00:00Z' },
    { externalId: 'w3', badgeExternalId: 'p1', learnerId: 'u3', method: 'csv', awardedAt: '2026-11-10T00:00:00Z', acceptedAt: '2026-11-12T00:00:00Z' },
    { externalId: 'w4', badgeExternalId: 'p2', learnerId: 'u1', method: 'manual', awardedAt: '2026-11-12T00:00:00Z', acceptedAt: '2026-11-13T00:00:00Z', revokedAt: '2026-11-20T00:00:00Z' },
    { externalId: 'w5', badgeExternalId: 'p2', learnerId: 'u2', method: 'lms', awardedAt: '2026-11-15T00:00:00Z' },
    { externalId: 'wt', badgeExternalId: 'p2', learnerId: 'tester', testAccount: true, method: 'lms', awardedAt: '2026-11-16T00:00:00Z', acceptedAt: '2026-11-16T01:00:00Z' },
  ],
  events: [
    { awardExternalId: 'w1', type: 'shared', channel: 'linkedin_profile', occurredAt: '2026-11-02T06:00:00Z' },
    { awardExternalId: 'w1', type: 'viewed', channel: 'linkedin', occurredAt: '2026-11-02T07:00:00Z', userAgent: 'Mozilla/5.0 Chrome/120' },
    { awardExternalId: 'w1', type: 'viewed', channel: 'linkedin', occurredAt: '2026-11-02T07:00:01Z', userAgent: 'LinkedInBot/1.0' },
    { awardExternalId: 'w3', type: 'shared', channel: 'x', occurredAt: '2026-11-12T01:00:00Z' },
    { awardExternalId: 'w3', type: 'viewed', channel: 'direct', occurredAt: '2026-11-13T00:00:00Z' },
  ],
};

beforeAll(async () => {
  smtp = await startSmtp();
  app = await startTestApp({ env: { SMTP_URL: smtp.url, MAIL_FROM: 'badges@college.example' }, clock });
  sim = await startPlatform();
  otherSim = await startPlatform();
  await registeredPlatform(app, sim);
  await registeredPlatform(app, otherSim);
  ltik.instructor = await launch(sim, buildUser('instructor'), ctx.a);
  ltik.otherCourse = await launch(sim, buildUser('instructor'), ctx.b);
  ltik.admin = await launch(sim, buildUser('admin', { roles: [ROLE.admin, ROLE.instructor] }), ctx.a);
  ltik.learner = await launch(sim, buildUser('learner'), ctx.a);
  ltik.otherTenant = await launch(otherSim, buildUser('instructor'), ctx.x);
  tenantId = (await courseRow(ctx.a.id)).tenant_id;
  const otherTenant = (await courseRow(ctx.x.id)).tenant_id;
  expect(otherTenant).not.toBe(tenantId);
  key = (await app.built.services.tenants.createApiKey(tenantId)).key;

  const imported = await (await json('POST', '/api/v1/import', history)).json();
  expect(imported.awards.map((a: { status: string }) => a.status)).toEqual(history.awards.map(() => 'imported'));
  const badges = app.built.services.badges;
  badge.inB = (await badges.create(tenantId, { courseId: ctx.b.id, moduleId: 'pb1', moduleTitle: 'B one', name: 'B badge', criteria: 'c' })).id;
  badge.elsewhere = (await badges.create(otherTenant, { courseId: ctx.x.id, moduleId: 'px1', moduleTitle: 'X one', name: 'X badge', criteria: 'c' })).id;
  badge.remind = (await badges.create(tenantId, { courseId: ctx.a.id, moduleId: 'pm-remind', moduleTitle: 'Reminded module', name: 'Remindable', criteria: 'c' })).id;
  const ids = (await app.testDb.db.query<{ id: string; name: string }>('select id, name from badges where tenant_id = $1', [tenantId]));
  badge.a1 = ids.find((b) => b.name === 'Starter & <b>Co</b>')!.id;
});
afterAll(async () => {
  await app?.close();
  await sim?.close();
  await otherSim?.close();
  await smtp?.close();
});

// --- reading the page ---------------------------------------------------------------------------
const decode = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#x27;/g, "'").replace(/&#x3D;/g, '=').replace(/&#x60;/g, '`').replace(/&amp;/g, '&');
const text = (s: string) => decode(s.replace(/<[^>]*>/g, '')).replace(/\s+/g, ' ').trim();
function table(html: string, id: string): string[][] {
  const t = new RegExp(`<table[^>]*id="${id}"[^>]*>([\\s\\S]*?)</table>`).exec(html);
  if (!t) throw new Error(`no table #${id}`);
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(t[1]!)![1]!;
  return [...body.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((r) => [...r[1]!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((c) => c[1]!));
}
const cells = (html: string, id: string) => table(html, id).map((r) => r.map(text));
const tile = (html: string, label: string) => text(new RegExp(`class="tile-label"[^>]*>${label}</span>\\s*<span class="tile-value">([^<]*)</span>`).exec(html)![1]!);
const panelData = (html: string) => JSON.parse(/<script type="application\/json" id="panel-data">([\s\S]*?)<\/script>/.exec(html)![1]!);

// PRODUCT.md §5/§6: a percentage with one decimal (".0" dropped), a missing value as "—".
const pct = (v: number | null) => (v === null ? '—' : `${(v * 100).toFixed(1).replace(/\.0$/, '')} %`);
const dec = (v: number | null, digits: number) => (v === null ? '—' : String(Number(v.toFixed(digits))));

const panel = (session: string, query = '') => fetch(`${app.url}/app/analytics?ltik=${session}${query ? `&${query}` : ''}`, { redirect: 'manual' });
const page = async (session: string, query = '') => {
  const res = await panel(session, query);
  const html = await res.text();
  expect(res.status, html.slice(0, 500)).toBe(200);
  return html;
};
const api = async (session: string, query: string) => {
  const res = await fetch(`${app.url}/api/v1/analytics?${query}`, { headers: { authorization: `Bearer ${session}` } });
  expect(res.status).toBe(200);
  return res.json();
};

describe('the course panel of an instructor', () => {
  it('shows the numbers of GET /api/v1/analytics for the same course and range', async () => {
    const [html, r] = [await page(ltik.instructor, NOV), await api(ltik.instructor, NOV)];
    expect(r.kpis.awarded).toBe(5); // my history: five awards of course A in November, the test account's left out
    expect(tile(html, 'Awarded')).toBe(String(r.kpis.awarded));
    expect(tile(html, 'Acceptance rate')).toBe(pct(r.kpis.acceptanceRate));

    type Mod = { position: number; title: string; qualifyingCompletions: number; accepted: number; gap: number | null };
    const gap = cells(html, 'table-gap');
    expect(gap.map((row) => row.slice(0, 5))).toEqual(r.modules.map((m: Mod) => [String(m.position), expect.stringContaining(m.title), String(m.qualifyingCompletions), String(m.accepted), pct(m.gap)]));
    const byTitle = new Map(gap.map((row) => [row[1]!.replace(' gap jumps here', ''), row]));
    // From the history: 3 completions of module 1, 2 claimed (1/3); module 2 has 2 qualifying, one claimed.
    expect(byTitle.get('Intro </script><i>one</i>')!.slice(2, 5)).toEqual(['3', '2', '33.3 %']);
    expect(byTitle.get('Deep dive')!.slice(2, 5)).toEqual(['2', '1', '50 %']);
    expect(byTitle.get('Capstone')![4]).toBe('—'); // no completions: a zero denominator, never "0 %"

    const f = r.funnel;
    const stages = [f.awarded, f.accepted, f.shared, f.viewed] as number[];
    expect(cells(html, 'table-funnel')).toEqual(['Awarded', 'Accepted', 'Shared', 'Viewed'].map((label, i) => [
      label, String(stages[i]), pct(f.awarded ? stages[i]! / f.awarded : null), i === 0 ? '' : pct(stages[i - 1] ? (stages[i - 1]! - stages[i]!) / stages[i - 1]! : null),
    ]));
    expect(f).toEqual({ awarded: 5, accepted: 3, shared: 2, viewed: 2 }); // w1 and w3 shared, each viewed by a person

    type Badge = { name: string; awarded: number; accepted: number; shares: number; views: number; learnerEngagementScore: number | null; externalImpactScore: number | null; overallScore: number | null };
    const rows = cells(html, 'table-badges');
    expect(new Map(rows.map((row) => [row[0], row]))).toEqual(new Map(r.badges.map((b: Badge) => [b.name, [
      b.name, String(b.awarded), pct(b.awarded ? b.accepted / b.awarded : null), String(b.shares), String(b.views), dec(b.learnerEngagementScore, 1), dec(b.externalImpactScore, 2), dec(b.overallScore, 1),
    ]])));
    expect(rows.map((row) => row[0])).toContain('Starter & <b>Co</b>');
    expect(html).not.toContain('<b>Co</b>'); // names are escaped
    expect(html).not.toContain('</script><i>');

    const data = panelData(html);
    expect(data.gap.values).toEqual(r.modules.map((m: Mod) => m.gap));
    expect(data.gap.labels).toEqual(r.modules.map((m: Mod) => m.title));
    expect(data.funnel.values).toEqual(stages);
  });

  it('changes with the filters, as the API does with the same filters', async () => {
    const all = (await api(ltik.instructor, NOV)).kpis.awarded as number;
    for (const [filter, expected] of [['status=accepted', 2], ['from=2026-11-01&to=2026-11-05', 2], [`${NOV}&includeTest=true`, 6]] as const) {
      const query = filter.startsWith('status') ? `${NOV}&${filter}` : filter;
      const html = await page(ltik.instructor, query);
      const r = await api(ltik.instructor, query);
      expect(r.kpis.awarded, query).toBe(expected); // w1 and w3 are accepted now; w1, w2 by Nov 5; the test account's award
      expect(tile(html, 'Awarded'), query).toBe(String(r.kpis.awarded));
      expect(tile(html, 'Awarded')).not.toBe(String(all));
      expect(panelData(html).funnel.values[0]).toBe(r.funnel.awarded);
    }
    const narrow = await page(ltik.instructor, 'from=2026-11-01&to=2026-11-05&status=accepted');
    expect(narrow).toMatch(/<input type="date" name="from" value="2026-11-01"/); // the filters keep their state
    expect(narrow).toMatch(/<option value="accepted" selected>/);
  });
});

describe('who sees what', () => {
  it('refuses what is out of reach or malformed, changing nothing', async () => {
    const before = [await countRows(app, 'awards'), await countRows(app, 'events')];
    const [b, x] = [(await courseRow(ctx.b.id)).id, (await courseRow(ctx.x.id)).id];
    const cases: Array<[string, string, number]> = [
      [ltik.instructor, `badgeId=${badge.inB}`, 404], [ltik.instructor, `badgeId=${badge.elsewhere}`, 404], [ltik.instructor, `courseId=${b}`, 404],
      [ltik.admin, `badgeId=${badge.elsewhere}`, 404], [ltik.admin, `courseId=${x}`, 404], [ltik.admin, `courseId=${b}&badgeId=${badge.a1}`, 404], [ltik.otherTenant, `badgeId=${badge.a1}`, 404], [ltik.learner, NOV, 403], ['forged', NOV, 401], ['', NOV, 401],
      [ltik.instructor, 'from=2026-13-01', 400], [ltik.instructor, 'from=2026-11-10&to=2026-11-01', 400], [ltik.instructor, `${NOV}&colour=red`, 400],
      [ltik.instructor, 'from=2026-02-30', 400], [ltik.instructor, 'status=lost', 400], [ltik.instructor, 'badgeId=not-an-id', 400],
    ];
    for (const [session, query, status] of cases) {
      const res = await panel(session, query);
      const body = await res.text();
      expect(res.status, `${query} → ${body.slice(0, 200)}`).toBe(status);
      expect(body).not.toMatch(/at .*\.(js|ts):\d+/); // no stack trace
    }
    expect([await countRows(app, 'awards'), await countRows(app, 'events')]).toEqual(before);
  });

  it('shows an admin every course of its tenant, none of another, with drill-in links', async () => {
    const html = await page(ltik.admin, NOV);
    const courses = await app.testDb.db.query<{ id: string; title: string }>('select id, title from courses where tenant_id = $1', [tenantId]);
    const rows = table(html, 'table-courses').map((r) => r.map(decode));
    expect(rows.map((r) => text(r[0]!)).sort()).toEqual(courses.map((c) => c.title).sort());
    expect(html).not.toContain(ctx.x.title);
    for (const c of courses) expect(rows.some((r) => r[0]!.includes(`courseId=${c.id}`))).toBe(true);
    const a = (await courseRow(ctx.a.id)).id;
    const courseA = await api(ltik.admin, `${NOV}&courseId=${a}`);
    expect(text(rows.find((r) => r[0]!.includes(`courseId=${a}`))![1]!)).toBe(String(courseA.kpis.awarded));
    expect(tile(html, 'Awarded')).toBe(String((await api(ltik.admin, NOV)).kpis.awarded));
    const href = (/href="([^"]*courseId=[^"]*)"/.exec(rows.find((r) => r[0]!.includes(a))![0]!)![1]!);
    const drill = await (await fetch(new URL(href, app.url))).text();
    expect(tile(drill, 'Awarded')).toBe(String(courseA.kpis.awarded));
  });
});

describe('the badge drill-down', () => {
  it('lists the learners, offers Remind to the unclaimed, and queues the reminder', async () => {
    const learners = [
      { name: 'Rita Pending', email: 'rita@school.example' }, { name: 'Sam Pending', email: 'sam@school.example' },
      { name: 'Paul Claimed', email: 'paul@school.example' }, { name: 'Tia Tester', email: 'tia@school.example', testAccount: true },
    ];
    const results = (await (await json('POST', '/api/v1/completions', { completions: learners.map((l, i) => ({
      courseId: ctx.a.id, moduleId: 'pm-remind', learner: { id: `pr-${i}`, ...l }, score: 1, maxScore: 1, completedAt: clock.now().toISOString(),
    })) })).json()).results as Array<{ status: string; awardId: string }>;
    expect(results.map((x) => x.status)).toEqual(['awarded', 'awarded', 'awarded', 'awarded']);
    const awards = app.built.services.awards;
    await awards.accept((await awards.find(results[2]!.awardId))!, 'lms');
    while ((await app.built.services.notifier.processDue()) > 0); // the claim emails go out first

    const html = await page(ltik.instructor, `badgeId=${badge.remind}`);
    const rows = table(html, 'table-learners');
    const state = new Map(rows.map((r) => [text(r[0]!), text(r[2]!)]));
    expect(state).toEqual(new Map([['Rita Pending', 'not yet claimed'], ['Sam Pending', 'not yet claimed'], ['Paul Claimed', expect.stringMatching(/^claimed \d{4}-\d{2}-\d{2}$/)]]));
    const remindable = rows.filter((r) => r[4]!.includes('>Remind</button>')).map((r) => text(r[0]!));
    expect(remindable.sort()).toEqual(['Rita Pending', 'Sam Pending']);

    // Rita's row button, then "remind everyone": Sam queued; Paul (claimed), Rita (queued) and Tia (test account) skipped.
    const rita = /name="awardId" value="([^"]+)"/.exec(rows.find((r) => text(r[0]!) === 'Rita Pending')![4]!)![1]!;
    const post = (form: Record<string, string>) => fetch(`${app.url}/app/badges/${badge.remind}/remind`, { method: 'POST', body: new URLSearchParams(form), redirect: 'manual' });
    for (const [form, reminded, skipped] of [[{ ltik: ltik.instructor, awardId: rita }, 1, 0], [{ ltik: ltik.instructor }, 1, 3]] as const) {
      const res = await post(form);
      expect(res.status).toBe(303);
      const to = new URL(res.headers.get('location')!, app.url);
      expect(to.pathname).toBe('/app/analytics');
      expect(Object.fromEntries(to.searchParams)).toMatchObject({ badgeId: badge.remind, reminded: String(reminded), skipped: String(skipped) });
      const after = await (await fetch(to)).text();
      expect(text(/<p class="notice" role="status">([\s\S]*?)<\/p>/.exec(after)![1]!)).toMatch(new RegExp(`^Reminder queued for ${reminded} learner\\(s\\)${skipped ? `; ${skipped} skipped` : '\\.$'}`));
    }
    expect((await app.testDb.db.query<{ n: number }>(`select count(*)::int as n from notifications where kind = 'reminder'`))[0]!.n).toBe(2);

  });

  it('queues a reminder from every Remind button it offers, test accounts shown included', async () => {
    clock.advance(2 * 3_600_000); // past the one-hour guard of the reminders above
    const rows = table(await page(ltik.instructor, `badgeId=${badge.remind}&includeTest=true`), 'table-learners');
    const tia = rows.find((r) => text(r[0]!).startsWith('Tia Tester'))!;
    expect(text(tia[0]!)).toBe('Tia Tester test');
    expect(tia[4]).toContain('>Remind</button>');
    {
      // Post exactly what the row's form carries: its hidden fields keep the filters, includeTest too.
      const fields = [...tia[4]!.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1]!, m[2]!]);
      expect(Object.fromEntries(fields)).toMatchObject({ includeTest: 'true' });
      const res = await fetch(`${app.url}/app/badges/${badge.remind}/remind`, { method: 'POST', body: new URLSearchParams(fields), redirect: 'manual' });
      expect(new URL(res.headers.get('location')!, app.url).searchParams.get('includeTest')).toBe('true');
      expect(new URL(res.headers.get('location')!, app.url).searchParams.get('reminded')).toBe('1');
    }
  });
});

describe('headers', () => {
  it('lets only the tenant’s platform frame the panel and sets no cookie', async () => {
    const res = await panel(ltik.instructor, NOV);
    expect(res.status).toBe(200);
    const ancestors = res.headers.get('content-security-policy')!.split(';').map((d) => d.trim()).find((d) => d.startsWith('frame-ancestors'))!;
    expect(ancestors.split(' ')).toContain(sim.origin);
    expect(ancestors).not.toContain(otherSim.origin);
    expect(ancestors).not.toContain('*');
    expect(res.headers.get('set-cookie')).toBeNull();
  });
});
