// Time to claim for the organisation's percentiles without sorting every accepted award.
//
// tenant_day_claims counts the accepted awards per UTC day of award × test account × claim bucket
// (about eight buckets per doubling of the seconds from award to acceptance), kept by statement
// triggers on awards. The median and p90 of a window then take two steps: the bucket counts of its
// whole days (and of the awards of its partial days) give the bucket holding each rank and the
// rank within it; the index awards_claim_time, on the same bucket expression, gives that bucket's
// awards of the window in a short range, where the ranked values are read exactly
// (src/analytics/claim-percentiles.ts). The answer is percentile_cont's, to the bit.
//
// The bucket only has to be non-decreasing in the time to claim: the seconds come from the
// interval (immutable, unlike date_part on a timestamp), and the bucket edges lie at whole seconds,
// away from the half milliseconds where the hours rounding of scopedAwards could fall the other way.
// No line inside the function bodies ends in a semicolon (see 010's header).

/** The claim bucket of award alias a (accepted_at not null): the same text in the index and the queries. */
export const claimBucketOf = (a: string) =>
  `(sign(date_part('epoch', ${a}.accepted_at - ${a}.awarded_at)) * floor(8 * ln(1 + abs(date_part('epoch', ${a}.accepted_at - ${a}.awarded_at))) / ln(2)))::int`;

export const claimUnitsOf = (table: string, sign: 1 | -1) =>
  `select ${table}.tenant_id, (${table}.awarded_at at time zone 'UTC')::date as day, ${table}.is_test, ${claimBucketOf(table)} as bucket, ${sign} as n
    from ${table} where ${table}.accepted_at is not null`;

/** Adds the units' counts per key, in key order; keys whose change sums to zero are left alone. */
const addClaims = (units: string) => `insert into tenant_day_claims as d (tenant_id, day, is_test, bucket, n)
    select u.tenant_id, u.day, u.is_test, u.bucket, sum(u.n) from (${units}) u
    group by 1, 2, 3, 4 having sum(u.n) <> 0 order by 1, 2, 3, 4
    on conflict (tenant_id, day, is_test, bucket) do update set n = d.n + excluded.n`;

export const triggerFunction = (name: string, body: string, create = 'create') => `${create} function ${name}() returns trigger language plpgsql as $fn$
begin
  ${body}
  ; return null
; end
$fn$;`;

export const sql = /* sql */ `
-- No award may be written between the backfill and the triggers (as 013); taken first, not by
-- upgrading the index build's lock, so that a waiting writer cannot deadlock with it (as 017).
lock table awards in share row exclusive mode;

create table tenant_day_claims (
  tenant_id  uuid not null references tenants(tenant_id),
  day        date not null,
  is_test    boolean not null,
  bucket     integer not null,
  n          integer not null default 0,
  primary key (tenant_id, day, is_test, bucket)
) with (fillfactor = 70);

create index awards_claim_time on awards (tenant_id, (${claimBucketOf('awards')}), awarded_at) include (accepted_at, is_test)
  where accepted_at is not null;

${triggerFunction('tenant_day_claims_inserted', addClaims(claimUnitsOf('new_awards', 1)))}

${triggerFunction('tenant_day_claims_deleted', addClaims(claimUnitsOf('old_awards', -1)))}

-- an update moves counts only when an award's day, test account or time to claim changed: the
-- unchanged cancel out in the sums (signing, the most frequent update, changes none of them)
${triggerFunction('tenant_day_claims_updated', addClaims(`${claimUnitsOf('old_awards', -1)} union all ${claimUnitsOf('new_awards', 1)}`))}

create trigger tenant_day_claims_inserted after insert on awards referencing new table as new_awards
  for each statement execute function tenant_day_claims_inserted();
create trigger tenant_day_claims_updated after update on awards referencing old table as old_awards new table as new_awards
  for each statement execute function tenant_day_claims_updated();
create trigger tenant_day_claims_deleted after delete on awards referencing old table as old_awards
  for each statement execute function tenant_day_claims_deleted();

${addClaims(claimUnitsOf('awards', 1))};
`;
