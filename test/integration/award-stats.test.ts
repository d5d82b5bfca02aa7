// The award_stats rollup (migration 010) against counts from the raw events: random histories
// recorded in random orders through recordEvent, the backfill of events that predate the rollup,
// awardFacts against a recount over events, and concurrent writers to one award.
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyticsRepository } from '../../src/analytics/repository.js';
import { migrate, migrations, type Db, type Queryable } from '../../src/db/index.js';
import { recordEvent, type EventType } from '../../src/events/index.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { createEmptyDb } from '../support/db.js';
import { buildBadge, buildLearner, buildWorld, type World } from '../support/builders.js';

let app: TestApp;
let db: Db;
let w: World;

beforeAll(async () => {
  app = await startTestApp();
  db = app.testDb.db;
  w = await buildWorld(app);
});
afterAll(async () => {
  await app?.close();
});

const TYPES: readonly EventType[] = ['awarded', 'notified', 'accepted', 'shared', 'viewed', 'verified', 'revoked', 'expired', 'visibility_changed'];
// Share channels, view sources and awarding methods mixed: any type may carry any of them.
const CHANNELS = ['linkedin_profile', 'linkedin_post', 'x', 'facebook', 'email', 'copy_link', 'embed', 'download', 'linkedin', 'search', 'direct', 'other', 'lms', 'api'];

/** One generated event; award is an index into the run's awards, or null for an event of no award. */
interface GenEvent { award: number | null; type: EventType; channel: string | null; isBot: boolean; outcome: string | undefined; at: Date }

const arbEvent = (awards: number): fc.Arbitrary<GenEvent> => fc.record({
  award: fc.oneof({ weight: 9, arbitrary: fc.nat({ max: awards - 1 }) }, { weight: 1, arbitrary: fc.constant(null) }),
  type: fc.constantFrom(...TYPES),
  channel: fc.option(fc.constantFrom(...CHANNELS), { nil: null, freq: 4 }),
  isBot: fc.boolean(),
  // Any type may carry an outcome; only a notified event's counts.
  outcome: fc.option(fc.constantFrom('sent', 'failed', 'bounced'), { nil: undefined }),
  at: fc.date({ min: new Date('2026-01-01T00:00:00Z'), max: new Date('2026-12-31T00:00:00Z'), noInvalidDate: true }),
});

/** A history and two independent orderings of it. */
const arbHistory = (awards: number, maxLength: number) => fc.array(arbEvent(awards), { maxLength }).chain((list) =>
  fc.tuple(fc.constant(list), fc.shuffledSubarray(list, { minLength: list.length }), fc.shuffledSubarray(list, { minLength: list.length })));

interface Counts {
  shares: number; views: number; botViews: number; verifications: number; notifiedSent: number; notifiedFailed: number;
  sharedChannels: Record<string, number>; viewSources: Record<string, number>;
}
const zero = (): Counts => ({ shares: 0, views: 0, botViews: 0, verifications: 0, notifiedSent: 0, notifiedFailed: 0, sharedChannels: {}, viewSources: {} });
const bump = (m: Record<string, number>, k: string) => { m[k] = (m[k] ?? 0) + 1; };

/** The counts of one award straight from the generated list, by PRODUCT.md §4–5. */
function expected(events: readonly GenEvent[], award: number): Counts {
  const c = zero();
  for (const e of events) {
    if (e.award !== award) continue;
    if (e.type === 'shared') { c.shares += 1; if (e.channel !== null) bump(c.sharedChannels, e.channel); }
    if (e.type === 'viewed' && e.isBot) c.botViews += 1;
    if (e.type === 'viewed' && !e.isBot) { c.views += 1; bump(c.viewSources, e.channel ?? 'direct'); }
    if (e.type === 'verified' && !e.isBot) c.verifications += 1;
    if (e.type === 'notified' && e.outcome === 'sent') c.notifiedSent += 1;
    if (e.type === 'notified' && e.outcome === 'failed') c.notifiedFailed += 1;
  }
  return c;
}

async function record(q: Queryable, tenantId: string, awardIds: readonly string[], e: GenEvent): Promise<void> {
  await recordEvent(q, {
    tenantId, type: e.type, occurredAt: e.at, awardId: e.award === null ? null : awardIds[e.award]!, channel: e.channel, isBot: e.isBot,
    metadata: e.outcome === undefined ? {} : { outcome: e.outcome },
  });
}

/** Many events in one multi-row statement, as the import path and the page's group commits write them. */
async function recordMany(q: Queryable, tenantId: string, awardIds: readonly string[], events: readonly GenEvent[]): Promise<void> {
  if (events.length === 0) return;
  await q.query(
    `insert into events (tenant_id, award_id, type, channel, is_bot, occurred_at, metadata)
     select $1, x.award_id, x.type, x.channel, x.is_bot, x.occurred_at, x.metadata
     from unnest($2::uuid[], $3::text[], $4::text[], $5::boolean[], $6::timestamptz[], $7::jsonb[]) as x(award_id, type, channel, is_bot, occurred_at, metadata)`,
    [tenantId, events.map((e) => (e.award === null ? null : awardIds[e.award]!)), events.map((e) => e.type), events.map((e) => e.channel), events.map((e) => e.isBot),
      events.map((e) => e.at.toISOString()), events.map((e) => JSON.stringify(e.outcome === undefined ? {} : { outcome: e.outcome }))]);
}

/** An award's row of award_stats, zeros when it has none. */
async function stored(q: Queryable, tenantId: string, awardId: string): Promise<Counts> {
  const rows = await q.query<{ shares: number; views: number; bot_views: number; verifications: number; notified_sent: number; notified_failed: number; shared_channels: Record<string, number>; view_sources: Record<string, number> }>(
    'select * from award_stats where tenant_id = $1 and award_id = $2', [tenantId, awardId]);
  const r = rows[0];
  if (!r) return zero();
  return { shares: r.shares, views: r.views, botViews: r.bot_views, verifications: r.verifications, notifiedSent: r.notified_sent, notifiedFailed: r.notified_failed, sharedChannels: r.shared_channels, viewSources: r.view_sources };
}

describe('award_stats', () => {
  it('equals the counts of the raw events, whatever order they are recorded in', async () => {
    await fc.assert(fc.asyncProperty(arbHistory(4, 60), fc.nat({ max: 5 }), async ([list, first, second], chunk) => {
      // The same history twice, under fresh award ids, in two orders; some events share a transaction.
      const a = [0, 1, 2, 3].map(() => randomUUID());
      const b = [0, 1, 2, 3].map(() => randomUUID());
      for (const e of first) await record(db, w.tenantId, a, e);
      for (let i = 0; i < second.length; i += chunk + 1) {
        await db.transaction(async (tx) => { for (const e of second.slice(i, i + chunk + 1)) await record(tx, w.tenantId, b, e); });
      }
      for (let i = 0; i < 4; i++) {
        const want = expected(list, i);
        expect(await stored(db, w.tenantId, a[i]!)).toEqual(want);
        expect(await stored(db, w.tenantId, b[i]!)).toEqual(want);
      }
    }), { numRuns: 40 });
  });

  it('equals the counts of the raw events when they arrive many to a statement, in any order and grouping', async () => {
    await fc.assert(fc.asyncProperty(arbHistory(4, 80), fc.nat({ max: 30 }), async ([list, first, second], size) => {
      // One statement for the whole history, and the other order in statements of 1 to 31 events.
      const a = [0, 1, 2, 3].map(() => randomUUID());
      const b = [0, 1, 2, 3].map(() => randomUUID());
      await recordMany(db, w.tenantId, a, first);
      for (let i = 0; i < second.length; i += size + 1) await recordMany(db, w.tenantId, b, second.slice(i, i + size + 1));
      for (let i = 0; i < 4; i++) {
        const want = expected(list, i);
        expect(await stored(db, w.tenantId, a[i]!)).toEqual(want);
        expect(await stored(db, w.tenantId, b[i]!)).toEqual(want);
      }
    }), { numRuns: 40 });
  });

  it('counts nothing of a transaction that rolls back', async () => {
    const id = randomUUID();
    await recordEvent(db, { tenantId: w.tenantId, type: 'viewed', occurredAt: new Date(), awardId: id, channel: 'email' });
    await expect(db.transaction(async (tx) => {
      await recordEvent(tx, { tenantId: w.tenantId, type: 'viewed', occurredAt: new Date(), awardId: id, channel: 'email' });
      throw new Error('abandoned');
    })).rejects.toThrow('abandoned');
    expect(await stored(db, w.tenantId, id)).toEqual({ ...zero(), views: 1, viewSources: { email: 1 } });
  });

  it('gives awardFacts the counts a recount over the raw events gives', async () => {
    const b1 = (await buildBadge(app, w)).id;
    const b2 = (await buildBadge(app, w, { name: 'Second' })).id;
    const awards: string[] = [];
    for (const badgeId of [b1, b1, b1, b2, b2]) {
      const userId = await buildLearner(app, w);
      awards.push((await app.built.services.awards.issue({ tenantId: w.tenantId, badgeId, userId, method: 'api', awardedAt: new Date('2026-03-01T00:00:00Z') })).award.id);
    }
    // The histories pile up run after run; both sides count everything recorded so far.
    await fc.assert(fc.asyncProperty(arbHistory(awards.length, 40), async ([, order]) => {
      for (const e of order) await record(db, w.tenantId, awards, e);
      // One snapshot for both reads: the app's notification worker may record events meanwhile.
      const [facts, raw] = await db.transaction(async (tx) => {
        await tx.query('set transaction isolation level repeatable read');
        return [await analyticsRepository(tx).awardFacts({ tenantId: w.tenantId, includeTest: true }), await recount(tx, w.tenantId)] as const;
      });
      expect(facts.map((f) => f.awardId).sort()).toEqual(awards.slice().sort());
      for (const f of facts) {
        const { shares, views, verifications, notifiedSent, notifiedFailed, sharedChannels, viewSources } = f;
        expect({ shares, views, verifications, notifiedSent, notifiedFailed, sharedChannels, viewSources }).toEqual(raw.get(f.awardId));
      }
    }), { numRuns: 25 });
  });

  it('counts both of two transactions recording events for one award at once', async () => {
    for (const existing of [false, true]) {
      const id = randomUUID();
      if (existing) await recordEvent(db, { tenantId: w.tenantId, type: 'shared', occurredAt: new Date(), awardId: id, channel: 'x' });
      let firstCommitted = 0;
      let secondStarted = 0;
      const first = db.transaction(async (tx) => {
        await recordEvent(tx, { tenantId: w.tenantId, type: 'viewed', occurredAt: new Date(), awardId: id, channel: 'linkedin' });
        await recordEvent(tx, { tenantId: w.tenantId, type: 'shared', occurredAt: new Date(), awardId: id, channel: 'x' });
        await new Promise((r) => setTimeout(r, 300));
        firstCommitted = Date.now();
      });
      await new Promise((r) => setTimeout(r, 100));
      const second = db.transaction(async (tx) => {
        secondStarted = Date.now();
        await recordEvent(tx, { tenantId: w.tenantId, type: 'viewed', occurredAt: new Date(), awardId: id, channel: 'linkedin' });
        await recordEvent(tx, { tenantId: w.tenantId, type: 'shared', occurredAt: new Date(), awardId: id, channel: 'email' });
      });
      await Promise.all([first, second]);
      // On a server the second really ran while the first was open; PGlite runs one transaction at a time.
      if (db.kind === 'postgres') expect(secondStarted).toBeLessThan(firstCommitted);
      const shares = existing ? 3 : 2;
      expect(await stored(db, w.tenantId, id)).toEqual({
        ...zero(), shares, views: 2, viewSources: { linkedin: 2 }, sharedChannels: existing ? { x: 2, email: 1 } : { x: 1, email: 1 },
      });
    }
  });
});

describe('migration 010', () => {
  let empty: { db: Db; drop(): Promise<void> };
  beforeAll(async () => {
    empty = await createEmptyDb();
  });
  afterAll(async () => {
    await empty?.drop();
  });

  it('backfills award_stats from the events recorded before it, and the trigger carries on from there', async () => {
    const before = migrations.filter((m) => m.version < 10);
    expect(await migrate(empty.db, before)).toEqual(before.map((m) => m.version));
    const tenantId = randomUUID();
    await empty.db.query('insert into tenants (tenant_id, name) values ($1, $2)', [tenantId, 'Old College']);
    const awards = [0, 1, 2, 3, 4].map(() => randomUUID());
    const [older] = fc.sample(fc.array(arbEvent(awards.length), { minLength: 150, maxLength: 150 }), { numRuns: 1, seed: 10 });
    const [newer] = fc.sample(fc.array(arbEvent(awards.length), { minLength: 50, maxLength: 50 }), { numRuns: 1, seed: 11 });
    // Raw inserts: recordEvent would not have touched award_stats before 010 either.
    for (const e of older!) {
      await empty.db.query('insert into events (tenant_id, award_id, type, channel, is_bot, occurred_at, metadata) values ($1, $2, $3, $4, $5, $6, $7::jsonb)',
        [tenantId, e.award === null ? null : awards[e.award], e.type, e.channel, e.isBot, e.at, JSON.stringify(e.outcome === undefined ? {} : { outcome: e.outcome })]);
    }
    expect(await migrate(empty.db)).toEqual(migrations.filter((m) => m.version >= 10).map((m) => m.version));
    for (let i = 0; i < awards.length; i++) expect(await stored(empty.db, tenantId, awards[i]!)).toEqual(expected(older!, i));
    for (const e of newer!) await record(empty.db, tenantId, awards, e);
    for (let i = 0; i < awards.length; i++) expect(await stored(empty.db, tenantId, awards[i]!)).toEqual(expected([...older!, ...newer!], i));
  });
});

/** The counts awardFacts used to take from events directly, per award of the tenant. */
async function recount(q: Queryable, tenantId: string): Promise<Map<string, Omit<Counts, 'botViews'>>> {
  const rows = await q.query<{ id: string; shares: number; views: number; verifications: number; sent: number; failed: number; shared_channels: Record<string, number> | null; view_sources: Record<string, number> | null }>(
    `select a.id,
       (select count(*) from events e where e.tenant_id = a.tenant_id and e.award_id = a.id and e.type = 'shared') as shares,
       (select count(*) from events e where e.tenant_id = a.tenant_id and e.award_id = a.id and e.type = 'viewed' and not e.is_bot) as views,
       (select count(*) from events e where e.tenant_id = a.tenant_id and e.award_id = a.id and e.type = 'verified' and not e.is_bot) as verifications,
       (select count(*) from events e where e.tenant_id = a.tenant_id and e.award_id = a.id and e.type = 'notified' and e.metadata->>'outcome' = 'sent') as sent,
       (select count(*) from events e where e.tenant_id = a.tenant_id and e.award_id = a.id and e.type = 'notified' and e.metadata->>'outcome' = 'failed') as failed,
       (select jsonb_object_agg(channel, n) from (select channel, count(*) as n from events e where e.tenant_id = a.tenant_id and e.award_id = a.id
          and e.type = 'shared' and e.channel is not null group by channel) c) as shared_channels,
       (select jsonb_object_agg(source, n) from (select coalesce(channel, 'direct') as source, count(*) as n from events e where e.tenant_id = a.tenant_id
          and e.award_id = a.id and e.type = 'viewed' and not e.is_bot group by 1) v) as view_sources
     from awards a where a.tenant_id = $1`, [tenantId]);
  return new Map(rows.map((r) => [r.id, {
    shares: r.shares, views: r.views, verifications: r.verifications, notifiedSent: r.sent, notifiedFailed: r.failed,
    sharedChannels: r.shared_channels ?? {}, viewSources: r.view_sources ?? {},
  }]));
}

