// Departments of a tenant as a tree (R-DIR-1): add under a parent, rename, move (never under
// itself or one of its own sub-departments), remove (refused while employees or sub-departments
// are in it), and the tree listed depth-first with each department's path ("Sales/East").
//
// A department is named by its id or by its path. Paths use "/" between names, so a name may
// not contain "/"; a leading "/" is allowed ("/Sales/East"), and is how a department whose name
// is only digits is named (a bare "2024" is read as the id 2024). Names are unique among the
// children of one parent (the unique index covers sub-departments; SQLite's NULLs are distinct,
// so top-level names are checked here, inside the same transaction as the write).
import type Database from 'better-sqlite3';
import type { PbxDb } from '../db/open.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { ConflictError, InvalidError, NotFoundError, isUniqueViolation } from '../errors.ts';

export interface Department {
  id: number;
  tenantId: number;
  name: string;
  parentId: number | null;
  /** Names from the top down, joined by "/": "Sales/East". */
  path: string;
  /** 0 for a top-level department. */
  depth: number;
  /** Employees directly in it (not in its sub-departments). */
  employees: number;
  /** Direct sub-departments. */
  children: number;
  createdAt: number;
}

/** A department named by the user: its id, or its path ("Sales/East", "/2024"). */
export type DepartmentRef = number | string;

interface Row {
  id: number;
  tenant_id: number;
  name: string;
  parent_id: number | null;
  created_at: number;
}

/** Deepest tree accepted (a guard against a cycle left by hand-edited rows, and absurd trees). */
export const MAX_DEPARTMENT_DEPTH = 32;

export function checkDepartmentName(v: unknown): string {
  const s = typeof v === 'string' ? v.trim() : v;
  if (typeof s !== 'string' || s === '') throw new InvalidError('a department needs a name');
  if (s.length > 64) throw new InvalidError(`department name ${JSON.stringify(s)} is longer than 64 characters`);
  if (s.includes('/')) throw new InvalidError(`department name ${JSON.stringify(s)} may not contain "/" (it separates the names in a path such as Sales/East)`);
  if (/[\x00-\x1f\x7f]/.test(s)) throw new InvalidError('a department name may not contain control characters');
  return s;
}

/** "Sales / East/" → ["Sales", "East"]. */
export function splitDepartmentPath(path: string): string[] {
  const parts = path
    .split('/')
    .map((p) => p.trim())
    .filter((p, i, all) => p !== '' || (i !== 0 && i !== all.length - 1));
  if (parts.length === 0 || parts.some((p) => p === '')) throw new InvalidError(`department path ${JSON.stringify(path)} must be names separated by "/" (Sales/East)`);
  return parts;
}

export class DepartmentService {
  private readonly byId: Database.Statement<[number, number], Row>;
  private readonly childByName: Database.Statement<[number, number, string], Row>;
  private readonly topByName: Database.Statement<[number, string], Row>;
  private readonly allOfTenant: Database.Statement<[number], Row>;
  private readonly employeeCount: Database.Statement<[number], number>;
  private readonly childCount: Database.Statement<[number], number>;
  private readonly employeeCounts: Database.Statement<[number], { id: number; n: number }>;

  constructor(
    private readonly db: PbxDb,
    private readonly audit: AuditLog,
    private readonly now: () => number = Date.now,
  ) {
    const s = db.sqlite;
    this.byId = s.prepare('SELECT * FROM department WHERE tenant_id = ? AND id = ?');
    this.childByName = s.prepare('SELECT * FROM department WHERE tenant_id = ? AND parent_id = ? AND name = ?');
    this.topByName = s.prepare('SELECT * FROM department WHERE tenant_id = ? AND parent_id IS NULL AND name = ?');
    this.allOfTenant = s.prepare('SELECT * FROM department WHERE tenant_id = ? ORDER BY name, id');
    this.employeeCount = s.prepare<[number], number>('SELECT count(*) FROM employee WHERE department_id = ?').pluck();
    this.childCount = s.prepare<[number], number>('SELECT count(*) FROM department WHERE parent_id = ?').pluck();
    this.employeeCounts = s.prepare(
      'SELECT d.id AS id, count(*) AS n FROM department d JOIN employee e ON e.department_id = d.id WHERE d.tenant_id = ? GROUP BY d.id',
    );
  }

  /** Adds a department at the top, or under `parent`. */
  add(tenantId: number, input: { name: string; parent?: DepartmentRef | null }, actor = 'system'): Department {
    const name = checkDepartmentName(input.name);
    const run = this.db.sqlite.transaction((): number => {
      const parent = input.parent === undefined || input.parent === null || input.parent === '' ? undefined : this.row(tenantId, input.parent);
      if (parent && this.depthOf(parent) + 1 >= MAX_DEPARTMENT_DEPTH) throw new InvalidError(`departments may be nested at most ${MAX_DEPARTMENT_DEPTH} deep`);
      this.checkFree(tenantId, parent?.id ?? null, name);
      try {
        return Number(
          this.db.sqlite
            .prepare('INSERT INTO department (tenant_id, name, parent_id, created_at) VALUES (?, ?, ?, ?)')
            .run(tenantId, name, parent?.id ?? null, this.now()).lastInsertRowid,
        );
      } catch (e) {
        if (isUniqueViolation(e)) throw new ConflictError(`department ${this.joinPath(parent, name)} already exists`);
        throw e;
      }
    });
    const id = run.immediate();
    const d = this.get(tenantId, id);
    this.audit.record({ actor, action: 'department.add', target: d.path, tenantId, detail: { id, parentId: d.parentId } });
    return d;
  }

  rename(tenantId: number, ref: DepartmentRef, newName: string, actor = 'system'): Department {
    const name = checkDepartmentName(newName);
    const run = this.db.sqlite.transaction((): { before: string; id: number } => {
      const d = this.row(tenantId, ref);
      const before = this.pathOf(d);
      if (d.name === name) return { before, id: d.id };
      this.checkFree(tenantId, d.parent_id, name);
      this.guardedWrite(() => this.db.sqlite.prepare('UPDATE department SET name = ? WHERE id = ?').run(name, d.id), this.joinPath(this.parentOf(d), name));
      return { before, id: d.id };
    });
    const r = run.immediate();
    const d = this.get(tenantId, r.id);
    this.audit.record({ actor, action: 'department.rename', target: r.before, tenantId, detail: { id: d.id, path: d.path } });
    return d;
  }

  /** Moves a department (with its sub-departments and employees) under `parent`, or to the top (null). */
  move(tenantId: number, ref: DepartmentRef, parent: DepartmentRef | null, actor = 'system'): Department {
    const run = this.db.sqlite.transaction((): { before: string; id: number } => {
      const d = this.row(tenantId, ref);
      const before = this.pathOf(d);
      const target = parent === null || parent === '' ? undefined : this.row(tenantId, parent);
      if (target) {
        // the new parent may not be the department itself or lie below it
        for (let p: Row | undefined = target, n = 0; p !== undefined && n <= MAX_DEPARTMENT_DEPTH; p = this.parentOf(p), n++) {
          if (p.id === d.id) throw new ConflictError(`cannot move ${before} under ${this.pathOf(target)}: that is ${p.id === target.id ? 'the department itself' : 'one of its own sub-departments'}`);
        }
        if (this.depthOf(target) + 1 + this.heightOf(tenantId, d.id) >= MAX_DEPARTMENT_DEPTH) throw new InvalidError(`departments may be nested at most ${MAX_DEPARTMENT_DEPTH} deep`);
      }
      const parentId = target?.id ?? null;
      if (parentId === d.parent_id) return { before, id: d.id };
      this.checkFree(tenantId, parentId, d.name);
      this.guardedWrite(() => this.db.sqlite.prepare('UPDATE department SET parent_id = ? WHERE id = ?').run(parentId, d.id), this.joinPath(target, d.name));
      return { before, id: d.id };
    });
    const r = run.immediate();
    const d = this.get(tenantId, r.id);
    this.audit.record({ actor, action: 'department.move', target: r.before, tenantId, detail: { id: d.id, path: d.path, parentId: d.parentId } });
    return d;
  }

  /** Renames and/or moves in one transaction (the API's PATCH): parent null is the top level, absent leaves it. */
  update(tenantId: number, ref: DepartmentRef, patch: { name?: string; parent?: DepartmentRef | null }, actor = 'system'): Department {
    const run = this.db.sqlite.transaction((): Department => {
      let d = this.get(tenantId, ref);
      if (patch.name !== undefined) d = this.rename(tenantId, d.id, patch.name, actor);
      if (patch.parent !== undefined) d = this.move(tenantId, d.id, patch.parent, actor);
      return d;
    });
    return run.immediate();
  }

  /** Removes an empty department: no employees and no sub-departments (ConflictError saying which). */
  remove(tenantId: number, ref: DepartmentRef, actor = 'system'): Department {
    const run = this.db.sqlite.transaction((): Department => {
      const d = this.get(tenantId, this.row(tenantId, ref).id);
      if (d.employees > 0 || d.children > 0) {
        const what = [d.employees > 0 ? `${d.employees} employee${d.employees > 1 ? 's' : ''}` : '', d.children > 0 ? `${d.children} sub-department${d.children > 1 ? 's' : ''}` : '']
          .filter(Boolean)
          .join(' and ');
        throw new ConflictError(`department ${d.path} still has ${what}; move or remove ${d.employees + d.children > 1 ? 'them' : 'it'} first`);
      }
      this.db.sqlite.prepare('DELETE FROM department WHERE id = ? AND tenant_id = ?').run(d.id, tenantId);
      return d;
    });
    const d = run.immediate();
    this.audit.record({ actor, action: 'department.remove', target: d.path, tenantId, detail: { id: d.id } });
    return d;
  }

  /** One department, with its path and counts; NotFoundError when absent. */
  get(tenantId: number, ref: DepartmentRef): Department {
    const r = this.row(tenantId, ref);
    return { ...this.view(r, this.pathOf(r), this.depthOf(r)), employees: this.employeeCount.get(r.id) ?? 0, children: this.childCount.get(r.id) ?? 0 };
  }

  /** The department's id (for employees' department by id or path). */
  resolveId(tenantId: number, ref: DepartmentRef): number {
    return this.row(tenantId, ref).id;
  }

  /** The whole tree, depth-first (siblings by name), each with its path and depth. */
  list(tenantId: number): Department[] {
    const rows = this.allOfTenant.all(tenantId);
    const counts = new Map(this.employeeCounts.all(tenantId).map((r) => [r.id, r.n]));
    const kids = new Map<number | null, Row[]>();
    for (const r of rows) {
      const list = kids.get(r.parent_id) ?? [];
      list.push(r);
      kids.set(r.parent_id, list);
    }
    const out: Department[] = [];
    const walk = (parentId: number | null, prefix: string, depth: number): void => {
      if (depth > MAX_DEPARTMENT_DEPTH) return;
      for (const r of kids.get(parentId) ?? []) {
        const path = prefix === '' ? r.name : `${prefix}/${r.name}`;
        out.push({ ...this.view(r, path, depth), employees: counts.get(r.id) ?? 0, children: kids.get(r.id)?.length ?? 0 });
        walk(r.id, path, depth + 1);
      }
    };
    walk(null, '', 0);
    return out;
  }

  /** Every department's path by id (one query; for listing many employees). */
  paths(tenantId: number): Map<number, string> {
    return new Map(this.list(tenantId).map((d) => [d.id, d.path]));
  }

  /** The path of one department id ("Sales/East"), or null when it is not the tenant's. */
  pathById(tenantId: number, id: number | null): string | null {
    if (id === null) return null;
    const r = this.byId.get(tenantId, id);
    return r ? this.pathOf(r) : null;
  }

  private view(r: Row, path: string, depth: number): Department {
    return { id: r.id, tenantId: r.tenant_id, name: r.name, parentId: r.parent_id, path, depth, employees: 0, children: 0, createdAt: r.created_at };
  }

  private row(tenantId: number, ref: DepartmentRef): Row {
    if (typeof ref === 'number' || /^[0-9]+$/.test(ref.trim())) {
      const id = Number(ref);
      const r = Number.isSafeInteger(id) ? this.byId.get(tenantId, id) : undefined;
      if (!r) throw new NotFoundError(`department ${id} does not exist (a department whose name is only digits is named by its path: /${id})`);
      return r;
    }
    let cur: Row | undefined;
    const names = splitDepartmentPath(ref);
    for (const [i, name] of names.entries()) {
      cur = cur === undefined ? this.topByName.get(tenantId, name) : this.childByName.get(tenantId, cur.id, name);
      if (!cur) throw new NotFoundError(`department ${names.slice(0, i + 1).join('/')} does not exist`);
    }
    return cur!;
  }

  private parentOf(r: Row): Row | undefined {
    return r.parent_id === null ? undefined : this.byId.get(r.tenant_id, r.parent_id);
  }

  private pathOf(r: Row): string {
    const names = [r.name];
    for (let p = this.parentOf(r), n = 0; p !== undefined && n < MAX_DEPARTMENT_DEPTH; p = this.parentOf(p), n++) names.unshift(p.name);
    return names.join('/');
  }

  private depthOf(r: Row): number {
    let depth = 0;
    for (let p = this.parentOf(r); p !== undefined && depth < MAX_DEPARTMENT_DEPTH; p = this.parentOf(p)) depth++;
    return depth;
  }

  /** Levels below a department (0: no sub-departments). */
  private heightOf(tenantId: number, id: number): number {
    return (
      this.db.sqlite
        .prepare<[number, number, number], number>(
          `WITH RECURSIVE down(id, level) AS (SELECT ?, 0 UNION ALL SELECT d.id, down.level + 1 FROM department d JOIN down ON d.parent_id = down.id WHERE d.tenant_id = ? AND down.level < ?)
           SELECT max(level) FROM down`,
        )
        .pluck()
        .get(id, tenantId, MAX_DEPARTMENT_DEPTH) ?? 0
    );
  }

  private joinPath(parent: Row | undefined, name: string): string {
    return parent ? `${this.pathOf(parent)}/${name}` : name;
  }

  private checkFree(tenantId: number, parentId: number | null, name: string): void {
    const clash = parentId === null ? this.topByName.get(tenantId, name) : this.childByName.get(tenantId, parentId, name);
    if (clash) throw new ConflictError(`department ${this.pathOf(clash)} already exists`);
  }

  private guardedWrite(write: () => void, newPath: string): void {
    try {
      write();
    } catch (e) {
      if (isUniqueViolation(e)) throw new ConflictError(`department ${newPath} already exists`);
      throw e;
    }
  }
}
