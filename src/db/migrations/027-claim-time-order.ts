// The organisation's median and p90 read a claim bucket's awards of a window ranked by time to
// claim (src/analytics/claim-percentiles.ts). awards_claim_time kept them in award order, so each
// read sorted the whole bucket to take one rank: at a million awards the median's bucket holds 32k
// awards, and the four reads of a panel (median and p90 of the range and of all time) took 63 ms of
// the server's time. Keyed on the time to claim itself within the bucket, a read walks the index to
// the rank and stops: no sort. The interval is immutable where date_part on a timestamp is not, and
// it orders the awards as their hours to claim do (those round whole microseconds to milliseconds).
// Both ends are included so that the hours are computed from the index alone, as the queries write
// them. It replaces awards_claim_time, so awards keep as many indexes.
import { claimBucketOf } from './020-claim-time-histogram.js';

export const sql = /* sql */ `
create index awards_claim_order on awards (tenant_id, (${claimBucketOf('awards')}), (accepted_at - awarded_at)) include (awarded_at, accepted_at, is_test)
  where accepted_at is not null;
drop index awards_claim_time;
`;
