// SQL for tenants and API keys.
import type { Queryable } from '../db/index.js';

export interface Tenant {
  id: string;
  name: string;
  createdAt: Date;
}

export interface ApiKeyRecord {
  id: string;
  tenantId: string;
  courseId: string | null;
  prefix: string;
  createdAt: Date;
}

type TenantRow = { tenant_id: string; name: string; created_at: Date };
const toTenant = (r: TenantRow): Tenant => ({ id: r.tenant_id, name: r.name, createdAt: r.created_at });

export function tenantRepository(db: Queryable) {
  return {
    async insert(id: string, name: string): Promise<Tenant> {
      const rows = await db.query<TenantRow>('insert into tenants (tenant_id, name) values ($1, $2) returning *', [id, name]);
      return toTenant(rows[0]!);
    },
    async find(id: string): Promise<Tenant | null> {
      const rows = await db.query<TenantRow>('select * from tenants where tenant_id = $1', [id]);
      return rows[0] ? toTenant(rows[0]) : null;
    },
    async list(): Promise<Tenant[]> {
      const rows = await db.query<TenantRow>('select * from tenants order by created_at, name');
      return rows.map(toTenant);
    },
    async courseBelongs(tenantId: string, courseId: string): Promise<boolean> {
      const rows = await db.query('select 1 from courses where tenant_id = $1 and id = $2', [tenantId, courseId]);
      return rows.length > 0;
    },
    async insertApiKey(k: { id: string; tenantId: string; courseId: string | null; keyHash: string; prefix: string }) {
      await db.query('insert into api_keys (tenant_id, id, course_id, key_hash, prefix) values ($1, $2, $3, $4, $5)', [
        k.tenantId,
        k.id,
        k.courseId,
        k.keyHash,
        k.prefix,
      ]);
    },
    async findApiKeyByHash(keyHash: string): Promise<ApiKeyRecord | null> {
      const rows = await db.query<{ id: string; tenant_id: string; course_id: string | null; prefix: string; created_at: Date }>(
        'select * from api_keys where key_hash = $1 and revoked_at is null',
        [keyHash],
      );
      const r = rows[0];
      return r ? { id: r.id, tenantId: r.tenant_id, courseId: r.course_id, prefix: r.prefix, createdAt: r.created_at } : null;
    },
    async listApiKeys(tenantId: string): Promise<ApiKeyRecord[]> {
      const rows = await db.query<{ id: string; tenant_id: string; course_id: string | null; prefix: string; created_at: Date }>(
        'select * from api_keys where tenant_id = $1 and revoked_at is null order by created_at',
        [tenantId],
      );
      return rows.map((r) => ({ id: r.id, tenantId: r.tenant_id, courseId: r.course_id, prefix: r.prefix, createdAt: r.created_at }));
    },
  };
}
