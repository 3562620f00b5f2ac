// Voicemail (R-BASIC-5): messages left in an extension's box or the tenant's general box (for
// direct lines and closed hours). The audio is a WAV under the data directory; the row holds
// who called, when and for how long, and whether the owner has heard it.
import { sql } from 'drizzle-orm';
import { index, integer, real, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { tenant } from '../tenancy/schema.ts';
import { extension } from '../directory/schema.ts';

export const VOICEMAIL_STATUSES = ['new', 'saved', 'deleted'] as const;

export const voicemailMessage = sqliteTable(
  'voicemail_message',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    tenantId: integer('tenant_id')
      .notNull()
      .references(() => tenant.id, { onDelete: 'cascade' }),
    /** The box: an extension's, or null for the tenant's general box. */
    extensionId: integer('extension_id').references(() => extension.id, { onDelete: 'set null' }),
    callerNumber: text('caller_number').notNull(),
    callerName: text('caller_name'),
    callId: text('call_id'),
    path: text('path').notNull(),
    receivedAt: integer('received_at').notNull(),
    durationS: real('duration_s').notNull().default(0),
    /** new = not yet heard; saved = heard and kept; deleted = file removed. */
    status: text('status', { enum: VOICEMAIL_STATUSES }).notNull().default('new'),
    heardAt: integer('heard_at'),
  },
  (t) => [index('voicemail_box').on(t.tenantId, t.extensionId, t.receivedAt).where(sql`${t.status} != 'deleted'`)],
);

export type VoicemailMessageRow = typeof voicemailMessage.$inferSelect;
