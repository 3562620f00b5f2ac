// The outbox (R-NOTIFY-1): whoever decides to send an SMS or a webhook enqueues a row here —
// one synchronous INSERT, so it commits (or rolls back) with the caller's transaction — and
// the outbox worker (outbox-worker.ts) delivers it. The CLI and the API list messages and send
// a dead one again; they work on the database, and the running server's worker polls it.
import type { PbxDb } from '../db/open.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { ConflictError, InvalidError, NotFoundError } from '../errors.ts';
import { OUTBOX_CHANNELS, OUTBOX_PURPOSES, OUTBOX_STATUSES } from './schema.ts';

export type OutboxChannel = (typeof OUTBOX_CHANNELS)[number];
export type OutboxPurpose = (typeof OUTBOX_PURPOSES)[number];
export type OutboxStatus = (typeof OUTBOX_STATUSES)[number];
export { OUTBOX_CHANNELS, OUTBOX_PURPOSES, OUTBOX_STATUSES };

/** Webhook body formats: our JSON event, or a chat robot's text message. */
export const WEBHOOK_FORMATS = ['json', 'wecom', 'dingtalk', 'feishu'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

export interface OutboxMessage {
  /** The tenant the message is for (throttling, tenant-limited listing); none for platform messages. */
  tenantId?: number | undefined;
  channel: OutboxChannel;
  purpose: OutboxPurpose;
  /** A phone number (sms) or an http(s) URL (webhook). */
  recipient: string;
  /** SMS: the text. Webhook: the JSON event (format json) or the text a robot posts (other formats); see webhookBody(). */
  body: string;
  /** Webhooks only: json (default) | wecom | dingtalk | feishu. */
  format?: WebhookFormat | undefined;
  /** A key seen before makes the enqueue a no-op: at most one message per event. */
  dedupeKey?: string | undefined;
  /** The call that caused the message. */
  callId?: string | undefined;
}

export type EnqueueResult = { id: number } | { duplicate: true };

/** A message as stored. Times are ms since the epoch. */
export interface OutboxItem {
  id: number;
  tenantId: number | null;
  channel: OutboxChannel;
  purpose: OutboxPurpose;
  recipient: string;
  body: string;
  format: string | null;
  status: OutboxStatus;
  /** Delivery attempts started so far. */
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  dedupeKey: string | null;
  callId: string | null;
  createdAt: number;
  sentAt: number | null;
}

export interface OutboxFilter {
  tenantId?: number | undefined;
  status?: OutboxStatus | undefined;
  purpose?: OutboxPurpose | undefined;
  channel?: OutboxChannel | undefined;
  /** Newest first; at most this many (default 50, at most 1000). */
  limit?: number | undefined;
  /** Only ids below this (the next page after a list's last id). */
  beforeId?: number | undefined;
}

/** A row as better-sqlite3 returns it. */
export interface OutboxDbRow {
  id: number;
  tenant_id: number | null;
  channel: OutboxChannel;
  purpose: OutboxPurpose;
  recipient: string;
  body: string;
  format: string | null;
  status: OutboxStatus;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  dedupe_key: string | null;
  call_id: string | null;
  created_at: number;
  sent_at: number | null;
}

export function toOutboxItem(r: OutboxDbRow): OutboxItem {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    channel: r.channel,
    purpose: r.purpose,
    recipient: r.recipient,
    body: r.body,
    format: r.format,
    status: r.status,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    lastError: r.last_error,
    dedupeKey: r.dedupe_key,
    callId: r.call_id,
    createdAt: r.created_at,
    sentAt: r.sent_at,
  };
}

export function checkChoice<T extends string>(what: string, choices: readonly T[], value: string): T {
  if (!(choices as readonly string[]).includes(value)) throw new InvalidError(`${what} must be one of ${choices.join(', ')} (not ${JSON.stringify(value)})`);
  return value as T;
}

export interface OutboxOptions {
  now?: () => number;
  /** Where retries are recorded. */
  audit?: AuditLog;
}

export class Outbox {
  private readonly now: () => number;
  private readonly audit: AuditLog | undefined;
  private readonly listeners = new Set<() => void>();
  private readonly insert;
  private readonly byId;

  constructor(
    private readonly db: PbxDb,
    opts: OutboxOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.audit = opts.audit;
    this.insert = db.sqlite.prepare<[number | null, string, string, string, string, string | null, number, string | null, string | null, number]>(
      `INSERT INTO outbox (tenant_id, channel, purpose, recipient, body, format, status, attempts, next_attempt_at, dedupe_key, call_id, created_at)
       VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?) ON CONFLICT (dedupe_key) DO NOTHING`,
    );
    this.byId = db.sqlite.prepare<[number], OutboxDbRow>('SELECT * FROM outbox WHERE id = ?');
  }

  /** Called after every enqueue and retry (the worker wakes up); returns the unsubscribe. */
  onWake(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Queues a message: one INSERT in the caller's transaction, if any. A dedupe key seen before
   * inserts nothing and answers { duplicate: true }.
   */
  enqueue(msg: OutboxMessage): EnqueueResult {
    const channel = checkChoice('outbox channel', OUTBOX_CHANNELS, msg.channel);
    const purpose = checkChoice('outbox purpose', OUTBOX_PURPOSES, msg.purpose);
    if (msg.recipient.trim() === '') throw new InvalidError(`outbox ${channel} message without a recipient`);
    if (channel === 'webhook' && !/^https?:\/\//i.test(msg.recipient)) throw new InvalidError(`webhook recipient must be an http(s) URL (not ${JSON.stringify(msg.recipient)})`);
    if (msg.body === '') throw new InvalidError(`outbox ${channel} message with an empty body`);
    let format: string | null = null;
    if (channel === 'webhook') format = checkChoice('webhook format', WEBHOOK_FORMATS, msg.format ?? 'json');
    else if (msg.format !== undefined) throw new InvalidError('an SMS has no format');
    const now = this.now();
    const r = this.insert.run(msg.tenantId ?? null, channel, purpose, msg.recipient, msg.body, format, now, msg.dedupeKey ?? null, msg.callId ?? null, now);
    if (r.changes === 0) return { duplicate: true };
    this.wake();
    return { id: Number(r.lastInsertRowid) };
  }

  /**
   * True when a message of this purpose went, or is going, to this recipient (pending, sending
   * or sent — not dead) within the last `sinceMs` milliseconds (created_at ≥ now − sinceMs):
   * the hang-up SMS throttle ("at most once per caller per period").
   */
  sentRecently(tenantId: number | null | undefined, purpose: OutboxPurpose, recipient: string, sinceMs: number): boolean {
    return (
      this.db.sqlite
        .prepare<[number | null, string, string, number], number>(
          "SELECT 1 FROM outbox WHERE tenant_id IS ? AND purpose = ? AND recipient = ? AND created_at >= ? AND status != 'dead' LIMIT 1",
        )
        .pluck()
        .get(tenantId ?? null, purpose, recipient, this.now() - sinceMs) !== undefined
    );
  }

  /** Messages, newest first. */
  list(filter: OutboxFilter = {}): OutboxItem[] {
    const where: string[] = [];
    const args: Array<string | number> = [];
    const add = (clause: string, value: string | number) => {
      where.push(clause);
      args.push(value);
    };
    if (filter.tenantId !== undefined) add('tenant_id = ?', filter.tenantId);
    if (filter.status !== undefined) add('status = ?', checkChoice('status', OUTBOX_STATUSES, filter.status));
    if (filter.purpose !== undefined) add('purpose = ?', checkChoice('purpose', OUTBOX_PURPOSES, filter.purpose));
    if (filter.channel !== undefined) add('channel = ?', checkChoice('channel', OUTBOX_CHANNELS, filter.channel));
    if (filter.beforeId !== undefined) add('id < ?', filter.beforeId);
    const limit = Math.min(Math.max(filter.limit ?? 50, 1), 1000);
    const sql = `SELECT * FROM outbox ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    return this.db.sqlite
      .prepare<Array<string | number>, OutboxDbRow>(sql)
      .all(...args, limit)
      .map(toOutboxItem);
  }

  /** Counts by status (optionally of one tenant). */
  counts(tenantId?: number): Record<OutboxStatus, number> {
    const out: Record<OutboxStatus, number> = { pending: 0, sending: 0, sent: 0, dead: 0 };
    const rows =
      tenantId === undefined
        ? this.db.sqlite.prepare<[], { status: OutboxStatus; n: number }>('SELECT status, COUNT(*) AS n FROM outbox GROUP BY status').all()
        : this.db.sqlite.prepare<[number], { status: OutboxStatus; n: number }>('SELECT status, COUNT(*) AS n FROM outbox WHERE tenant_id = ? GROUP BY status').all(tenantId);
    for (const r of rows) out[r.status] = r.n;
    return out;
  }

  /** One message; with `tenantId`, another tenant's message answers NotFound like a missing one. */
  get(id: number, tenantId?: number): OutboxItem {
    const r = this.byId.get(id);
    if (!r || (tenantId !== undefined && r.tenant_id !== tenantId)) throw new NotFoundError(`outbox message ${id} does not exist`);
    return toOutboxItem(r);
  }

  /**
   * A dead or pending message back to pending, due now (a dead one gets its attempts back).
   * Sent and in-flight messages are refused (ConflictError).
   */
  retry(id: number, opts: { tenantId?: number; actor?: string } = {}): OutboxItem {
    const cur = this.get(id, opts.tenantId);
    if (cur.status === 'sent') throw new ConflictError(`outbox message ${id} was already sent; nothing to retry`);
    if (cur.status === 'sending') throw new ConflictError(`outbox message ${id} is being sent right now; wait for the attempt to end`);
    const r = this.db.sqlite
      .prepare<[number, number]>(
        "UPDATE outbox SET status = 'pending', next_attempt_at = ?, attempts = CASE WHEN status = 'dead' THEN 0 ELSE attempts END WHERE id = ? AND status IN ('pending', 'dead')",
      )
      .run(this.now(), id);
    if (r.changes === 0) throw new ConflictError(`outbox message ${id} changed meanwhile; look at it again`);
    this.audit?.record({ actor: opts.actor ?? 'system', action: 'outbox.retry', target: `outbox:${id}`, tenantId: cur.tenantId, detail: { from: cur.status, attempts: cur.attempts } });
    this.wake();
    return this.get(id);
  }

  private wake(): void {
    for (const l of this.listeners) {
      try {
        l();
      } catch {
        // a listener only schedules work; it must not break the caller's transaction
      }
    }
  }
}
