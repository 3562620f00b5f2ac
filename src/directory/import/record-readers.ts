// Reading a directory file as a stream of rows, never the whole file at once: CSV through
// csv-parse (a UTF-8 byte-order mark is skipped), XLSX through exceljs's streaming
// WorkbookReader (first worksheet only). Each row carries the number a spreadsheet shows for it
// (the header is row 1), and its cells as trimmed strings; blank rows are left out.
import type { Readable } from 'node:stream';
import { parse, CsvError } from 'csv-parse';
import ExcelJS from 'exceljs';
import { InvalidError } from '../../errors.ts';
import type { DirectoryFormat } from './directory-columns.ts';

export interface SourceRow {
  /** 1 for the header; as a spreadsheet numbers its rows. */
  row: number;
  cells: string[];
}

/** A file the reader could not go on with (bad quoting, not a workbook), where it stopped. */
export class DirectoryFileError extends InvalidError {
  constructor(
    message: string,
    readonly row: number,
  ) {
    super(message);
  }
}

export function readRows(input: Readable, format: DirectoryFormat): AsyncIterable<SourceRow> {
  return format === 'csv' ? readCsvRows(input) : readXlsxRows(input);
}

const isBlank = (cells: string[]) => cells.every((c) => c === '');

export async function* readCsvRows(input: Readable): AsyncGenerator<SourceRow> {
  const parser = parse({ bom: true, relax_column_count: true, skip_empty_lines: false, trim: true, max_record_size: 64 * 1024 });
  input.on('error', (e) => parser.destroy(e));
  input.pipe(parser);
  let row = 0;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      row++;
      if (!isBlank(record)) yield { row, cells: record };
    }
  } catch (e) {
    if (e instanceof CsvError) {
      // the parser may fail before it hands over the records it read: its own count is the one to trust
      const read = typeof e.records === 'number' ? Math.max(e.records, row) : row;
      throw new DirectoryFileError(`the CSV file cannot be read after row ${read}: ${e.message}`, read + 1);
    }
    throw e;
  } finally {
    input.unpipe(parser);
    if (!parser.destroyed) parser.destroy();
  }
}

export async function* readXlsxRows(input: Readable): AsyncGenerator<SourceRow> {
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(input, { worksheets: 'emit', sharedStrings: 'cache', hyperlinks: 'ignore', styles: 'ignore', entries: 'ignore' });
  let last = 0;
  let sheets = 0;
  try {
    for await (const sheet of reader) {
      if (sheets++ > 0) {
        // only the first sheet is the directory; the reader must still get through the others
        for await (const _ of sheet) void _;
        continue;
      }
      for await (const r of sheet) {
        last = r.number;
        const values = r.values as unknown[];
        const cells: string[] = [];
        for (let i = 1; i < values.length; i++) cells.push(cellText(values[i]));
        if (!isBlank(cells)) yield { row: r.number, cells };
      }
    }
  } catch (e) {
    if (e instanceof InvalidError) throw e;
    const why = (e as Error)?.message ?? String(e);
    throw new DirectoryFileError(last === 0 ? `the file is not a readable XLSX workbook (${why})` : `the XLSX file cannot be read after row ${last}: ${why}`, last + 1);
  }
  if (sheets === 0) throw new DirectoryFileError('the XLSX workbook has no worksheet', 1);
}

/** A cell as text: numbers as written (8001, 13812345678), rich text joined, a formula's result. */
export function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v.trim();
  if (typeof v === 'number') return Number.isInteger(v) ? BigInt(v).toString() : String(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object') {
    const o = v as { richText?: Array<{ text: string }>; text?: unknown; result?: unknown; error?: string };
    if (Array.isArray(o.richText)) return o.richText.map((t) => t.text).join('').trim();
    if ('result' in o) return cellText(o.result);
    if (o.text !== undefined) return cellText(o.text);
    if (o.error !== undefined) return String(o.error);
  }
  return String(v).trim();
}
