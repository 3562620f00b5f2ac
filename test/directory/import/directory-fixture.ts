// Shared by the directory import/export tests: departments made by path, a snapshot of a
// tenant's directory to compare, files in memory (CSV text, XLSX built with exceljs), and
// collecting what an export writes.
import { PassThrough, Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import type { PbxDb } from '../../../src/db/open.ts';
import { DirectoryExporter, DirectoryImporter, type DirectoryFormat, type ImportOptions, type ImportReport } from '../../../src/directory/import/index.ts';
import type { Services } from '../../../src/services.ts';

/** Creates the departments of these paths (parents first, as needed); returns path → id. */
export function makeDepartments(db: PbxDb, tenantId: number, paths: string[]): Map<string, number> {
  const ids = new Map<string, number>();
  const insert = db.sqlite.prepare('INSERT INTO department (tenant_id, name, parent_id, created_at) VALUES (?, ?, ?, 0)');
  for (const p of paths) {
    let parent: number | null = null;
    let at = '';
    for (const name of p.split('/')) {
      at = at === '' ? name : `${at}/${name}`;
      let id = ids.get(at);
      if (id === undefined) {
        id = Number(insert.run(tenantId, name, parent).lastInsertRowid);
        ids.set(at, id);
      }
      parent = id;
    }
  }
  return ids;
}

export interface DirectoryLine {
  employeeNo: string;
  name: string;
  department: string | null;
  mobile: string | null;
  title: string | null;
  active: boolean;
  extension: string | null;
  kind: string | null;
}

/** The tenant's employees with department path and extension, by employee_no. */
export function snapshot(db: PbxDb, tenantId: number): DirectoryLine[] {
  const rows = db.sqlite
    .prepare(
      `WITH RECURSIVE path(id, p) AS (
         SELECT id, name FROM department WHERE parent_id IS NULL AND tenant_id = ?
         UNION ALL SELECT d.id, path.p || '/' || d.name FROM department d JOIN path ON d.parent_id = path.id)
       SELECT e.employee_no, e.name, path.p AS department, e.mobile, e.title, e.active, x.number, x.kind
         FROM employee e LEFT JOIN path ON path.id = e.department_id LEFT JOIN extension x ON x.employee_id = e.id
        WHERE e.tenant_id = ? ORDER BY e.employee_no`,
    )
    .all(tenantId, tenantId) as Array<Record<string, unknown>>;
  return rows.map((r) => ({
    employeeNo: r.employee_no as string,
    name: r.name as string,
    department: r.department as string | null,
    mobile: r.mobile as string | null,
    title: r.title as string | null,
    active: r.active === 1,
    extension: r.number as string | null,
    kind: r.kind as string | null,
  }));
}

export function importer(s: Services): DirectoryImporter {
  return new DirectoryImporter(s.db, s.audit);
}

export function importText(s: Services, tenantId: number, csv: string, opts: Partial<ImportOptions> = {}): Promise<ImportReport> {
  return importer(s).importFile(tenantId, Readable.from([Buffer.from(csv, 'utf8')]), { format: 'csv', ...opts });
}

export async function importXlsx(s: Services, tenantId: number, file: Buffer, opts: Partial<ImportOptions> = {}): Promise<ImportReport> {
  return importer(s).importFile(tenantId, Readable.from([file]), { format: 'xlsx', ...opts });
}

/** A workbook in memory; cells keep their JS types (numbers stay numbers, as Excel would store them). */
export async function xlsxFile(rows: unknown[][], extraSheets: unknown[][][] = []): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('people');
  for (const r of rows) ws.addRow(r);
  extraSheets.forEach((sheet, i) => {
    const more = wb.addWorksheet(`more${i}`);
    for (const r of sheet) more.addRow(r);
  });
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** The rows of the first worksheet of an XLSX file, cells as exceljs reads them. */
export async function xlsxRows(file: Buffer): Promise<unknown[][]> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(file as unknown as ArrayBuffer);
  const out: unknown[][] = [];
  wb.worksheets[0]!.eachRow((row) => out.push((row.values as unknown[]).slice(1)));
  return out;
}

export async function exportBuffer(s: Services, tenantId: number, format: DirectoryFormat): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  await new DirectoryExporter(s.db, s.audit).exportTo(tenantId, out, { format });
  return Buffer.concat(chunks);
}

export const HEADER = 'employee_no,name,department,mobile,title,active,extension,extension_kind';
