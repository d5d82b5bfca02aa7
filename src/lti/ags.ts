// AGS write-back (LTI Assignment and Grade Services 2.0): one gradebook column per badge, created
// on first need, and a full score in it when the learner claims the badge — when the platform
// granted the scopes. Instructors see claims in the gradebook they already use.
import type { Db } from '../db/index.js';
import type { Logger } from '../shared/index.js';
import { LTI_SCOPE } from './constants.js';
import type { PlatformRegistry } from './platforms.js';
import type { AgsToken, LtijsProvider } from './provider.js';

export type AgsOutcome = 'sent' | 'no_ags' | 'failed';

export function createAgs(deps: { db: Db; platforms: PlatformRegistry; provider: LtijsProvider; clock: { now(): Date }; logger: Logger }) {
  return {
    async publishClaim(c: { tenantId: string; courseId: string; badgeId: string; lmsUserId: string }): Promise<AgsOutcome> {
      const rows = await deps.db.query<{ platform_id: string; ags_lineitems_url: string | null; ags_scopes: string[]; line_item: string | null; name: string; module_title: string }>(
        `select c.platform_id, c.ags_lineitems_url, c.ags_scopes, b.ags_line_item_url as line_item, b.name, m.title as module_title
         from courses c join badges b on b.course_id = c.id join modules m on m.id = b.module_id
         where c.tenant_id = $1 and c.id = $2 and b.id = $3`,
        [c.tenantId, c.courseId, c.badgeId],
      );
      const r = rows[0];
      if (!r?.ags_lineitems_url || !r.ags_scopes.includes(LTI_SCOPE.SCORE)) return 'no_ags';
      const platform = await deps.platforms.get(r.platform_id);
      if (!platform) return 'no_ags';
      const token: AgsToken = { iss: platform.issuer, clientId: platform.clientId, platformContext: { endpoint: { lineitems: r.ags_lineitems_url, scope: r.ags_scopes } } };
      try {
        let lineItem = r.line_item;
        if (!lineItem) {
          if (!r.ags_scopes.includes(LTI_SCOPE.LINEITEM)) return 'no_ags';
          const created = await deps.provider.createLineItem(token, { scoreMaximum: 1, label: `${r.module_title}: badge claimed`, resourceId: c.badgeId, tag: 'badgetrail-claim' });
          lineItem = created.id;
          await deps.db.query('update badges set ags_line_item_url = $2 where id = $1', [c.badgeId, lineItem]);
        }
        await deps.provider.submitScore(token, lineItem, {
          userId: c.lmsUserId, scoreGiven: 1, scoreMaximum: 1, activityProgress: 'Completed', gradingProgress: 'FullyGraded',
          timestamp: deps.clock.now().toISOString(), comment: `Claimed the badge "${r.name}"`,
        });
        return 'sent';
      } catch (err) {
        deps.logger.warn('AGS write-back failed', { badge: c.badgeId, error: (err as Error).message });
        return 'failed';
      }
    },
  };
}

export type Ags = ReturnType<typeof createAgs>;
