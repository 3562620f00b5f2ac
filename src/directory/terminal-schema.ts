// Terminals that are not registrations (ARCHITECTURE.md "terminal"): PSTN numbers an extension
// also rings (an employee's mobile), and the terminals of a direct-line number — a SIP device
// account (an extension of the tenant) or a PSTN number. Registered SIP devices of an extension
// are not rows: the location service holds them. At most 3 per owner, counted with them.
import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { tenant } from '../tenancy/schema.ts';
import { didNumber } from '../numbers/schema.ts';
import { extension } from './schema.ts';

export const terminal = sqliteTable(
  'terminal',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    tenantId: integer('tenant_id')
      .notNull()
      .references(() => tenant.id, { onDelete: 'cascade' }),
    /** Exactly one owner: an extension, or a direct-line number. */
    ownerExtensionId: integer('owner_extension_id').references(() => extension.id, { onDelete: 'cascade' }),
    ownerNumberId: integer('owner_number_id').references(() => didNumber.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: ['sip', 'pstn'] }).notNull(),
    /** kind pstn: the number to ring, as dialled at home (13812345678) or E.164. */
    pstnNumber: text('pstn_number'),
    /** kind sip on a number: the device account (an extension) whose registrations ring. */
    deviceExtensionId: integer('device_extension_id').references(() => extension.id, { onDelete: 'cascade' }),
    /** Ring order (sequential strategy), 0 first. */
    position: integer('position').notNull().default(0),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('terminal_owner_extension').on(t.ownerExtensionId), index('terminal_owner_number').on(t.ownerNumberId), index('terminal_device').on(t.deviceExtensionId)],
);

export type TerminalRow = typeof terminal.$inferSelect;
