// The checks one row of a directory file must pass by itself (before anything is compared with
// the database): the header names known columns, employee_no and name are there, the mobile is
// a mobile number, the extension has the form of one. A bad cell becomes an error with its row
// and column; the row keeps going with that cell left out, so every problem is reported.
import { isNumberError, type NumberContext } from '../../routing/numbers/normalized-number.ts';
import { normalizeNumber } from '../../routing/numbers/normalize-number.ts';
import { EXTENSION_NUMBER } from '../extension-service.ts';
import { DIRECTORY_COLUMNS, REQUIRED_COLUMNS, joinDepartmentPath, splitDepartmentPath, type DirectoryColumn } from './directory-columns.ts';

export interface RowError {
  row: number;
  /** The column's header name; '' for the row or the file as a whole. */
  column: string;
  message: string;
}

/** Where each known column is in the file (absent: the file leaves the column out). */
export type HeaderMap = Partial<Record<DirectoryColumn, number>>;

export type ExtensionKindCell = 'employee' | 'operator';

/** A row's values after the checks: null for an empty cell (or a bad one, reported). */
export interface CheckedRow {
  row: number;
  employeeNo: string | null;
  name: string | null;
  /** The canonical path ("Sales/East"). */
  department: string | null;
  /** National form at home (13812345678), E.164 abroad. */
  mobile: string | null;
  title: string | null;
  active: boolean;
  extension: string | null;
  extensionKind: ExtensionKindCell | null;
  /** True when some cell was bad (reported); the row is checked further but never applied. */
  bad: boolean;
}

const HEADER_ALIASES: Record<string, DirectoryColumn> = Object.fromEntries(DIRECTORY_COLUMNS.map((c) => [c, c]));

/** The header row checked: every column known, none twice, the required ones there. */
export function readHeader(cells: string[], row: number): { header: HeaderMap; errors: RowError[] } {
  const header: HeaderMap = {};
  const errors: RowError[] = [];
  cells.forEach((raw, i) => {
    const name = raw.trim().toLowerCase().replace(/[\s-]+/g, '_');
    if (name === '') return;
    const col = HEADER_ALIASES[name];
    if (col === undefined) errors.push({ row, column: raw, message: `unknown column "${raw}"; the columns are ${DIRECTORY_COLUMNS.join(', ')}` });
    else if (header[col] !== undefined) errors.push({ row, column: col, message: `column ${col} appears twice` });
    else header[col] = i;
  });
  for (const col of REQUIRED_COLUMNS) if (header[col] === undefined) errors.push({ row, column: col, message: `the header has no ${col} column` });
  return { header, errors };
}

const CONTROL = /[\x00-\x1f\x7f]/;
const TRUE_WORDS = new Set(['true', 'yes', 'y', '1', 'active', '是', '在职']);
const FALSE_WORDS = new Set(['false', 'no', 'n', '0', 'inactive', '否', '离职']);

export class RowChecker {
  constructor(
    private readonly header: HeaderMap,
    private readonly numberContext: NumberContext = {},
  ) {}

  check(row: number, cells: string[], errors: { push(e: RowError): unknown }): CheckedRow {
    const h = this.header;
    const cell = (col: DirectoryColumn): string => {
      const i = h[col];
      return i === undefined ? '' : (cells[i] ?? '');
    };
    let bad = false;
    const fail = (column: DirectoryColumn, message: string): null => {
      errors.push({ row, column, message });
      bad = true;
      return null;
    };

    const no = cell('employee_no');
    const employeeNo =
      no === '' ? fail('employee_no', 'employee_no is missing')
      : no.length > 32 || /[\x00-\x20\x7f/]/.test(no) ? fail('employee_no', `employee_no "${no}" must be at most 32 characters without spaces, "/" or control characters`)
      : no;

    const nm = cell('name');
    const name =
      nm === '' ? fail('name', 'name is missing')
      : nm.length > 64 || CONTROL.test(nm) ? fail('name', 'name must be at most 64 characters without control characters')
      : nm;

    let department: string | null = null;
    const dept = cell('department');
    if (dept !== '') {
      const parts = splitDepartmentPath(dept);
      if (parts === undefined) fail('department', `department "${dept}" must be names separated by "/" (Sales/East)`);
      else department = joinDepartmentPath(parts);
    }

    let mobile: string | null = null;
    const mob = cell('mobile');
    if (mob !== '') {
      const n = normalizeNumber(mob, this.numberContext);
      if (isNumberError(n)) fail('mobile', `${mob} is not a mobile number: ${n.message}`);
      else if (!n.isMobile) fail('mobile', `${mob} is not a mobile number (it is a ${n.kind} number)`);
      else mobile = n.countryCode === (this.numberContext.countryCode ?? '86') ? n.national : (n.e164 ?? n.national);
    }

    const tt = cell('title');
    const title = tt === '' ? null : tt.length > 64 || CONTROL.test(tt) ? fail('title', 'title must be at most 64 characters without control characters') : tt;

    let active = true;
    const act = cell('active').toLowerCase();
    if (act !== '') {
      if (TRUE_WORDS.has(act)) active = true;
      else if (FALSE_WORDS.has(act)) active = false;
      else fail('active', `active must be true or false, not "${cell('active')}"`);
    }

    const ext = cell('extension');
    const extension = ext === '' ? null : EXTENSION_NUMBER.test(ext) ? ext : fail('extension', `extension "${ext}" must be 2 to 8 digits, not starting with 0`);

    let extensionKind: ExtensionKindCell | null = null;
    const kind = cell('extension_kind').toLowerCase();
    if (kind === 'employee' || kind === 'operator') {
      if (ext === '') fail('extension_kind', 'extension_kind needs an extension number in the same row');
      else extensionKind = kind;
    } else if (kind === 'function') fail('extension_kind', 'a function extension has no employee: use employee or operator here, or leave it empty');
    else if (kind !== '') fail('extension_kind', `extension_kind must be employee or operator, not "${cell('extension_kind')}"`);

    return { row, employeeNo, name, department, mobile, title, active, extension, extensionKind, bad };
  }
}
