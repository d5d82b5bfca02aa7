// The counting triggers of 013 and 014 made cheaper for bulk statements; what they count is unchanged.
//
// award_stats_count_statement (014) joined three aggregates of its transition table to each other.
// PL/pgSQL keeps the plan it made for the first statement a session runs, usually a one-row one, so
// a later 3,000-event import chunk ran those joins as nested loops over unindexed subqueries: about
// 1.5 s for one chunk. Now one aggregation pass (per award × counted kind × key, then per award)
// with no join at all, whatever the size.
//
// The rollup triggers of 013, as 013 built them, except:
//   - channel rows are made only for awards with a share or a view (most have neither), before the
//     per-row jsonb calls;
//   - an update of awards moves channel counts only when an award's place (day, course, badge,
//     module, test account) changes, not on an acceptance or a visibility change;
//   - an upsert of award_stats fires its insert and its update trigger, one of them for no rows:
//     that one returns at once.
// No line inside the function bodies ends in a semicolon (see 010's header).
import { AWARD_COLUMNS, channelsOf, countsOf, list, lockStats, plpgsql, select, upsertChannels, upsertCounts, withAward, withStats, type Rows } from './013-daily-rollup.js';

/** Those columns of an award (013's AWARD_COLUMNS) that place its channel counts. */
const PLACE_COLUMNS = ['tenant_id', 'course_id', 'badge_id', 'module_id', 'is_test', 'awarded_at'];

const channelRows = (a: string, s: string, sign: 1 | -1, r: Rows) =>
  select(channelsOf(a, s, sign).select, { ...r, where: `${r.where} and (${s}.shared_channels <> '{}' or ${s}.view_sources <> '{}')` }, channelsOf(a, s, sign).joins);

// As 013: the updated awards whose columns among `cols` changed, without joining old rows to new.
const changedAwards = (cols: readonly string[]) => `(select x.tenant_id, x.id from (select id, ${list(cols)} from old_awards union select id, ${list(cols)} from new_awards) x
    group by x.tenant_id, x.id having count(*) > 1)`;
const changed = changedAwards(AWARD_COLUMNS);
const moved = changedAwards(PLACE_COLUMNS);

const noneIn = (table: string) => `if not exists (select 1 from ${table}) then return null\n  ; end if`;

// As 013: index lookups from the transition table, whatever its size.
const triggerFunction = (name: string, body: string) => `create or replace function ${name}() returns trigger language plpgsql
  set enable_hashjoin = off set enable_mergejoin = off as $fn$
${body}
$fn$;`;

/** The upserts a rollup trigger makes of its contribution rows: 013's, or a later migration's that also roll them up further. */
export interface Upserts { counts: (units: string) => string; channels: (units: string) => string }

/** The five rollup trigger functions (create or replace), each writing its contribution through `upserts`. */
export function rollupTriggerFunctions({ counts, channels }: Upserts): string {
  const awardsInserted = plpgsql([
    lockStats(withStats('new_awards', 'n').from),
    counts(select(countsOf('n', 's', 1), withStats('new_awards', 'n', 'left join'))),
    channels(channelRows('n', 's', 1, withStats('new_awards', 'n'))),
  ]);

  const awardsUpdated = plpgsql([
    `if not exists ${changed} then return null\n  ; end if`,
    `insert into award_stats (tenant_id, award_id) select c.tenant_id, c.id from ${changed} c order by c.tenant_id, c.id on conflict do nothing`,
    lockStats(`award_stats s where (s.tenant_id, s.award_id) in (select c.tenant_id, c.id from ${changed} c)`),
    counts(`${select(countsOf('o', 's', -1), withStats('old_awards', 'o', 'left join'))} union all ${select(countsOf('n', 's', 1), withStats('new_awards', 'n', 'left join'))}`),
    `if exists ${moved} then\n    ${channels(`${channelRows('o', 's', -1, withStats('old_awards', 'o'))} union all ${channelRows('n', 's', 1, withStats('new_awards', 'n'))}`)}\n  ; end if`,
  ]);

  const awardsDeleted = plpgsql([
    lockStats(withStats('old_awards', 'o').from),
    counts(select(countsOf('o', 's', -1), withStats('old_awards', 'o', 'left join'))),
    channels(channelRows('o', 's', -1, withStats('old_awards', 'o'))),
  ]);

  const statsInserted = plpgsql([
    noneIn('new_stats'),
    counts(`${select(countsOf('a', 'n', 1), withAward('new_stats', 'n'))} union all ${select(countsOf('a', null, -1), withAward('new_stats', 'n'))}`),
    channels(channelRows('a', 'n', 1, withAward('new_stats', 'n'))),
  ]);

  const statsUpdated = plpgsql([
    noneIn('new_stats'),
    counts(`${select(countsOf('a', 'o', -1), withAward('old_stats', 'o'))} union all ${select(countsOf('a', 'n', 1), withAward('new_stats', 'n'))}`),
    channels(`${channelRows('a', 'o', -1, withAward('old_stats', 'o'))} union all ${channelRows('a', 'n', 1, withAward('new_stats', 'n'))}`),
  ]);

  return [
    triggerFunction('award_day_awards_inserted', awardsInserted),
    triggerFunction('award_day_awards_updated', awardsUpdated),
    triggerFunction('award_day_awards_deleted', awardsDeleted),
    triggerFunction('award_day_stats_inserted', statsInserted),
    triggerFunction('award_day_stats_updated', statsUpdated),
  ].join('\n\n');
}

// Each counted event falls in one kind (or none: a bot's verification still makes the award's row,
// as in 014); shares keep their channel and human views their source as key, so within one award
// a (kind, key) pair is one row and jsonb_object_agg sees each key once.
const countStatement = /* sql */ `create or replace function award_stats_count_statement() returns trigger language plpgsql as $fn$
begin
  insert into award_stats as s (tenant_id, award_id, shares, views, bot_views, verifications, notified_sent, notified_failed, shared_channels, view_sources)
  select tenant_id, award_id,
    coalesce(sum(n) filter (where kind = 'share'), 0)::int,
    coalesce(sum(n) filter (where kind = 'view'), 0)::int,
    coalesce(sum(n) filter (where kind = 'bot_view'), 0)::int,
    coalesce(sum(n) filter (where kind = 'verification'), 0)::int,
    coalesce(sum(n) filter (where kind = 'sent'), 0)::int,
    coalesce(sum(n) filter (where kind = 'failed'), 0)::int,
    coalesce(jsonb_object_agg(key, n) filter (where kind = 'share' and key is not null), '{}'),
    coalesce(jsonb_object_agg(key, n) filter (where kind = 'view'), '{}')
  from (
    select tenant_id, award_id, kind, key, count(*)::int as n
    from (
      select tenant_id, award_id,
        case
          when type = 'shared' then 'share'
          when type = 'viewed' then case when is_bot then 'bot_view' else 'view' end
          when type = 'verified' and not is_bot then 'verification'
          when type = 'notified' and metadata->>'outcome' in ('sent', 'failed') then metadata->>'outcome'
          else 'none'
        end as kind,
        case when type = 'shared' then channel when type = 'viewed' and not is_bot then coalesce(channel, 'direct') end as key
      from inserted where award_id is not null and type in ('shared', 'viewed', 'verified', 'notified')
    ) e
    group by tenant_id, award_id, kind, key
  ) k
  group by tenant_id, award_id
  order by tenant_id, award_id
  on conflict (tenant_id, award_id) do update set
    shares = s.shares + excluded.shares,
    views = s.views + excluded.views,
    bot_views = s.bot_views + excluded.bot_views,
    verifications = s.verifications + excluded.verifications,
    notified_sent = s.notified_sent + excluded.notified_sent,
    notified_failed = s.notified_failed + excluded.notified_failed,
    shared_channels = award_stats_add(s.shared_channels, excluded.shared_channels),
    view_sources = award_stats_add(s.view_sources, excluded.view_sources)
  ; return null; end
$fn$;`;

export const sql = /* sql */ `
${countStatement}

${rollupTriggerFunctions({ counts: upsertCounts, channels: upsertChannels })}
`;
