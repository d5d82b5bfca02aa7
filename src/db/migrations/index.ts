// Versioned migrations, applied in order, each once, in one transaction each. Kept as TypeScript
// modules so the built server finds them without copying files.
import { sql as foundation } from './001-foundation.js';
import { sql as credentials } from './002-credentials.js';
import { sql as completions } from './003-completions.js';
import { sql as claims } from './004-claims.js';
import { sql as notifications } from './005-notifications.js';
import { sql as ags } from './006-ags.js';
import { sql as lmsPull } from './007-lms-pull.js';
import { sql as importIds } from './008-import.js';
import { sql as reminders } from './009-reminders.js';
import { sql as awardStats } from './010-award-stats.js';
import { sql as eventsByMonth } from './011-events-by-month.js';
import { sql as deferredSigning } from './012-deferred-signing.js';
import { sql as dailyRollup } from './013-daily-rollup.js';
import { sql as awardStatsPerStatement } from './014-award-stats-per-statement.js';
import { sql as leanerCountTriggers } from './015-leaner-count-triggers.js';
import { sql as channelScopeIndexes } from './016-channel-scope-indexes.js';
import { sql as signingQueueTable } from './017-signing-queue-table.js';
import { sql as awardsByLearner } from './018-awards-by-learner.js';
import { sql as coarserRollups } from './019-coarser-rollups.js';
import { sql as claimTimeHistogram } from './020-claim-time-histogram.js';
import { sql as coveringScopeIndexes } from './021-covering-scope-indexes.js';
import { sql as learnerChains } from './022-learner-chains.js';
import { sql as pathwayLinkMonths } from './023-pathway-link-months.js';
import { sql as awardKeys } from './024-award-keys.js';
import { sql as chainLockByKey } from './025-chain-lock-by-key.js';
import { sql as awardTotalCounts } from './026-award-total-counts.js';
import { sql as claimTimeOrder } from './027-claim-time-order.js';
import { sql as monthClaims } from './028-month-claims.js';
import { sql as pathwayLinkTotals } from './029-pathway-link-totals.js';
import { sql as learnerChainTotals } from './030-learner-chain-totals.js';
import { sql as credentialInputs } from './031-credential-inputs.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const migrations: readonly Migration[] = [
  { version: 1, name: 'foundation', sql: foundation },
  { version: 2, name: 'credentials', sql: credentials },
  { version: 3, name: 'completions', sql: completions },
  { version: 4, name: 'claims', sql: claims },
  { version: 5, name: 'notifications', sql: notifications },
  { version: 6, name: 'ags', sql: ags },
  { version: 7, name: 'lms-pull', sql: lmsPull },
  { version: 8, name: 'import', sql: importIds },
  { version: 9, name: 'reminders', sql: reminders },
  { version: 10, name: 'award-stats', sql: awardStats },
  { version: 11, name: 'events-by-month', sql: eventsByMonth },
  { version: 12, name: 'deferred-signing', sql: deferredSigning },
  { version: 13, name: 'daily-rollup', sql: dailyRollup },
  { version: 14, name: 'award-stats-per-statement', sql: awardStatsPerStatement },
  { version: 15, name: 'leaner-count-triggers', sql: leanerCountTriggers },
  { version: 16, name: 'channel-scope-indexes', sql: channelScopeIndexes },
  { version: 17, name: 'signing-queue-table', sql: signingQueueTable },
  { version: 18, name: 'awards-by-learner', sql: awardsByLearner },
  { version: 19, name: 'coarser-rollups', sql: coarserRollups },
  { version: 20, name: 'claim-time-histogram', sql: claimTimeHistogram },
  { version: 21, name: 'covering-scope-indexes', sql: coveringScopeIndexes },
  { version: 22, name: 'learner-chains', sql: learnerChains },
  { version: 23, name: 'pathway-link-months', sql: pathwayLinkMonths },
  { version: 24, name: 'award-keys', sql: awardKeys },
  { version: 25, name: 'chain-lock-by-key', sql: chainLockByKey },
  { version: 26, name: 'award-total-counts', sql: awardTotalCounts },
  { version: 27, name: 'claim-time-order', sql: claimTimeOrder },
  { version: 28, name: 'month-claims', sql: monthClaims },
  { version: 29, name: 'pathway-link-totals', sql: pathwayLinkTotals },
  { version: 30, name: 'learner-chain-totals', sql: learnerChainTotals },
  { version: 31, name: 'credential-inputs', sql: credentialInputs },
];
