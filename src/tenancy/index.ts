export { createTenantService, type TenantService } from './service.js';
export type { Tenant, ApiKeyRecord } from './repository.js';
