// Reading a directory file as a stream of rows, never the whole file at once: CSV through
// csv-parse (a UTF-8 byte-order mark is skipped), XLSX through xlsx-rows.ts (the first
// worksheet only). Each row carries the number a spreadsheet shows for it
// (the header is row 1), and its cells as trimmed strings; blank rows are left out.
import type { Readable } from 'node:stream';
import { parse, CsvError } from 'csv-parse';
import { InvalidError } from '../../errors.ts';
import type { DirectoryFormat } from './directory-columns.ts';
import { readXlsxSheetRows, XlsxReadError } from './xlsx-rows.ts';

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
  try {
    for await (const r of readXlsxSheetRows(input)) if (!isBlank(r.cells)) yield r;
  } catch (e) {
    if (!(e instanceof XlsxReadError)) throw e;
    throw new DirectoryFileError(e.row === 0 ? e.message : `the XLSX file cannot be read after row ${e.row}: ${e.message}`, e.row + 1);
  }
}
