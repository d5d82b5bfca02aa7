// The organisation's median and p90 hours to claim per window, from the claim-time histogram of
// migration 020 instead of a sort of every accepted award. The bucket counts of the window (whole
// months from tenant_month_claims, other whole days from tenant_day_claims, partial days from the
// awards) locate each rank's bucket and its place in it, and the index awards_claim_order
// (migration 027) walks just that bucket's awards of the window, in order of time to claim, to the
// ranked values. The result is PostgreSQL's percentile_cont, computed as it computes it.
// Both reads must see one snapshot (the caller's transaction): the histogram is kept by triggers in
// the transactions that write the awards, so within a snapshot the two agree to the award.
import { claimBucketOf, type Queryable } from '../db/index.js';
import { hoursToClaimOf, Params, type AwardFilter } from './scoped-awards.js';
import { awardReads, inWholeMonths, inWindow, maskOf, rollupDaysOutsideMonths, type Window } from './windows.js';

const PERCENTILES = [0.5, 0.9] as const;
const HOURS = hoursToClaimOf('a');

/** The bucket holding each rank (0-based, ascending) of a window's histogram, and the rank's offset within it. */
function locate(histogram: ReadonlyMap<number, number>, ranks: readonly number[]): Array<{ bucket: number; offset: number }> {
  const buckets = [...histogram].sort(([x], [y]) => x - y);
  return ranks.map((rank) => {
    let below = 0;
    for (const [bucket, n] of buckets) {
      if (rank < below + n) return { bucket, offset: rank - below };
      below += n;
    }
    throw new Error(`rank ${rank} beyond the histogram's ${below} awards`);
  });
}

/** The two rows percentile_cont interpolates between for fraction p of n sorted values, and the fraction between them. */
const rowsFor = (p: number, n: number) => ({ first: Math.floor(p * (n - 1)), second: Math.ceil(p * (n - 1)), proportion: p * (n - 1) - Math.floor(p * (n - 1)) });

export async function orgClaimPercentiles(db: Queryable, f: AwardFilter, windows: readonly Window[]) {
  const p = new Params();
  const tenant = p.add(f.tenantId);
  const test = (alias: string) => (f.includeTest ? '' : ` and not ${alias}.is_test`);
  // whole months from tenant_month_claims (migration 028), other whole days from tenant_day_claims;
  // a partial day from its awards, or as its histogram less its awards outside the window (windows.ts)
  const months = windows.map((w) => inWholeMonths(w, p, 'm.month'));
  const days = windows.map((w) => rollupDaysOutsideMonths(w, p, f.now, 'd.day'));
  const awarded = windows.map((w) => awardReads(w, p, f.now, 'a.awarded_at'));
  const [plus, minus] = [awarded.map((r) => r.plus), awarded.map((r) => r.minus)];
  const counts = await db.query<{ mask: number; bucket: number; n: number }>(`select mask, bucket, sum(n)::int as n from (
      select ${maskOf(plus)} as mask, ${claimBucketOf('a')} as bucket, 1 as n from awards a
      where a.tenant_id = ${tenant}${test('a')} and a.accepted_at is not null and (${plus.join(' or ')})
      union all
      select ${maskOf(minus)}, ${claimBucketOf('a')}, -1 from awards a
      where a.tenant_id = ${tenant}${test('a')} and a.accepted_at is not null and (${minus.join(' or ')})
      union all
      select ${maskOf(days)}, d.bucket, d.n from tenant_day_claims d
      where d.tenant_id = ${tenant}${test('d')} and d.n <> 0 and (${days.join(' or ')})
      union all
      select ${maskOf(months)}, m.bucket, m.n from tenant_month_claims m
      where m.tenant_id = ${tenant}${test('m')} and m.n <> 0 and (${months.join(' or ')})) u
    group by mask, bucket`, p.values);

  const perWindow = windows.map((_, i) => {
    const histogram = new Map<number, number>();
    for (const r of counts) if ((r.mask >> i) & 1) histogram.set(r.bucket, (histogram.get(r.bucket) ?? 0) + r.n);
    const n = [...histogram.values()].reduce((s, x) => s + x, 0);
    const rows = n === 0 ? [] : PERCENTILES.map((pct) => rowsFor(pct, n));
    const ranks = [...new Set(rows.flatMap((r) => [r.first, r.second]))];
    const places = locate(histogram, ranks);
    return { rows, located: new Map(ranks.map((rank, j) => [rank, places[j]!])) };
  });

  // one read per window and bucket: the offsets it needs, as one slice of the bucket's sorted hours
  const reads = new Map<string, { window: number; bucket: number; from: number; to: number }>();
  perWindow.forEach((w, i) => {
    for (const { bucket, offset } of w.located.values()) {
      const key = `${i} ${bucket}`;
      const r = reads.get(key) ?? { window: i, bucket, from: offset, to: offset };
      reads.set(key, { ...r, from: Math.min(r.from, offset), to: Math.max(r.to, offset) });
    }
  });
  const values = new Map<string, number>();
  if (reads.size > 0) {
    const q = new Params();
    const t = q.add(f.tenantId);
    // in the order of awards_claim_order (migration 027), which the hours follow: a walk to the rank, no sort
    const parts = [...reads.values()].map((r) => `select ${r.window} as w, ${r.bucket} as bucket, ${r.from} as first, array(
        select ${HOURS} from awards a
        where a.tenant_id = ${t} and a.accepted_at is not null and ${claimBucketOf('a')} = ${q.add(r.bucket, '::int')}${test('a')} and ${inWindow(windows[r.window]!, q, 'a.awarded_at')}
        order by a.accepted_at - a.awarded_at offset ${q.add(r.from, '::int')} limit ${q.add(r.to - r.from + 1, '::int')}) as hours`);
    for (const row of await db.query<{ w: number; bucket: number; first: number; hours: number[] }>(parts.join('\nunion all\n'), q.values)) {
      row.hours.forEach((h, k) => values.set(`${row.w} ${row.bucket} ${row.first + k}`, h));
    }
  }
  const valueAt = (window: number, rank: number) => {
    const { bucket, offset } = perWindow[window]!.located.get(rank)!;
    const v = values.get(`${window} ${bucket} ${offset}`);
    if (v === undefined) throw new Error(`no award at rank ${rank} of window ${windows[window]!.name}`);
    return v;
  };
  return windows.map((w, i) => {
    const [median, p90] = perWindow[i]!.rows.map((r) => {
      const lo = valueAt(i, r.first);
      // as PostgreSQL's float8 lerp: lo + proportion × (hi − lo)
      return r.second > r.first ? lo + r.proportion * (valueAt(i, r.second) - lo) : lo;
    });
    return { name: w.name, median_hours: median ?? null, p90_hours: p90 ?? null };
  });
}
