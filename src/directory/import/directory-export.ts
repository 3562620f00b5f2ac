// Exporting a tenant's directory (R-DIR-3): one row per employee, in employee_no order, with the
// department's path and the employee's extension — the same columns the import reads, so an
// export imported again changes nothing. The rows are read from the database a chunk at a time
// (keyset on the employee_no index) and streamed out, so a million employees never sit in
// memory; the file waits for a slow reader (backpressure). Function extensions (no employee)
// are not in the file: `pbx ext list` shows them.
import { once } from 'node:events';
import { PassThrough, Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import ExcelJS from 'exceljs';
import type { PbxDb } from '../../db/open.ts';
import type { AuditLog } from '../../audit/audit-log.ts';
import { DIRECTORY_COLUMNS, type DirectoryFormat } from './directory-columns.ts';
import { loadDepartmentPaths } from './department-paths.ts';

const CHUNK = 5000;

interface ExportRow {
  employee_no: string;
  name: string;
  department_id: number | null;
  mobile: string | null;
  title: string | null;
  active: number;
  number: string | null;
  kind: string | null;
}

export interface ExportOptions {
  format: DirectoryFormat;
  actor?: string;
}

export class DirectoryExporter {
  constructor(
    private readonly db: PbxDb,
    private readonly audit?: AuditLog,
  ) {}

  /** The directory as rows of cells (header first), read a chunk at a time. */
  async *rows(tenantId: number): AsyncGenerator<string[]> {
    const page = this.db.sqlite.prepare<[number, string, number], ExportRow>(
      `SELECT e.employee_no, e.name, e.department_id, e.mobile, e.title, e.active, x.number, x.kind
         FROM employee e LEFT JOIN extension x ON x.employee_id = e.id
        WHERE e.tenant_id = ? AND e.employee_no > ? ORDER BY e.employee_no LIMIT ?`,
    );
    const departments = loadDepartmentPaths(this.db, tenantId).pathOf;
    yield [...DIRECTORY_COLUMNS];
    let after = '';
    for (;;) {
      const rows = page.all(tenantId, after, CHUNK);
      for (const r of rows) {
        yield [
          r.employee_no,
          r.name,
          r.department_id === null ? '' : (departments.get(r.department_id) ?? ''),
          r.mobile ?? '',
          r.title ?? '',
          r.active === 1 ? 'true' : 'false',
          r.number ?? '',
          r.number === null ? '' : (r.kind ?? ''),
        ];
      }
      if (rows.length < CHUNK) return;
      after = rows[rows.length - 1]!.employee_no;
    }
  }

  /** Writes the tenant's directory to `out` (ended when done); returns the number of employees. */
  async exportTo(tenantId: number, out: Writable, opts: ExportOptions): Promise<{ rows: number }> {
    let rows = -1; // the header is not a row
    const counted = async function* (source: AsyncGenerator<string[]>) {
      for await (const r of source) {
        rows++;
        yield r;
      }
    };
    if (opts.format === 'csv') {
      // with a byte-order mark: Excel then reads the UTF-8 names right; the import skips it
      out.write('\ufeff');
      await pipeline(Readable.from(counted(this.rows(tenantId))), stringify({ record_delimiter: '\r\n' }), out);
    } else await this.writeXlsx(counted(this.rows(tenantId)), out);
    this.audit?.record({ actor: opts.actor ?? 'system', action: 'directory.export', target: `${rows} employees`, tenantId, detail: { format: opts.format, rows } });
    return { rows };
  }

  private async writeXlsx(source: AsyncIterable<string[]>, out: Writable): Promise<void> {
    // exceljs pipes its zip into the stream it is given, and a pipe never ends standard output:
    // give it a stream of our own and pipe that on, which ends (or fails) like any other
    const zip = new PassThrough();
    const done = pipeline(zip, out);
    done.catch(() => undefined); // awaited below; a reader gone early must not be an unhandled rejection meanwhile
    const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: zip, useStyles: false, useSharedStrings: false });
    const sheet = workbook.addWorksheet('directory');
    sheet.columns = DIRECTORY_COLUMNS.map((c) => ({ key: c, width: c === 'name' || c === 'department' || c === 'title' ? 24 : 14 }));
    let n = 0;
    for await (const cells of source) {
      sheet.addRow(cells).commit();
      // the zip keeps no backpressure of its own: wait for the reader now and then
      if (++n % 1000 === 0 && zip.writableNeedDrain) await Promise.race([once(zip, 'drain'), done]);
    }
    sheet.commit();
    await Promise.race([workbook.commit(), done]);
    await done;
  }
}
