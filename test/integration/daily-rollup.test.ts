// The rollups (migrations 013 and 019: per day, per month, per tenant and day) against sums computed
// here from the raw awards and events:
// random histories (awards around midnights, acceptances at the bucket edges, visibility toggles,
// revocations, moves, deletions, events of every type) applied in random orders and transactions;
// the analytics answer with rollups against the per-award computation, over windows that cut days;
// two writers of one award at once; and the backfill of what predates the rollups.
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAnalytics, type AnalyticsQuery } from '../../src/analytics/index.js';
import { readsLessAsTotal } from '../../src/analytics/rollup-repository.js';
import { claimBucketOf, migrate, migrations, type Db, type Queryable } from '../../src/db/index.js';
import { recordEvent, type EventType } from '../../src/events/index.js';
import { fixedClock } from '../../src/shared/index.js';
import { createEmptyDb, createTestDb, type TestDb } from '../support/db.js';
import { newRollupWorld, type RollupWorld } from '../support/rollup-world.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/**
 * Awards fall on seven days: the last of February, the first four of March, the last of March and
 * the first of April, so that windows hold whole months and cut others; now is three days after
 * the last, so the 7-day and 30-day windows cut them.
 */
const BASE = Date.parse('2026-03-01T00:00:00.000Z');
const DAYS = [-1, 0, 1, 2, 3, 30, 31];
const NOW = new Date(BASE + 34 * DAY + 5 * HOUR + 123);
const METHODS = ['lms', 'api', 'csv', 'manual'] as const;
const TYPES: readonly EventType[] = ['awarded', 'notified', 'accepted', 'shared', 'viewed', 'verified', 'revoked', 'expired', 'visibility_changed'];
const CHANNELS = ['linkedin_profile', 'x', 'email', 'copy_link', 'linkedin', 'search', 'direct', 'lms'];

let testDb: TestDb;
let db: Db;

beforeAll(async () => {
  testDb = await createTestDb();
  db = testDb.db;
});
afterAll(async () => {
  await testDb?.drop();
});

// ---- a tenant made in plain SQL: two courses, three modules with a badge each, a status list ----

type World = RollupWorld;
let statusIndex = 0;
const newWorld = (q: Queryable) => newRollupWorld(q, 'Rollup College', [
  { course: 0, position: 0, label: '1' }, { course: 0, position: 1, label: '2' }, { course: 1, position: 2, label: '3' },
]);

// ---- generated histories ----

/** micros: microseconds past awardedAt (the database keeps them; a window's ends are whole milliseconds). */
interface GenAward { badge: number; method: (typeof METHODS)[number]; isTest: boolean; awardedAt: Date; micros: number }
interface GenEvent { award: number; type: EventType; channel: string | null; isBot: boolean; outcome: string | undefined }
/** Each operation is one statement: inserts and events may be several rows of one. */
type Op =
  | { kind: 'insert'; awards: number[] }
  | { kind: 'accept'; award: number; afterMs: number | null }
  | { kind: 'public'; award: number; value: boolean }
  | { kind: 'flipMany'; awards: number[] }
  | { kind: 'revoke'; award: number }
  | { kind: 'move'; award: number; awardedAt: Date; method: (typeof METHODS)[number]; isTest: boolean }
  | { kind: 'delete'; award: number }
  | { kind: 'events'; list: GenEvent[] };

/** An instant on one of the seven days, often at or next to a midnight. */
const arbInstant = fc.tuple(fc.constantFrom(...DAYS), fc.oneof(fc.constantFrom(0, 1, DAY - 1, DAY / 2), fc.nat({ max: DAY - 1 })))
  .map(([day, ms]) => new Date(BASE + day * DAY + ms));
/** Time to claim at and beside the bucket edges (1 h, 24 h, 7 d), or a withdrawn acceptance (an import may set it back). */
const arbClaim = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(0, HOUR - 1, HOUR, 24 * HOUR - 1, 24 * HOUR, 7 * DAY, 7 * DAY + 1) },
  { weight: 4, arbitrary: fc.nat({ max: 10 * DAY }) },
  { weight: 1, arbitrary: fc.constant(null) });

const rarely = fc.nat({ max: 3 }).map((n) => n === 0);
const arbMicros = fc.constantFrom(0, 0, 0, 500);
const arbAward: fc.Arbitrary<GenAward> = fc.record({ badge: fc.nat({ max: 2 }), method: fc.constantFrom(...METHODS), isTest: rarely, awardedAt: arbInstant, micros: arbMicros });

function arbOps(awards: number, minLength = 0): fc.Arbitrary<Op[]> {
  const award = fc.nat({ max: awards - 1 });
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('accept' as const), award, afterMs: arbClaim }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('public' as const), award, value: fc.boolean() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('flipMany' as const), awards: fc.uniqueArray(award, { minLength: Math.min(2, awards), maxLength: awards }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('revoke' as const), award }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('move' as const), award, awardedAt: arbInstant, method: fc.constantFrom(...METHODS), isTest: fc.boolean() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), award }) },
    { weight: 12, arbitrary: fc.record({ kind: fc.constant('events' as const), list: fc.array(fc.record({
      award, type: fc.constantFrom(...TYPES), channel: fc.option(fc.constantFrom(...CHANNELS), { nil: null, freq: 4 }),
      isBot: rarely, outcome: fc.option(fc.constantFrom('sent', 'failed', 'bounced'), { nil: undefined }),
    }), { minLength: 1, maxLength: 4 }) }) },
  );
  return fc.array(op, { minLength, maxLength: 40 });
}

/** Every award inserted once, by one of up to three statements. */
const arbInserts = (awards: number): fc.Arbitrary<Op[]> => fc.array(fc.nat({ max: 2 }), { minLength: awards, maxLength: awards })
  .map((group) => [0, 1, 2].map((g): Op => ({ kind: 'insert', awards: group.flatMap((x, i) => (x === g ? [i] : [])) })).filter((op) => op.kind === 'insert' && op.awards.length > 0));

/** Awards, then the operations and the inserts in a random order, cut into transactions of random sizes. */
const arbHistory = (minAwards = 1, minOps = 0) => fc.array(arbAward, { minLength: minAwards, maxLength: 6 }).chain((awards) => fc.tuple(
  fc.constant(awards),
  fc.tuple(arbOps(awards.length, minOps), arbInserts(awards.length)).chain(([ops, inserts]) => fc.shuffledSubarray([...ops, ...inserts], { minLength: ops.length + inserts.length })),
  fc.array(fc.nat({ max: 4 }), { minLength: 60, maxLength: 60 }),
));

async function apply(q: Queryable, w: World, ids: readonly string[], users: readonly string[], awards: readonly GenAward[], op: Op): Promise<void> {
  const id = 'award' in op ? ids[op.award]! : '';
  switch (op.kind) {
    case 'insert': {
      const rows = op.awards.map((i) => ({ i, a: awards[i]!, b: w.badges[awards[i]!.badge]!, index: (statusIndex += 1) }));
      await q.query(`insert into awards (tenant_id, id, badge_id, course_id, module_id, user_id, method, is_test, awarded_at, recipient_salt, status_list_id, status_index, credential_jwt)
        select $1, x.id, x.badge_id, x.course_id, x.module_id, x.user_id, x.method, x.is_test, x.awarded_at + x.micros * interval '1 microsecond', 'salt', $2, x.status_index, 'jwt'
        from unnest($3::uuid[], $4::uuid[], $5::uuid[], $6::uuid[], $7::uuid[], $8::text[], $9::boolean[], $10::timestamptz[], $11::int[], $12::int[])
          as x(id, badge_id, course_id, module_id, user_id, method, is_test, awarded_at, micros, status_index)`,
        [w.tenantId, w.listId, rows.map((r) => ids[r.i]), rows.map((r) => r.b.id), rows.map((r) => r.b.courseId), rows.map((r) => r.b.moduleId), rows.map((r) => users[r.i]),
          rows.map((r) => r.a.method), rows.map((r) => r.a.isTest), rows.map((r) => r.a.awardedAt.toISOString()), rows.map((r) => r.a.micros), rows.map((r) => r.index)]);
      return;
    }
    case 'accept':
      await q.query('update awards set accepted_at = awarded_at + $2::bigint * interval \'1 millisecond\' where id = $1', [id, op.afterMs]);
      return;
    case 'public':
      await q.query('update awards set is_public = $2 where id = $1', [id, op.value]);
      return;
    case 'flipMany':
      await q.query('update awards set is_public = not is_public where id = any($1::uuid[])', [op.awards.map((i) => ids[i]!)]);
      return;
    case 'revoke':
      await q.query('update awards set revoked_at = $2, revocation_reason = $3 where id = $1', [id, NOW, 'test']);
      return;
    case 'move':
      // keeps the microseconds, so that acceptance minus award stays whole milliseconds, as the recount reads them
      await q.query(`update awards set awarded_at = $2::timestamptz + (extract(microseconds from awarded_at)::int % 1000) * interval '1 microsecond',
        method = $3, is_test = $4 where id = $1`, [id, op.awardedAt, op.method, op.isTest]);
      return;
    case 'delete':
      await q.query('delete from awards where id = $1', [id]);
      return;
    case 'events':
      // one event as the recorder writes it; several in one statement, as imports and the page's group commits do
      if (op.list.length === 1) {
        const [e] = op.list as [GenEvent];
        await recordEvent(q, { tenantId: w.tenantId, type: e.type, occurredAt: NOW, awardId: ids[e.award]!, channel: e.channel, isBot: e.isBot, metadata: e.outcome === undefined ? {} : { outcome: e.outcome } });
        return;
      }
      await q.query(`insert into events (tenant_id, award_id, type, channel, is_bot, occurred_at, metadata)
        select $1, x.award_id, x.type, x.channel, x.is_bot, $2, x.metadata from unnest($3::uuid[], $4::text[], $5::text[], $6::boolean[], $7::jsonb[]) as x(award_id, type, channel, is_bot, metadata)`,
        [w.tenantId, NOW, op.list.map((e) => ids[e.award]), op.list.map((e) => e.type), op.list.map((e) => e.channel), op.list.map((e) => e.isBot),
          op.list.map((e) => JSON.stringify(e.outcome === undefined ? {} : { outcome: e.outcome }))]);
  }
}

async function play(q: Db, w: World, awards: readonly GenAward[], order: readonly Op[], chunks: readonly number[]) {
  const ids = awards.map(() => randomUUID());
  const users: string[] = [];
  for (const _ of awards) {
    const id = randomUUID();
    await q.query('insert into users (tenant_id, id, platform_id, lms_user_id) values ($1, $2, $3, $4)', [w.tenantId, id, w.platformId, `u-${id}`]);
    users.push(id);
  }
  for (let i = 0, c = 0; i < order.length; c += 1) {
    const size = (chunks[c % chunks.length] ?? 0) + 1;
    const batch = order.slice(i, i + size);
    await q.transaction(async (tx) => { for (const op of batch) await apply(tx, w, ids, users, awards, op); });
    i += size;
  }
  return ids;
}

// ---- the sums, from raw awards and events, by PRODUCT.md §5 ----

type Row = Record<string, string | number | boolean>;
const key = (r: Row, cols: readonly string[]) => cols.map((c) => String(r[c])).join(' ');
const sorted = (rows: Row[], cols: readonly string[]) => [...rows].sort((x, y) => (key(x, cols) < key(y, cols) ? -1 : key(x, cols) > key(y, cols) ? 1 : 0));
const COUNT_KEY = ['course_id', 'badge_id', 'day', 'module_id', 'method', 'is_test'] as const;
const COUNTERS = ['awarded', 'accepted', 'accepted_shared', 'accepted_public', 'shared_viewed', 'shares', 'views', 'verifications', 'sent', 'failed', 'lt1h', 'h1to24', 'd1to7', 'gt7d'] as const;
const CHANNEL_KEY = ['day', 'course_id', 'badge_id', 'module_id', 'is_test', 'kind', 'key'] as const;

/** Rows summed into coarser keys (of derived columns), without those that sum to zero. */
function rollUp(rows: readonly Row[], keyOf: (r: Row) => Row, counters: readonly string[]): Row[] {
  const out = new Map<string, Row>();
  for (const r of rows) {
    const k = keyOf(r);
    const at = JSON.stringify(k);
    const sum = out.get(at) ?? { ...k, ...Object.fromEntries(counters.map((c) => [c, 0])) };
    for (const c of counters) sum[c] = Number(sum[c]) + Number(r[c]);
    out.set(at, sum);
  }
  return [...out.values()].filter((r) => counters.some((c) => r[c] !== 0));
}
const MONTH_KEY = ['course_id', 'badge_id', 'month', 'module_id', 'method', 'is_test'] as const;
const TOTAL_KEY = ['course_id', 'badge_id', 'module_id', 'method', 'is_test'] as const;
const TENANT_DAY_KEY = ['day', 'is_test'] as const;
const TENANT_CHANNEL_KEY = ['day', 'is_test', 'kind', 'key'] as const;
const CLAIM_KEY = ['day', 'is_test', 'bucket'] as const;
const MONTH_CLAIM_KEY = ['month', 'is_test', 'bucket'] as const;

interface Rollups { counts: Row[]; channels: Row[]; months: Row[]; totals: Row[]; tenantDays: Row[]; tenantChannels: Row[]; claims: Row[]; monthClaims: Row[] }

/** 019's and 026's rollups, as sums of the day rows; 020's, claims, as given, and 028's as their sums per month. */
function coarser(counts: Row[], channels: Row[], claims: Row[]): Rollups {
  const pick = (r: Row, cols: readonly string[]) => Object.fromEntries(cols.map((c) => [c, r[c]!]));
  return {
    counts, channels,
    months: sorted(rollUp(counts, (r) => ({ ...pick(r, COUNT_KEY), month: `${String(r.day).slice(0, 7)}-01`, day: '' }), COUNTERS)
      .map(({ day: _, ...r }) => r), MONTH_KEY),
    totals: sorted(rollUp(counts, (r) => pick(r, TOTAL_KEY), COUNTERS), TOTAL_KEY),
    tenantDays: sorted(rollUp(counts, (r) => pick(r, TENANT_DAY_KEY), COUNTERS), TENANT_DAY_KEY),
    tenantChannels: sorted(rollUp(channels, (r) => pick(r, TENANT_CHANNEL_KEY), ['n']), TENANT_CHANNEL_KEY),
    claims,
    monthClaims: sorted(rollUp(claims, (r) => ({ month: `${String(r.day).slice(0, 7)}-01`, is_test: r.is_test!, bucket: r.bucket! }), ['n']), MONTH_CLAIM_KEY),
  };
}

async function recount(q: Queryable, tenantId: string): Promise<Rollups> {
  const awards = await q.query<{ id: string; course_id: string; badge_id: string; module_id: string; method: string; is_test: boolean; awarded_at: Date; accepted_at: Date | null; is_public: boolean }>(
    'select id, course_id, badge_id, module_id, method, is_test, awarded_at, accepted_at, is_public from awards where tenant_id = $1', [tenantId]);
  const events = await q.query<{ award_id: string; type: string; channel: string | null; is_bot: boolean; outcome: string | null }>(
    `select award_id, type, channel, is_bot, metadata->>'outcome' as outcome from events where tenant_id = $1 and award_id is not null`, [tenantId]);
  const counts = new Map<string, Row>();
  const channels = new Map<string, Row>();
  const bumpChannel = (base: Row, kind: string, k: string) => {
    const r: Row = { ...base, kind, key: k };
    const at = key(r, CHANNEL_KEY);
    channels.set(at, { ...r, n: Number(channels.get(at)?.n ?? 0) + 1 });
  };
  for (const a of awards) {
    const mine = events.filter((e) => e.award_id === a.id);
    const shared = mine.filter((e) => e.type === 'shared');
    const viewed = mine.filter((e) => e.type === 'viewed' && !e.is_bot);
    const ok = a.accepted_at !== null;
    const hours = ok ? (a.accepted_at!.getTime() - a.awarded_at.getTime()) / HOUR : null;
    const base: Row = { course_id: a.course_id, badge_id: a.badge_id, day: a.awarded_at.toISOString().slice(0, 10), module_id: a.module_id, method: a.method, is_test: a.is_test };
    const add: Record<(typeof COUNTERS)[number], number> = {
      awarded: 1, accepted: +ok, accepted_shared: +(ok && shared.length > 0), accepted_public: +(ok && a.is_public), shared_viewed: +(ok && shared.length > 0 && viewed.length > 0),
      shares: shared.length, views: viewed.length, verifications: mine.filter((e) => e.type === 'verified' && !e.is_bot).length,
      sent: mine.filter((e) => e.type === 'notified' && e.outcome === 'sent').length, failed: mine.filter((e) => e.type === 'notified' && e.outcome === 'failed').length,
      lt1h: +(hours !== null && hours < 1), h1to24: +(hours !== null && hours >= 1 && hours < 24), d1to7: +(hours !== null && hours >= 24 && hours <= 168), gt7d: +(hours !== null && hours > 168),
    };
    const at = key(base, COUNT_KEY);
    const row = counts.get(at) ?? { ...base, ...Object.fromEntries(COUNTERS.map((c) => [c, 0])) };
    for (const c of COUNTERS) row[c] = Number(row[c]) + add[c];
    counts.set(at, row);
    const { method: _, ...channelBase } = base;
    for (const e of shared) if (e.channel !== null) bumpChannel(channelBase, 'sharing', e.channel);
    for (const e of viewed) bumpChannel(channelBase, 'viewing', e.channel ?? 'direct');
  }
  // the claim buckets as the index defines them, counted afresh over the accepted awards
  const claims = await q.query<Row>(`select to_char(a.awarded_at at time zone 'UTC', 'YYYY-MM-DD') as day, a.is_test, ${claimBucketOf('a')} as bucket, count(*)::int as n
    from awards a where a.tenant_id = $1 and a.accepted_at is not null group by 1, 2, 3`, [tenantId]);
  return coarser(sorted([...counts.values()], COUNT_KEY), sorted([...channels.values()], CHANNEL_KEY), sorted(claims, CLAIM_KEY));
}

/** The rollup rows of a tenant, without the rows that came back to zero. */
async function stored(q: Queryable, tenantId: string): Promise<Rollups> {
  const counts = await q.query<Row>(`select course_id, badge_id, to_char(day, 'YYYY-MM-DD') as day, module_id, method, is_test, ${COUNTERS.join(', ')}
    from award_day_counts where tenant_id = $1`, [tenantId]);
  const channels = await q.query<Row>(`select to_char(day, 'YYYY-MM-DD') as day, course_id, badge_id, module_id, is_test, kind, key, n
    from award_day_channels where tenant_id = $1 and n <> 0`, [tenantId]);
  const months = await q.query<Row>(`select course_id, badge_id, to_char(month, 'YYYY-MM-DD') as month, module_id, method, is_test, ${COUNTERS.join(', ')}
    from award_month_counts where tenant_id = $1`, [tenantId]);
  const totals = await q.query<Row>(`select course_id, badge_id, module_id, method, is_test, ${COUNTERS.join(', ')} from award_total_counts where tenant_id = $1`, [tenantId]);
  const tenantDays = await q.query<Row>(`select to_char(day, 'YYYY-MM-DD') as day, is_test, ${COUNTERS.join(', ')} from tenant_day_counts where tenant_id = $1`, [tenantId]);
  const tenantChannels = await q.query<Row>(`select to_char(day, 'YYYY-MM-DD') as day, is_test, kind, key, n from tenant_day_channels where tenant_id = $1 and n <> 0`, [tenantId]);
  const claims = await q.query<Row>(`select to_char(day, 'YYYY-MM-DD') as day, is_test, bucket, n from tenant_day_claims where tenant_id = $1 and n <> 0`, [tenantId]);
  const monthClaims = await q.query<Row>(`select to_char(month, 'YYYY-MM-DD') as month, is_test, bucket, n from tenant_month_claims where tenant_id = $1 and n <> 0`, [tenantId]);
  const nonZero = (rows: Row[]) => rows.filter((r) => COUNTERS.some((c) => r[c] !== 0));
  return {
    counts: sorted(nonZero(counts), COUNT_KEY), channels: sorted(channels, CHANNEL_KEY),
    months: sorted(nonZero(months), MONTH_KEY), totals: sorted(nonZero(totals), TOTAL_KEY), tenantDays: sorted(nonZero(tenantDays), TENANT_DAY_KEY), tenantChannels: sorted(tenantChannels, TENANT_CHANNEL_KEY),
    claims: sorted(claims, CLAIM_KEY), monthClaims: sorted(monthClaims, MONTH_CLAIM_KEY),
  };
}

// ---- windows that cut days ----

const arbQuerySpec = fc.record({
  ends: fc.tuple(arbInstant, arbInstant).map(([x, y]) => (x <= y ? [x, y] as const : [y, x] as const)),
  scope: fc.constantFrom('org', 'course', 'badge', 'badgeOnly'),
  badge: fc.nat({ max: 2 }),
  includeTest: fc.boolean(),
  // a range of more than 62 days is drawn per ISO week
  weekly: fc.boolean(),
});

function queryOf(w: World, { ends: [from, to], scope, badge, includeTest, weekly }: typeof arbQuerySpec extends fc.Arbitrary<infer T> ? T : never): AnalyticsQuery {
  const b = w.badges[badge]!;
  const q = { tenantId: w.tenantId, from: weekly ? new Date(from.getTime() - 70 * DAY) : from, to, includeTest };
  if (scope === 'org') return { ...q, scope: 'org' };
  if (scope === 'course') return { ...q, scope: 'course', courseId: b.courseId };
  return { ...q, scope: 'badge', badgeId: b.id, ...(scope === 'badge' ? { courseId: b.courseId } : {}) };
}

describe('award_day_counts and award_day_channels', () => {
  it('equal the sums over the raw awards and events, whatever order and transactions the history comes in', async () => {
    let rows = 0;
    await fc.assert(fc.asyncProperty(arbHistory(), async ([awards, order, chunks]) => {
      const w = await newWorld(db);
      await play(db, w, awards, order, chunks);
      const want = await recount(db, w.tenantId);
      expect(await stored(db, w.tenantId)).toEqual(want);
      rows += want.counts.length;
    }), { numRuns: 150 });
    expect(rows).toBeGreaterThan(60);
  });

  it('give the analytics answer the per-award computation gives, over windows that cut days', async () => {
    // now after every award, or in the middle of the last day, with awards after it: a partial day
    // is read as its row less the awards outside the window where those are fewer, up to now
    const nows = [NOW, new Date(BASE + 31 * DAY + 13 * HOUR + 7)];
    await fc.assert(fc.asyncProperty(arbHistory(), fc.array(arbQuerySpec, { minLength: 4, maxLength: 4 }), fc.constantFrom(...nows), async ([awards, order, chunks], specs, now) => {
      const rolled = createAnalytics({ db, clock: fixedClock(now) });
      const perAward = createAnalytics({ db, clock: fixedClock(now), rollups: false });
      const w = await newWorld(db);
      await play(db, w, awards, order, chunks);
      for (const spec of specs) {
        const q = queryOf(w, spec);
        expect(await rolled.compute(q)).toEqual(await perAward.compute(q));
      }
    }), { numRuns: 60 });
  });

  it('reads a range holding most of a long history as the all-time rows less what lies outside it, as the per-award pass does', async () => {
    const rolled = createAnalytics({ db, clock: fixedClock(NOW) });
    const perAward = createAnalytics({ db, clock: fixedClock(NOW), rollups: false });
    const MONTH = 30 * DAY;
    let asTotal = 0;
    const arbEnd = fc.tuple(arbInstant, fc.nat({ max: 8 })).map(([t, back]) => new Date(t.getTime() - back * MONTH));
    await fc.assert(fc.asyncProperty(arbHistory(), fc.array(fc.nat({ max: 7 }), { minLength: 6, maxLength: 6 }), fc.array(fc.tuple(arbEnd, arbEnd), { minLength: 3, maxLength: 3 }),
      fc.boolean(), async ([awards, order, chunks], back, ranges, includeTest) => {
        // the awards spread over the eight months before the usual days
        const spread = awards.map((a, i) => ({ ...a, awardedAt: new Date(a.awardedAt.getTime() - back[i]! * MONTH) }));
        const w = await newWorld(db);
        await play(db, w, spread, order, chunks);
        const [first] = await db.query<{ day: number }>(`select day - date '1970-01-01' as day from tenant_day_counts
          where tenant_id = $1 and ($2 or not is_test) and awarded <> 0 order by day limit 1`, [w.tenantId, includeTest]);
        // and the range from half a day before the history to now, which holds all of it
        for (const ends of first ? [...ranges, [new Date(first.day * DAY - DAY / 2), NOW] as const] : ranges) {
          const [from, to] = ends[0] <= ends[1] ? ends : [ends[1], ends[0]];
          const q: AnalyticsQuery = { scope: 'org', tenantId: w.tenantId, includeTest, from, to };
          if (first && readsLessAsTotal({ name: 'range', from, to }, first.day, NOW)) asTotal += 1;
          expect(await rolled.compute(q)).toEqual(await perAward.compute(q));
        }
      }), { numRuns: 40 });
    expect(asTotal).toBeGreaterThan(20);
  });

  it('stays exact when the history starts earlier or later after an answer (where it starts is kept a minute)', async () => {
    const rolled = createAnalytics({ db, clock: fixedClock(NOW) });
    const perAward = createAnalytics({ db, clock: fixedClock(NOW), rollups: false });
    const MONTH = 30 * DAY;
    let moved = 0;
    await fc.assert(fc.asyncProperty(arbHistory(2), fc.array(fc.tuple(arbInstant, fc.nat({ max: 8 })), { minLength: 2, maxLength: 2 }), fc.boolean(), fc.nat({ max: 5 }),
      async ([awards, order, chunks], ends, includeTest, pick) => {
        const w = await newWorld(db);
        const ids = await play(db, w, awards, order, chunks);
        // most of a long history (as all time less the rest), and a range of its own
        const queries = (): AnalyticsQuery[] => [
          { scope: 'org', tenantId: w.tenantId, includeTest, from: new Date(BASE - 9 * MONTH), to: NOW },
          { scope: 'org', tenantId: w.tenantId, includeTest, from: new Date(Math.min(...ends.map(([t, back]) => t.getTime() - back * MONTH))), to: NOW },
        ];
        const answerBoth = async () => {
          for (const q of queries()) expect(await rolled.compute(q)).toEqual(await perAward.compute(q));
        };
        await answerBoth();
        // an award moved eight months back: the history now starts before the start kept
        const award = ids[pick % ids.length]!;
        const rows = await db.query('update awards set awarded_at = awarded_at - interval \'240 days\' where id = $1 returning id', [award]);
        moved += rows.length;
        await answerBoth();
        // and gone again: it starts after the start kept
        await db.query('delete from awards where id = $1', [award]);
        await answerBoth();
      }), { numRuns: 25 });
    expect(moved).toBeGreaterThan(10);
  });

  it('leaves an award a fraction of a millisecond after a window\'s last millisecond out, as the per-award pass does', async () => {
    const w = await newWorld(db);
    const day = (iso: string, micros = 0): GenAward => ({ badge: 0, method: 'lms', isTest: false, awardedAt: new Date(iso), micros });
    const awards = [day('2026-03-01T12:00:00.000Z'), day('2026-03-01T23:59:59.999Z', 500), day('2026-03-02T00:00:00.000Z')];
    await play(db, w, awards, [{ kind: 'insert', awards: [0, 1, 2] }], [0]);
    const rolled = createAnalytics({ db, clock: fixedClock(NOW) });
    const perAward = createAnalytics({ db, clock: fixedClock(NOW), rollups: false });
    for (const [from, to, awarded] of [['2026-03-01T00:00:00.000Z', '2026-03-01T23:59:59.999Z', 1], ['2026-03-01T00:00:00.000Z', '2026-03-02T00:00:00.000Z', 3]] as const) {
      const q: AnalyticsQuery = { scope: 'org', tenantId: w.tenantId, includeTest: false, from: new Date(from), to: new Date(to) };
      const got = await rolled.compute(q);
      expect(got.kpis.awarded).toBe(awarded);
      expect(got).toEqual(await perAward.compute(q));
    }
  });

  it('counts both of an acceptance and a share of one award written at once, in either order, before and after its first event', async () => {
    for (const [acceptFirst, viewedBefore] of [[true, false], [false, false], [true, true], [false, true]] as const) {
      const w = await newWorld(db);
      const history: Op[] = [{ kind: 'insert', awards: [0] }, ...(viewedBefore ? [{ kind: 'events', list: [{ award: 0, type: 'viewed', channel: null, isBot: false, outcome: undefined }] } satisfies Op] : [])];
      const [id] = await play(db, w, [{ badge: 0, method: 'api', isTest: false, awardedAt: new Date(BASE), micros: 0 }], history, [0]);
      const accept = (q: Queryable) => apply(q, w, [id!], [], [], { kind: 'accept', award: 0, afterMs: HOUR });
      const share = (q: Queryable) => apply(q, w, [id!], [], [], { kind: 'events', list: [{ award: 0, type: 'shared', channel: 'x', isBot: false, outcome: undefined }] });
      const [first, second] = acceptFirst ? [accept, share] : [share, accept];
      const one = db.transaction(async (tx) => {
        await first(tx);
        await new Promise((r) => setTimeout(r, 300));
      });
      await new Promise((r) => setTimeout(r, 100));
      const two = db.transaction(async (tx) => second(tx));
      await Promise.all([one, two]);
      const got = await stored(db, w.tenantId);
      expect(got).toEqual(await recount(db, w.tenantId));
      expect(got.counts[0]).toMatchObject({ accepted: 1, accepted_shared: 1, shares: 1, h1to24: 1, shared_viewed: viewedBefore ? 1 : 0 });
    }
  });
});

describe('migrations 013, 019 and 020', () => {
  let empty: { db: Db; drop(): Promise<void> };
  beforeAll(async () => {
    empty = await createEmptyDb();
  });
  afterAll(async () => {
    await empty?.drop();
  });

  it('backfills the rollups from the awards and events before it, and the triggers carry on from there', async () => {
    const before = migrations.filter((m) => m.version < 13);
    await migrate(empty.db, before);
    const w = await newWorld(empty.db);
    const [history] = fc.sample(arbHistory(4, 30), { numRuns: 1, seed: 13 });
    const [awards, order, chunks] = history!;
    const ids = await play(empty.db, w, awards, order, chunks);
    expect(await migrate(empty.db)).toEqual(migrations.filter((m) => m.version >= 13).map((m) => m.version));
    const want = await recount(empty.db, w.tenantId);
    expect(want.counts.length).toBeGreaterThan(0);
    expect(await stored(empty.db, w.tenantId)).toEqual(want);
    const [more] = fc.sample(arbOps(awards.length), { numRuns: 1, seed: 14 });
    for (const op of more!) await apply(empty.db, w, ids, [], awards, op);
    expect(await stored(empty.db, w.tenantId)).toEqual(await recount(empty.db, w.tenantId));
  });
});
