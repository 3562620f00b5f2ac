// Directory tables: extensions (internal short numbers) of a tenant.
import { integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { tenant } from '../tenancy/schema.ts';
import { employee } from './organisation-schema.ts';

export const extension = sqliteTable(
  'extension',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    tenantId: integer('tenant_id')
      .notNull()
      .references(() => tenant.id, { onDelete: 'cascade' }),
    number: text('number').notNull(),
    /** employee: an employee's own; operator: the switchboard's; function: fax, meeting room, … */
    kind: text('kind', { enum: ['employee', 'operator', 'function'] }).notNull().default('function'),
    /** The employee whose extension it is (one each). */
    employeeId: integer('employee_id').references(() => employee.id, { onDelete: 'set null' }),
    displayName: text('display_name'),
    // Kept in clear: digest (MD5 and SHA-256, any realm) needs the secret itself.
    sipPassword: text('sip_password').notNull(),
    maxTerminals: integer('max_terminals').notNull().default(3),
    ringStrategy: text('ring_strategy', { enum: ['sequential', 'simultaneous'] }).notNull().default('simultaneous'),
    ringTimeoutS: integer('ring_timeout_s').notNull().default(20),
    maxConcurrentCalls: integer('max_concurrent_calls').notNull().default(2),
    voicemailEnabled: integer('voicemail_enabled', { mode: 'boolean' }).notNull().default(true),
    /** Digits the owner enters to listen by phone (*97); null = no PIN set (listening by phone refused). */
    voicemailPin: text('voicemail_pin'),
    /** The box's own greeting (WAV path), or null for the default prompt. */
    voicemailGreeting: text('voicemail_greeting'),
    configManaged: integer('config_managed', { mode: 'boolean' }).notNull().default(false),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [uniqueIndex('extension_tenant_number').on(t.tenantId, t.number), uniqueIndex('extension_employee').on(t.employeeId)],
);

export type ExtensionRow = typeof extension.$inferSelect;
