// The outbox (R-NOTIFY-1): every SMS and webhook the PBX sends is first a row here, written in
// the same transaction as whatever decided to send it, then delivered by the outbox worker
// with retries and back-off. A row is never deleted by delivery: it ends `sent` or `dead`.
import { sql } from 'drizzle-orm';
import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { tenant } from '../tenancy/schema.ts';

export const OUTBOX_CHANNELS = ['sms', 'webhook'] as const;
/** Why a message exists (throttling and reports look at it). */
export const OUTBOX_PURPOSES = ['hangup-sms', 'missed-call', 'incoming-call', 'voicemail', 'test'] as const;
/** pending → sending → sent; a failed attempt goes back to pending with a later next_attempt_at; too many → dead. */
export const OUTBOX_STATUSES = ['pending', 'sending', 'sent', 'dead'] as const;

export const outbox = sqliteTable(
  'outbox',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    tenantId: integer('tenant_id').references(() => tenant.id, { onDelete: 'cascade' }),
    channel: text('channel', { enum: OUTBOX_CHANNELS }).notNull(),
    purpose: text('purpose', { enum: OUTBOX_PURPOSES }).notNull(),
    /** A phone number (sms) or a URL (webhook). */
    recipient: text('recipient').notNull(),
    /** The SMS text, or the webhook's JSON body. */
    body: text('body').notNull(),
    /** Webhook body format: 'json' (our event) or a ready-made robot format; null for SMS. */
    format: text('format'),
    status: text('status', { enum: OUTBOX_STATUSES }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: integer('next_attempt_at').notNull(),
    lastError: text('last_error'),
    /** Same key, same message: a second enqueue is ignored (at most once per event). */
    dedupeKey: text('dedupe_key'),
    /** The call that caused it, if any. */
    callId: text('call_id'),
    createdAt: integer('created_at').notNull(),
    sentAt: integer('sent_at'),
  },
  (t) => [
    index('outbox_due').on(t.nextAttemptAt).where(sql`${t.status} = 'pending'`),
    index('outbox_tenant_recipient').on(t.tenantId, t.purpose, t.recipient, t.createdAt),
    uniqueIndex('outbox_dedupe').on(t.dedupeKey),
  ],
);

export type OutboxRow = typeof outbox.$inferSelect;
