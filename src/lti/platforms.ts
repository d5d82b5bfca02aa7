// The registry of LMS platforms and their deployments. Each platform lives twice, written together:
// in our tables (tenant, deployments, frame origins) and as ltijs documents (its services sign
// with the tool key kept there).
import { generateKeyPair as generateKeyPairCb, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { z } from 'zod';
import type { Db, LtijsStore, Queryable } from '../db/index.js';
import { BadRequestError, ConflictError, NotFoundError, newId } from '../shared/index.js';

const generateKeyPair = promisify(generateKeyPairCb);

const HttpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

export const PlatformInput = z.object({
  tenantId: z.uuid({ error: 'not a tenant id' }),
  issuer: HttpUrl,
  clientId: z.string().trim().min(1).max(255),
  authUrl: HttpUrl,
  tokenUrl: HttpUrl,
  jwksUrl: HttpUrl,
  deploymentIds: z.array(z.string().trim().min(1).max(255)).min(1, 'at least one deployment id'),
  name: z.string().max(200).default(''),
  product: z.string().max(100).default(''),
  active: z.boolean().default(true),
});
export type PlatformInput = z.input<typeof PlatformInput>;

export interface Platform {
  id: string;
  tenantId: string;
  issuer: string;
  clientId: string;
  authUrl: string;
  tokenUrl: string;
  jwksUrl: string;
  name: string;
  product: string;
  active: boolean;
  frameOrigins: string[];
  ltijsKid: string;
  deploymentIds: string[];
}

type PlatformRow = {
  id: string; tenant_id: string; issuer: string; client_id: string; auth_url: string; token_url: string;
  jwks_url: string; name: string; product: string; active: boolean; frame_origins: string[]; ltijs_kid: string;
  deployment_ids: string[] | null;
};

const SELECT = `select p.*, coalesce((select array_agg(d.deployment_id order by d.created_at) from deployments d
  where d.platform_id = p.id), '{}') as deployment_ids from platforms p`;

const toPlatform = (r: PlatformRow): Platform => ({
  id: r.id,
  tenantId: r.tenant_id,
  issuer: r.issuer,
  clientId: r.client_id,
  authUrl: r.auth_url,
  tokenUrl: r.token_url,
  jwksUrl: r.jwks_url,
  name: r.name,
  product: r.product,
  active: r.active,
  frameOrigins: r.frame_origins,
  ltijsKid: r.ltijs_kid,
  deploymentIds: r.deployment_ids ?? [],
});

/**
 * How long frame origins are kept in memory. Every response needs them (frame-ancestors), so they
 * are not read per request; this process's own changes clear them at once, another server
 * process's changes are seen within this time.
 */
const FRAME_ORIGINS_TTL_MS = 10_000;

export function createPlatformRegistry({ db, ltijsStore, ltijsKey }: { db: Db; ltijsStore: LtijsStore; ltijsKey: string }) {
  const originsCache = new Map<string, { origins: Promise<string[]>; until: number }>();
  const forgetOrigins = () => originsCache.clear();

  async function find(q: Queryable, where: string, params: unknown[]): Promise<Platform[]> {
    const rows = await q.query<PlatformRow>(`${SELECT} where ${where} order by p.created_at`, params);
    return rows.map(toPlatform);
  }

  // ltijs's own record of the platform and its tool key pair, in the shape its services read.
  async function writeLtijsDocuments(p: Platform): Promise<void> {
    const { publicKey, privateKey } = await generateKeyPair('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    });
    const index = { kid: p.ltijsKid, platformUrl: p.issuer, clientId: p.clientId };
    const owner = { platformUrl: p.issuer, clientId: p.clientId };
    await ltijsStore.Replace(ltijsKey, 'publickey', owner, { key: publicKey, kid: p.ltijsKid }, index);
    await ltijsStore.Replace(ltijsKey, 'privatekey', owner, { key: privateKey, kid: p.ltijsKid }, index);
    await writeLtijsPlatform(p);
  }

  async function writeLtijsPlatform(p: Platform): Promise<void> {
    await ltijsStore.Replace(false, 'platform', { platformUrl: p.issuer, clientId: p.clientId }, {
      platformName: p.name || p.issuer,
      platformUrl: p.issuer,
      clientId: p.clientId,
      authEndpoint: p.authUrl,
      accesstokenEndpoint: p.tokenUrl,
      authorizationServer: p.tokenUrl,
      kid: p.ltijsKid,
      authConfig: { method: 'JWK_SET', key: p.jwksUrl },
    });
    await ltijsStore.Replace(false, 'platformStatus', { id: p.ltijsKid }, { id: p.ltijsKid, active: p.active });
  }

  return {
    async register(input: PlatformInput): Promise<Platform> {
      const parsed = PlatformInput.safeParse(input);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new BadRequestError('invalid_platform', `${issue.path.join('.') || 'platform'}: ${issue.message}`);
      }
      const v = parsed.data;
      const tenant = await db.query('select 1 from tenants where tenant_id = $1', [v.tenantId]);
      if (tenant.length === 0) throw new NotFoundError('tenant_not_found', `unknown tenant: ${v.tenantId}`);
      const existing = await find(db, 'p.issuer = $1 and p.client_id = $2', [v.issuer, v.clientId]);
      if (existing.length > 0) throw new ConflictError('platform_exists', `platform ${v.issuer} with client id ${v.clientId} is already registered`);
      const id = newId();
      const ltijsKid = randomBytes(16).toString('hex');
      await db.transaction(async (tx) => {
        await tx.query(
          `insert into platforms (tenant_id, id, issuer, client_id, auth_url, token_url, jwks_url, name, product, active, frame_origins, ltijs_kid)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
          [v.tenantId, id, v.issuer, v.clientId, v.authUrl, v.tokenUrl, v.jwksUrl, v.name, v.product, v.active, [new URL(v.issuer).origin], ltijsKid],
        );
        for (const d of new Set(v.deploymentIds)) {
          await tx.query('insert into deployments (tenant_id, platform_id, deployment_id) values ($1, $2, $3)', [v.tenantId, id, d]);
        }
      });
      forgetOrigins();
      const platform = (await find(db, 'p.id = $1', [id]))[0]!;
      try {
        await writeLtijsDocuments(platform);
      } catch (err) {
        await db.query('delete from platforms where id = $1', [id]);
        forgetOrigins();
        throw err;
      }
      return platform;
    },

    async update(id: string, fields: { authUrl?: string; tokenUrl?: string; jwksUrl?: string; active?: boolean }): Promise<Platform> {
      const current = (await find(db, 'p.id = $1', [id]))[0];
      if (!current) throw new NotFoundError('platform_not_found', `unknown platform: ${id}`);
      const next = { ...current, ...Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) } as Platform;
      await db.query('update platforms set auth_url = $2, token_url = $3, jwks_url = $4, active = $5 where id = $1', [
        id, next.authUrl, next.tokenUrl, next.jwksUrl, next.active,
      ]);
      forgetOrigins();
      await writeLtijsPlatform(next);
      return next;
    },

    async remove(id: string): Promise<void> {
      const p = (await find(db, 'p.id = $1', [id]))[0];
      if (!p) throw new NotFoundError('platform_not_found', `unknown platform: ${id}`);
      await db.query('delete from platforms where id = $1', [id]);
      forgetOrigins();
      const owner = { platformUrl: p.issuer, clientId: p.clientId };
      for (const c of ['platform', 'publickey', 'privatekey']) await ltijsStore.Delete(c, owner);
      await ltijsStore.Delete('platformStatus', { id: p.ltijsKid });
    },

    async addDeployment(platformId: string, deploymentId: string): Promise<void> {
      await db.query(
        `insert into deployments (tenant_id, platform_id, deployment_id)
         select tenant_id, id, $2 from platforms where id = $1 on conflict do nothing`,
        [platformId, deploymentId],
      );
    },

    /** Remembers an LMS origin seen in a validated (signed) launch as allowed to frame the tool. */
    async addFrameOrigin(platformId: string, origin: string): Promise<void> {
      await db.query(
        `update platforms set frame_origins = array_append(frame_origins, $2)
         where id = $1 and not ($2 = any(frame_origins))`,
        [platformId, origin],
      );
      forgetOrigins();
    },

    get: async (id: string) => (await find(db, 'p.id = $1', [id]))[0] ?? null,
    list: (tenantId?: string) => (tenantId ? find(db, 'p.tenant_id = $1', [tenantId]) : find(db, 'true', [])),
    byIssuer: (issuer: string) => find(db, 'p.issuer = $1', [issuer]),

    /** Origins allowed to frame the tool: one tenant's platforms, or every active platform. */
    frameOrigins(tenantId?: string): Promise<string[]> {
      const key = tenantId ?? '*';
      const hit = originsCache.get(key);
      if (hit && hit.until > Date.now()) return hit.origins;
      const origins = db.query<{ origin: string }>(
        `select distinct unnest(frame_origins) as origin from platforms where active and ($1::uuid is null or tenant_id = $1) order by 1`,
        [tenantId ?? null],
      ).then((rows) => rows.map((r) => r.origin));
      originsCache.set(key, { origins, until: Date.now() + FRAME_ORIGINS_TTL_MS });
      origins.catch(() => originsCache.delete(key)); // a failed read is not kept
      return origins;
    },
  };
}

export type PlatformRegistry = ReturnType<typeof createPlatformRegistry>;
