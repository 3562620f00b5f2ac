// Reading the first worksheet of an XLSX workbook row by row, never the whole sheet at once.
//
// Not exceljs's streaming WorkbookReader: it reads the zip in one pass and, when xl/workbook.xml
// comes after the sheets (as exceljs itself writes it), intermittently loses it and throws
// "Cannot read properties of undefined (reading 'sheets')" (exceljs issue 3064); and it decodes
// each inflated chunk on its own, so a character split between two chunks comes out as U+FFFD
// (a Chinese name in a large file, silently). Here the zip is opened through its central
// directory (yauzl), so the parts are read in the order they are needed (relationships, the
// workbook, the shared strings, then the sheet), and the sheet's XML is decoded with a streaming
// UTF-8 decoder and parsed with saxes as it inflates.
//
// A stream is spooled to a temporary file first (random access is what a zip needs); a file
// stream is read in place.
import { createWriteStream, ReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { StringDecoder } from 'node:string_decoder';
import { SaxesParser } from 'saxes';
import yauzl from 'yauzl';

/** A row of the sheet: its number as the sheet gives it (1 = the first), its cells as text from column A on. */
export interface SheetRow {
  row: number;
  cells: string[];
}

/** The workbook could not be read (not a zip, no worksheet, bad XML); `row`: the last row read, 0 before any. */
export class XlsxReadError extends Error {
  constructor(
    message: string,
    readonly row: number,
  ) {
    super(message);
  }
}

/** Columns read per row (A to IV); cells further right are ignored. */
export const MAX_COLUMNS = 256;
/** The shared-strings part is held in memory: refuse one larger than this (uncompressed). */
const MAX_SHARED_STRINGS_BYTES = 512 * 2 ** 20;

export async function* readXlsxSheetRows(input: Readable): AsyncGenerator<SheetRow> {
  let dir: string | undefined;
  let path: string;
  if (input instanceof ReadStream && typeof input.path === 'string' && input.bytesRead === 0 && (input as { start?: number }).start === undefined) {
    path = input.path;
    input.destroy();
  } else {
    dir = await mkdtemp(join(tmpdir(), 'pbx-xlsx-'));
    path = join(dir, 'upload.xlsx');
    await pipeline(input, createWriteStream(path));
  }
  let zip: yauzl.ZipFile | undefined;
  try {
    try {
      zip = await openZip(path);
    } catch (e) {
      throw new XlsxReadError(`not a readable XLSX workbook (${(e as Error).message})`, 0);
    }
    const entries = await listEntries(zip);
    const part = (name: string) => entries.get(name.toLowerCase());
    const workbook = part('xl/workbook.xml');
    if (workbook === undefined) throw new XlsxReadError('not an XLSX workbook: it has no xl/workbook.xml', 0);
    const rels = part('xl/_rels/workbook.xml.rels');
    const relations = rels === undefined ? new Map<string, { type: string; target: string }>() : await readRelations(zip, rels);
    const sheetRel = await firstSheetRelation(zip, workbook);
    const sheetTarget = sheetRel === undefined ? undefined : relations.get(sheetRel)?.target;
    const sheet = part(sheetTarget ?? 'xl/worksheets/sheet1.xml');
    if (sheet === undefined) throw new XlsxReadError('the XLSX workbook has no worksheet', 0);
    const stringsTarget = [...relations.values()].find((r) => r.type.endsWith('/sharedStrings'))?.target ?? 'xl/sharedStrings.xml';
    const stringsPart = part(stringsTarget);
    if (stringsPart !== undefined && stringsPart.uncompressedSize > MAX_SHARED_STRINGS_BYTES)
      throw new XlsxReadError(`the workbook's shared strings are larger than ${MAX_SHARED_STRINGS_BYTES / 2 ** 20} MiB`, 0);
    const strings = stringsPart === undefined ? [] : await readSharedStrings(zip, stringsPart);
    yield* sheetRows(zip, sheet, strings);
  } finally {
    zip?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  }
}

function openZip(path: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) =>
    yauzl.open(path, { lazyEntries: true, autoClose: false, validateEntrySizes: true }, (err, zip) => (err ? reject(err) : resolve(zip))),
  );
}

/** Every entry by its lower-cased name ("xl/worksheets/sheet1.xml"). */
function listEntries(zip: yauzl.ZipFile): Promise<Map<string, yauzl.Entry>> {
  return new Promise((resolve, reject) => {
    const out = new Map<string, yauzl.Entry>();
    zip.on('entry', (e: yauzl.Entry) => {
      out.set(e.fileName.replace(/\\/g, '/').replace(/^\//, '').toLowerCase(), e);
      zip.readEntry();
    });
    zip.once('end', () => resolve(out));
    zip.once('error', (e: Error) => reject(new XlsxReadError(`not a readable XLSX workbook (${e.message})`, 0)));
    zip.readEntry();
  });
}

function openEntry(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<Readable> {
  return new Promise((resolve, reject) => zip.openReadStream(entry, (err, stream) => (err ? reject(err) : resolve(stream))));
}

type Tag = { name: string; attributes: Record<string, string> };

/**
 * Feeds an entry's XML to saxes, decoded across chunk boundaries; `onChunk` after each chunk
 * (the caller yields what the chunk completed). Element names lose their namespace prefix.
 */
async function* parseEntry(
  zip: yauzl.ZipFile,
  entry: yauzl.Entry,
  on: { open?: (t: Tag) => void; text?: (s: string) => void; close?: (name: string) => void },
): AsyncGenerator<void> {
  const parser = new SaxesParser();
  let error: Error | undefined;
  parser.on('error', (e) => (error ??= e));
  const local = (n: string) => n.slice(n.indexOf(':') + 1);
  if (on.open) parser.on('opentag', (t) => on.open!({ name: local(t.name), attributes: t.attributes as Record<string, string> }));
  if (on.text) {
    parser.on('text', on.text);
    parser.on('cdata', on.text);
  }
  if (on.close) parser.on('closetag', (t) => on.close!(local(t.name)));
  const decoder = new StringDecoder('utf8');
  let stream: Readable;
  try {
    stream = await openEntry(zip, entry);
  } catch (e) {
    throw new XlsxReadError(`cannot read ${entry.fileName} in the workbook (${(e as Error).message})`, 0);
  }
  try {
    for await (const chunk of stream) {
      parser.write(decoder.write(chunk as Buffer));
      if (error) throw error;
      yield;
    }
    parser.write(decoder.end());
    parser.close();
    if (error) throw error;
  } finally {
    stream.destroy();
  }
}

async function drain(g: AsyncGenerator<void>): Promise<void> {
  for await (const _ of g) void _;
}

async function readRelations(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<Map<string, { type: string; target: string }>> {
  const out = new Map<string, { type: string; target: string }>();
  await drain(
    parseEntry(zip, entry, {
      open: (t) => {
        if (t.name !== 'Relationship' || t.attributes.Id === undefined || t.attributes.Target === undefined) return;
        const target = t.attributes.Target.startsWith('/') ? t.attributes.Target.slice(1) : posix.normalize(posix.join('xl', t.attributes.Target));
        out.set(t.attributes.Id, { type: t.attributes.Type ?? '', target });
      },
    }),
  );
  return out;
}

/** The relationship id of the workbook's first sheet (the first tab). */
async function firstSheetRelation(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<string | undefined> {
  let id: string | undefined;
  await drain(
    parseEntry(zip, entry, {
      open: (t) => {
        if (id !== undefined || t.name !== 'sheet') return;
        const key = Object.keys(t.attributes).find((k) => k.endsWith(':id'));
        if (key !== undefined) id = t.attributes[key];
      },
    }),
  );
  return id;
}

/** OOXML escapes characters XML cannot hold as _xHHHH_ ("_x000D_"; "_x005F_" is '_' itself). */
const unescapeOoxml = (s: string) => (s.includes('_x') ? s.replace(/_x([0-9A-Fa-f]{4})_/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))) : s);

/** The shared strings in order, each the text of its runs (phonetic runs left out). */
async function readSharedStrings(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<string[]> {
  const out: string[] = [];
  let cur: string | undefined;
  let inText = false;
  let phonetic = 0;
  await drain(
    parseEntry(zip, entry, {
      open: (t) => {
        if (t.name === 'si') cur = '';
        else if (t.name === 'rPh') phonetic++;
        else if (t.name === 't' && phonetic === 0) inText = true;
      },
      text: (s) => {
        if (inText && cur !== undefined) cur += s;
      },
      close: (name) => {
        if (name === 'si') {
          out.push(unescapeOoxml(cur ?? ''));
          cur = undefined;
        } else if (name === 'rPh') phonetic--;
        else if (name === 't') inText = false;
      },
    }),
  );
  return out;
}

/** "C12" → 2 (column A is 0); undefined when the reference has no letters. */
function columnOf(ref: string): number | undefined {
  let col = 0;
  let i = 0;
  for (; i < ref.length; i++) {
    const c = ref.charCodeAt(i) | 0x20; // lower case
    if (c < 97 || c > 122) break;
    col = col * 26 + (c - 96);
  }
  return i === 0 ? undefined : col - 1;
}

/** A number cell as it was typed: 13812345678, not 1.3812345678E10. */
function numberText(v: string): string {
  if (!/e/i.test(v)) return v;
  const n = Number(v);
  return Number.isInteger(n) && Math.abs(n) < 1e21 ? BigInt(n).toString() : v;
}

async function* sheetRows(zip: yauzl.ZipFile, entry: yauzl.Entry, strings: string[]): AsyncGenerator<SheetRow> {
  const ready: SheetRow[] = [];
  let rowNo = 0;
  let cells: string[] | undefined;
  let col = -1;
  let type = '';
  let value = '';
  let inline = '';
  let capture: 'v' | 't' | undefined;
  let phonetic = 0;
  const parse = parseEntry(zip, entry, {
    open: (t) => {
      switch (t.name) {
        case 'row':
          rowNo = t.attributes.r !== undefined ? Number(t.attributes.r) : rowNo + 1;
          cells = [];
          col = -1;
          break;
        case 'c':
          col = (t.attributes.r !== undefined ? columnOf(t.attributes.r) : undefined) ?? col + 1;
          type = t.attributes.t ?? 'n';
          value = '';
          inline = '';
          break;
        case 'v':
          capture = 'v';
          break;
        case 'rPh':
          phonetic++;
          break;
        case 't':
          if (phonetic === 0) capture = 't';
          break;
      }
    },
    text: (s) => {
      if (capture === 'v') value += s;
      else if (capture === 't') inline += s;
    },
    close: (name) => {
      switch (name) {
        case 'v':
        case 't':
          capture = undefined;
          break;
        case 'rPh':
          phonetic--;
          break;
        case 'c': {
          if (cells === undefined || col < 0 || col >= MAX_COLUMNS) break;
          let text: string;
          if (type === 's') text = strings[Number(value)] ?? '';
          else if (type === 'inlineStr') text = unescapeOoxml(inline);
          else if (type === 'str') text = unescapeOoxml(value);
          else if (type === 'b') text = value === '1' ? 'true' : value === '0' ? 'false' : value;
          else if (type === 'n') text = numberText(value.trim());
          else text = value; // e (an error such as #N/A), d (an ISO date)
          cells[col] = text.trim();
          break;
        }
        case 'row':
          if (cells !== undefined) {
            for (let i = 0; i < cells.length; i++) if (cells[i] === undefined) cells[i] = '';
            ready.push({ row: rowNo, cells });
          }
          cells = undefined;
          break;
      }
    },
  });
  try {
    for await (const _ of parse) {
      void _;
      for (const r of ready) yield r;
      ready.length = 0;
    }
  } catch (e) {
    if (e instanceof XlsxReadError) throw e;
    throw new XlsxReadError(`the worksheet cannot be read after row ${rowNo}: ${(e as Error).message}`, rowNo);
  }
  for (const r of ready) yield r;
}
