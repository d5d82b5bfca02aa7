// Tenants (one per institution) and their API keys. Keys are shown once and stored hashed.
import { z } from 'zod';
import type { Db } from '../db/index.js';
import { BadRequestError, NotFoundError, newId, newToken, sha256Hex } from '../shared/index.js';
import { tenantRepository, type ApiKeyRecord, type Tenant } from './repository.js';

export const TenantName = z.string().trim().min(1, 'name must not be empty').max(200, 'name is too long');
export const Uuid = z.uuid();

export function createTenantService({ db }: { db: Db }) {
  const repo = tenantRepository(db);

  async function requireTenant(id: string): Promise<Tenant> {
    if (!Uuid.safeParse(id).success) throw new BadRequestError('invalid_tenant_id', `not a tenant id: ${id}`);
    const tenant = await repo.find(id);
    if (!tenant) throw new NotFoundError('tenant_not_found', `unknown tenant: ${id}`);
    return tenant;
  }

  return {
    requireTenant,
    list: () => repo.list(),
    async create(name: string): Promise<Tenant> {
      const parsed = TenantName.safeParse(name);
      if (!parsed.success) throw new BadRequestError('invalid_tenant_name', parsed.error.issues[0]!.message);
      return repo.insert(newId(), parsed.data);
    },
    /** Creates a key scoped to the tenant, or to one of its courses. The plain key is returned once. */
    async createApiKey(tenantId: string, courseId?: string): Promise<{ key: string; record: ApiKeyRecord }> {
      await requireTenant(tenantId);
      if (courseId !== undefined) {
        if (!Uuid.safeParse(courseId).success || !(await repo.courseBelongs(tenantId, courseId))) {
          throw new NotFoundError('course_not_found', `no course ${courseId} in tenant ${tenantId}`);
        }
      }
      const secret = newToken(32);
      const prefix = secret.slice(0, 8);
      const key = `bt_${secret}`;
      const id = newId();
      await repo.insertApiKey({ id, tenantId, courseId: courseId ?? null, keyHash: sha256Hex(key), prefix });
      return { key, record: { id, tenantId, courseId: courseId ?? null, prefix, createdAt: new Date() } };
    },
    /** The key's scope, or null when the key is unknown or revoked. */
    verifyApiKey: (key: string) => repo.findApiKeyByHash(sha256Hex(key)),
    listApiKeys: (tenantId: string) => repo.listApiKeys(tenantId),
  };
}

export type TenantService = ReturnType<typeof createTenantService>;
