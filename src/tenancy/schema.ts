// Tenancy tables: one row per customer company. The default tenant (is_default = 1, at most
// one) accepts any SIP domain; others are selected by their sip_domain.
import { sql } from 'drizzle-orm';
import { integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

export const tenant = sqliteTable(
  'tenant',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    name: text('name').notNull().unique(),
    sipDomain: text('sip_domain').unique(), // lower-case; null only for the default tenant
    isDefault: integer('is_default', { mode: 'boolean' }).notNull().default(false),
    status: text('status', { enum: ['active', 'suspended'] }).notNull().default('active'),
    configManaged: integer('config_managed', { mode: 'boolean' }).notNull().default(false),
    /** Record every call of the tenant (R-BASIC-1); the B2BUA asks before each call. */
    recordingEnabled: integer('recording_enabled', { mode: 'boolean' }).notNull().default(true),
    /** Recordings older than this are deleted by the retention job (src/cdr/retention.ts). */
    recordingRetentionDays: integer('recording_retention_days').notNull().default(183),
    /** JSON of TenantSettings (tenant-settings.ts): operator, service hours, IVR, dial plan. */
    settings: text('settings').notNull().default('{}'),
    createdAt: integer('created_at').notNull(), // ms since epoch
  },
  (t) => [uniqueIndex('tenant_one_default').on(t.isDefault).where(sql`${t.isDefault} = 1`)],
);

export type TenantRow = typeof tenant.$inferSelect;
