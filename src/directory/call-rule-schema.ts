// Per-extension black/white lists (R-VAS-4 and the outbound permission chain): `outbound` rules
// say which outside numbers an extension may dial (prefixes of the national form), `inbound`
// rules which of the tenant's extensions may call it (extension numbers or prefixes). With any
// `allow` rule in a scope the list is a whitelist; `deny` rules always refuse.
import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { tenant } from '../tenancy/schema.ts';
import { extension } from './schema.ts';

export const extensionCallRule = sqliteTable(
  'extension_call_rule',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    tenantId: integer('tenant_id')
      .notNull()
      .references(() => tenant.id, { onDelete: 'cascade' }),
    extensionId: integer('extension_id')
      .notNull()
      .references(() => extension.id, { onDelete: 'cascade' }),
    scope: text('scope', { enum: ['outbound', 'inbound'] }).notNull(),
    action: text('action', { enum: ['allow', 'deny'] }).notNull(),
    pattern: text('pattern').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('extension_call_rule_extension').on(t.extensionId)],
);

export type ExtensionCallRuleRow = typeof extensionCallRule.$inferSelect;
