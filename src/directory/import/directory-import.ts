// Importing a tenant's directory from CSV or XLSX (R-DIR-3): every row is checked first and
// every problem reported with its row and column; then everything is applied in one
// transaction, or nothing is.
//
// Two passes, so a million rows never sit in memory as objects:
// 1. Streaming (async): each row is read, checked by itself (row-checks.ts), checked against the
//    rows before it (employee_no or extension twice in the file) and put into a TEMP table of
//    this connection, in batches.
// 2. One IMMEDIATE transaction (synchronous): the staged rows are compared with the database
//    (unknown department, an extension of another employee, of a function extension or declared
//    in the config file) and — as long as no problem has been found — applied as they go:
//    employees upserted by employee_no (name, department, mobile, title, active; a column the
//    file leaves out is kept), extensions created or renumbered for rows that give one (an
//    existing extension changes only when its row gives another number), then every activated
//    employee without an extension is numbered automatically (numbering/, R-DIR-2). Any problem,
//    or a dry run, rolls the transaction back: the report's counts are then what would happen.
import type { Readable } from 'node:stream';
import type { PbxDb } from '../../db/open.ts';
import type { AuditLog } from '../../audit/audit-log.ts';
import type { NumberContext } from '../../routing/numbers/normalized-number.ts';
import { generateSipPassword, type RandomBytes } from '../sip-password.ts';
import { ExtensionNumbering, displayNameOf } from '../numbering/numbering-service.ts';
import { pooledRandom } from './random-pool.ts';
import { loadDepartmentPaths } from './department-paths.ts';
import { readRows, DirectoryFileError, type SourceRow } from './record-readers.ts';
import { RowChecker, readHeader, type CheckedRow, type HeaderMap, type RowError } from './row-checks.ts';
import { DIRECTORY_COLUMNS, type DirectoryFormat } from './directory-columns.ts';

export type { RowError } from './row-checks.ts';

export interface ImportReport {
  /** Data rows read (the header and blank rows not counted). */
  rows: number;
  /** Employees added, changed (any field or their extension), left as they were. */
  created: number;
  updated: number;
  unchanged: number;
  /** Extensions given automatically to activated employees without one. */
  numbered: number;
  /** Every problem, by row; empty when the import was applied (or would be, on a dry run). */
  errors: RowError[];
  /** Problems found beyond `maxErrors` and left out of `errors`. */
  errorsOmitted: number;
  dryRun: boolean;
  /** True when the changes were committed. */
  applied: boolean;
}

export interface ImportOptions {
  format: DirectoryFormat;
  /** Check and count everything, change nothing. */
  dryRun?: boolean;
  actor?: string;
  /** The tenant's dialling conventions for mobile numbers (country code; China's by default). */
  numberContext?: NumberContext;
  /** Problems kept in the report (default 100,000); the rest are counted in errorsOmitted. */
  maxErrors?: number;
}

/** Rows put into the TEMP table per transaction while reading. */
const STAGE_BATCH = 5000;
/** Rows read back from it at a time while applying. */
const APPLY_CHUNK = 5000;
/** Page cache while applying (KiB, as PRAGMA cache_size takes it when negative): index pages of a million rows stay in memory. */
const APPLY_CACHE_KIB = 192 * 1024;

interface StagedRow {
  row: number;
  employee_no: string | null;
  name: string | null;
  department: string | null;
  mobile: string | null;
  title: string | null;
  active: number;
  extension: string | null;
  kind: 'employee' | 'operator' | null;
  bad: number;
}

interface CurrentEmployee {
  id: number;
  name: string;
  department_id: number | null;
  mobile: string | null;
  title: string | null;
  active: number;
  ext_id: number | null;
  ext_number: string | null;
  ext_kind: string | null;
  ext_cm: number | null;
  ext_display: string | null;
}

interface Holder {
  id: number;
  kind: string;
  config_managed: number;
  display_name: string | null;
  employee_id: number | null;
  employee_no: string | null;
  name: string | null;
}

class ErrorList {
  readonly items: RowError[] = [];
  omitted = 0;
  constructor(private readonly max: number) {}
  get count(): number {
    return this.items.length + this.omitted;
  }
  push(e: RowError): void {
    if (this.items.length < this.max) this.items.push(e);
    else this.omitted++;
  }
}

/** Thrown inside the transaction to roll it back (problems found, or a dry run). */
class Rollback extends Error {}

let stageSeq = 0;

const columnOrder = (c: string): number => {
  const i = (DIRECTORY_COLUMNS as readonly string[]).indexOf(c);
  return i < 0 ? -1 : i;
};

export class DirectoryImporter {
  private readonly random: RandomBytes;

  constructor(
    private readonly db: PbxDb,
    private readonly audit: AuditLog,
    private readonly now: () => number = Date.now,
    random?: RandomBytes,
  ) {
    this.random = pooledRandom(random);
  }

  /** Reads, checks and (unless dryRun or any problem) applies the file. Never throws for bad rows: they are in the report. */
  async importFile(tenantId: number, input: Readable, opts: ImportOptions): Promise<ImportReport> {
    const errors = new ErrorList(opts.maxErrors ?? 100_000);
    const name = `directory_import_${process.pid}_${++stageSeq}`;
    const table = `temp.${name}`;
    const s = this.db.sqlite;
    s.exec(`CREATE TEMP TABLE ${name} (row INTEGER PRIMARY KEY, employee_no TEXT, name TEXT, department TEXT, mobile TEXT,
      title TEXT, active INTEGER NOT NULL, extension TEXT, kind TEXT, bad INTEGER NOT NULL)`);
    try {
      const read = await this.stage(table, readRows(input, opts.format), opts, errors);
      const report: ImportReport = { rows: read.rows, created: 0, updated: 0, unchanged: 0, numbered: 0, errors: [], errorsOmitted: 0, dryRun: opts.dryRun === true, applied: false };
      if (read.header !== undefined) this.apply(tenantId, table, read.header, report, errors, opts);
      report.errors = errors.items.sort((a, b) => a.row - b.row || columnOrder(a.column) - columnOrder(b.column));
      report.errorsOmitted = errors.omitted;
      return report;
    } finally {
      s.exec(`DROP TABLE IF EXISTS ${table}`);
      if (!input.readableEnded) input.resume(); // what is left of a file given up on is read and dropped
    }
  }

  /** Pass 1: read and check each row by itself, stage it; then find what the file has twice. */
  private async stage(table: string, source: AsyncIterable<SourceRow>, opts: ImportOptions, errors: ErrorList): Promise<{ rows: number; header: HeaderMap | undefined }> {
    const s = this.db.sqlite;
    const insert = s.prepare(`INSERT INTO ${table} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    const flush = s.transaction((batch: CheckedRow[]) => {
      for (const r of batch) insert.run(r.row, r.employeeNo, r.name, r.department, r.mobile, r.title, r.active ? 1 : 0, r.extension, r.extensionKind, r.bad ? 1 : 0);
    });
    let header: HeaderMap | undefined;
    let checker: RowChecker | undefined;
    let rows = 0;
    let batch: CheckedRow[] = [];
    try {
      for await (const r of source) {
        if (checker === undefined) {
          const h = readHeader(r.cells, r.row);
          for (const e of h.errors) errors.push(e);
          if (h.errors.length > 0) return { rows, header: undefined };
          header = h.header;
          checker = new RowChecker(header, opts.numberContext);
          continue;
        }
        rows++;
        batch.push(checker.check(r.row, r.cells, errors));
        if (batch.length >= STAGE_BATCH) {
          flush(batch);
          batch = [];
        }
      }
    } catch (e) {
      if (!(e instanceof DirectoryFileError)) throw e;
      errors.push({ row: e.row, column: '', message: e.message });
      header = undefined; // a file read halfway is not checked against the database
    }
    if (batch.length > 0) flush(batch);
    if (checker === undefined && errors.count === 0) errors.push({ row: 1, column: '', message: 'the file is empty: the first row must name the columns' });
    if (header !== undefined) this.markDuplicates(table, errors);
    return { rows, header };
  }

  /**
   * An employee_no or extension a row shares with a row above it: reported on the later row,
   * which is then left out of the comparison with the database. Found with an index on the
   * staged rows rather than with maps in memory (a million keys would cost some 200 MiB).
   */
  private markDuplicates(table: string, errors: ErrorList): void {
    const s = this.db.sqlite;
    for (const column of ['employee_no', 'extension'] as const) {
      s.exec(`CREATE INDEX ${table}_${column} ON ${table.slice(5)} (${column}, row)`);
      const dups = s
        .prepare<[], { row: number; value: string; first: number }>(
          `SELECT s.row, s.${column} AS value, f.first FROM ${table} s
             JOIN (SELECT ${column} AS value, min(row) AS first FROM ${table} WHERE ${column} IS NOT NULL GROUP BY ${column} HAVING count(*) > 1) f
               ON s.${column} = f.value AND s.row > f.first`,
        )
        .all();
      const clear = s.prepare(`UPDATE ${table} SET ${column} = NULL, bad = 1 WHERE row = ?`);
      s.transaction(() => {
        for (const d of dups) {
          errors.push({ row: d.row, column, message: `${column} ${d.value} is also on row ${d.first}` });
          clear.run(d.row);
        }
      })();
    }
  }

  /** Pass 2: compare with the database and apply, in one transaction (rolled back on any problem or a dry run). */
  private apply(tenantId: number, table: string, header: HeaderMap, report: ImportReport, errors: ErrorList, opts: ImportOptions): void {
    const s = this.db.sqlite;
    const now = this.now();
    const has = (col: keyof HeaderMap) => header[col] !== undefined;
    const chunk = s.prepare<[number, number], StagedRow>(`SELECT * FROM ${table} WHERE row > ? ORDER BY row LIMIT ?`);
    const rowOf = s.prepare<[string], { row: number; extension: string | null }>(`SELECT row, extension FROM ${table} WHERE employee_no = ?`);
    const current = s.prepare<[number, string], CurrentEmployee>(
      `SELECT e.id, e.name, e.department_id, e.mobile, e.title, e.active, x.id AS ext_id, x.number AS ext_number, x.kind AS ext_kind,
              x.config_managed AS ext_cm, x.display_name AS ext_display
         FROM employee e LEFT JOIN extension x ON x.employee_id = e.id WHERE e.tenant_id = ? AND e.employee_no = ?`,
    );
    const holderOf = s.prepare<[number, string], Holder>(
      `SELECT x.id, x.kind, x.config_managed, x.display_name, x.employee_id, e.employee_no, e.name
         FROM extension x LEFT JOIN employee e ON e.id = x.employee_id WHERE x.tenant_id = ? AND x.number = ?`,
    );
    const insertEmployee = s.prepare(
      'INSERT INTO employee (tenant_id, employee_no, name, department_id, mobile, title, active, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const updateEmployee = s.prepare('UPDATE employee SET name = ?, department_id = ?, mobile = ?, title = ?, active = ? WHERE id = ?');
    const insertExtension = s.prepare(
      'INSERT INTO extension (tenant_id, number, kind, employee_id, display_name, sip_password, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    const parkExtension = s.prepare("UPDATE extension SET number = '~' || id WHERE id = ?");
    const numberExtension = s.prepare('UPDATE extension SET number = ? WHERE id = ?');
    const kindOfExtension = s.prepare('UPDATE extension SET kind = ? WHERE id = ?');
    const nameOfExtension = s.prepare('UPDATE extension SET display_name = ? WHERE id = ?');
    const random = this.random;
    const password = () => generateSipPassword(random);
    const numbering = new ExtensionNumbering(this.db, { now: () => now, password });

    const run = s.transaction(() => {
      const departments = loadDepartmentPaths(this.db, tenantId).idOf;
      /** Extensions moved to a new number: parked on a unique placeholder first, numbered at the end. */
      const renumber: Array<[id: number, number: string]> = [];
      /** New extensions whose number another employee gives up further down. */
      const later: Array<{ employeeId: number; number: string; kind: string; name: string }> = [];
      let last = 0;
      for (;;) {
        const rows = chunk.all(last, APPLY_CHUNK);
        if (rows.length === 0) break;
        last = rows[rows.length - 1]!.row;
        for (const r of rows) {
          let ok = r.bad === 0;
          const fail = (column: string, message: string) => {
            errors.push({ row: r.row, column, message });
            ok = false;
          };
          let departmentId: number | null = null;
          if (r.department !== null) {
            const id = departments.get(r.department);
            if (id === undefined) fail('department', `unknown department "${r.department}"; create it first (departments are named by their path, like Sales/East)`);
            else departmentId = id;
          }
          if (r.employee_no === null) continue; // reported in pass 1; nothing to compare
          const cur = current.get(tenantId, r.employee_no);
          const kind = r.kind ?? 'employee';
          let freedLater = false;
          if (r.extension !== null && cur?.ext_number !== r.extension) {
            if (cur?.ext_id != null && cur.ext_cm === 1)
              fail('extension', `extension ${cur.ext_number} of employee ${r.employee_no} is declared in the config file; edit the config instead`);
            const h = holderOf.get(tenantId, r.extension);
            if (h !== undefined) {
              if (h.config_managed === 1) fail('extension', `extension ${r.extension} is declared in the config file; edit the config instead`);
              else if (h.employee_id === null)
                fail('extension', `extension ${r.extension} is taken by the ${h.kind} extension${h.display_name ? ` "${h.display_name}"` : ''}`);
              else {
                const theirs = h.employee_no === null ? undefined : rowOf.get(h.employee_no);
                const moves = theirs !== undefined && theirs.extension !== null && theirs.extension !== r.extension;
                if (!moves)
                  fail(
                    'extension',
                    `extension ${r.extension} belongs to employee ${h.employee_no} (${h.name})` + (theirs === undefined ? '' : `, who keeps it on row ${theirs.row}`),
                  );
                freedLater = true;
              }
            }
          } else if (r.extension !== null && r.kind !== null && cur !== undefined && r.kind !== cur.ext_kind && cur.ext_cm === 1) {
            fail('extension_kind', `extension ${r.extension} is declared in the config file; edit the config instead`);
          }
          if (!ok || errors.count > 0) continue; // keep checking; nothing more is written

          // apply this row
          const name = r.name!;
          if (cur === undefined) {
            const id = Number(insertEmployee.run(tenantId, r.employee_no, name, departmentId, r.mobile, r.title, r.active, now).lastInsertRowid);
            if (r.extension !== null) {
              if (freedLater) later.push({ employeeId: id, number: r.extension, kind, name });
              else insertExtension.run(tenantId, r.extension, kind, id, displayNameOf(name), password(), now);
            }
            report.created++;
            continue;
          }
          const next = {
            department_id: has('department') ? departmentId : cur.department_id,
            mobile: has('mobile') ? r.mobile : cur.mobile,
            title: has('title') ? r.title : cur.title,
            active: has('active') ? r.active : cur.active,
          };
          let changed = false;
          if (name !== cur.name || next.department_id !== cur.department_id || next.mobile !== cur.mobile || next.title !== cur.title || next.active !== cur.active) {
            updateEmployee.run(name, next.department_id, next.mobile, next.title, next.active, cur.id);
            changed = true;
            // the extension's caller name follows the employee's, unless someone set another one
            if (name !== cur.name && cur.ext_id !== null && cur.ext_cm !== 1 && (cur.ext_display === null || cur.ext_display === displayNameOf(cur.name)))
              nameOfExtension.run(displayNameOf(name), cur.ext_id);
          }
          if (r.extension !== null) {
            if (cur.ext_id === null) {
              if (freedLater) later.push({ employeeId: cur.id, number: r.extension, kind, name });
              else insertExtension.run(tenantId, r.extension, kind, cur.id, displayNameOf(name), password(), now);
              changed = true;
            } else if (cur.ext_number !== r.extension) {
              parkExtension.run(cur.ext_id);
              renumber.push([cur.ext_id, r.extension]);
              changed = true;
            }
            if (cur.ext_id !== null && r.kind !== null && r.kind !== cur.ext_kind) {
              kindOfExtension.run(r.kind, cur.ext_id);
              changed = true;
            }
          }
          if (changed) report.updated++;
          else report.unchanged++;
        }
      }
      if (errors.count === 0) {
        for (const [id, number] of renumber) numberExtension.run(number, id);
        for (const l of later) insertExtension.run(tenantId, l.number, l.kind, l.employeeId, displayNameOf(l.name), password(), now);
        report.numbered = numbering.assignMissing(tenantId).assigned;
      }
      if (errors.count > 0 || opts.dryRun) throw new Rollback();
      this.audit.record({
        actor: opts.actor ?? 'system',
        action: 'directory.import',
        target: `${report.rows} rows`,
        tenantId,
        detail: { rows: report.rows, created: report.created, updated: report.updated, unchanged: report.unchanged, numbered: report.numbered },
      });
    });

    const cache = s.pragma('cache_size', { simple: true }) as number;
    s.pragma(`cache_size = ${-APPLY_CACHE_KIB}`);
    try {
      run.immediate();
      report.applied = true;
    } catch (e) {
      if (!(e instanceof Rollback)) throw e;
    } finally {
      s.pragma(`cache_size = ${cache}`);
      if (errors.count > 0) Object.assign(report, { created: 0, updated: 0, unchanged: 0, numbered: 0 });
    }
  }
}
