// Voicemail messages (R-BASIC-5): the WAV files under `voicemail.dir` (default
// <data_dir>/voicemail), one folder per box — `<dir>/<tenant id>/<extension number | general>/`
// — and one voicemail_message row each. A box is an extension's, or the tenant's general box
// (extensionId null: direct lines, closed hours). A message is `new` until its owner hears it
// (`saved`), and `deleted` once removed (row kept, file gone).
//
// Box counts (new / saved) drive the phones' message-waiting lamp: every change made through
// this store is reported to `onChange` listeners (MWI). Changes made by another process (the
// CLI deleting a message while the server runs) are not seen here: `reconcile()` re-reads the
// counts of every box this process has reported on and announces those that moved — the server
// calls it when it notices an external write to the database (db/change-watch.ts).
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type Database from 'better-sqlite3';
import type { PbxDb } from '../db/open.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { Config } from '../config/schema.ts';
import { InvalidError, NotFoundError } from '../errors.ts';
import { VOICEMAIL_STATUSES } from './schema.ts';
import { log as defaultLog, type Logger } from '../log.ts';

export type VoicemailStatus = (typeof VOICEMAIL_STATUSES)[number];

/** A mailbox: an extension's, or (extensionId null) the tenant's general box. */
export interface VoicemailBox {
  tenantId: number;
  extensionId: number | null;
}

/** Which messages a listing covers: a tenant (or every tenant), one box or all its boxes. */
export interface VoicemailFilter {
  tenantId?: number;
  /** A box's extension, null for the general box, absent for every box. */
  extensionId?: number | null;
}

export interface VoicemailMessage {
  id: number;
  tenantId: number;
  extensionId: number | null;
  /** The box's extension number, null for the general box (or a box whose extension was removed). */
  extension: string | null;
  callerNumber: string;
  callerName: string | null;
  callId: string | null;
  path: string;
  receivedAt: number;
  durationS: number;
  status: VoicemailStatus;
  heardAt: number | null;
}

export interface NewVoicemail {
  tenantId: number;
  extensionId?: number | null;
  callerNumber: string;
  callerName?: string | null;
  callId?: string | null;
  path: string;
  receivedAt: number;
  durationS: number;
}

export interface BoxCounts {
  new: number;
  saved: number;
}

export interface VoicemailChange {
  box: VoicemailBox;
  counts: BoxCounts;
}

export type VoicemailListener = (change: VoicemailChange) => void;

/** A message's audio: the file exists (its size read) and the message is not deleted. */
export interface VoicemailAudio {
  message: VoicemailMessage;
  path: string;
  size: number;
}

export interface VoicemailStoreOptions {
  /** Root folder of the boxes (see `voicemailDir`). */
  dir: string;
  audit?: AuditLog;
  now?: () => number;
  log?: Logger;
}

/** Who asks: the audit actor and, for tenant-limited callers, the only tenant they may touch. */
export interface VoicemailActor {
  actor?: string;
  tenantId?: number;
}

/** `voicemail.dir`, default <data_dir>/voicemail. */
export function voicemailDir(config: Pick<Config, 'data_dir' | 'voicemail'>): string {
  return resolve(config.voicemail.dir ?? join(config.data_dir, 'voicemail'));
}

export function boxKey(box: VoicemailBox): string {
  return `${box.tenantId}/${box.extensionId ?? 'general'}`;
}

interface Row {
  id: number;
  tenant_id: number;
  extension_id: number | null;
  number: string | null;
  caller_number: string;
  caller_name: string | null;
  call_id: string | null;
  path: string;
  received_at: number;
  duration_s: number;
  status: VoicemailStatus;
  heard_at: number | null;
}

const SELECT = `SELECT v.id, v.tenant_id, v.extension_id, e.number, v.caller_number, v.caller_name, v.call_id, v.path,
  v.received_at, v.duration_s, v.status, v.heard_at FROM voicemail_message v LEFT JOIN extension e ON e.id = v.extension_id`;

function toMessage(r: Row): VoicemailMessage {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    extensionId: r.extension_id,
    extension: r.number,
    callerNumber: r.caller_number,
    callerName: r.caller_name,
    callId: r.call_id,
    path: r.path,
    receivedAt: r.received_at,
    durationS: r.duration_s,
    status: r.status,
    heardAt: r.heard_at,
  };
}

function checkStatus(status: string): VoicemailStatus {
  if (!(VOICEMAIL_STATUSES as readonly string[]).includes(status)) throw new InvalidError(`status must be one of ${VOICEMAIL_STATUSES.join(', ')}`);
  return status as VoicemailStatus;
}

const safeName = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_').slice(0, 80);

export class VoicemailStore {
  readonly dir: string;
  private readonly db: PbxDb;
  private readonly audit: AuditLog | undefined;
  private readonly now: () => number;
  private readonly log: Logger;
  private readonly listeners: VoicemailListener[] = [];
  /** Counts last reported per box (boxKey → box and counts): what `reconcile` compares against. */
  private readonly known = new Map<string, VoicemailChange>();
  private readonly madeDirs = new Set<string>();
  private readonly byId: Database.Statement<[number], Row>;
  private readonly countStmt: Database.Statement<[number, number | null], { status: VoicemailStatus; n: number }>;
  private readonly extNumber: Database.Statement<[number, number], { number: string }>;

  constructor(db: PbxDb, options: VoicemailStoreOptions) {
    this.db = db;
    this.dir = resolve(options.dir);
    this.audit = options.audit;
    this.now = options.now ?? Date.now;
    this.log = options.log ?? defaultLog;
    this.byId = db.sqlite.prepare(`${SELECT} WHERE v.id = ?`);
    // `extension_id IS ?` matches null (the general box) too; status != 'deleted' uses the partial index
    this.countStmt = db.sqlite.prepare(
      "SELECT status, count(*) AS n FROM voicemail_message WHERE tenant_id = ? AND extension_id IS ? AND status != 'deleted' GROUP BY status",
    );
    this.extNumber = db.sqlite.prepare('SELECT number FROM extension WHERE id = ? AND tenant_id = ?');
  }

  /**
   * Where a new message of a box goes: `<dir>/<tenant>/<extension number | general>/<UTC time>-<call id>.wav`.
   * Creates the folder. The call flow records there, then calls `add`.
   */
  pathFor(m: { tenantId: number; extensionId?: number | null; at: number; callId: string }): string {
    const folder = join(this.dir, String(m.tenantId), m.extensionId == null ? 'general' : this.extensionNumber(m.tenantId, m.extensionId));
    if (!this.madeDirs.has(folder)) {
      mkdirSync(folder, { recursive: true });
      if (this.madeDirs.size > 10_000) this.madeDirs.clear();
      this.madeDirs.add(folder);
    }
    const stamp = new Date(m.at).toISOString().replace(/[-:]/g, '').replace('T', '-').replace('.', '-').replace('Z', '');
    return join(folder, `${stamp}-${safeName(m.callId) || 'call'}.wav`);
  }

  /** Stores a message left in a box (the WAV is at `path` already); tells the listeners. */
  add(m: NewVoicemail): VoicemailMessage {
    const extensionId = m.extensionId ?? null;
    if (extensionId !== null) this.extensionNumber(m.tenantId, extensionId);
    if (typeof m.callerNumber !== 'string' || m.callerNumber.length > 64) throw new InvalidError('caller number must be at most 64 characters');
    if (!Number.isFinite(m.durationS) || m.durationS < 0) throw new InvalidError('duration must be a number of seconds, not negative');
    const id = Number(
      this.db.sqlite
        .prepare(
          `INSERT INTO voicemail_message (tenant_id, extension_id, caller_number, caller_name, call_id, path, received_at, duration_s, status)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'new')`,
        )
        .run(m.tenantId, extensionId, m.callerNumber, m.callerName ?? null, m.callId ?? null, m.path, m.receivedAt, m.durationS).lastInsertRowid,
    );
    const message = this.get(id);
    this.log.debug({ voicemailId: id, tenantId: m.tenantId, box: message.extension ?? 'general', caller: m.callerNumber, durationS: m.durationS }, 'voicemail stored');
    this.changed({ tenantId: m.tenantId, extensionId });
    return message;
  }

  /** Messages, newest first: by default those not deleted; `status` picks one state. */
  list(filter: VoicemailFilter = {}, opts: { status?: VoicemailStatus; limit?: number } = {}): VoicemailMessage[] {
    const where: string[] = [];
    const args: Array<number | string | null> = [];
    if (filter.tenantId !== undefined) {
      where.push('v.tenant_id = ?');
      args.push(filter.tenantId);
    }
    if (filter.extensionId !== undefined) {
      where.push('v.extension_id IS ?');
      args.push(filter.extensionId);
    }
    if (opts.status !== undefined) {
      where.push('v.status = ?');
      args.push(checkStatus(opts.status));
    } else where.push("v.status != 'deleted'");
    const limit = Math.min(Math.max(Math.trunc(opts.limit ?? 100), 1), 1000);
    const sql = `${SELECT} WHERE ${where.join(' AND ')} ORDER BY v.received_at DESC, v.id DESC LIMIT ?`;
    return (this.db.sqlite.prepare(sql).all(...args, limit) as Row[]).map(toMessage);
  }

  /** One message (deleted ones too); NotFoundError when missing or of another tenant than `tenantId`. */
  get(id: number, tenantId?: number): VoicemailMessage {
    const r = Number.isSafeInteger(id) ? this.byId.get(id) : undefined;
    if (!r || (tenantId !== undefined && r.tenant_id !== tenantId)) throw new NotFoundError(`voicemail ${id} does not exist`);
    return toMessage(r);
  }

  /** The message's WAV, for playing or downloading; NotFoundError when deleted or the file is gone. */
  audio(id: number, tenantId?: number): VoicemailAudio {
    const message = this.live(id, tenantId);
    let size: number;
    try {
      size = statSync(message.path).size;
    } catch {
      throw new NotFoundError(`the file of voicemail ${id} is missing (${message.path})`);
    }
    return { message, path: message.path, size };
  }

  /** The owner heard it: new → saved (a saved one stays saved). */
  markHeard(id: number, by: VoicemailActor = {}): VoicemailMessage {
    const m = this.live(id, by.tenantId);
    if (m.status !== 'new') return m;
    const at = this.now();
    this.db.sqlite.prepare("UPDATE voicemail_message SET status = 'saved', heard_at = ? WHERE id = ? AND status = 'new'").run(at, id);
    this.audit?.record({ actor: by.actor ?? 'system', action: 'voicemail.heard', target: String(id), tenantId: m.tenantId, detail: { box: m.extension ?? 'general' } });
    this.changed(m);
    return this.get(id);
  }

  /** Removes the message: its row becomes `deleted`, then its file is removed. */
  delete(id: number, by: VoicemailActor = {}): VoicemailMessage {
    const m = this.live(id, by.tenantId);
    // the row first: a kill between the two leaves an orphan file, never a listed message without audio
    this.db.sqlite.prepare("UPDATE voicemail_message SET status = 'deleted' WHERE id = ?").run(id);
    try {
      rmSync(m.path, { force: true });
    } catch (err) {
      this.log.warn({ voicemailId: id, path: m.path, err: (err as Error).message }, 'voicemail file could not be removed');
    }
    this.audit?.record({ actor: by.actor ?? 'system', action: 'voicemail.delete', target: String(id), tenantId: m.tenantId, detail: { box: m.extension ?? 'general', caller: m.callerNumber } });
    this.changed(m);
    return this.get(id);
  }

  /** New and saved messages of a box (one indexed query). */
  counts(tenantId: number, extensionId: number | null): BoxCounts {
    const counts = this.readCounts(tenantId, extensionId);
    this.known.set(boxKey({ tenantId, extensionId }), { box: { tenantId, extensionId }, counts });
    return counts;
  }

  /** The SIP identity of a box: its extension number and the tenant's SIP domain (null without one). */
  boxAddress(box: VoicemailBox): { number: string | null; domain: string | null } {
    const domain = this.db.sqlite.prepare('SELECT sip_domain FROM tenant WHERE id = ?').pluck().get(box.tenantId) as string | null | undefined;
    const number = box.extensionId === null ? null : ((this.db.sqlite.prepare('SELECT number FROM extension WHERE id = ?').pluck().get(box.extensionId) as string | undefined) ?? null);
    return { number, domain: domain ?? null };
  }

  /** Listens to box count changes; returns the unsubscribe function. */
  onChange(listener: VoicemailListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /**
   * Re-reads the counts of every box this store has reported on (counts() or a change) and tells
   * the listeners about those that differ — changes another process (the CLI) made. One grouped
   * query whatever the number of boxes. Returns how many boxes changed.
   */
  reconcile(): number {
    if (this.known.size === 0) return 0;
    const rows = this.db.sqlite
      .prepare("SELECT tenant_id, extension_id, status, count(*) AS n FROM voicemail_message WHERE status != 'deleted' GROUP BY tenant_id, extension_id, status")
      .all() as Array<{ tenant_id: number; extension_id: number | null; status: VoicemailStatus; n: number }>;
    const now = new Map<string, BoxCounts>();
    for (const r of rows) {
      const key = boxKey({ tenantId: r.tenant_id, extensionId: r.extension_id });
      const c = now.get(key) ?? { new: 0, saved: 0 };
      if (r.status === 'new') c.new = r.n;
      else if (r.status === 'saved') c.saved = r.n;
      now.set(key, c);
    }
    let changed = 0;
    for (const [key, last] of [...this.known]) {
      const counts = now.get(key) ?? { new: 0, saved: 0 };
      if (counts.new === last.counts.new && counts.saved === last.counts.saved) continue;
      changed++;
      this.known.set(key, { box: last.box, counts });
      this.emit({ box: last.box, counts });
    }
    return changed;
  }

  private live(id: number, tenantId?: number): VoicemailMessage {
    const m = this.get(id, tenantId);
    if (m.status === 'deleted') throw new NotFoundError(`voicemail ${id} was deleted`);
    return m;
  }

  private extensionNumber(tenantId: number, extensionId: number): string {
    const r = this.extNumber.get(extensionId, tenantId);
    if (!r) throw new NotFoundError(`extension id ${extensionId} is not an extension of tenant ${tenantId}`);
    return r.number;
  }

  private readCounts(tenantId: number, extensionId: number | null): BoxCounts {
    const counts: BoxCounts = { new: 0, saved: 0 };
    for (const r of this.countStmt.all(tenantId, extensionId)) {
      if (r.status === 'new') counts.new = r.n;
      else if (r.status === 'saved') counts.saved = r.n;
    }
    return counts;
  }

  private changed(box: VoicemailBox): void {
    const b = { tenantId: box.tenantId, extensionId: box.extensionId };
    this.emit({ box: b, counts: this.counts(b.tenantId, b.extensionId) });
  }

  private emit(change: VoicemailChange): void {
    for (const l of [...this.listeners]) {
      try {
        l(change);
      } catch (err) {
        this.log.error({ err }, 'voicemail listener failed');
      }
    }
  }
}
