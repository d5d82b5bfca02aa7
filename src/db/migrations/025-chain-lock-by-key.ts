// The learner chains' refresh (migrations 022 and 023) locks the learners' users rows first. It
// named them as "id in this list and tenant in that one", which the planner, without statistics on
// users (autovacuum off, or not yet round after a bulk load), read through the index on tenant_id:
// every user of the tenant, once per statement, 1.9M rows in 20 s of a million-award seed. As a
// join of the (tenant, id) pairs on the primary key it reads one row per learner whatever the
// statistics. Fresh databases get this text from 022 and 023 already (they share the builder);
// this brings it to those migrated before.
import { chainsRefresh, dayRollup } from './022-learner-chains.js';
import { monthRollup } from './023-pathway-link-months.js';

export const sql = chainsRefresh('create or replace', [dayRollup, monthRollup]);
