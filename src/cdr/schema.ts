// Call records (the CDR) and recordings. One `call` row per call, keyed by the call event bus's
// callId, one `call_leg` row per leg, one `recording` row per recorded file. Rows are inserted
// when a call, leg or recording starts (so a crash leaves a row to close at the next start) and
// completed when it ends. Times are ms since epoch; duration_s and billable_s are whole seconds,
// rounded up (a started second counts). Extension parties are kept by number and id as they
// were at the time of the call: removing an extension later does not touch its history.
import { sql } from 'drizzle-orm';
import { index, integer, real, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { tenant } from '../tenancy/schema.ts';

/** 'blocked': refused by the number's caller blacklist (R-BASIC-2). */
export const DISPOSITIONS = ['answered', 'busy', 'no-answer', 'cancelled', 'failed', 'rejected', 'blocked'] as const;
export const HANGUP_BY = ['caller', 'callee', 'system'] as const;
export const RECORDING_STATUSES = ['recording', 'complete', 'deleted', 'failed'] as const;

export const call = sqliteTable(
  'call',
  {
    id: text('id').primaryKey(), // the bus callId
    tenantId: integer('tenant_id')
      .notNull()
      .references(() => tenant.id, { onDelete: 'cascade' }),
    direction: text('direction', { enum: ['internal', 'inbound', 'outbound'] }).notNull(),
    callerNumber: text('caller_number').notNull(),
    callerExtensionId: integer('caller_extension_id'),
    callerName: text('caller_name'),
    calleeNumber: text('callee_number').notNull(),
    calleeExtensionId: integer('callee_extension_id'),
    calleeName: text('callee_name'),
    /** The parties' departments at the time of the call (R-DIR-1, issue 7 point 5). */
    callerDepartment: text('caller_department'),
    calleeDepartment: text('callee_department'),
    /** Who the callee was to the tenant: a colleague (extension), an external contact, or other. */
    calleeKind: text('callee_kind', { enum: ['colleague', 'contact', 'other'] }),
    sipCallId: text('sip_call_id'),
    startedAt: integer('started_at').notNull(),
    answeredAt: integer('answered_at'),
    endedAt: integer('ended_at'),
    durationS: integer('duration_s'), // ended − started
    billableS: integer('billable_s'), // ended − answered; 0 when unanswered
    disposition: text('disposition', { enum: DISPOSITIONS }),
    hangupBy: text('hangup_by', { enum: HANGUP_BY }),
    sipCode: integer('sip_code'),
    reason: text('reason'),
  },
  (t) => [
    index('call_tenant_started').on(t.tenantId, t.startedAt),
    index('call_started').on(t.startedAt),
    // "calls of extension N": extension parties are found by their number
    index('call_tenant_caller_number').on(t.tenantId, t.callerNumber, t.startedAt),
    index('call_tenant_callee_number').on(t.tenantId, t.calleeNumber, t.startedAt),
    // crash recovery: calls never closed (partial: only open calls are in it)
    index('call_open').on(t.id).where(sql`${t.endedAt} IS NULL`),
  ],
);

export const callLeg = sqliteTable(
  'call_leg',
  {
    id: text('id').primaryKey(), // the bus legId
    callId: text('call_id')
      .notNull()
      .references(() => call.id, { onDelete: 'cascade' }),
    tenantId: integer('tenant_id').notNull(),
    direction: text('direction', { enum: ['inbound', 'outbound'] }).notNull(),
    number: text('number').notNull(),
    extensionId: integer('extension_id'),
    name: text('name'),
    target: text('target').notNull(),
    /** The leg rang a PSTN terminal of an extension or a direct line (a forwarded call, R-BILL-2). */
    forwarded: integer('forwarded', { mode: 'boolean' }).notNull().default(false),
    /** The trunk the leg went through or came in on. */
    trunkId: integer('trunk_id'),
    startedAt: integer('started_at').notNull(),
    answeredAt: integer('answered_at'),
    endedAt: integer('ended_at'),
    disposition: text('disposition', { enum: DISPOSITIONS }),
    hangupBy: text('hangup_by', { enum: HANGUP_BY }),
    sipCode: integer('sip_code'),
    reason: text('reason'),
  },
  (t) => [index('call_leg_call').on(t.callId), index('call_leg_tenant_number').on(t.tenantId, t.number), index('call_leg_open').on(t.id).where(sql`${t.endedAt} IS NULL`)],
);

export const recording = sqliteTable(
  'recording',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    callId: text('call_id')
      .notNull()
      .references(() => call.id, { onDelete: 'cascade' }),
    tenantId: integer('tenant_id').notNull(),
    path: text('path').notNull(), // absolute path of the two-channel WAV
    startedAt: integer('started_at').notNull(),
    finishedAt: integer('finished_at'),
    seconds: real('seconds'),
    bytes: integer('bytes'),
    status: text('status', { enum: RECORDING_STATUSES }).notNull().default('recording'),
    deletedAt: integer('deleted_at'),
    error: text('error'),
  },
  (t) => [
    index('recording_call').on(t.callId),
    index('recording_tenant_started').on(t.tenantId, t.startedAt),
    // the retention job walks only files still on disk: deleted rows stay out of its way
    index('recording_kept').on(t.tenantId, t.startedAt).where(sql`${t.deletedAt} IS NULL`),
    // crash recovery: recordings never finished
    index('recording_in_progress').on(t.id).where(sql`${t.status} = 'recording'`),
  ],
);

export type CallRow = typeof call.$inferSelect;
export type CallLegRow = typeof callLeg.$inferSelect;
export type RecordingRow = typeof recording.$inferSelect;
