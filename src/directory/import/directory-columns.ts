// The directory file's columns (CSV and XLSX alike, one employee per row) and how a department
// is written in it: its path from the top of the tree, "Sales/East" (department names never
// hold a '/': the department service refuses it).
export const DIRECTORY_COLUMNS = ['employee_no', 'name', 'department', 'mobile', 'title', 'active', 'extension', 'extension_kind'] as const;

export type DirectoryColumn = (typeof DIRECTORY_COLUMNS)[number];

/** Columns a file must have; the others may be left out (an update then keeps what is stored). */
export const REQUIRED_COLUMNS: readonly DirectoryColumn[] = ['employee_no', 'name'];

export type DirectoryFormat = 'csv' | 'xlsx';
export const DIRECTORY_FORMATS: readonly DirectoryFormat[] = ['csv', 'xlsx'];

export const CONTENT_TYPES: Record<DirectoryFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

/** The format a file name says (.csv, .xlsx), if any. */
export function formatOfFileName(file: string): DirectoryFormat | undefined {
  const m = /\.(csv|xlsx)$/i.exec(file);
  return m ? (m[1]!.toLowerCase() as DirectoryFormat) : undefined;
}

/** "Sales/East" from the names top-down. */
export function joinDepartmentPath(names: readonly string[]): string {
  return names.join('/');
}

/** "Sales / East/" → ["Sales", "East"] (a leading or trailing '/' is allowed); undefined when a part is empty ("Sales//East"). */
export function splitDepartmentPath(path: string): string[] | undefined {
  const parts = path
    .split('/')
    .map((p) => p.trim())
    .filter((p, i, all) => p !== '' || (i !== 0 && i !== all.length - 1));
  return parts.length > 0 && parts.every((p) => p !== '') ? parts : undefined;
}
