// The admin command line's commands (PRODUCT.md §7b), run in the server process (through the admin
// socket) or, when no server holds the database, directly. Each prints lines and returns an exit
// code; bad input is one line of reason and a non-zero code.
import { parseArgs } from 'node:util';
import type { LmsPull } from '../completions/index.js';
import type { SigningKeyStore } from '../credentials/index.js';
import type { Importer } from '../imports/index.js';
import type { PlatformRegistry } from '../lti/index.js';
import { AppError, type Clock } from '../shared/index.js';
import type { TenantService } from '../tenancy/index.js';
import { FlagError, runSeed } from './seed.js';

export interface AdminServices {
  lmsPull?: LmsPull;
  tenants: TenantService;
  platforms: PlatformRegistry;
  signingKeys: SigningKeyStore;
  /** For `seed`: the import path the synthetic history goes through, and the server's clock. */
  importer?: Importer;
  clock?: Clock;
}

export interface AdminResult {
  code: number;
  out: string[];
}

const USAGE = [
  'usage: npm run admin -- <command>',
  '  tenant create --name <name>',
  '  tenant list',
  '  platform add --tenant <id> --issuer <url> --client-id <id> --auth-url <url> --token-url <url> --jwks-url <url> --deployment <id> [--deployment <id>…] [--name <name>]',
  '  platform list [--tenant <id>]',
  '  platform remove --id <platform id>',
  '  platform connect --id <platform id> --kind canvas|moodle --base-url <url> --token <token>',
  '  apikey create --tenant <id> [--course <id>]',
  '  keys rotate --tenant <id>',
  '  seed --learners <n> --courses <n> --modules <n> --days <n> [--tenant <id>] [--seed <n>] [--views <mean views per share>]',
];

class UsageError extends Error {}

const COMMANDS = new Set(['tenant create', 'tenant list', 'platform add', 'platform list', 'platform remove', 'platform connect', 'apikey create', 'keys rotate', 'seed']);
// Commands of one word; the others are "<group> <action>".
const SINGLE = new Set(['seed']);
const commandOf = (argv: readonly string[]) => {
  const words = SINGLE.has(argv[0] ?? '') ? 1 : 2;
  return { name: argv.slice(0, words).join(' '), rest: argv.slice(words) };
};

/** Usage errors answered without touching the database. */
export function usageProblem(argv: readonly string[]): AdminResult | null {
  const { name } = commandOf(argv);
  if (COMMANDS.has(name)) return null;
  return { code: 2, out: [argv.length ? `error: unknown command: ${name}` : 'error: no command given', ...USAGE] };
}

function need(values: Record<string, unknown>, name: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v.trim() === '') throw new UsageError(`missing --${name}`);
  return v;
}

export async function runAdminCommand(argv: readonly string[], s: AdminServices): Promise<AdminResult> {
  const { name: command, rest } = commandOf(argv);
  const [group, action] = argv;
  const out: string[] = [];
  try {
    const { values } = parseArgs({
      args: rest,
      strict: true,
      options: {
        name: { type: 'string' }, tenant: { type: 'string' }, issuer: { type: 'string' }, 'client-id': { type: 'string' },
        'auth-url': { type: 'string' }, 'token-url': { type: 'string' }, 'jwks-url': { type: 'string' },
        deployment: { type: 'string', multiple: true }, id: { type: 'string' }, course: { type: 'string' }, product: { type: 'string' },
        kind: { type: 'string' }, 'base-url': { type: 'string' }, token: { type: 'string' },
        learners: { type: 'string' }, courses: { type: 'string' }, modules: { type: 'string' }, days: { type: 'string' }, seed: { type: 'string' }, views: { type: 'string' },
      },
    });
    switch (SINGLE.has(command) ? command : `${group ?? ''} ${action ?? ''}`) {
      case 'tenant create': {
        const t = await s.tenants.create(need(values, 'name'));
        out.push(`created tenant "${t.name}"`, t.id);
        break;
      }
      case 'tenant list':
        for (const t of await s.tenants.list()) out.push(`${t.id}\t${t.name}`);
        break;
      case 'platform add': {
        const tenantId = need(values, 'tenant');
        await s.tenants.requireTenant(tenantId);
        if (!values.deployment?.length) throw new UsageError('missing --deployment');
        const p = await s.platforms.register({
          tenantId,
          issuer: need(values, 'issuer'),
          clientId: need(values, 'client-id'),
          authUrl: need(values, 'auth-url'),
          tokenUrl: need(values, 'token-url'),
          jwksUrl: need(values, 'jwks-url'),
          deploymentIds: values.deployment,
          name: values.name ?? '',
          product: values.product ?? '',
        });
        out.push(`registered platform ${p.issuer} (client id ${p.clientId}, deployments ${p.deploymentIds.join(', ')})`, p.id);
        break;
      }
      case 'platform list':
        if (values.tenant) await s.tenants.requireTenant(values.tenant);
        for (const p of await s.platforms.list(values.tenant)) {
          out.push(`${p.id}\t${p.tenantId}\t${p.issuer}\t${p.clientId}\t${p.deploymentIds.join(',')}\t${p.active ? 'active' : 'inactive'}`);
        }
        break;
      case 'platform remove': {
        const id = need(values, 'id');
        if (!/^[0-9a-f-]{36}$/i.test(id)) throw new UsageError(`not a platform id: ${id}`);
        await s.platforms.remove(id);
        out.push(`removed platform ${id}`);
        break;
      }
      case 'platform connect': {
        const id = need(values, 'id');
        if (!/^[0-9a-f-]{36}$/i.test(id)) throw new UsageError(`not a platform id: ${id}`);
        if (!s.lmsPull) throw new UsageError('LMS pull is not available here');
        await s.lmsPull.connect(id, need(values, 'kind'), need(values, 'base-url'), need(values, 'token'));
        out.push(`platform ${id} connected to its ${values.kind} API; grades are read on instructor launches and on schedule`);
        break;
      }
      case 'apikey create': {
        const { key, record } = await s.tenants.createApiKey(need(values, 'tenant'), values.course);
        out.push(`created API key ${record.id} for tenant ${record.tenantId}${record.courseId ? `, course ${record.courseId}` : ''} (shown once; stored hashed)`, key);
        break;
      }
      case 'keys rotate': {
        const tenantId = need(values, 'tenant');
        await s.tenants.requireTenant(tenantId);
        const keys = await s.signingKeys.rotate(tenantId);
        out.push(...keys.map((k) => `new ${k.alg} key ${k.kid}`), 'previous keys stay published for verification');
        break;
      }
      case 'seed':
        out.push(...(await runSeed(values, s)));
        break;
      default:
        throw new UsageError(group ? `unknown command: ${[group, action].filter(Boolean).join(' ')}` : 'no command given');
    }
    return { code: 0, out };
  } catch (err) {
    // `seed` explains bad input in one line; the older commands add the usage text.
    const usage = SINGLE.has(command) ? [] : USAGE;
    if (err instanceof UsageError) return { code: 2, out: [`error: ${err.message}`, ...usage] };
    if (err instanceof FlagError) return { code: 2, out: [`error: ${err.message}`] };
    if (err instanceof AppError) return { code: 1, out: [`error: ${err.message}`] };
    if (err instanceof TypeError && 'code' in err && String((err as { code: unknown }).code).startsWith('ERR_PARSE_ARGS')) {
      return { code: 2, out: [`error: ${err.message}`, ...usage] };
    }
    return { code: 1, out: [`error: ${(err as Error).message}`] };
  }
}
