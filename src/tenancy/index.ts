// Tenancy: the tenant table and the service that adds, lists, finds and updates tenants (default
// tenant ensured at start, others selected by SIP domain; per-tenant recording switch and retention).
export {
  TenantService,
  DEFAULT_TENANT_NAME,
  RETENTION_DAYS,
  checkTenantName,
  checkDomain,
  checkRetentionDays,
  type Tenant,
  type TenantInput,
  type TenantPatch,
  type RecordingPolicy,
} from './tenant-service.ts';
export { tenant, type TenantRow } from './schema.ts';
