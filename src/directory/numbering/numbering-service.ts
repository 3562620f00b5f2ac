// Automatic extension numbering over the database (SPEC R-DIR-2): every activated employee of a
// tenant without an extension gets one, in employee-id order, numbered by extension-numbering.ts.
// Existing extensions are never changed; the numbers the tenant already uses (hand-set ones,
// the operator, function extensions, any length) are skipped, and so are the emergency numbers of
// the tenant's country (110, 119, 120, 122 for China; 911 for NANP …): routing lets an emergency
// number win over an extension with the same digits, so such an extension could never be dialled.
//
// Each call is one BEGIN IMMEDIATE transaction: the tenant's taken numbers are read once (one
// query) under the write lock, so two numbering runs (server and CLI) cannot pick the same
// number, and the rows go in through one prepared INSERT.
import type Database from 'better-sqlite3';
import type { PbxDb } from '../../db/open.ts';
import { ConflictError, NotFoundError } from '../../errors.ts';
import { COUNTRIES } from '../../routing/numbers/countries.ts';
import { parseTenantSettings } from '../../tenancy/tenant-settings.ts';
import { generateSipPassword } from '../sip-password.ts';
import { assignExtensionNumbers } from './extension-numbering.ts';

export interface NumberingOptions {
  /** Clock for created_at (ms since epoch). */
  now?: () => number;
  /** SIP password for each new extension; default 16 characters from node:crypto. */
  password?: () => string;
}

export interface AssignResult {
  /** Extensions created. */
  assigned: number;
  /** Employee row id → the number given, in giving order. */
  numbers: Map<number, string>;
}

interface MissingRow {
  id: number;
  employee_no: string;
  name: string;
}

interface EmployeeRow extends MissingRow {
  active: number;
  extension_number: string | null;
}

/** What a SIP display name may hold (as ExtensionService checks it): no quotes, backslashes or controls, 64 characters. */
export function displayNameOf(name: string): string | null {
  const clean = name.replace(/["\\\x00-\x1f\x7f]/g, '').trim();
  return clean === '' ? null : Array.from(clean).slice(0, 64).join('');
}

export class ExtensionNumbering {
  private readonly now: () => number;
  private readonly password: () => string;
  private readonly activeCount: Database.Statement<[number], number>;
  private readonly takenNumbers: Database.Statement<[number], string>;
  private readonly settingsOf: Database.Statement<[number], string>;
  private readonly missing: Database.Statement<[number], MissingRow>;
  private readonly employeeOf: Database.Statement<[number, number], EmployeeRow>;
  private readonly insert: Database.Statement<[number, string, number, string | null, string, number]>;

  constructor(
    private readonly db: PbxDb,
    opts: NumberingOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.password = opts.password ?? (() => generateSipPassword());
    const s = db.sqlite;
    this.activeCount = s.prepare<[number], number>('SELECT count(*) FROM employee WHERE tenant_id = ? AND active = 1').pluck();
    this.takenNumbers = s.prepare<[number], string>('SELECT number FROM extension WHERE tenant_id = ?').pluck();
    this.settingsOf = s.prepare<[number], string>('SELECT settings FROM tenant WHERE id = ?').pluck();
    this.missing = s.prepare<[number], MissingRow>(
      `SELECT e.id, e.employee_no, e.name FROM employee e
        WHERE e.tenant_id = ? AND e.active = 1 AND NOT EXISTS (SELECT 1 FROM extension x WHERE x.employee_id = e.id)`,
    );
    this.employeeOf = s.prepare<[number, number], EmployeeRow>(
      `SELECT e.id, e.employee_no, e.name, e.active, (SELECT x.number FROM extension x WHERE x.employee_id = e.id) AS extension_number
         FROM employee e WHERE e.tenant_id = ? AND e.id = ?`,
    );
    this.insert = s.prepare(
      `INSERT INTO extension (tenant_id, number, kind, employee_id, display_name, sip_password, created_at)
       VALUES (?, ?, 'employee', ?, ?, ?, ?)`,
    );
  }

  /** Every activated employee of the tenant without an extension gets one (employee-id order). */
  assignMissing(tenantId: number): AssignResult {
    const run = this.db.sqlite.transaction((): AssignResult => {
      const rows = this.missing.all(tenantId);
      if (rows.length === 0) return { assigned: 0, numbers: new Map() };
      const names = new Map<number, string>();
      for (const r of rows) names.set(r.id, r.name);
      const numbers = assignExtensionNumbers(
        rows.map((r) => ({ id: r.id, employeeNo: r.employee_no })),
        this.taken(tenantId),
        this.activeCount.get(tenantId) ?? 0,
      );
      const now = this.now();
      for (const [employeeId, number] of numbers) this.insert.run(tenantId, number, employeeId, displayNameOf(names.get(employeeId)!), this.password(), now);
      return { assigned: numbers.size, numbers };
    });
    return run.immediate();
  }

  /**
   * One (new) employee gets the next free number at once. An employee who already has an
   * extension keeps it (its number is returned); an inactive one gets none (ConflictError).
   */
  assignOne(tenantId: number, employeeId: number): string {
    const run = this.db.sqlite.transaction((): string => {
      const e = this.employeeOf.get(tenantId, employeeId);
      if (e === undefined) throw new NotFoundError(`employee ${employeeId} does not exist in this tenant`);
      if (e.extension_number !== null) return e.extension_number;
      if (e.active !== 1) throw new ConflictError(`employee ${e.employee_no} is not activated; activate them first, then an extension is given`);
      const numbers = assignExtensionNumbers([{ id: e.id, employeeNo: e.employee_no }], this.taken(tenantId), this.activeCount.get(tenantId) ?? 0);
      const number = numbers.get(e.id)!;
      this.insert.run(tenantId, number, e.id, displayNameOf(e.name), this.password(), this.now());
      return number;
    });
    return run.immediate();
  }

  /** Numbers the tenant may not be given: its extensions, its operator, its country's emergency numbers. */
  private taken(tenantId: number): Set<string> {
    const taken = new Set(this.takenNumbers.all(tenantId));
    const settings = parseTenantSettings(this.settingsOf.get(tenantId));
    if (settings.operator !== undefined) taken.add(settings.operator);
    for (const n of COUNTRIES[settings.country_code]?.emergency ?? []) taken.add(n);
    return taken;
  }
}
