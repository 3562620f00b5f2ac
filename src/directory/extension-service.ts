// Extensions of a tenant: add (password generated when absent), list, show, update, remove,
// set-password, a bulk path for provisioning at scale (one transaction, one prepared statement
// reused) and the hot lookup by (tenant, number) on the unique index. Every query is scoped by
// tenant id. Rows declared in the config file are refused with ConfigManagedError.
// Kinds (R-DIR-1): an employee's own extension (kind employee, linked to the employee; given by
// EmployeeService, automatically or by hand), the operator's, and function extensions (fax,
// meeting room; the default) without an employee.
import type Database from 'better-sqlite3';
import type { PbxDb } from '../db/open.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { ConfigManagedError, ConflictError, InvalidError, NotFoundError, isUniqueViolation } from '../errors.ts';
import { checkSipPassword, generateSipPassword, type RandomBytes } from './sip-password.ts';
import { randomBytes } from 'node:crypto';

export type RingStrategy = 'sequential' | 'simultaneous';
export type ExtensionKind = 'employee' | 'operator' | 'function';
export const EXTENSION_KINDS: readonly ExtensionKind[] = ['employee', 'operator', 'function'];
/** The kinds an extension without an employee may have. */
export const FUNCTION_KINDS: readonly ExtensionKind[] = ['operator', 'function'];
export const RING_STRATEGIES: readonly RingStrategy[] = ['sequential', 'simultaneous'];

/** An extension as shown to admins (never the password). */
export interface Extension {
  id: number;
  tenantId: number;
  number: string;
  kind: ExtensionKind;
  /** The employee (row id) whose extension it is; null for operator and function extensions. */
  employeeId: number | null;
  displayName: string | null;
  maxTerminals: number;
  ringStrategy: RingStrategy;
  ringTimeoutS: number;
  maxConcurrentCalls: number;
  voicemailEnabled: boolean;
  configManaged: boolean;
  createdAt: number;
}

/** An extension with its SIP secret, for signalling (AccountSource) only. */
export interface ExtensionAccount extends Extension {
  sipPassword: string;
}

export interface ExtensionInput {
  number: string;
  /** Default function; employee only together with employeeId (EmployeeService gives those). */
  kind?: ExtensionKind;
  employeeId?: number | null;
  displayName?: string | null;
  password?: string; // generated when absent
  maxTerminals?: number; // 1..3, default 3
  ringStrategy?: RingStrategy; // default simultaneous
  ringTimeoutS?: number; // 5..300 s per terminal, default 20
  maxConcurrentCalls?: number; // 1..100, default 2
  voicemailEnabled?: boolean; // default true
}

/** kind: operator or function, for extensions without an employee. */
export type ExtensionPatch = Partial<Omit<ExtensionInput, 'number' | 'password' | 'employeeId'>>;

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

export const EXTENSION_NUMBER = /^[1-9][0-9]{1,7}$/;
export const DEFAULTS = { maxTerminals: 3, ringStrategy: 'simultaneous' as RingStrategy, ringTimeoutS: 20, maxConcurrentCalls: 2, voicemailEnabled: true };

export function checkNumber(n: unknown): string {
  const s = typeof n === 'number' ? String(n) : n;
  if (typeof s !== 'string' || !EXTENSION_NUMBER.test(s)) throw new InvalidError(`extension number ${JSON.stringify(n)} must be 2 to 8 digits, not starting with 0`);
  return s;
}

function intIn(v: unknown, min: number, max: number, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new InvalidError(`${what} must be a whole number from ${min} to ${max}`);
  return v;
}

function checkKind(v: unknown, employeeId: number | null, number: string): ExtensionKind {
  if (v === undefined) return employeeId === null ? 'function' : 'employee';
  if (!(EXTENSION_KINDS as readonly unknown[]).includes(v)) throw new InvalidError(`kind of extension ${number} must be one of ${EXTENSION_KINDS.join(', ')}, not ${JSON.stringify(v)}`);
  if (v === 'employee' && employeeId === null) throw new InvalidError(`extension ${number}: an employee's extension is given with the employee (pbx employee add … --extension ${number}); here use kind operator or function`);
  if (v !== 'employee' && employeeId !== null) throw new InvalidError(`extension ${number} belongs to an employee, so its kind is employee`);
  return v as ExtensionKind;
}

function checkRingStrategy(v: unknown): RingStrategy {
  if (v !== 'sequential' && v !== 'simultaneous') throw new InvalidError(`ring strategy must be sequential or simultaneous, not ${JSON.stringify(v)}`);
  return v;
}

function checkDisplayName(v: unknown): string | null {
  if (v === undefined || v === null || v === '') return null;
  if (typeof v !== 'string' || v.length > 64 || /[\x00-\x1f"\\]/.test(v)) throw new InvalidError('display name must be at most 64 characters without quotes, backslashes or control characters');
  return v;
}

interface Row {
  id: number;
  tenant_id: number;
  number: string;
  kind: ExtensionKind;
  employee_id: number | null;
  display_name: string | null;
  sip_password: string;
  max_terminals: number;
  ring_strategy: RingStrategy;
  ring_timeout_s: number;
  max_concurrent_calls: number;
  voicemail_enabled: number;
  config_managed: number;
  created_at: number;
}

function toExtension(r: Row): Extension {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    number: r.number,
    kind: r.kind,
    employeeId: r.employee_id,
    displayName: r.display_name,
    maxTerminals: r.max_terminals,
    ringStrategy: r.ring_strategy,
    ringTimeoutS: r.ring_timeout_s,
    maxConcurrentCalls: r.max_concurrent_calls,
    voicemailEnabled: r.voicemail_enabled === 1,
    configManaged: r.config_managed === 1,
    createdAt: r.created_at,
  };
}

function toAccount(r: Row): ExtensionAccount {
  return { ...toExtension(r), sipPassword: r.sip_password };
}

type Normalised = Pick<Extension, 'number' | 'kind' | 'employeeId' | 'displayName' | 'maxTerminals' | 'ringStrategy' | 'ringTimeoutS' | 'maxConcurrentCalls' | 'voicemailEnabled'>;

export interface AddResult {
  extension: Extension;
  password: string;
  generatedPassword: boolean;
}

export interface ProvisionOptions {
  actor?: string;
  /** Called for every generated password (inputs without one), so a caller can hand them out. */
  onGeneratedPassword?: (number: string, password: string) => void;
}

export class ExtensionService {
  private readonly byNumber: Database.Statement<[number, string], Row>;
  private readonly insertStmt: Database.Statement;
  private readonly countStmt: Database.Statement<[number], number>;
  private readonly pageStmt: Database.Statement<[number, number, number], Row>;
  private readonly deleteStmt: Database.Statement<[number]>;
  private readonly passwordStmt: Database.Statement<[string, number]>;

  constructor(
    private readonly db: PbxDb,
    private readonly audit: AuditLog,
    private readonly now: () => number = Date.now,
    private readonly random: RandomBytes = randomBytes,
  ) {
    const s = db.sqlite;
    this.byNumber = s.prepare('SELECT * FROM extension WHERE tenant_id = ? AND number = ?');
    this.insertStmt = s.prepare(
      `INSERT INTO extension (tenant_id, number, kind, employee_id, display_name, sip_password, max_terminals, ring_strategy, ring_timeout_s,
         max_concurrent_calls, voicemail_enabled, config_managed, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)`,
    );
    this.countStmt = s.prepare<[number], number>('SELECT count(*) FROM extension WHERE tenant_id = ?').pluck();
    this.pageStmt = s.prepare('SELECT * FROM extension WHERE tenant_id = ? ORDER BY number LIMIT ? OFFSET ?');
    this.deleteStmt = s.prepare('DELETE FROM extension WHERE id = ?');
    this.passwordStmt = s.prepare('UPDATE extension SET sip_password = ? WHERE id = ?');
  }

  /** Hot path (signalling, routing): one prepared statement on the (tenant_id, number) index. */
  findByNumber(tenantId: number, number: string): ExtensionAccount | undefined {
    const r = this.byNumber.get(tenantId, number);
    return r ? toAccount(r) : undefined;
  }

  /** The extension, or NotFoundError naming it. */
  show(tenantId: number, number: string): Extension {
    return toExtension(this.row(tenantId, number));
  }

  list(tenantId: number, opts: { limit?: number; offset?: number } = {}): Page<Extension> {
    const limit = Math.min(Math.max(Math.trunc(opts.limit ?? 100), 1), 10_000);
    const offset = Math.max(Math.trunc(opts.offset ?? 0), 0);
    return { items: this.pageStmt.all(tenantId, limit, offset).map(toExtension), total: this.countStmt.get(tenantId) ?? 0, limit, offset };
  }

  count(tenantId: number): number {
    return this.countStmt.get(tenantId) ?? 0;
  }

  add(tenantId: number, input: ExtensionInput, actor = 'system'): AddResult {
    const n = this.normalise(input);
    const generated = input.password === undefined || input.password === '';
    const password = generated ? generateSipPassword(this.random) : checkSipPassword(input.password);
    try {
      this.insertRow(tenantId, n, password);
      this.audit.record({ actor, action: 'extension.add', target: n.number, tenantId, detail: n });
      return { extension: this.show(tenantId, n.number), password, generatedPassword: generated };
    } catch (e) {
      if (isUniqueViolation(e)) {
        if (n.employeeId !== null && this.db.sqlite.prepare('SELECT 1 FROM extension WHERE employee_id = ?').get(n.employeeId)) throw new ConflictError(`that employee already has an extension`);
        throw new ConflictError(`extension ${n.number} already exists`);
      }
      throw e;
    }
  }

  /**
   * Bulk provisioning: validates every input, then inserts all of them in one transaction with
   * one prepared statement. All or nothing: a duplicate aborts the whole batch with ConflictError.
   */
  provisionMany(tenantId: number, inputs: Iterable<ExtensionInput>, opts: ProvisionOptions = {}): { added: number } {
    const insert = this.insertStmt;
    const now = this.now();
    const random = this.random;
    const run = this.db.sqlite.transaction(() => {
      let added = 0;
      for (const input of inputs) {
        const n = this.normalise(input);
        let password: string;
        if (input.password === undefined || input.password === '') {
          password = generateSipPassword(random);
          opts.onGeneratedPassword?.(n.number, password);
        } else password = checkSipPassword(input.password, `password of extension ${n.number}`);
        try {
          insert.run(tenantId, n.number, n.kind, n.employeeId, n.displayName, password, n.maxTerminals, n.ringStrategy, n.ringTimeoutS, n.maxConcurrentCalls, n.voicemailEnabled ? 1 : 0, now);
        } catch (e) {
          if (isUniqueViolation(e)) throw new ConflictError(`extension ${n.number} already exists (nothing was added)`);
          throw e;
        }
        added++;
      }
      return added;
    });
    const added = run.immediate();
    this.audit.record({ actor: opts.actor ?? 'system', action: 'extension.provision_many', target: `${added} extensions`, tenantId, detail: { added } });
    return { added };
  }

  update(tenantId: number, number: string, patch: ExtensionPatch, actor = 'system'): Extension {
    const row = this.editable(tenantId, number);
    const cur = toExtension(row);
    if (patch.kind !== undefined && patch.kind !== cur.kind && cur.employeeId !== null)
      throw new ConflictError(`extension ${number} is an employee's; its kind stays employee (remove the employee with --keep-extension to make it a function extension)`);
    const n = this.normalise({
      number: cur.number,
      kind: patch.kind ?? cur.kind,
      employeeId: cur.employeeId,
      displayName: 'displayName' in patch ? patch.displayName : cur.displayName,
      maxTerminals: patch.maxTerminals ?? cur.maxTerminals,
      ringStrategy: patch.ringStrategy ?? cur.ringStrategy,
      ringTimeoutS: patch.ringTimeoutS ?? cur.ringTimeoutS,
      maxConcurrentCalls: patch.maxConcurrentCalls ?? cur.maxConcurrentCalls,
      voicemailEnabled: patch.voicemailEnabled ?? cur.voicemailEnabled,
    });
    this.db.sqlite
      .prepare(
        `UPDATE extension SET kind = ?, display_name = ?, max_terminals = ?, ring_strategy = ?, ring_timeout_s = ?, max_concurrent_calls = ?,
           voicemail_enabled = ? WHERE id = ? AND tenant_id = ?`,
      )
      .run(n.kind, n.displayName, n.maxTerminals, n.ringStrategy, n.ringTimeoutS, n.maxConcurrentCalls, n.voicemailEnabled ? 1 : 0, row.id, tenantId);
    this.audit.record({ actor, action: 'extension.update', target: number, tenantId, detail: patch });
    return this.show(tenantId, number);
  }

  remove(tenantId: number, number: string, actor = 'system'): Extension {
    const row = this.editable(tenantId, number);
    this.deleteStmt.run(row.id);
    this.audit.record({ actor, action: 'extension.remove', target: number, tenantId });
    return toExtension(row);
  }

  /**
   * Gives an extension a new number (one manual change, R-DIR-2: uniqueness enforced). Its
   * settings, registrations' rows and PSTN terminals stay; phones must register with the new
   * number. Call records keep the number the extension had at the time of each call.
   */
  renumber(tenantId: number, number: string, newNumber: string, actor = 'system'): Extension {
    const row = this.editable(tenantId, number);
    const to = checkNumber(newNumber);
    if (to === row.number) return toExtension(row);
    try {
      this.db.sqlite.prepare('UPDATE extension SET number = ? WHERE id = ? AND tenant_id = ?').run(to, row.id, tenantId);
    } catch (e) {
      if (isUniqueViolation(e)) throw new ConflictError(`extension ${to} already exists`);
      throw e;
    }
    this.audit.record({ actor, action: 'extension.renumber', target: number, tenantId, detail: { number: to } });
    return this.show(tenantId, to);
  }

  /** The extension of an employee (row id), if it has one. */
  ofEmployee(employeeId: number): Extension | undefined {
    const r = this.db.sqlite.prepare<[number], Row>('SELECT * FROM extension WHERE employee_id = ?').get(employeeId);
    return r ? toExtension(r) : undefined;
  }

  /** An employee's extension becomes a function extension (the employee leaves; the phone stays). */
  releaseEmployee(tenantId: number, employeeId: number, actor = 'system'): Extension | undefined {
    const r = this.db.sqlite.prepare<[number, number], Row>('SELECT * FROM extension WHERE tenant_id = ? AND employee_id = ?').get(tenantId, employeeId);
    if (!r) return undefined;
    this.db.sqlite.prepare("UPDATE extension SET kind = 'function', employee_id = NULL WHERE id = ?").run(r.id);
    this.audit.record({ actor, action: 'extension.update', target: r.number, tenantId, detail: { kind: 'function', employeeId: null } });
    return this.show(tenantId, r.number);
  }

  /** Sets (or, without a password, generates) the SIP password; returns it. */
  setPassword(tenantId: number, number: string, password?: string, actor = 'system'): { password: string; generatedPassword: boolean } {
    const row = this.editable(tenantId, number);
    const generated = password === undefined || password === '';
    const pw = generated ? generateSipPassword(this.random) : checkSipPassword(password);
    this.passwordStmt.run(pw, row.id);
    this.audit.record({ actor, action: 'extension.set_password', target: number, tenantId, detail: { generated } });
    return { password: pw, generatedPassword: generated };
  }

  private row(tenantId: number, number: string): Row {
    const r = this.byNumber.get(tenantId, String(number));
    if (!r) throw new NotFoundError(`extension ${number} does not exist`);
    return r;
  }

  private editable(tenantId: number, number: string): Row {
    const r = this.row(tenantId, number);
    if (r.config_managed === 1) throw new ConfigManagedError(`extension ${number}`);
    return r;
  }

  private insertRow(tenantId: number, n: Normalised, password: string): Database.RunResult {
    return this.insertStmt.run(tenantId, n.number, n.kind, n.employeeId, n.displayName, password, n.maxTerminals, n.ringStrategy, n.ringTimeoutS, n.maxConcurrentCalls, n.voicemailEnabled ? 1 : 0, this.now());
  }

  private normalise(i: ExtensionInput): Normalised {
    const number = checkNumber(i.number);
    const employeeId = i.employeeId ?? null;
    return {
      number,
      kind: checkKind(i.kind, employeeId, number),
      employeeId,
      displayName: checkDisplayName(i.displayName),
      maxTerminals: i.maxTerminals === undefined ? DEFAULTS.maxTerminals : intIn(i.maxTerminals, 1, 3, `max terminals of extension ${number}`),
      ringStrategy: i.ringStrategy === undefined ? DEFAULTS.ringStrategy : checkRingStrategy(i.ringStrategy),
      ringTimeoutS: i.ringTimeoutS === undefined ? DEFAULTS.ringTimeoutS : intIn(i.ringTimeoutS, 5, 300, `ring timeout of extension ${number}`),
      maxConcurrentCalls: i.maxConcurrentCalls === undefined ? DEFAULTS.maxConcurrentCalls : intIn(i.maxConcurrentCalls, 1, 100, `max concurrent calls of extension ${number}`),
      voicemailEnabled: i.voicemailEnabled === undefined ? DEFAULTS.voicemailEnabled : Boolean(i.voicemailEnabled),
    };
  }
}
