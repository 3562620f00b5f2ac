// Employees of a tenant (R-DIR-1): employee id (the company's, unique in the tenant; the order of
// automatic numbering), name, department (by id or path), mobile, title, active.
//
// - An ACTIVE employee gets an extension at once: the number given by the caller (uniqueness
//   enforced), else the next automatic one (ExtensionNumbering.assignOne, SPEC R-DIR-2). An
//   inactive employee gets none until activated (or until a number is given by hand); being
//   activated later gives one the same way.
// - Deactivating keeps the extension (and its number): the employee may come back, and the
//   numbers of the others never move.
// - Removing an employee removes their extension too (its registrations and PSTN terminals go
//   with it; call records keep the number and name they had). With keepExtension the extension
//   stays as a function extension without an employee (a desk phone handed on). Contacts they
//   managed lose their account manager (set null).
// Employees are named by their employee id (E001), never by the row id.
import type { PbxDb } from '../db/open.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { ConflictError, InvalidError, NotFoundError, isUniqueViolation } from '../errors.ts';
import { isMobileNumber, normalizeNumber } from '../routing/numbers/normalize-number.ts';
import { isNumberError } from '../routing/numbers/normalized-number.ts';
import { ExtensionNumbering, displayNameOf } from './numbering/numbering-service.ts';
import type { DepartmentRef, DepartmentService } from './department-service.ts';
import type { ExtensionService, Page } from './extension-service.ts';
import { numberKey, tenantNumberContext } from './contact-service.ts';

export interface Employee {
  id: number;
  tenantId: number;
  employeeNo: string;
  name: string;
  departmentId: number | null;
  /** The department's path ("Sales/East"), or null. */
  department: string | null;
  /** National form for a home mobile (13812345678), E.164 for a foreign one. */
  mobile: string | null;
  title: string | null;
  active: boolean;
  /** The employee's extension number, if they have one. */
  extension: string | null;
  createdAt: number;
}

export interface EmployeeInput {
  employeeNo: string;
  name: string;
  /** Department id or path ("Sales/East"); null or absent for none. */
  department?: DepartmentRef | null;
  mobile?: string | null;
  title?: string | null;
  /** Default true. */
  active?: boolean;
  /** This extension number instead of the automatic one. */
  extension?: string;
}

export type EmployeePatch = Partial<EmployeeInput>;

/** An extension given by add or update: its SIP password is shown this once. */
export interface GivenExtension {
  number: string;
  password: string;
  /** automatic: by the numbering rules; given: the number the caller asked for. */
  how: 'automatic' | 'given';
}

export interface EmployeeChange {
  employee: Employee;
  /** Set when this call gave the employee an extension (not when it only renumbered one). */
  extension: GivenExtension | null;
}

export interface EmployeeListOptions {
  limit?: number;
  offset?: number;
  /** Only this department and its sub-departments. */
  department?: DepartmentRef;
  active?: boolean;
}

interface Row {
  id: number;
  tenant_id: number;
  employee_no: string;
  name: string;
  department_id: number | null;
  mobile: string | null;
  title: string | null;
  active: number;
  created_at: number;
  extension: string | null;
}

const SELECT = 'SELECT e.*, x.number AS extension FROM employee e LEFT JOIN extension x ON x.employee_id = e.id';

export function checkEmployeeNo(v: unknown): string {
  const s = typeof v === 'number' ? String(v) : typeof v === 'string' ? v.trim() : v;
  if (typeof s !== 'string' || s === '') throw new InvalidError('an employee needs an employee id');
  if (s.length > 32 || /[\x00-\x20\x7f/]/.test(s)) throw new InvalidError(`employee id ${JSON.stringify(s)} must be at most 32 characters without spaces, "/" or control characters`);
  return s;
}

function checkName(v: unknown): string {
  const s = typeof v === 'string' ? v.trim() : v;
  if (typeof s !== 'string' || s === '') throw new InvalidError('an employee needs a name');
  if (s.length > 64 || /[\x00-\x1f\x7f]/.test(s)) throw new InvalidError('an employee name must be at most 64 characters without control characters');
  return s;
}

function checkTitle(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  const s = typeof v === 'string' ? v.trim() : v;
  if (s === '') return null;
  if (typeof s !== 'string' || s.length > 64 || /[\x00-\x1f\x7f]/.test(s)) throw new InvalidError('a title must be at most 64 characters without control characters');
  return s;
}

export class EmployeeService {
  private readonly numbering: ExtensionNumbering;
  private readonly now: () => number;

  constructor(
    private readonly db: PbxDb,
    private readonly audit: AuditLog,
    private readonly departments: DepartmentService,
    private readonly extensions: ExtensionService,
    opts: { now?: () => number; numbering?: ExtensionNumbering } = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.numbering = opts.numbering ?? new ExtensionNumbering(db, { now: this.now });
  }

  add(tenantId: number, input: EmployeeInput, actor = 'system'): EmployeeChange {
    const employeeNo = checkEmployeeNo(input.employeeNo);
    const name = checkName(input.name);
    const title = checkTitle(input.title);
    const active = input.active ?? true;
    if (typeof active !== 'boolean') throw new InvalidError('active must be true or false');
    const run = this.db.sqlite.transaction((): { id: number; given: GivenExtension | null } => {
      const departmentId = this.departmentId(tenantId, input.department);
      const mobile = this.mobile(tenantId, input.mobile, employeeNo);
      let id: number;
      try {
        id = Number(
          this.db.sqlite
            .prepare('INSERT INTO employee (tenant_id, employee_no, name, department_id, mobile, title, active, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
            .run(tenantId, employeeNo, name, departmentId, mobile, title, active ? 1 : 0, this.now()).lastInsertRowid,
        );
      } catch (e) {
        if (isUniqueViolation(e)) throw new ConflictError(`employee ${employeeNo} already exists`);
        throw e;
      }
      this.audit.record({ actor, action: 'employee.add', target: employeeNo, tenantId, detail: { name, departmentId, mobile, title, active } });
      let given: GivenExtension | null = null;
      if (input.extension !== undefined && input.extension !== '') given = this.giveNumber(tenantId, id, name, input.extension, actor);
      else if (active) given = this.giveAutomatic(tenantId, id, employeeNo, actor);
      return { id, given };
    });
    const r = run.immediate();
    return { employee: this.byRowId(tenantId, r.id), extension: r.given };
  }

  /**
   * Changes an employee. Activating one without an extension gives one at once; `extension`
   * renumbers their extension (uniqueness enforced), or gives them that number if they have none.
   * A new name is carried to the extension's display name when that was the old name.
   */
  update(tenantId: number, employeeNo: string, patch: EmployeePatch, actor = 'system'): EmployeeChange {
    const run = this.db.sqlite.transaction((): { id: number; given: GivenExtension | null } => {
      const cur = this.row(tenantId, employeeNo);
      const next = {
        employeeNo: patch.employeeNo === undefined ? cur.employee_no : checkEmployeeNo(patch.employeeNo),
        name: patch.name === undefined ? cur.name : checkName(patch.name),
        departmentId: patch.department === undefined ? cur.department_id : this.departmentId(tenantId, patch.department),
        mobile: patch.mobile === undefined ? cur.mobile : this.mobile(tenantId, patch.mobile, cur.employee_no),
        title: patch.title === undefined ? cur.title : checkTitle(patch.title),
        active: patch.active === undefined ? cur.active === 1 : patch.active,
      };
      if (typeof next.active !== 'boolean') throw new InvalidError('active must be true or false');
      try {
        this.db.sqlite
          .prepare('UPDATE employee SET employee_no = ?, name = ?, department_id = ?, mobile = ?, title = ?, active = ? WHERE id = ?')
          .run(next.employeeNo, next.name, next.departmentId, next.mobile, next.title, next.active ? 1 : 0, cur.id);
      } catch (e) {
        if (isUniqueViolation(e)) throw new ConflictError(`employee ${next.employeeNo} already exists`);
        throw e;
      }
      const changed = Object.fromEntries(Object.entries(patch).filter(([k]) => k !== 'extension'));
      if (Object.keys(changed).length > 0) this.audit.record({ actor, action: next.active || cur.active !== 1 ? 'employee.update' : 'employee.deactivate', target: cur.employee_no, tenantId, detail: changed });
      const ext = this.extensions.ofEmployee(cur.id);
      if (ext && next.name !== cur.name && ext.displayName === displayNameOf(cur.name) && !ext.configManaged) this.extensions.update(tenantId, ext.number, { displayName: displayNameOf(next.name) }, actor);
      let given: GivenExtension | null = null;
      if (patch.extension !== undefined && patch.extension !== '') {
        if (ext) this.extensions.renumber(tenantId, ext.number, patch.extension, actor);
        else given = this.giveNumber(tenantId, cur.id, next.name, patch.extension, actor);
      } else if (next.active && !ext) given = this.giveAutomatic(tenantId, cur.id, next.employeeNo, actor);
      return { id: cur.id, given };
    });
    const r = run.immediate();
    return { employee: this.byRowId(tenantId, r.id), extension: r.given };
  }

  /** The employee stops counting as activated; their extension stays. */
  deactivate(tenantId: number, employeeNo: string, actor = 'system'): Employee {
    const cur = this.get(tenantId, employeeNo);
    if (!cur.active) return cur;
    return this.update(tenantId, employeeNo, { active: false }, actor).employee;
  }

  /**
   * Removes the employee and their extension (with keepExtension: the extension stays, as a
   * function extension). Returns the employee as it was.
   */
  remove(tenantId: number, employeeNo: string, opts: { keepExtension?: boolean } = {}, actor = 'system'): Employee & { extensionKept: boolean } {
    const run = this.db.sqlite.transaction(() => {
      const e = this.get(tenantId, employeeNo);
      if (e.extension !== null) {
        if (opts.keepExtension) this.extensions.releaseEmployee(tenantId, e.id, actor);
        else this.extensions.remove(tenantId, e.extension, actor);
      }
      this.db.sqlite.prepare('DELETE FROM employee WHERE id = ? AND tenant_id = ?').run(e.id, tenantId);
      this.audit.record({ actor, action: 'employee.remove', target: e.employeeNo, tenantId, detail: { extension: e.extension, extensionKept: e.extension !== null && Boolean(opts.keepExtension) } });
      return { ...e, extensionKept: e.extension !== null && Boolean(opts.keepExtension) };
    });
    return run.immediate();
  }

  get(tenantId: number, employeeNo: string): Employee {
    return this.view(this.row(tenantId, employeeNo), (id) => this.departments.pathById(tenantId, id));
  }

  /** Employees by employee id, with pagination; filters: department (with its sub-departments), active. */
  list(tenantId: number, opts: EmployeeListOptions = {}): Page<Employee> {
    const limit = Math.min(Math.max(Math.trunc(opts.limit ?? 100), 1), 10_000);
    const offset = Math.max(Math.trunc(opts.offset ?? 0), 0);
    const where = ['e.tenant_id = @tenantId'];
    const params: Record<string, unknown> = { tenantId, limit, offset };
    const tree = this.departments.list(tenantId);
    if (opts.department !== undefined && opts.department !== '') {
      const root = this.departments.resolveId(tenantId, opts.department);
      const ids = new Set([root]);
      for (const d of tree) if (d.parentId !== null && ids.has(d.parentId)) ids.add(d.id); // depth-first: parents come first
      where.push('e.department_id IN (SELECT value FROM json_each(@departments))');
      params.departments = JSON.stringify([...ids]);
    }
    if (opts.active !== undefined) {
      where.push('e.active = @active');
      params.active = opts.active ? 1 : 0;
    }
    const s = this.db.sqlite;
    const paths = new Map(tree.map((d) => [d.id, d.path]));
    const items = s
      .prepare<[Record<string, unknown>], Row>(`${SELECT} WHERE ${where.join(' AND ')} ORDER BY e.employee_no LIMIT @limit OFFSET @offset`)
      .all(params)
      .map((r) => this.view(r, (id) => paths.get(id) ?? null));
    const total = s.prepare<[Record<string, unknown>], number>(`SELECT count(*) FROM employee e WHERE ${where.join(' AND ')}`).pluck().get(params) ?? 0;
    return { items, total, limit, offset };
  }

  /** The employee with this row id (an extension's employeeId), if it is the tenant's. */
  findById(tenantId: number, id: number): Employee | undefined {
    const r = this.db.sqlite.prepare<[number, number], Row>(`${SELECT} WHERE e.tenant_id = ? AND e.id = ?`).get(tenantId, id);
    return r ? this.view(r, (d) => this.departments.pathById(tenantId, d)) : undefined;
  }

  private byRowId(tenantId: number, id: number): Employee {
    return this.findById(tenantId, id)!;
  }

  private row(tenantId: number, employeeNo: string): Row {
    const no = String(employeeNo).trim();
    const r = this.db.sqlite.prepare<[number, string], Row>(`${SELECT} WHERE e.tenant_id = ? AND e.employee_no = ?`).get(tenantId, no);
    if (!r) throw new NotFoundError(`employee ${no} does not exist`);
    return r;
  }

  private view(r: Row, pathOf: (id: number) => string | null): Employee {
    return {
      id: r.id,
      tenantId: r.tenant_id,
      employeeNo: r.employee_no,
      name: r.name,
      departmentId: r.department_id,
      department: r.department_id === null ? null : pathOf(r.department_id),
      mobile: r.mobile,
      title: r.title,
      active: r.active === 1,
      extension: r.extension,
      createdAt: r.created_at,
    };
  }

  private departmentId(tenantId: number, ref: DepartmentRef | null | undefined): number | null {
    if (ref === undefined || ref === null || ref === '') return null;
    return this.departments.resolveId(tenantId, ref);
  }

  /** A mobile number (isMobileNumber's rules), kept like contact numbers: national at home, E.164 abroad. */
  private mobile(tenantId: number, input: string | null | undefined, employeeNo: string): string | null {
    if (input === undefined || input === null || String(input).trim() === '') return null;
    const ctx = tenantNumberContext(this.db, tenantId);
    const n = normalizeNumber(String(input), ctx);
    if (isNumberError(n)) throw new InvalidError(`mobile ${JSON.stringify(input)} of employee ${employeeNo}: ${n.message}`);
    if (!isMobileNumber(String(input), ctx)) throw new InvalidError(`mobile ${input} of employee ${employeeNo} is not a mobile number (it reads as a ${n.kind} number)`);
    return numberKey(n, ctx.countryCode) ?? n.national;
  }

  private giveAutomatic(tenantId: number, employeeId: number, employeeNo: string, actor: string): GivenExtension {
    const number = this.numbering.assignOne(tenantId, employeeId);
    const password = this.db.sqlite.prepare<[number], string>('SELECT sip_password FROM extension WHERE employee_id = ?').pluck().get(employeeId)!;
    this.audit.record({ actor, action: 'extension.add', target: number, tenantId, detail: { kind: 'employee', employee: employeeNo, automatic: true } });
    return { number, password, how: 'automatic' };
  }

  private giveNumber(tenantId: number, employeeId: number, name: string, number: string, actor: string): GivenExtension {
    const r = this.extensions.add(tenantId, { number, kind: 'employee', employeeId, displayName: displayNameOf(name) }, actor);
    return { number: r.extension.number, password: r.password, how: 'given' };
  }
}
