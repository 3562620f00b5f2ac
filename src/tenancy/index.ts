// Tenancy: the tenant table and the service that adds, lists and finds tenants (default tenant
// ensured at start, others selected by SIP domain).
export { TenantService, DEFAULT_TENANT_NAME, checkTenantName, checkDomain, type Tenant, type TenantInput } from './tenant-service.ts';
export { tenant, type TenantRow } from './schema.ts';
