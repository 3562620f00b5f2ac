// Audit: the audit_log table and the writer every service uses for its mutations.
export { AuditLog, type AuditEntry, type AuditRecord } from './audit-log.ts';
export { auditLog } from './schema.ts';
