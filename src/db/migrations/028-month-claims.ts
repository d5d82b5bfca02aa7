// The claim-time histogram per UTC month. A year's median and p90 for the organisation read every
// day's buckets of tenant_day_claims (55k rows at a million awards, about 150 buckets a day, for
// 31 ms of the server's time per panel); a window's whole months now read these rows, twelve
// times fewer, and only its other days read the day rows. Written by the statement that writes
// tenant_day_claims, from the same sums, in the same table order for every trigger (as 019).
// No line inside the function bodies ends in a semicolon (see 010's header).
import { claimUnitsOf, triggerFunction } from './020-claim-time-histogram.js';

const MONTH = `date_trunc('month', c.day::timestamp)::date`;

/** 020's upsert of the units' sums per day, its sums also added per month. */
const addClaimsRolled = (units: string) => `with c as (
      select u.tenant_id, u.day, u.is_test, u.bucket, sum(u.n) as n from (${units}) u
      group by 1, 2, 3, 4 having sum(u.n) <> 0),
    days as (insert into tenant_day_claims as d (tenant_id, day, is_test, bucket, n)
      select c.tenant_id, c.day, c.is_test, c.bucket, c.n from c order by 1, 2, 3, 4
      on conflict (tenant_id, day, is_test, bucket) do update set n = d.n + excluded.n)
    insert into tenant_month_claims as d (tenant_id, month, is_test, bucket, n)
    select c.tenant_id, ${MONTH}, c.is_test, c.bucket, sum(c.n) from c
    group by 1, 2, 3, 4 having sum(c.n) <> 0 order by 1, 2, 3, 4
    on conflict (tenant_id, month, is_test, bucket) do update set n = d.n + excluded.n`;

export const sql = /* sql */ `
-- No award may be written between the backfill and the new trigger functions (as 020).
lock table awards in share row exclusive mode;

create table tenant_month_claims (
  tenant_id  uuid not null references tenants(tenant_id),
  month      date not null,
  is_test    boolean not null,
  bucket     integer not null,
  n          integer not null default 0,
  primary key (tenant_id, month, is_test, bucket)
) with (fillfactor = 70);

${triggerFunction('tenant_day_claims_inserted', addClaimsRolled(claimUnitsOf('new_awards', 1)), 'create or replace')}

${triggerFunction('tenant_day_claims_deleted', addClaimsRolled(claimUnitsOf('old_awards', -1)), 'create or replace')}

${triggerFunction('tenant_day_claims_updated', addClaimsRolled(`${claimUnitsOf('old_awards', -1)} union all ${claimUnitsOf('new_awards', 1)}`), 'create or replace')}

insert into tenant_month_claims (tenant_id, month, is_test, bucket, n)
select tenant_id, date_trunc('month', day::timestamp)::date, is_test, bucket, sum(n) from tenant_day_claims
group by 1, 2, 3, 4 having sum(n) <> 0;
`;
