// SQL for awards and what issuing one needs to know about its badge, learner and tenant.
import { buildCredential, jwtClaimsOf, type BuiltCredential, type RecipientIdentity, type SharedCredentialInput } from '../credentials/index.js';
import type { Queryable } from '../db/index.js';

export type AwardMethod = 'lms' | 'api' | 'csv' | 'manual';
export type AwardState = 'pending' | 'accepted' | 'revoked' | 'expired';

export interface Award {
  id: string;
  tenantId: string;
  badgeId: string;
  courseId: string;
  moduleId: string;
  userId: string;
  method: AwardMethod;
  isTest: boolean;
  awardedAt: Date;
  acceptedAt: Date | null;
  revokedAt: Date | null;
  validUntil: Date | null;
  isPublic: boolean;
  showName: boolean;
  statusListId: string;
  statusIndex: number;
  credential: Record<string, unknown>;
  /** Null while the award waits in the signing queue (see awards/signing-queue.ts). */
  credentialJwt: string | null;
  credentialDi: Record<string, unknown> | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface NewAward {
  id: string; badgeId: string; courseId: string; moduleId: string; userId: string; method: AwardMethod; isTest: boolean;
  awardedAt: Date; validUntil: Date | null; salt: string; statusListId: string; statusIndex: number;
  /**
   * Exactly one of the two: the signed VC-JWT, or what the signing queue builds the credential
   * from (the inputs the badge's awards share, kept once by storeCredentialInputs, and the recipient).
   */
  jwt: string | null; queued: { inputsId: string; inputs: SharedCredentialInput; identity: RecipientIdentity } | null;
  claimTokenHash: string; claimExpiresAt: Date;
}

export interface IssueContext {
  tenantId: string;
  tenantName: string;
  issuerUrl: string | null;
  issuerEmail: string | null;
  badge: { id: string; courseId: string; moduleId: string; name: string; description: string; criteria: string; imageUrl: string | null; imageId: string | null; skills: Array<{ name: string; url?: string }>; validForDays: number | null };
  learner: { id: string; email: string | null; lmsUserId: string; isTest: boolean; name: string | null };
}

type AwardRow = {
  id: string; tenant_id: string; badge_id: string; course_id: string; module_id: string; user_id: string; method: AwardMethod; is_test: boolean;
  awarded_at: Date; accepted_at: Date | null; revoked_at: Date | null; valid_until: Date | null; is_public: boolean; show_name: boolean;
  status_list_id: string; status_index: number; recipient_salt: string; credential_jwt: string | null; credential_claims: Record<string, unknown> | null;
  credential_identity: RecipientIdentity | null; credential_inputs: SharedCredentialInput | null; credential_di: Record<string, unknown> | null;
};

/** An award's columns with its credential inputs (031), for toAward. */
const AWARD_COLUMNS = 'a.*, ci.body as credential_inputs';
const WITH_INPUTS = 'left join credential_inputs ci on ci.id = a.credential_inputs_id';

type CredentialColumns = Pick<AwardRow, 'id' | 'user_id' | 'recipient_salt' | 'awarded_at' | 'valid_until' | 'status_list_id' | 'status_index'
  | 'credential_jwt' | 'credential_claims' | 'credential_identity' | 'credential_inputs'>;

/** The credential of an award waiting to be signed, from its inputs and its own columns: as issuance built it. */
function builtCredential(r: CredentialColumns): BuiltCredential {
  return buildCredential({
    ...r.credential_inputs!, awardId: r.id, learnerId: r.user_id, identity: r.credential_identity!, salt: r.recipient_salt,
    awardedAt: r.awarded_at, validUntil: r.valid_until, status: { listId: r.status_list_id, index: r.status_index },
  });
}

/** The VC-JWT payload of an unsigned award (null once signed). */
function unsignedClaims(r: CredentialColumns): Record<string, unknown> | null {
  if (r.credential_jwt) return null;
  return r.credential_claims ?? (r.credential_identity ? jwtClaimsOf(builtCredential(r)) : null);
}

// The VC-JWT payload is the credential plus the claims that mirror it (iss, jti, sub, nbf, exp).
function credentialOf(r: CredentialColumns): Record<string, unknown> {
  if (!r.credential_jwt && r.credential_identity) return builtCredential(r);
  const claims = r.credential_jwt ? JSON.parse(Buffer.from(r.credential_jwt.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown> : r.credential_claims!;
  const { iss: _iss, jti: _jti, sub: _sub, nbf: _nbf, exp: _exp, ...credential } = claims;
  return credential;
}

/** The credential is worked out when first asked for: most readers of an award want its columns only. */
export const toAward = (r: AwardRow): Award => {
  let credential: Record<string, unknown> | null = null;
  return {
    id: r.id, tenantId: r.tenant_id, badgeId: r.badge_id, courseId: r.course_id, moduleId: r.module_id, userId: r.user_id, method: r.method,
    isTest: r.is_test, awardedAt: r.awarded_at, acceptedAt: r.accepted_at, revokedAt: r.revoked_at, validUntil: r.valid_until,
    isPublic: r.is_public, showName: r.show_name, statusListId: r.status_list_id, statusIndex: r.status_index,
    get credential() {
      return (credential ??= credentialOf(r));
    },
    credentialJwt: r.credential_jwt, credentialDi: r.credential_di,
  };
};

/** One award of a badge as the instructor's learner list needs it, before its state is worked out. */
export interface BadgeAwardRow {
  awardId: string; userId: string; name: string | null; email: string | null; isTest: boolean;
  awardedAt: Date; acceptedAt: Date | null; revokedAt: Date | null; validUntil: Date | null;
  notificationsSent: number; notificationsFailed: number; lastNotifiedAt: Date | null;
  lastRemindedAt: Date | null; notificationQueued: boolean;
}

type BadgeAwardSqlRow = {
  id: string; user_id: string; name: string | null; email: string | null; is_test: boolean; awarded_at: Date; accepted_at: Date | null;
  revoked_at: Date | null; valid_until: Date | null; sent: number | null; failed: number | null; last_sent_at: Date | null;
  last_reminder_at: Date | null; queued: boolean | null;
};

export function awardRepository(db: Queryable) {
  return {
    /** The badge's course, when the badge is the tenant's. */
    async badgeCourse(q: Queryable, tenantId: string, badgeId: string): Promise<string | null> {
      if (!UUID.test(badgeId)) return null;
      const rows = await q.query<{ course_id: string }>('select course_id from badges where tenant_id = $1 and id = $2', [tenantId, badgeId]);
      return rows[0]?.course_id ?? null;
    },

    /** Every award of a badge with its learner and its notification history (`notified` events, the queue). */
    async awardsOfBadge(q: Queryable, tenantId: string, badgeId: string, opts: { includeTest: boolean; awardIds?: readonly string[] }): Promise<BadgeAwardRow[]> {
      const rows = await q.query<BadgeAwardSqlRow>(
        `select a.id, a.user_id, u.name, u.email, a.is_test, a.awarded_at, a.accepted_at, a.revoked_at, a.valid_until,
           ev.sent, ev.failed, ev.last_sent_at, nq.last_reminder_at, nq.queued
         from awards a join users u on u.tenant_id = a.tenant_id and u.id = a.user_id
         left join lateral (
           select count(*) filter (where e.metadata->>'outcome' = 'sent')::int as sent, count(*) filter (where e.metadata->>'outcome' = 'failed')::int as failed,
             max(e.occurred_at) filter (where e.metadata->>'outcome' = 'sent') as last_sent_at
           from events e where e.tenant_id = a.tenant_id and e.award_id = a.id and e.type = 'notified') ev on true
         left join lateral (
           select max(n.created_at) filter (where n.kind = 'reminder') as last_reminder_at, bool_or(n.status = 'queued') as queued
           from notifications n where n.tenant_id = a.tenant_id and n.award_id = a.id) nq on true
         where a.tenant_id = $1 and a.badge_id = $2 and ($3::boolean or not a.is_test) and ($4::uuid[] is null or a.id = any($4::uuid[]))`,
        [tenantId, badgeId, opts.includeTest, opts.awardIds ? opts.awardIds.filter((id) => UUID.test(id)) : null]);
      return rows.map((r) => ({
        awardId: r.id, userId: r.user_id, name: r.name, email: r.email, isTest: r.is_test, awardedAt: r.awarded_at, acceptedAt: r.accepted_at,
        revokedAt: r.revoked_at, validUntil: r.valid_until, notificationsSent: r.sent ?? 0, notificationsFailed: r.failed ?? 0,
        lastNotifiedAt: r.last_sent_at, lastRemindedAt: r.last_reminder_at, notificationQueued: r.queued ?? false,
      }));
    },

    /** Holds the badge's award rows until the transaction ends, so two reminders of one award run one after the other. */
    async lockAwardsOfBadge(q: Queryable, tenantId: string, badgeId: string): Promise<void> {
      await q.query('select id from awards where tenant_id = $1 and badge_id = $2 order by id for update', [tenantId, badgeId]);
    },

    /** New claim links (by their hashes); the previous link of each award stops working. */
    async setClaimTokens(q: Queryable, tenantId: string, items: ReadonlyArray<{ awardId: string; hash: string }>, expiresAt: Date): Promise<void> {
      if (items.length === 0) return;
      await q.query(
        `update awards a set claim_token_hash = x.hash, claim_expires_at = $4
         from unnest($2::uuid[], $3::text[]) as x(id, hash) where a.tenant_id = $1 and a.id = x.id`,
        [tenantId, items.map((i) => i.awardId), items.map((i) => i.hash), expiresAt]);
    },

    /** Everything issuing needs about the tenant, the badges and the learners of a batch. */
    async issueContexts(tenantId: string, badgeIds: string[], userIds: string[]) {
      const tenant = await db.query<{ name: string; issuer_url: string | null; issuer_email: string | null }>(
        'select name, issuer_url, issuer_email from tenants where tenant_id = $1', [tenantId]);
      const badges = await db.query<{ id: string; course_id: string; module_id: string; name: string; description: string; criteria: string; image_url: string | null; image_id: string | null; skills: Array<{ name: string; url?: string }>; valid_for_days: number | null }>(
        'select id, course_id, module_id, name, description, criteria, image_url, image_id, skills, valid_for_days from badges where tenant_id = $1 and id = any($2::uuid[])',
        [tenantId, badgeIds.filter((b) => UUID.test(b))]);
      const learners = await db.query<{ id: string; email: string | null; lms_user_id: string; is_test: boolean; name: string | null }>(
        'select id, email, lms_user_id, is_test, name from users where tenant_id = $1 and id = any($2::uuid[])',
        [tenantId, userIds.filter((u) => UUID.test(u))]);
      const t = tenant[0];
      return {
        issuer: { tenantId, tenantName: t?.name ?? '', issuerUrl: t?.issuer_url ?? null, issuerEmail: t?.issuer_email ?? null },
        badges: new Map(badges.map((r) => [r.id, { id: r.id, courseId: r.course_id, moduleId: r.module_id, name: r.name, description: r.description, criteria: r.criteria, imageUrl: r.image_url, imageId: r.image_id, skills: r.skills, validForDays: r.valid_for_days }])),
        learners: new Map(learners.map((r) => [r.id, { id: r.id, email: r.email, lmsUserId: r.lms_user_id, isTest: r.is_test, name: r.name }])),
      };
    },

    /** Awards already issued for these (course, module, learner) keys, by "course:module:user". */
    async existingAwards(q: Queryable, tenantId: string, keys: Array<{ courseId: string; moduleId: string; userId: string }>): Promise<Map<string, Award>> {
      if (keys.length === 0) return new Map();
      const rows = await q.query<AwardRow>(
        // One probe of the learner-and-module key per requested key (`limit 1` keeps the lookup a
        // nested loop): joined plainly, the planner hashed the tenant's every award for each batch,
        // a cost that grew with the table (45 ms of a 1,000-completion batch at 20,000 awards).
        `select ${AWARD_COLUMNS} from unnest($2::uuid[], $3::uuid[], $4::uuid[]) as k(course_id, module_id, user_id)
         cross join lateral (select * from awards a where a.tenant_id = $1 and a.course_id = k.course_id and a.module_id = k.module_id and a.user_id = k.user_id limit 1) a
         ${WITH_INPUTS}`,
        [tenantId, keys.map((k) => k.courseId), keys.map((k) => k.moduleId), keys.map((k) => k.userId)]);
      return new Map(rows.map((r) => [`${r.course_id}:${r.module_id}:${r.user_id}`, toAward(r)]));
    },

    /**
     * What the credentials of a batch's queued awards share, each kept once (named by a hash of it:
     * the same inputs again change nothing).
     */
    async storeCredentialInputs(q: Queryable, tenantId: string, inputs: ReadonlyArray<{ id: string; body: SharedCredentialInput }>): Promise<void> {
      if (inputs.length === 0) return;
      await q.query(
        `insert into credential_inputs (id, tenant_id, body) select x.id, $1, x.body from json_to_recordset($2::json) as x(id uuid, body json)
         on conflict (id) do nothing`,
        [tenantId, JSON.stringify(inputs)]);
    },

    /** One multi-row insert; rows that lose a race to a concurrent issuance are skipped. */
    async insertAwards(q: Queryable, tenantId: string, rows: NewAward[]): Promise<Award[]> {
      if (rows.length === 0) return [];
      // Only the ids come back: the rows are ours already, and returning each JWT costs transfer.
      const inserted = await q.query<{ id: string }>(
        `insert into awards (tenant_id, id, badge_id, course_id, module_id, user_id, method, is_test, awarded_at, valid_until,
           recipient_salt, status_list_id, status_index, credential_jwt, credential_inputs_id, credential_identity, claim_token_hash, claim_expires_at)
         select $1, x.id, x.badge_id, x.course_id, x.module_id, x.user_id, x.method, x.is_test, x.awarded_at, x.valid_until,
           x.salt, x.status_list_id, x.status_index, x.jwt, x.inputs_id, x.identity, x.claim_token_hash, x.claim_expires_at
         from json_to_recordset($2::json) as x(id uuid, badge_id uuid, course_id uuid, module_id uuid, user_id uuid, method text,
           is_test boolean, awarded_at timestamptz, valid_until timestamptz, salt text, status_list_id uuid, status_index integer,
           jwt text, inputs_id uuid, identity json, claim_token_hash text, claim_expires_at timestamptz)
         on conflict (tenant_id, course_id, module_id, user_id) do nothing
         returning id`,
        [tenantId, JSON.stringify(rows.map((r) => ({
          id: r.id, badge_id: r.badgeId, course_id: r.courseId, module_id: r.moduleId, user_id: r.userId, method: r.method, is_test: r.isTest,
          awarded_at: r.awardedAt.toISOString(), valid_until: r.validUntil?.toISOString() ?? null, salt: r.salt, status_list_id: r.statusListId,
          status_index: r.statusIndex, jwt: r.jwt, inputs_id: r.queued?.inputsId ?? null, identity: r.queued?.identity ?? null,
          claim_token_hash: r.claimTokenHash, claim_expires_at: r.claimExpiresAt.toISOString(),
        })))]);
      const ids = new Set(inserted.map((r) => r.id));
      return rows.filter((r) => ids.has(r.id)).map((r) => toAward({
        id: r.id, tenant_id: tenantId, badge_id: r.badgeId, course_id: r.courseId, module_id: r.moduleId, user_id: r.userId, method: r.method,
        is_test: r.isTest, awarded_at: r.awardedAt, accepted_at: null, revoked_at: null, valid_until: r.validUntil, is_public: false, show_name: false,
        status_list_id: r.statusListId, status_index: r.statusIndex, recipient_salt: r.salt, credential_jwt: r.jwt, credential_claims: null,
        credential_identity: r.queued?.identity ?? null, credential_inputs: r.queued?.inputs ?? null, credential_di: null,
      }));
    },

    async insertAwardedEvents(q: Queryable, tenantId: string, awards: Award[]): Promise<void> {
      if (awards.length === 0) return;
      await q.query(
        `insert into events (tenant_id, course_id, module_id, badge_id, award_id, learner_id, type, channel, occurred_at)
         select $1, x.course_id, x.module_id, x.badge_id, x.award_id, x.learner_id, 'awarded', x.method, x.awarded_at
         from json_to_recordset($2::json) as x(course_id uuid, module_id uuid, badge_id uuid, award_id uuid, learner_id uuid, method text, awarded_at timestamptz)`,
        [tenantId, JSON.stringify(awards.map((a) => ({ course_id: a.courseId, module_id: a.moduleId, badge_id: a.badgeId, award_id: a.id, learner_id: a.userId, method: a.method, awarded_at: a.awardedAt.toISOString() })))]);
    },

    /** A learner's awards, newest first, with what "my badges" shows of each. */
    async ofLearner(tenantId: string, userId: string): Promise<Array<{ id: string; badgeName: string; awardedAt: Date; acceptedAt: Date | null; revokedAt: Date | null; validUntil: Date | null; isPublic: boolean; views: number; shares: number; verifications: number }>> {
      // Views and verifications by people only: bots are recorded apart and not counted.
      const rows = await db.query<{ id: string; name: string; awarded_at: Date; accepted_at: Date | null; revoked_at: Date | null; valid_until: Date | null; is_public: boolean; views: number; shares: number; verifications: number }>(
        `select a.id, b.name, a.awarded_at, a.accepted_at, a.revoked_at, a.valid_until, a.is_public,
           count(*) filter (where e.type = 'viewed' and not e.is_bot)::int as views,
           count(*) filter (where e.type = 'shared')::int as shares,
           count(*) filter (where e.type = 'verified' and not e.is_bot)::int as verifications
         from awards a join badges b on b.id = a.badge_id
         left join events e on e.tenant_id = a.tenant_id and e.award_id = a.id and e.type in ('viewed', 'shared', 'verified')
         where a.tenant_id = $1 and a.user_id = $2
         group by a.id, b.name order by a.awarded_at desc`,
        [tenantId, userId]);
      return rows.map((r) => ({ id: r.id, badgeName: r.name, awardedAt: r.awarded_at, acceptedAt: r.accepted_at, revokedAt: r.revoked_at, validUntil: r.valid_until, isPublic: r.is_public, views: r.views, shares: r.shares, verifications: r.verifications }));
    },
    async findByClaimHash(hash: string): Promise<(Award & { claimExpiresAt: Date | null }) | null> {
      const rows = await db.query<AwardRow & { claim_expires_at: Date | null }>(`select ${AWARD_COLUMNS} from awards a ${WITH_INPUTS} where a.claim_token_hash = $1`, [hash]);
      return rows[0] ? { ...toAward(rows[0]), claimExpiresAt: rows[0].claim_expires_at } : null;
    },
    async lmsUserId(tenantId: string, userId: string): Promise<string | null> {
      const rows = await db.query<{ lms_user_id: string }>('select lms_user_id from users where tenant_id = $1 and id = $2', [tenantId, userId]);
      return rows[0]?.lms_user_id ?? null;
    },
    async learnerName(tenantId: string, userId: string): Promise<string | null> {
      const rows = await db.query<{ name: string | null }>('select name from users where tenant_id = $1 and id = $2', [tenantId, userId]);
      return rows[0]?.name ?? null;
    },
    /**
     * Up to `limit` awards of the queue, oldest first, after `after` when given. `claims` is null for
     * an award signed without leaving the queue (by a server of an earlier version): only to dequeue.
     */
    async unsigned(limit: number, after: { awardedAt: Date; id: string } | null): Promise<Array<{ id: string; tenantId: string; awardedAt: Date; claims: Record<string, unknown> | null }>> {
      const rows = await db.query<CredentialColumns & { tenant_id: string; queued_at: Date }>(
        `select a.id, a.tenant_id, q.awarded_at as queued_at, a.user_id, a.recipient_salt, a.awarded_at, a.valid_until, a.status_list_id, a.status_index,
           a.credential_jwt, a.credential_claims, a.credential_identity, ci.body as credential_inputs
         from award_signing_queue q join awards a on a.id = q.award_id ${WITH_INPUTS}
         where ($2::timestamptz is null or (q.awarded_at, q.award_id) > ($2::timestamptz, $3::uuid))
         order by q.awarded_at, q.award_id limit $1`,
        [limit, after?.awardedAt.toISOString() ?? null, after?.id ?? null]);
      return rows.map((r) => ({ id: r.id, tenantId: r.tenant_id, awardedAt: r.queued_at, claims: unsignedClaims(r) }));
    },

    async unsignedCount(): Promise<number> {
      const rows = await db.query<{ n: number }>('select count(*)::int as n from award_signing_queue');
      return rows[0]!.n;
    },

    /**
     * Stores VC-JWTs of queued awards; an award signed meanwhile (by a reader, another server) keeps
     * its token. Either way the awards leave the queue. Each award is found by its key and its token
     * by its place in the batch (array_position, a scan of 500 ids in C: 13 ms for 500 awards).
     * Joined to the batch instead, the planner (its statistics taken when every award was signed)
     * expected one unsigned row and ran the join as a loop over every unsigned award of the table,
     * each compared with every token: 55 ms for 500, and more the longer the queue. The rows are
     * locked in id order, as an import's markImported locks them, so that the two statements never
     * each hold a row the other waits for.
     */
    async storeSigned(items: ReadonlyArray<{ id: string; jwt: string }>): Promise<number> {
      if (items.length === 0) return 0;
      const rows = await db.query<{ id: string }>(
        `with locked as (
           select id from awards where id = any($1::uuid[]) and credential_jwt is null order by id for no key update
         ), signed as (
           update awards a set credential_jwt = ($2::text[])[array_position($1::uuid[], a.id)], credential_claims = null,
             credential_inputs_id = null, credential_identity = null
           from locked l where a.id = l.id returning a.id
         ), dequeued as (delete from award_signing_queue where award_id = any($1::uuid[]))
         select id from signed`,
        [items.map((i) => i.id), items.map((i) => i.jwt)]);
      return rows.length;
    },

    /**
     * Marks the space of the rows signing replaced as free and the pages as all-visible (so the
     * analytics passes read awards from their index alone): autovacuum may be off, or far behind a
     * bulk load, and PGlite has none.
     */
    async vacuum(): Promise<void> {
      await db.query('vacuum (analyze) awards');
    },

    /** Takes awards out of the queue without storing anything. */
    async dequeue(ids: readonly string[]): Promise<void> {
      if (ids.length) await db.query('delete from award_signing_queue where award_id = any($1::uuid[])', [ids]);
    },

    /** The planner's estimate of the rows of awards (0 before any vacuum or analyze). */
    async estimatedCount(): Promise<number> {
      const rows = await db.query<{ n: number }>("select greatest(reltuples, 0)::float8 as n from pg_class where oid = 'awards'::regclass");
      return rows[0]?.n ?? 0;
    },

    async find(awardId: string): Promise<Award | null> {
      const rows = await db.query<AwardRow>(`select ${AWARD_COLUMNS} from awards a ${WITH_INPUTS} where a.id = $1`, [awardId]);
      return rows[0] ? toAward(rows[0]) : null;
    },
  };
}
