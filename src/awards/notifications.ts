// Claim notifications: queued in the database with the award (same transaction), sent by a worker
// that leases due rows, sends outside any transaction, and records the outcome as a `notified`
// event together with the status change. A crash between send and record re-sends after the lease.
// A reminder (kind 'reminder') is worded as one and its event carries `metadata.reminder = true`.
import type { Db, Queryable } from '../db/index.js';
import { recordEvent } from '../events/index.js';
import { createSecretBox, newId, type Clock, type Logger } from '../shared/index.js';
import type { Mailer } from './mailer.js';

const MAX_ATTEMPTS = 3;
const LEASE_MS = 5 * 60_000;

export type NotificationKind = 'claim' | 'reminder';

type Due = { id: string; tenant_id: string; award_id: string; kind: NotificationKind; recipient: string; sealed_payload: string; attempts: number;
  course_id: string; module_id: string; badge_id: string; user_id: string; badge_name: string; issuer_name: string; learner_name: string | null };

export function createNotifier(deps: { db: Db; mailer: Mailer | null; secretKey: string; publicUrl: string; clock: Clock; logger: Logger }) {
  const box = createSecretBox(deps.secretKey, 'notifications');

  async function finish(due: Due, outcome: 'sent' | 'failed' | 'retry', error?: string): Promise<void> {
    const now = deps.clock.now();
    await deps.db.transaction(async (tx) => {
      if (outcome === 'retry') {
        await tx.query('update notifications set status = $2, attempts = attempts + 1, last_error = $3, next_attempt_at = $4 where id = $1',
          [due.id, 'queued', error ?? null, new Date(now.getTime() + (due.attempts + 1) ** 2 * 30_000)]);
        return;
      }
      await tx.query('update notifications set status = $2, attempts = attempts + 1, last_error = $3, sent_at = $4 where id = $1',
        [due.id, outcome, error ?? null, outcome === 'sent' ? now : null]);
      await recordEvent(tx, { tenantId: due.tenant_id, type: 'notified', channel: 'email', occurredAt: now, courseId: due.course_id, moduleId: due.module_id,
        badgeId: due.badge_id, awardId: due.award_id, learnerId: due.user_id,
        metadata: { outcome, ...(due.kind === 'reminder' ? { reminder: true } : {}), ...(error ? { error: error.slice(0, 300) } : {}) } });
    });
  }

  function message(due: Due) {
    const { claimToken } = JSON.parse(box.open(due.sealed_payload)) as { claimToken: string };
    const link = `${deps.publicUrl}/claim/${claimToken}`;
    const hello = due.learner_name ? `Hello ${due.learner_name},` : 'Hello,';
    const reminder = due.kind === 'reminder';
    const lead = reminder ? 'A reminder: your badge is still waiting for you. ' : '';
    const text = `${hello}\n\n${lead}${due.issuer_name} has awarded you the badge "${due.badge_name}".\n\nClaim it here: ${link}\n\nIt is yours to download, add to LinkedIn and share — or to keep private.\n`;
    const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
    const html = `<p>${esc(hello)}</p><p>${esc(lead)}${esc(due.issuer_name)} has awarded you the badge <strong>${esc(due.badge_name)}</strong>.</p><p><a href="${esc(link)}">Claim your badge</a></p><p>It is yours to download, add to LinkedIn and share — or to keep private.</p>`;
    const subject = reminder ? `Reminder: claim your badge "${due.badge_name}"` : `You earned "${due.badge_name}"`;
    return { to: due.recipient, subject, text, html };
  }

  return {
    enabled: deps.mailer !== null,

    /** Queues the claim email of new awards (or a reminder), in the transaction of the change. */
    async enqueue(tx: Queryable, tenantId: string, items: Array<{ awardId: string; email: string; claimToken: string; reminder?: boolean }>): Promise<void> {
      if (!deps.mailer || items.length === 0) return;
      // created_at from the clock too: the reminder cool-down is measured against it.
      await tx.query(
        `insert into notifications (tenant_id, id, award_id, kind, recipient, sealed_payload, next_attempt_at, created_at)
         select $1, x.id, x.award_id, x.kind, x.recipient, x.sealed_payload, $3, $3
         from json_to_recordset($2::json) as x(id uuid, award_id uuid, kind text, recipient text, sealed_payload text)`,
        [tenantId, JSON.stringify(items.map((i) => ({
          id: newId(), award_id: i.awardId, kind: i.reminder ? 'reminder' : 'claim', recipient: i.email, sealed_payload: box.seal(JSON.stringify({ claimToken: i.claimToken })),
        }))), deps.clock.now()],
      );
    },

    /** Sends what is due; returns how many were handled. */
    async processDue(limit = 20): Promise<number> {
      if (!deps.mailer) return 0;
      const now = deps.clock.now();
      const due = await deps.db.query<Due>(
        `update notifications n set next_attempt_at = $3
         from awards a join badges b on b.id = a.badge_id join tenants t on t.tenant_id = a.tenant_id join users u on u.id = a.user_id
         where n.id in (select id from notifications where status = 'queued' and next_attempt_at <= $1 order by next_attempt_at limit $2 for update skip locked)
           and a.id = n.award_id
         returning n.id, n.tenant_id, n.award_id, n.kind, n.recipient, n.sealed_payload, n.attempts, a.course_id, a.module_id, a.badge_id, a.user_id,
           b.name as badge_name, t.name as issuer_name, u.name as learner_name`,
        [now, limit, new Date(now.getTime() + LEASE_MS)],
      );
      for (const d of due) {
        try {
          await deps.mailer.send(message(d));
          await finish(d, 'sent');
        } catch (err) {
          const e = err as { responseCode?: number; message?: string };
          // A 5xx answer is the server's final word; anything else is worth another try.
          const permanent = typeof e.responseCode === 'number' && e.responseCode >= 500;
          await finish(d, permanent || d.attempts + 1 >= MAX_ATTEMPTS ? 'failed' : 'retry', e.message ?? String(err));
          deps.logger.warn('claim email not delivered', { notification: d.id, error: e.message });
        }
      }
      return due.length;
    },
  };
}

export type Notifier = ReturnType<typeof createNotifier>;
