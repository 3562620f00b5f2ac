// Every mutation made through the service layer, whoever asked (CLI, API, config).
import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

export const auditLog = sqliteTable(
  'audit_log',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    at: integer('at').notNull(), // ms since epoch
    actor: text('actor').notNull(), // "cli:alice", "token:3", "config"
    action: text('action').notNull(), // "extension.add", "token.revoke", ...
    target: text('target').notNull(), // "acme/1001", "token:4"
    tenantId: integer('tenant_id'), // no FK: the log outlives deleted tenants
    detail: text('detail'), // JSON
  },
  (t) => [index('audit_log_at').on(t.at)],
);
