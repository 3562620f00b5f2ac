// Bulk import and export of a tenant's directory as CSV or XLSX (R-DIR-3, at the R-DIR-4 scale):
// streaming readers and writers, every row checked before anything is applied, all or nothing.
export { DirectoryImporter, type ImportOptions, type ImportReport, type RowError } from './directory-import.ts';
export { DirectoryExporter, type ExportOptions } from './directory-export.ts';
export {
  DIRECTORY_COLUMNS,
  DIRECTORY_FORMATS,
  CONTENT_TYPES,
  formatOfFileName,
  joinDepartmentPath,
  splitDepartmentPath,
  type DirectoryColumn,
  type DirectoryFormat,
} from './directory-columns.ts';
export { readRows, readCsvRows, readXlsxRows, DirectoryFileError, type SourceRow } from './record-readers.ts';
export { readXlsxSheetRows, XlsxReadError, type SheetRow } from './xlsx-rows.ts';
export { loadDepartmentPaths, type DepartmentPaths } from './department-paths.ts';
