// Reading call records and recordings, for the CLI and the admin API. Every query is scoped by
// tenant when a tenant is given (tenant tokens always give theirs). Lists are newest first with
// keyset pagination: the cursor names the last row returned (started_at, id), so a page costs
// the same however deep it is and rows written meanwhile do not shift it.
import { statSync } from 'node:fs';
import type { PbxDb } from '../db/open.ts';
import { InvalidError, NotFoundError } from '../errors.ts';
import { DISPOSITIONS, RECORDING_STATUSES } from './schema.ts';
import type { Disposition, HangupBy } from '../calls/call-events.ts';

export type RecordingStatus = (typeof RECORDING_STATUSES)[number];
export type CalleeKind = 'colleague' | 'contact' | 'other';

/** One call as the record shows it (times in ms since epoch). */
export interface CallRecord {
  id: string;
  tenantId: number;
  tenant: string | null;
  direction: 'internal' | 'inbound' | 'outbound';
  callerNumber: string;
  callerExtensionId: number | null;
  callerName: string | null;
  calleeNumber: string;
  calleeExtensionId: number | null;
  calleeName: string | null;
  /** The parties' department paths at the time of the call ("Sales/East"); null for outside parties and extensions without an employee. */
  callerDepartment: string | null;
  calleeDepartment: string | null;
  /** colleague: an extension of the tenant; contact: an outside number of one of its contacts; other. Null for calls recorded before it existed. */
  calleeKind: CalleeKind | null;
  sipCallId: string | null;
  startedAt: number;
  answeredAt: number | null;
  endedAt: number | null;
  durationS: number | null;
  billableS: number | null;
  disposition: Disposition | null; // null while the call is in progress
  hangupBy: HangupBy | null;
  sipCode: number | null;
  reason: string | null;
  /** The call's (first) recording, if it was recorded. */
  recordingId: number | null;
  recordingStatus: RecordingStatus | null;
}

export interface LegRecord {
  id: string;
  callId: string;
  direction: 'inbound' | 'outbound';
  number: string;
  extensionId: number | null;
  name: string | null;
  target: string;
  /** The leg rang a PSTN terminal (a forwarded call). */
  forwarded: boolean;
  /** The trunk the leg went through or came in on. */
  trunkId: number | null;
  startedAt: number;
  answeredAt: number | null;
  endedAt: number | null;
  disposition: Disposition | null;
  hangupBy: HangupBy | null;
  sipCode: number | null;
  reason: string | null;
}

export interface RecordingInfo {
  id: number;
  callId: string;
  tenantId: number;
  path: string;
  startedAt: number;
  finishedAt: number | null;
  seconds: number | null;
  bytes: number | null;
  status: RecordingStatus;
  deletedAt: number | null;
  error: string | null;
}

export interface CallDetail extends CallRecord {
  legs: LegRecord[];
  recordings: RecordingInfo[];
}

export interface CdrFilter {
  /** Only this tenant's calls (absent: every tenant — platform callers only). */
  tenantId?: number;
  /** Calls started at or after (ISO date/time or ms since epoch). */
  since?: string | number;
  /** Calls started before (ISO date/time or ms since epoch). */
  until?: string | number;
  /** Calls where extension N called, was called, or was rung (a leg to it). */
  extension?: string;
  disposition?: Disposition;
  limit?: number; // 1..1000, default 100
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

export interface RecordingFilter {
  tenantId?: number;
  since?: string | number;
  until?: string | number;
  status?: RecordingStatus;
  limit?: number;
  cursor?: string;
}

export interface CdrPage<T> {
  items: T[];
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

/** A recording's file, ready to stream. */
export interface RecordingFile {
  recording: RecordingInfo;
  path: string;
  size: number;
}

/** A point in time from the user: ms since epoch (digits) or an ISO 8601 date / date-time. */
export function parseTime(v: string | number, what: string): number {
  if (typeof v === 'number' && Number.isFinite(v)) return Math.trunc(v);
  const s = String(v).trim();
  if (/^[0-9]+$/.test(s)) return Number(s);
  const ms = /^\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(s) ? Date.parse(s) : NaN;
  if (Number.isNaN(ms)) throw new InvalidError(`${what} ${JSON.stringify(v)} must be an ISO date (2025-01-31, 2025-01-31T08:00:00Z) or ms since epoch`);
  return ms;
}

export function checkDisposition(v: unknown): Disposition {
  if (!(DISPOSITIONS as readonly unknown[]).includes(v)) throw new InvalidError(`disposition must be one of ${DISPOSITIONS.join(', ')}, not ${JSON.stringify(v)}`);
  return v as Disposition;
}

function encodeCursor(startedAt: number, id: string | number): string {
  return Buffer.from(JSON.stringify([startedAt, id])).toString('base64url');
}

function decodeCursor(cursor: string): [number, string | number] {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === 2 && Number.isInteger(v[0]) && (typeof v[1] === 'string' || Number.isInteger(v[1]))) return [v[0] as number, v[1] as string | number];
  } catch {
    // fall through
  }
  throw new InvalidError('cursor is not one this list returned (pass nextCursor unchanged)');
}

function checkLimit(limit: number | undefined): number {
  if (limit === undefined) return 100;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new InvalidError('limit must be a whole number from 1 to 1000');
  return limit;
}

function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

interface CallRowRaw {
  id: string;
  tenant_id: number;
  tenant_name: string | null;
  direction: CallRecord['direction'];
  caller_number: string;
  caller_extension_id: number | null;
  caller_name: string | null;
  callee_number: string;
  callee_extension_id: number | null;
  callee_name: string | null;
  caller_department: string | null;
  callee_department: string | null;
  callee_kind: CalleeKind | null;
  sip_call_id: string | null;
  started_at: number;
  answered_at: number | null;
  ended_at: number | null;
  duration_s: number | null;
  billable_s: number | null;
  disposition: Disposition | null;
  hangup_by: HangupBy | null;
  sip_code: number | null;
  reason: string | null;
  recording_id: number | null;
  recording_status: RecordingStatus | null;
}

interface LegRowRaw {
  id: string;
  call_id: string;
  direction: LegRecord['direction'];
  number: string;
  extension_id: number | null;
  name: string | null;
  target: string;
  forwarded: number;
  trunk_id: number | null;
  started_at: number;
  answered_at: number | null;
  ended_at: number | null;
  disposition: Disposition | null;
  hangup_by: HangupBy | null;
  sip_code: number | null;
  reason: string | null;
}

interface RecordingRowRaw {
  id: number;
  call_id: string;
  tenant_id: number;
  path: string;
  started_at: number;
  finished_at: number | null;
  seconds: number | null;
  bytes: number | null;
  status: RecordingStatus;
  deleted_at: number | null;
  error: string | null;
}

function toCall(r: CallRowRaw): CallRecord {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    tenant: r.tenant_name,
    direction: r.direction,
    callerNumber: r.caller_number,
    callerExtensionId: r.caller_extension_id,
    callerName: r.caller_name,
    calleeNumber: r.callee_number,
    calleeExtensionId: r.callee_extension_id,
    calleeName: r.callee_name,
    callerDepartment: r.caller_department,
    calleeDepartment: r.callee_department,
    calleeKind: r.callee_kind,
    sipCallId: r.sip_call_id,
    startedAt: r.started_at,
    answeredAt: r.answered_at,
    endedAt: r.ended_at,
    durationS: r.duration_s,
    billableS: r.billable_s,
    disposition: r.disposition,
    hangupBy: r.hangup_by,
    sipCode: r.sip_code,
    reason: r.reason,
    recordingId: r.recording_id,
    recordingStatus: r.recording_status,
  };
}

function toLeg(r: LegRowRaw): LegRecord {
  return {
    id: r.id,
    callId: r.call_id,
    direction: r.direction,
    number: r.number,
    extensionId: r.extension_id,
    name: r.name,
    target: r.target,
    forwarded: r.forwarded === 1,
    trunkId: r.trunk_id,
    startedAt: r.started_at,
    answeredAt: r.answered_at,
    endedAt: r.ended_at,
    disposition: r.disposition,
    hangupBy: r.hangup_by,
    sipCode: r.sip_code,
    reason: r.reason,
  };
}

function toRecording(r: RecordingRowRaw): RecordingInfo {
  return {
    id: r.id,
    callId: r.call_id,
    tenantId: r.tenant_id,
    path: r.path,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    seconds: r.seconds,
    bytes: r.bytes,
    status: r.status,
    deletedAt: r.deleted_at,
    error: r.error,
  };
}

const CALL_SELECT = `SELECT c.*, t.name AS tenant_name,
    (SELECT r.id FROM recording r WHERE r.call_id = c.id ORDER BY r.id LIMIT 1) AS recording_id,
    (SELECT r.status FROM recording r WHERE r.call_id = c.id ORDER BY r.id LIMIT 1) AS recording_status
  FROM call c LEFT JOIN tenant t ON t.id = c.tenant_id`;

export class CdrService {
  private flushWrites: () => void = () => {};

  constructor(private readonly db: PbxDb) {}

  /**
   * The running server's writer queues events for one event-loop turn; reads in the same
   * process flush it first so they see every event already published.
   */
  attachWriter(writer: { flush(): void }): void {
    this.flushWrites = () => writer.flush();
  }

  /** Calls, newest first, with filters and keyset pagination. */
  list(filter: CdrFilter = {}): CdrPage<CallRecord> {
    this.flushWrites();
    const limit = checkLimit(filter.limit);
    const where: string[] = [];
    const params: Record<string, unknown> = { limit: limit + 1 };
    if (filter.tenantId !== undefined) {
      where.push('c.tenant_id = @tenantId');
      params.tenantId = filter.tenantId;
    }
    if (filter.since !== undefined && filter.since !== '') {
      where.push('c.started_at >= @since');
      params.since = parseTime(filter.since, 'since');
    }
    if (filter.until !== undefined && filter.until !== '') {
      where.push('c.started_at < @until');
      params.until = parseTime(filter.until, 'until');
    }
    if (filter.disposition !== undefined) {
      where.push('c.disposition = @disposition');
      params.disposition = checkDisposition(filter.disposition);
    }
    if (filter.extension !== undefined && filter.extension !== '') {
      // Extension parties are matched by the number they had at the time of the call, so the
      // history of a removed (or renumbered) extension stays findable.
      // The tenant is repeated inside each branch so each can use its (tenant, number) index.
      const t = (alias: string) => (filter.tenantId !== undefined ? `${alias}.tenant_id = @tenantId AND ` : '');
      where.push(`((${t('c')}c.caller_number = @ext AND c.caller_extension_id IS NOT NULL)
        OR (${t('c')}c.callee_number = @ext AND c.callee_extension_id IS NOT NULL)
        OR c.id IN (SELECT l.call_id FROM call_leg l WHERE ${t('l')}l.number = @ext AND l.extension_id IS NOT NULL))`);
      params.ext = String(filter.extension);
    }
    if (filter.cursor !== undefined && filter.cursor !== '') {
      const [at, id] = decodeCursor(filter.cursor);
      where.push('(c.started_at < @cAt OR (c.started_at = @cAt AND c.id < @cId))');
      params.cAt = at;
      params.cId = String(id);
    }
    const sql = `${CALL_SELECT} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY c.started_at DESC, c.id DESC LIMIT @limit`;
    const rows = this.db.sqlite.prepare<[Record<string, unknown>], CallRowRaw>(sql).all(params);
    const more = rows.length > limit;
    const items = rows.slice(0, limit).map(toCall);
    const last = items.at(-1);
    return { items, nextCursor: more && last ? encodeCursor(last.startedAt, last.id) : null };
  }

  /** One call with its legs and recordings; NotFoundError when absent or another tenant's. */
  get(id: string, tenantId?: number): CallDetail {
    this.flushWrites();
    const s = this.db.sqlite;
    const row = s.prepare<[string], CallRowRaw>(`${CALL_SELECT} WHERE c.id = ?`).get(id);
    if (!row || (tenantId !== undefined && row.tenant_id !== tenantId)) throw new NotFoundError(`call ${id} does not exist`);
    const legs = s.prepare<[string], LegRowRaw>('SELECT * FROM call_leg WHERE call_id = ? ORDER BY started_at, id').all(id).map(toLeg);
    const recordings = s.prepare<[string], RecordingRowRaw>('SELECT * FROM recording WHERE call_id = ? ORDER BY id').all(id).map(toRecording);
    return { ...toCall(row), legs, recordings };
  }

  /** Recordings, newest first (deleted ones included, with their deletion time). */
  listRecordings(filter: RecordingFilter = {}): CdrPage<RecordingInfo> {
    this.flushWrites();
    const limit = checkLimit(filter.limit);
    const where: string[] = [];
    const params: Record<string, unknown> = { limit: limit + 1 };
    if (filter.tenantId !== undefined) {
      where.push('tenant_id = @tenantId');
      params.tenantId = filter.tenantId;
    }
    if (filter.since !== undefined && filter.since !== '') {
      where.push('started_at >= @since');
      params.since = parseTime(filter.since, 'since');
    }
    if (filter.until !== undefined && filter.until !== '') {
      where.push('started_at < @until');
      params.until = parseTime(filter.until, 'until');
    }
    if (filter.status !== undefined) {
      if (!(RECORDING_STATUSES as readonly string[]).includes(filter.status)) throw new InvalidError(`status must be one of ${RECORDING_STATUSES.join(', ')}`);
      where.push('status = @status');
      params.status = filter.status;
    }
    if (filter.cursor !== undefined && filter.cursor !== '') {
      const [at, id] = decodeCursor(filter.cursor);
      where.push('(started_at < @cAt OR (started_at = @cAt AND id < @cId))');
      params.cAt = at;
      params.cId = Number(id);
    }
    const sql = `SELECT * FROM recording ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY started_at DESC, id DESC LIMIT @limit`;
    const rows = this.db.sqlite.prepare<[Record<string, unknown>], RecordingRowRaw>(sql).all(params);
    const more = rows.length > limit;
    const items = rows.slice(0, limit).map(toRecording);
    const last = items.at(-1);
    return { items, nextCursor: more && last ? encodeCursor(last.startedAt, last.id) : null };
  }

  /** A recording's metadata; NotFoundError when absent or another tenant's. */
  getRecording(id: number, tenantId?: number): RecordingInfo {
    this.flushWrites();
    const row = Number.isSafeInteger(id) ? this.db.sqlite.prepare<[number], RecordingRowRaw>('SELECT * FROM recording WHERE id = ?').get(id) : undefined;
    if (!row || (tenantId !== undefined && row.tenant_id !== tenantId)) throw new NotFoundError(`recording ${id} does not exist`);
    return toRecording(row);
  }

  /**
   * The file of a recording, with its current size, for streaming or export. NotFoundError
   * when the retention policy deleted it (saying when) or the file is gone.
   */
  recordingFile(id: number, tenantId?: number): RecordingFile {
    const recording = this.getRecording(id, tenantId);
    if (recording.status === 'deleted') {
      const when = recording.deletedAt !== null ? ` on ${isoDate(recording.deletedAt)}` : '';
      throw new NotFoundError(`recording ${id} was deleted${when} by the retention policy`);
    }
    let size: number;
    try {
      size = statSync(recording.path).size;
    } catch {
      throw new NotFoundError(`the file of recording ${id} is missing (${recording.path})`);
    }
    return { recording, path: recording.path, size };
  }
}
