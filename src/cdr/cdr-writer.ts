// The CDR writer: subscribes to the call event bus and keeps `call`, `call_leg` and `recording`
// rows in step with it. A row is inserted when the call, leg or recording starts — so a process
// killed mid-call leaves a row for crash recovery to close — and completed when it ends.
//
// Writes are small prepared statements, group-committed like the registration store: the events
// of one turn of the event loop are queued and committed together in one transaction right after
// it (setImmediate), or — as the server runs it — every commitIntervalMs (50 ms). A commit per
// event would cost more than the rest of the call's work at high call rates; a kill -9 loses at
// most the events of the last batch (a call that started in those 50 ms has no record). Reads that must see every
// event (tests, the API in the same process) call flush() first.
//
// The directory's view of the parties (issue 7 point 5) is filled in by the INSERT itself, from
// subqueries on indexed columns, so call control publishes only what it knows: an extension
// party's department is the path of its employee's department ("Sales/East"); a party without
// a name gets its employee's name, or the name of the tenant's contact whose number it is; the
// callee kind is colleague (an extension of the tenant), contact (an outside number that is a
// contact's), or other. The outside number is read into the form contacts are kept in
// (callNumberKey) here, on the writer's thread, with the tenant's home country and area code.
import { statSync } from 'node:fs';
import type Database from 'better-sqlite3';
import type { PbxDb } from '../db/open.ts';
import type { Logger } from '../log.ts';
import type { CallEventBus, CallEventMap, CallEventName } from '../calls/call-events.ts';
import type { NumberContext } from '../routing/numbers/normalized-number.ts';
import { callNumberKey } from '../directory/contact-service.ts';
import { parseTenantSettings } from '../tenancy/tenant-settings.ts';

export interface CdrWriterOptions {
  log?: Logger;
  /** Queue the writes of one event-loop turn and commit them in one transaction (default true). */
  groupCommit?: boolean;
  /**
   * Commit queued writes at most this often (ms) instead of after every turn (default 0 = every
   * turn). A UDP server handles about one message per turn, so per-turn batches stay small:
   * measured at 500 calls/s, commits took 18 % of the main thread with per-turn batches.
   */
  commitIntervalMs?: number;
  /** Size of a finished recording's file (default: fs.statSync); undefined when it is missing. */
  fileSize?: (path: string) => number | undefined;
}

/** One bus event as the writer queues it (also what crosses to the writer thread). */
export type CdrEvent = { [K in CallEventName]: [K, CallEventMap[K]] }[CallEventName];
type Pending = CdrEvent;

export const CDR_EVENTS: readonly CallEventName[] = [
  'call.started',
  'call.answered',
  'call.ended',
  'leg.started',
  'leg.answered',
  'leg.ended',
  'recording.started',
  'recording.finished',
];

/** The department path of an extension's employee ("Sales/East"): a walk up the tree on primary keys. */
const departmentPath = (ext: string): string => `(WITH RECURSIVE up(id, parent_id, path, depth) AS (
    SELECT d.id, d.parent_id, d.name, 0 FROM extension x JOIN employee e ON e.id = x.employee_id JOIN department d ON d.id = e.department_id WHERE x.id = ${ext}
    UNION ALL SELECT p.id, p.parent_id, p.name || '/' || up.path, up.depth + 1 FROM department p JOIN up ON p.id = up.parent_id WHERE up.depth < 32)
  SELECT path FROM up WHERE parent_id IS NULL)`;
const employeeName = (ext: string): string => `(SELECT e.name FROM extension x JOIN employee e ON e.id = x.employee_id WHERE x.id = ${ext})`;
/** On the contact_number (tenant_id, number) index. */
const contactName = (key: string): string =>
  `(SELECT c.name FROM contact_number n JOIN contact c ON c.id = n.contact_id WHERE n.tenant_id = @tenantId AND n.number = ${key} ORDER BY n.id LIMIT 1)`;
/** The callee's extension: the one call control named, else (internal calls) the one with that number. */
const CALLEE_EXT = `COALESCE(@calleeExt, CASE WHEN @direction = 'internal' THEN (SELECT id FROM extension WHERE tenant_id = @tenantId AND number = @calleeNumber) END)`;

const INSERT_CALL = `INSERT INTO call (id, tenant_id, direction, caller_number, caller_extension_id, caller_name, caller_department,
    callee_number, callee_extension_id, callee_name, callee_department, callee_kind, sip_call_id, started_at)
  SELECT @id, @tenantId, @direction, @callerNumber, @callerExt,
    COALESCE(@callerName, ${employeeName('@callerExt')}, ${contactName('@callerKey')}),
    ${departmentPath('@callerExt')},
    @calleeNumber, @calleeExt,
    COALESCE(@calleeName, ${employeeName(CALLEE_EXT)}, ${contactName('@calleeKey')}),
    ${departmentPath(CALLEE_EXT)},
    CASE WHEN ${CALLEE_EXT} IS NOT NULL THEN 'colleague' WHEN ${contactName('@calleeKey')} IS NOT NULL THEN 'contact' ELSE 'other' END,
    @sipCallId, @at
  WHERE true
  ON CONFLICT (id) DO NOTHING`;

/** How long a tenant's home country and area code are reused for reading numbers. */
const HOME_CACHE_MS = 10_000;

function defaultFileSize(path: string): number | undefined {
  try {
    return statSync(path).size;
  } catch {
    return undefined;
  }
}

export class CdrWriter {
  private readonly insertCall: Database.Statement;
  private readonly tenantSettings: Database.Statement<[number], string>;
  private readonly homes = new Map<number, { ctx: NumberContext; until: number }>();
  private readonly answerCall: Database.Statement;
  private readonly endCall: Database.Statement;
  private readonly insertLeg: Database.Statement;
  private readonly answerLeg: Database.Statement;
  private readonly endLeg: Database.Statement;
  private readonly insertRecording: Database.Statement;
  private readonly finishRecording: Database.Statement;
  private readonly applyBatch: (ops: Pending[]) => void;
  private readonly log: Logger | undefined;
  private readonly groupCommit: boolean;
  private readonly commitIntervalMs: number;
  private readonly fileSize: (path: string) => number | undefined;
  private pending: Pending[] = [];
  private flushScheduled = false;
  private detach: Array<() => void> = [];

  constructor(db: PbxDb, opts: CdrWriterOptions = {}) {
    this.log = opts.log;
    this.groupCommit = opts.groupCommit ?? true;
    this.commitIntervalMs = opts.commitIntervalMs ?? 0;
    this.fileSize = opts.fileSize ?? defaultFileSize;
    const s = db.sqlite;
    this.insertCall = s.prepare(INSERT_CALL);
    this.tenantSettings = s.prepare<[number], string>('SELECT settings FROM tenant WHERE id = ?').pluck();
    this.answerCall = s.prepare('UPDATE call SET answered_at = ? WHERE id = ? AND answered_at IS NULL');
    // Whole seconds rounded up; billable seconds count from the answer (0 when unanswered). The
    // CAST: better-sqlite3 binds JS numbers as REAL, and / must be integer division here.
    this.endCall = s.prepare(
      `UPDATE call SET ended_at = @at,
         duration_s = (max(0, CAST(@at AS INTEGER) - started_at) + 999) / 1000,
         billable_s = CASE WHEN answered_at IS NULL THEN 0 ELSE (max(0, CAST(@at AS INTEGER) - answered_at) + 999) / 1000 END,
         disposition = @disposition, hangup_by = @hangupBy, sip_code = @sipCode, reason = @reason
       WHERE id = @callId AND ended_at IS NULL`,
    );
    // A leg takes its tenant from its call; a leg of an unknown call inserts nothing.
    this.insertLeg = s.prepare(
      `INSERT INTO call_leg (id, call_id, tenant_id, direction, number, extension_id, name, target, started_at, forwarded, trunk_id)
       SELECT ?, id, tenant_id, ?, ?, ?, ?, ?, ?, ?, ? FROM call WHERE id = ?
       ON CONFLICT (id) DO NOTHING`,
    );
    this.answerLeg = s.prepare('UPDATE call_leg SET answered_at = ? WHERE id = ? AND answered_at IS NULL');
    this.endLeg = s.prepare(
      `UPDATE call_leg SET ended_at = ?, disposition = ?, hangup_by = ?, sip_code = ?, reason = ?
       WHERE id = ? AND ended_at IS NULL`,
    );
    this.insertRecording = s.prepare("INSERT INTO recording (call_id, tenant_id, path, started_at, status) VALUES (?, ?, ?, ?, 'recording')");
    this.finishRecording = s.prepare(
      `UPDATE recording SET status = ?, finished_at = ?, seconds = ?, bytes = ?, error = ?
       WHERE call_id = ? AND path = ? AND status = 'recording'`,
    );
    this.applyBatch = s.transaction((ops: Pending[]) => {
      for (const op of ops) this.applyOne(op);
    });
  }

  /** Subscribes to the bus; returns the writer. stop() unsubscribes. */
  attach(bus: CallEventBus): this {
    for (const name of CDR_EVENTS) this.detach.push(bus.on(name, (e) => this.enqueue([name, e] as Pending)));
    return this;
  }

  /** Applies one event now or queues it for the group commit. Exposed for tests and the bench. */
  enqueue(op: Pending): void {
    if (!this.groupCommit) {
      this.applyOne(op);
      return;
    }
    this.pending.push(op);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    const run = (): void => {
      this.flushScheduled = false;
      this.flush();
    };
    if (this.commitIntervalMs > 0) setTimeout(run, this.commitIntervalMs);
    else setImmediate(run);
  }

  /** Commits `ops` in one transaction now (the writer thread's entry). Never throws. */
  commit(ops: Pending[]): void {
    this.pending.push(...ops);
    this.flush();
  }

  /** Commits every queued event now (before reads, and at stop). Never throws. */
  flush(): void {
    const ops = this.pending;
    if (ops.length === 0) return;
    this.pending = [];
    try {
      this.applyBatch(ops);
    } catch (err) {
      // The transaction itself failed (disk full, database closed): these records are lost;
      // the calls go on. Crash recovery cannot help either, so it is logged loudly.
      this.log?.error({ err, events: ops.length }, 'writing call records failed');
    }
  }

  /** Unsubscribes from the bus and commits what is queued. */
  stop(): void {
    for (const off of this.detach) off();
    this.detach = [];
    this.flush();
  }

  private applyOne(op: Pending): void {
    try {
      const changed = this.write(op);
      if (changed === 0) this.log?.warn({ event: op[0], callId: op[1].callId }, 'call event for a call or leg without a record; ignored');
    } catch (err) {
      // One bad event (a recording of an unknown call, …) costs only its own statement.
      this.log?.error({ err, event: op[0], callId: op[1].callId }, 'writing a call record failed');
    }
  }

  /** An outside number in the form contacts are kept in (national at home, E.164 abroad), or null. */
  private numberKey(tenantId: number, number: string): string | null {
    const now = Date.now();
    let home = this.homes.get(tenantId);
    if (home === undefined || home.until <= now) {
      const s = parseTenantSettings(this.tenantSettings.get(tenantId));
      home = { ctx: { countryCode: s.country_code, ...(s.area_code ? { areaCode: s.area_code } : {}) }, until: now + HOME_CACHE_MS };
      if (this.homes.size >= 10_000) this.homes.clear();
      this.homes.set(tenantId, home);
    }
    return callNumberKey(number, home.ctx) ?? null;
  }

  /** Rows changed (0: the call, leg or recording it refers to has no row, or it was already closed). */
  private write(op: Pending): number {
    switch (op[0]) {
      case 'call.started': {
        const e = op[1];
        return this.insertCall.run({
          id: e.callId,
          tenantId: e.tenantId,
          direction: e.direction,
          callerNumber: e.caller.number,
          callerExt: e.caller.extensionId ?? null,
          callerName: e.caller.name ?? null,
          // the outside party: the caller of an inbound call, the callee of an outbound one
          callerKey: e.direction === 'inbound' && e.caller.extensionId === undefined ? this.numberKey(e.tenantId, e.caller.number) : null,
          calleeNumber: e.callee.number,
          calleeExt: e.callee.extensionId ?? null,
          calleeName: e.callee.name ?? null,
          calleeKey: e.direction === 'outbound' && e.callee.extensionId === undefined ? this.numberKey(e.tenantId, e.callee.number) : null,
          sipCallId: e.sipCallId,
          at: e.at,
        }).changes;
      }
      case 'call.answered':
        this.answerCall.run(op[1].at, op[1].callId); // no change: answered before, or unknown (call.ended says so)
        return 1;
      case 'call.ended': {
        const e = op[1];
        return this.endCall.run({ at: e.at, disposition: e.disposition, hangupBy: e.hangupBy, sipCode: e.sipCode ?? null, reason: e.reason ?? null, callId: e.callId })
          .changes;
      }
      case 'leg.started': {
        const e = op[1];
        return this.insertLeg.run(e.legId, e.direction, e.party.number, e.party.extensionId ?? null, e.party.name ?? null, e.target, e.at, e.forwarded ? 1 : 0, e.trunkId ?? null, e.callId).changes;
      }
      case 'leg.answered':
        this.answerLeg.run(op[1].at, op[1].legId);
        return 1;
      case 'leg.ended': {
        const e = op[1];
        return this.endLeg.run(e.at, e.disposition, e.hangupBy, e.sipCode ?? null, e.reason ?? null, e.legId).changes;
      }
      case 'recording.started': {
        const e = op[1];
        return this.insertRecording.run(e.callId, e.tenantId, e.path, e.at).changes;
      }
      case 'recording.finished': {
        const e = op[1];
        const bytes = this.fileSize(e.path);
        const error = e.error ?? (bytes === undefined ? 'the recording file is missing' : null);
        return this.finishRecording.run(error === null ? 'complete' : 'failed', e.at, e.seconds, bytes ?? null, error, e.callId, e.path).changes;
      }
    }
  }
}
