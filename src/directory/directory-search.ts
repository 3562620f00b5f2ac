// The directory at a million extensions (R-DIR-4): a tenant's extensions with their employee and
// department, a page at a time, and search by the start of an extension number or of an
// employee's name. Every query is a range on an index — extension(tenant_id, number) or
// employee(tenant_id, name) — with keyset pagination (an opaque cursor: the last row's key), so
// a page costs the same on the first page as on the ten-thousandth. A prefix p becomes the range
// [p, p + U+10FFFF): every string that starts with p and nothing else (binary collation compares
// UTF-8 bytes, and no character sorts after U+10FFFF).
import type Database from 'better-sqlite3';
import type { PbxDb } from '../db/open.ts';
import { InvalidError } from '../errors.ts';
import { joinDepartmentPath } from './import/directory-columns.ts';

export type SearchBy = 'number' | 'name';
export const SEARCH_BY: readonly SearchBy[] = ['number', 'name'];

export interface DirectoryEntry {
  /** null: an employee without an extension (inactive, or not numbered yet); only in name searches. */
  extension: { id: number; number: string; kind: string; displayName: string | null; configManaged: boolean } | null;
  /** null: a function or operator extension without an employee. */
  employee: { id: number; employeeNo: string; name: string; mobile: string | null; title: string | null; active: boolean } | null;
  /** The department's path ("Sales/East"), or null. */
  department: string | null;
}

export interface DirectoryPage {
  items: DirectoryEntry[];
  /** Pass back as `cursor` for the next page; null on the last one. */
  nextCursor: string | null;
}

export interface SearchOptions {
  /** The start of an extension number or of a name; empty or absent: everything. */
  search?: string;
  /** What `search` is matched against; default: number when it is all digits, else name. Without a search: number order unless name. */
  by?: SearchBy;
  cursor?: string;
  /** 1..1000, default 50. */
  limit?: number;
}

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 1000;
/** Sorts after every character: the upper bound of a prefix range. */
const TOP = '\u{10FFFF}';

interface Row {
  x_id: number | null;
  number: string | null;
  kind: string | null;
  display_name: string | null;
  config_managed: number | null;
  e_id: number | null;
  employee_no: string | null;
  name: string | null;
  department_id: number | null;
  mobile: string | null;
  title: string | null;
  active: number | null;
}

const SELECT = `SELECT x.id AS x_id, x.number, x.kind, x.display_name, x.config_managed, e.id AS e_id, e.employee_no, e.name,
  e.department_id, e.mobile, e.title, e.active`;

// One lower bound per query, so it is the index range's start: the prefix (first page) or the
// cursor (exclusive), whichever is higher.
const byNumber = (op: '>=' | '>') => `${SELECT} FROM extension x LEFT JOIN employee e ON e.id = x.employee_id
  WHERE x.tenant_id = ? AND x.number ${op} ? AND x.number < ? ORDER BY x.number LIMIT ?`;
/** By number, first page: the extension(tenant_id, number) index from the prefix on. */
export const BY_NUMBER_SQL = byNumber('>=');
/** By number, next pages: from the cursor (exclusive). */
export const BY_NUMBER_AFTER_SQL = byNumber('>');
/**
 * By name: the employee(tenant_id, name COLLATE NOCASE) index, whose entries end with the row id,
 * so equal names page in a fixed order. NOCASE folds ASCII letters only: "zhang" finds "Zhang San".
 * The plain `>=` gives the planner the range's start, which it does not take from the row value.
 */
export const BY_NAME_SQL = `${SELECT} FROM employee e LEFT JOIN extension x ON x.employee_id = e.id
  WHERE e.tenant_id = ? AND e.name COLLATE NOCASE >= ? AND (e.name COLLATE NOCASE, e.id) > (?, ?) AND e.name COLLATE NOCASE < ?
  ORDER BY e.name COLLATE NOCASE, e.id LIMIT ?`;

/** SQLite's NOCASE: ASCII capitals as small letters, nothing else changed. */
const foldAscii = (s: string): string => s.replace(/[A-Z]/g, (c) => c.toLowerCase());

type Cursor = { by: 'number'; number: string } | { by: 'name'; name: string; id: number };

function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c.by === 'number' ? ['x', c.number] : ['n', c.name, c.id]), 'utf8').toString('base64url');
}

function decodeCursor(s: string): Cursor {
  try {
    const v = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v[0] === 'x' && typeof v[1] === 'string') return { by: 'number', number: v[1] };
    if (Array.isArray(v) && v[0] === 'n' && typeof v[1] === 'string' && Number.isSafeInteger(v[2])) return { by: 'name', name: v[1], id: v[2] as number };
  } catch {
    // below
  }
  throw new InvalidError('cursor is not one this listing gave out; start again without it');
}

/** One line per step of SQLite's plan for a statement ("SEARCH x USING INDEX …"). */
export function queryPlan(db: PbxDb, sql: string, params: unknown[]): string[] {
  return (db.sqlite.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>).map((r) => r.detail);
}

/** True when no step of the plan reads a whole table or builds a temporary sort. */
export function usesIndexOnly(plan: readonly string[]): boolean {
  return plan.every((d) => !/^SCAN /.test(d) && !/TEMP B-TREE/.test(d));
}

export class DirectorySearch {
  private readonly byNumber: Database.Statement<[number, string, string, number], Row>;
  private readonly byNumberAfter: Database.Statement<[number, string, string, number], Row>;
  private readonly byName: Database.Statement<[number, string, string, number, string, number], Row>;
  private readonly department: Database.Statement<[number, number], { name: string; parent_id: number | null }>;

  constructor(private readonly db: PbxDb) {
    this.byNumber = db.sqlite.prepare(BY_NUMBER_SQL);
    this.byNumberAfter = db.sqlite.prepare(BY_NUMBER_AFTER_SQL);
    this.byName = db.sqlite.prepare(BY_NAME_SQL);
    this.department = db.sqlite.prepare('SELECT name, parent_id FROM department WHERE tenant_id = ? AND id = ?');
  }

  /** A page of the tenant's directory, by number or by name, from `cursor` on. */
  search(tenantId: number, opts: SearchOptions = {}): DirectoryPage {
    const limit = opts.limit ?? DEFAULT_LIMIT;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw new InvalidError(`limit must be a whole number from 1 to ${MAX_LIMIT}`);
    const prefix = (opts.search ?? '').trim();
    const by: SearchBy = opts.by ?? (prefix === '' || /^[0-9]+$/.test(prefix) ? 'number' : 'name');
    if (!SEARCH_BY.includes(by)) throw new InvalidError(`by must be one of ${SEARCH_BY.join(', ')}`);
    const cursor = opts.cursor ? decodeCursor(opts.cursor) : undefined;
    if (cursor !== undefined && cursor.by !== by) throw new InvalidError('cursor belongs to a listing in another order; start again without it');
    const hi = prefix + TOP;
    let rows: Row[];
    if (cursor?.by === 'number' && cursor.number >= prefix) rows = this.byNumberAfter.all(tenantId, cursor.number, hi, limit + 1);
    else if (by === 'number') rows = this.byNumber.all(tenantId, prefix, hi, limit + 1);
    else {
      // (prefix, 0) is below every row whose name starts with the prefix: row ids start at 1
      const c = cursor?.by === 'name' && foldAscii(cursor.name) >= foldAscii(prefix) ? cursor : { name: prefix, id: 0 };
      rows = this.byName.all(tenantId, c.name, c.name, c.id, hi, limit + 1);
    }
    const more = rows.length > limit;
    if (more) rows.length = limit;
    const paths = new Map<number, string>();
    const items = rows.map((r) => this.entry(tenantId, r, paths));
    const last = rows[rows.length - 1];
    const nextCursor = !more || last === undefined ? null : by === 'number' ? encodeCursor({ by, number: last.number! }) : encodeCursor({ by, name: last.name!, id: last.e_id! });
    return { items, nextCursor };
  }

  /** The plans of the search queries (for tests and the bench: each must stay on its index). */
  plans(tenantId = 1): Record<'number' | 'numberAfter' | 'name', string[]> {
    return {
      number: queryPlan(this.db, BY_NUMBER_SQL, [tenantId, '8', '8' + TOP, 10]),
      numberAfter: queryPlan(this.db, BY_NUMBER_AFTER_SQL, [tenantId, '8001', '8' + TOP, 10]),
      name: queryPlan(this.db, BY_NAME_SQL, [tenantId, 'a', 'a', 0, 'a' + TOP, 10]),
    };
  }

  private entry(tenantId: number, r: Row, paths: Map<number, string>): DirectoryEntry {
    return {
      extension:
        r.x_id === null ? null : { id: r.x_id, number: r.number!, kind: r.kind!, displayName: r.display_name, configManaged: r.config_managed === 1 },
      employee:
        r.e_id === null ? null : { id: r.e_id, employeeNo: r.employee_no!, name: r.name!, mobile: r.mobile, title: r.title, active: r.active === 1 },
      department: r.department_id === null ? null : this.pathOf(tenantId, r.department_id, paths),
    };
  }

  /** Walks up the tree (memoised per page; a cycle is cut where it repeats). */
  private pathOf(tenantId: number, id: number, memo: Map<number, string>): string {
    const known = memo.get(id);
    if (known !== undefined) return known;
    const names: string[] = [];
    const seen = new Set<number>();
    for (let d: number | null = id; d !== null && !seen.has(d); ) {
      seen.add(d);
      const row = this.department.get(tenantId, d);
      if (row === undefined) break;
      names.unshift(row.name.trim());
      d = row.parent_id;
    }
    const path = joinDepartmentPath(names);
    memo.set(id, path);
    return path;
  }
}
