// The organisation's median and p90 hours to claim per window, from the claim-time histogram of
// migration 020 instead of a sort of every accepted award. The bucket counts of the window (whole
// months from tenant_month_claims, other whole days from tenant_day_claims, partial days from the
// awards) locate each rank's bucket and its place in it, and the index awards_claim_order
// (migration 027) walks just that bucket's awards of the window, in order of time to claim from
// the bucket's nearer end, to the ranked values. The result is PostgreSQL's percentile_cont,
// computed as it computes it.
// Both reads must see one snapshot, and do as one statement: the histogram is kept by triggers in
// the transactions that write the awards, so within a snapshot the two agree to the award.
import { claimBucketOf, type Queryable } from '../db/index.js';
import { hoursToClaimOf, Params, type AwardFilter } from './scoped-awards.js';
import { awardReads, inWindow, maskOf, monthlyReads, type Window } from './windows.js';

const PERCENTILES = [0.5, 0.9] as const;
const HOURS = hoursToClaimOf('a');

/** The two rows percentile_cont interpolates between for fraction p of n sorted values, and the fraction between them. */
const rowsFor = (p: number, n: number) => ({ first: Math.floor(p * (n - 1)), second: Math.ceil(p * (n - 1)), proportion: p * (n - 1) - Math.floor(p * (n - 1)) });

/**
 * A bucket holding one of a window's ranks: its place in the window's histogram, and the hours of
 * its awards from `first` to `last` (in descending order when walked `backward` from its end).
 */
interface LocatedBucket { w: number; total: number; below: number; n: number; first: number; backward: boolean; hours: number[] }

/**
 * One statement, so that the histogram and the awards it points at are read on one snapshot with no
 * transaction around them: the bucket counts per window, each rank's bucket (the ranks as rowsFor,
 * in float8 as in JavaScript), and per window and bucket holding a rank, the slice of its sorted
 * hours from the first rank in it to the last.
 */
export async function orgClaimPercentiles(db: Queryable, f: AwardFilter, windows: readonly Window[]) {
  const p = new Params();
  const tenant = p.add(f.tenantId);
  const test = (alias: string) => (f.includeTest ? '' : ` and not ${alias}.is_test`);
  // whole months from tenant_month_claims (migration 028), other whole days from tenant_day_claims,
  // or an edge month holding most of them as its row less its other days; a partial day from its
  // awards, or as its histogram less its awards outside the window (windows.ts)
  const reads = windows.map((w) => monthlyReads(w, p, f.now, { month: 'm.month', day: 'd.day' }));
  const [months, days, minusDays] = [reads.map((r) => r.months), reads.map((r) => r.days), reads.map((r) => r.minusDays)];
  const takenBack = minusDays.some((c) => c !== 'false') ? `
        union all
        select ${maskOf(minusDays)}, d.bucket, -d.n from tenant_day_claims d
        where d.tenant_id = ${tenant}${test('d')} and d.n <> 0 and (${minusDays.join(' or ')})` : '';
  const awarded = windows.map((w) => awardReads(w, p, f.now, 'a.awarded_at'));
  const [plus, minus] = [awarded.map((r) => r.plus), awarded.map((r) => r.minus)];
  const fractions = PERCENTILES.map((x) => `(${x}::float8)`).join(', ');
  // in the order of awards_claim_order (migration 027), which the hours follow: a walk to the ranks,
  // no sort, from the bucket's nearer end (backward: the slice comes last to first). A CASE runs
  // only the subplan of the branch it takes.
  const slices = windows.map((w, i) => {
    const walk = (order: 'asc' | 'desc', offset: string) => `array(
        select ${HOURS} from awards a
        where a.tenant_id = ${tenant} and a.accepted_at is not null and ${claimBucketOf('a')} = l.bucket${test('a')} and ${inWindow(w, p, 'a.awarded_at')}
        order by a.accepted_at - a.awarded_at ${order} offset ${offset} limit l.last - l.first + 1)`;
    return `select l.*, case when l.backward then ${walk('desc', 'l.n - 1 - l.last')} else ${walk('asc', 'l.first')} end as hours
    from located l where l.w = ${i}`;
  });
  const rows = await db.query<LocatedBucket>(`with counts as (
      select mask, bucket, sum(n)::int as n from (
        select ${maskOf(plus)} as mask, ${claimBucketOf('a')} as bucket, 1 as n from awards a
        where a.tenant_id = ${tenant}${test('a')} and a.accepted_at is not null and (${plus.join(' or ')})
        union all
        select ${maskOf(minus)}, ${claimBucketOf('a')}, -1 from awards a
        where a.tenant_id = ${tenant}${test('a')} and a.accepted_at is not null and (${minus.join(' or ')})
        union all
        select ${maskOf(days)}, d.bucket, d.n from tenant_day_claims d
        where d.tenant_id = ${tenant}${test('d')} and d.n <> 0 and (${days.join(' or ')})${takenBack}
        union all
        select ${maskOf(months)}, m.bucket, m.n from tenant_month_claims m
        where m.tenant_id = ${tenant}${test('m')} and m.n <> 0 and (${months.join(' or ')})) u
      group by mask, bucket),
    histogram as (
      select w.i as w, c.bucket, sum(c.n)::int as n from counts c cross join generate_series(0, ${windows.length - 1}) w(i)
      where (c.mask >> w.i) & 1 = 1 group by 1, 2 having sum(c.n) > 0),
    placed as (
      select w, bucket, n, (sum(n) over (partition by w order by bucket) - n)::int as below, (sum(n) over (partition by w))::int as total from histogram),
    ranks as (
      select distinct t.w, r.rank from (select distinct w, total from placed) t cross join (values ${fractions}) x(p)
      cross join lateral (values (floor(x.p * (t.total - 1))::int), (ceil(x.p * (t.total - 1))::int)) r(rank)),
    located as (
      select *, n - 1 - last < first as backward from (
        select b.w, b.bucket, b.total, b.below, b.n, min(r.rank - b.below)::int as first, max(r.rank - b.below)::int as last
        from ranks r join placed b on b.w = r.w and r.rank >= b.below and r.rank < b.below + b.n group by 1, 2, 3, 4, 5) ranked)
    ${slices.join('\n    union all\n    ')}`, p.values);

  for (const r of rows) if (r.backward) r.hours.reverse();
  return windows.map((w, i) => {
    const mine = rows.filter((r) => r.w === i);
    if (mine.length === 0) return { name: w.name, median_hours: null, p90_hours: null };
    const valueAt = (rank: number) => {
      const at = mine.find((r) => rank >= r.below && rank < r.below + r.n);
      const v = at?.hours[rank - at.below - at.first];
      if (v === undefined) throw new Error(`no award at rank ${rank} of window ${w.name}`);
      return v;
    };
    const [median, p90] = PERCENTILES.map((pct) => {
      const r = rowsFor(pct, mine[0]!.total);
      const lo = valueAt(r.first);
      // as PostgreSQL's float8 lerp: lo + proportion × (hi − lo)
      return r.second > r.first ? lo + r.proportion * (valueAt(r.second) - lo) : lo;
    });
    return { name: w.name, median_hours: median ?? null, p90_hours: p90 ?? null };
  });
}
