// The location service's persistent side: one row per registered contact of an extension.
import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { tenant } from '../tenancy/schema.ts';
import { extension } from './schema.ts';

export const registration = sqliteTable(
  'registration',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    tenantId: integer('tenant_id')
      .notNull()
      .references(() => tenant.id, { onDelete: 'cascade' }),
    extensionId: integer('extension_id')
      .notNull()
      .references(() => extension.id, { onDelete: 'cascade' }),
    contact: text('contact').notNull(),
    callId: text('call_id').notNull(),
    cseq: integer('cseq').notNull(),
    expiresAt: integer('expires_at').notNull(), // ms since epoch
    registeredAt: integer('registered_at').notNull(),
    sourceTransport: text('source_transport').notNull(),
    sourceAddress: text('source_address').notNull(),
    sourcePort: integer('source_port').notNull(),
    natted: integer('natted', { mode: 'boolean' }).notNull().default(false),
    userAgent: text('user_agent'),
  },
  (t) => [uniqueIndex('registration_extension_contact').on(t.extensionId, t.contact), index('registration_tenant').on(t.tenantId)],
);
