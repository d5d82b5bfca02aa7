// What the public HTML page of an award needs, read in one query, and its `viewed` events written
// in the same statements, in group commits. The signed credential is not read for the page.
import type { Queryable } from '../db/index.js';

/** An award as its HTML page shows it: its state, its badge, its issuer, its learner's name. */
export interface AwardPage {
  id: string; tenantId: string; badgeId: string; courseId: string; moduleId: string; userId: string;
  awardedAt: Date; acceptedAt: Date | null; revokedAt: Date | null; validUntil: Date | null;
  isPublic: boolean; showName: boolean;
  /** The name the LMS gave; the page shows it only where the learner allows it. */
  learnerName: string | null;
  badge: { id: string; name: string; description: string; criteria: string; skills: Array<{ name: string; url?: string }>; imageId: string | null; imageUrl: string | null; imageType: string | null };
  issuer: { tenantId: string; name: string };
}

type PageRow = {
  id: string; tenant_id: string; badge_id: string; course_id: string; module_id: string; user_id: string;
  awarded_at: Date; accepted_at: Date | null; revoked_at: Date | null; valid_until: Date | null; is_public: boolean; show_name: boolean;
  learner_name: string | null; badge_name: string; description: string; criteria: string; skills: Array<{ name: string; url?: string }>;
  image_id: string | null; image_url: string | null; image_type: string | null; issuer_name: string;
};

// The page's award, badge, issuer and learner name in one round trip, without the credential
// columns (the JWT is stored out of line, the Data Integrity copy is large jsonb). Lookups by
// primary key are scalar subqueries rather than joins, which take the planner twice as long.
const PAGE_COLUMNS = `a.id, a.tenant_id, a.badge_id, a.course_id, a.module_id, a.user_id, a.awarded_at, a.accepted_at, a.revoked_at,
    a.valid_until, a.is_public, a.show_name, b.name as badge_name, b.description, b.criteria, b.skills, b.image_id, b.image_url,
    (select u.name from users u where u.tenant_id = a.tenant_id and u.id = a.user_id) as learner_name,
    (select i.content_type from badge_images i where i.tenant_id = a.tenant_id and i.id = b.image_id) as image_type,
    (select t.name from tenants t where t.tenant_id = a.tenant_id) as issuer_name`;

// The pages of a batch of requests, and in the same statement (one snapshot, one commit) the
// `viewed` event of each request that counts one: asked to record, the award public, the viewer
// not its learner. So a view costs no round trip of its own, and is written exactly when the
// page-then-insert of one request at a time would write it.
const PAGES_AND_VIEWS = `with p as (
    select ${PAGE_COLUMNS} from awards a, badges b where a.id = any($1::uuid[]) and b.tenant_id = a.tenant_id and b.id = a.badge_id
  ), v as (
    insert into events (tenant_id, course_id, module_id, badge_id, award_id, learner_id, type, channel, is_bot, occurred_at)
    select p.tenant_id, p.course_id, p.module_id, p.badge_id, p.id, p.user_id, 'viewed', r.channel, r.is_bot, r.occurred_at
    from unnest($1::uuid[], $2::boolean[], $3::uuid[], $4::uuid[], $5::text[], $6::boolean[], $7::timestamptz[])
      with ordinality as r(award_id, record, viewer_tenant, viewer_user, channel, is_bot, occurred_at, n)
    join p on p.id = r.award_id
    where r.record and p.is_public and (p.tenant_id = r.viewer_tenant and p.user_id = r.viewer_user) is not true
    order by r.n
  )
  select * from p`;

const toPage = (r: PageRow): AwardPage => ({
  id: r.id, tenantId: r.tenant_id, badgeId: r.badge_id, courseId: r.course_id, moduleId: r.module_id, userId: r.user_id,
  awardedAt: r.awarded_at, acceptedAt: r.accepted_at, revokedAt: r.revoked_at, validUntil: r.valid_until,
  isPublic: r.is_public, showName: r.show_name, learnerName: r.learner_name,
  badge: { id: r.badge_id, name: r.badge_name, description: r.description, criteria: r.criteria, skills: r.skills, imageId: r.image_id, imageUrl: r.image_url, imageType: r.image_type },
  issuer: { tenantId: r.tenant_id, name: r.issuer_name },
});

/** One request for an award's page (a lower-case UUID), and what its view would be recorded as. */
export interface PageRequest {
  awardId: string;
  /** False for a repeat open by the same browser within the 30 minutes. */
  record: boolean;
  /** The launch session's learner, if any: their own page is not a view. */
  viewer: { tenantId: string; userId: string } | null;
  channel: string;
  isBot: boolean;
  occurredAt: Date;
}

async function pagesAndViews(q: Queryable, reqs: readonly PageRequest[]): Promise<Map<string, AwardPage>> {
  const col = <T>(f: (r: PageRequest) => T) => reqs.map(f);
  const rows = await q.query<PageRow>(PAGES_AND_VIEWS, [
    col((r) => r.awardId), col((r) => r.record), col((r) => r.viewer?.tenantId ?? null), col((r) => r.viewer?.userId ?? null),
    col((r) => r.channel), col((r) => r.isBot), col((r) => r.occurredAt.toISOString()),
  ]);
  return new Map(rows.map((r) => [r.id, toPage(r)]));
}

const MAX_BATCH = 500;

/**
 * Serves page requests in group commits. A view is written before its request is answered, as
 * with one insert per view: a request's promise settles only once its statement has committed, so
 * nothing sits in memory after a response and nothing is lost on shutdown. While a statement is
 * in flight, the requests that arrive queue up and go together in the next (one statement, one
 * commit, the award_stats row of an award locked once); at low load a request waits for no one.
 */
export function createPageViews(db: Queryable) {
  let queue: Array<{ req: PageRequest; resolve: (page: AwardPage | null) => void; reject: (err: unknown) => void }> = [];
  let running = false;

  async function run(batch: typeof queue): Promise<void> {
    try {
      const pages = await pagesAndViews(db, batch.map((p) => p.req));
      for (const p of batch) p.resolve(pages.get(p.req.awardId) ?? null);
    } catch (err) {
      if (batch.length === 1) {
        batch[0]!.reject(err);
        return;
      }
      // The statement wrote nothing: each request alone, so a bad one fails only itself.
      await Promise.all(batch.map((p) => pagesAndViews(db, [p.req]).then((pages) => p.resolve(pages.get(p.req.awardId) ?? null), p.reject)));
    }
  }

  // One statement at a time: concurrent ones would queue on the award_stats row lock of a popular
  // award anyway, and measured, they cost more CPU per view on both sides than one larger batch.
  async function drain(): Promise<void> {
    running = true;
    try {
      while (queue.length > 0) {
        const batch = queue.slice(0, MAX_BATCH);
        queue = queue.slice(batch.length);
        await run(batch);
      }
    } finally {
      running = false;
    }
  }

  return {
    /** The award's page, or null; its view recorded where it counts, before this resolves. */
    open(req: PageRequest): Promise<AwardPage | null> {
      return new Promise((resolve, reject) => {
        queue.push({ req, resolve, reject });
        if (!running) void drain();
      });
    },
  };
}
