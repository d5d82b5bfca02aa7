// `admin seed`: validated flags, then the tenant (created when none is given) and a platform for
// the seeded courses (registered when the tenant has none), then the history through the import
// path. Prints what it created and how long it took; the tenant id alone on the last line.
import { SEED_LIMITS, type Importer } from '../imports/index.js';
import type { PlatformRegistry } from '../lti/index.js';
import { systemClock, type Clock } from '../shared/index.js';
import type { TenantService } from '../tenancy/index.js';

/** Bad input that one line explains (no usage text needed). */
export class FlagError extends Error {}

export interface SeedServices { tenants: TenantService; platforms: PlatformRegistry; importer?: Importer; clock?: Clock }

const SEED_FLAGS = new Set(['tenant', 'learners', 'courses', 'modules', 'days', 'seed', 'views']);
const n = (x: number) => x.toLocaleString('en-US');

function whole(values: Record<string, unknown>, name: keyof typeof SEED_LIMITS, fallback?: number): number {
  const raw = values[name];
  const { min, max } = SEED_LIMITS[name];
  if (raw === undefined && fallback !== undefined) return fallback;
  if (typeof raw !== 'string' || raw.trim() === '') throw new FlagError(`missing --${name} (a whole number from ${n(min)} to ${n(max)})`);
  const v = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!Number.isSafeInteger(v) || v < min || v > max) throw new FlagError(`--${name} must be a whole number from ${n(min)} to ${n(max)}, not "${raw}"`);
  return v;
}

export async function runSeed(values: Record<string, unknown>, s: SeedServices): Promise<string[]> {
  // Every flag is checked before anything is written.
  const extra = Object.keys(values).find((k) => !SEED_FLAGS.has(k));
  if (extra) throw new FlagError(`seed does not take --${extra}`);
  const opts = { learners: whole(values, 'learners'), courses: whole(values, 'courses'), modules: whole(values, 'modules'), days: whole(values, 'days'), seed: whole(values, 'seed', 1),
    // Mean views per share; the synthetic default (3.5) when not given.
    ...(values.views === undefined ? {} : { viewsPerShare: whole(values, 'views') }) };
  if (!s.importer) throw new FlagError('seeding is not available here');
  const out: string[] = [];
  const given = values.tenant;
  if (given !== undefined && (typeof given !== 'string' || given.trim() === '')) throw new FlagError('--tenant needs a tenant id');
  const tenant = typeof given === 'string' ? await s.tenants.requireTenant(given) : await s.tenants.create('Synthetic University');
  if (given === undefined) out.push(`created tenant "${tenant.name}" ${tenant.id}`);
  let platform = (await s.platforms.list(tenant.id))[0];
  if (!platform) {
    const issuer = `https://lms-${tenant.id.slice(0, 8)}.seed.example`;
    platform = await s.platforms.register({
      tenantId: tenant.id, issuer, clientId: 'badgetrail-seed', authUrl: `${issuer}/auth`, tokenUrl: `${issuer}/token`, jwksUrl: `${issuer}/jwks`,
      deploymentIds: ['seed'], name: 'Synthetic LMS (admin seed)', product: 'seed',
    });
    out.push(`registered platform ${platform.issuer} ${platform.id}`);
  }
  const r = await s.importer.seed(tenant.id, { platformId: platform.id, ...opts, now: (s.clock ?? systemClock).now() });
  const refused = r.badges.refused + r.completions.refused + r.awards.refused + r.events.refused;
  out.push(
    `courses: ${n(r.coursesCreated)} created, ${n(r.coursesExisting)} already there (${r.prefix}-course-1…${opts.courses}), ${opts.modules} modules each`,
    `learners: ${n(r.learners)} and ${n(r.testAccounts)} test accounts, over ${opts.days} days (seed ${opts.seed})`,
    `imported ${n(r.badges.imported)} badges, ${n(r.completions.imported)} completions, ${n(r.awards.imported)} awards, ${n(r.events.imported)} events`
      + (refused ? `; refused ${n(refused)} items` : ''),
    `took ${r.seconds.toFixed(1)} s (${n(Math.round(r.awards.imported / Math.max(r.seconds, 0.001)))} awards/s)`,
    tenant.id,
  );
  return out;
}
