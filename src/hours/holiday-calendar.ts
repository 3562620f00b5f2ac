// A holiday calendar (R-SW-2): the public holidays on which the operator is closed and the
// make-up working days (调休) on which it is open although they fall on a weekend. The tenant
// setting `holiday_calendar` names the file; `media/calendars/` ships the official ones.
//
// File format (YAML):
//
//   name: China 2026
//   holidays:            # closed all day
//     - { date: 2026-01-01, name: New Year }
//     - { from: 2026-10-01, to: 2026-10-07, name: National Day }   # both ends included
//   workdays:            # make-up working days: open although on a weekend
//     - { date: 2026-10-10, name: National Day make-up, hours_of: fri }  # hours_of optional, default mon
//
// `name` of the calendar and of each entry is optional. Either list may also use from/to. Dates are
// local dates of the tenant's time zone. Overlapping holidays are fine; a date that is both a
// holiday and a make-up workday, or a workday listed twice, is an error.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { ConfigError, formatProblem, type ConfigProblem } from '../config/load.ts';
import { WEEKDAYS, type Weekday } from '../tenancy/tenant-settings.ts';

/** A calendar file that cannot be used: every problem with its entry and line. A ConfigError, so
 *  start-up and the CLI print it the same way as the config's own. */
export class HolidayCalendarError extends ConfigError {
  constructor(source: string, problems: ConfigProblem[]) {
    super(source, problems);
    this.name = 'HolidayCalendarError';
    this.message = `invalid holiday calendar ${source}:\n` + problems.map(formatProblem).join('\n');
  }
}

export interface CalendarWorkday {
  name: string;
  /** Whose opening hours the day borrows. */
  hoursOf: Weekday;
}

export interface HolidayCalendar {
  name: string;
  /** The file (or name) it was read from, for logs. */
  source: string;
  /** Local date 'YYYY-MM-DD' → the holiday's name. */
  holidays: ReadonlyMap<string, string>;
  /** Local date 'YYYY-MM-DD' → the make-up working day. */
  workdays: ReadonlyMap<string, CalendarWorkday>;
}

/** What the calendar says about one local date; undefined = an ordinary day. */
export function calendarDay(
  calendar: HolidayCalendar,
  date: string,
): { holiday: string } | { workday: CalendarWorkday } | undefined {
  const holiday = calendar.holidays.get(date);
  if (holiday !== undefined) return { holiday };
  const workday = calendar.workdays.get(date);
  return workday === undefined ? undefined : { workday };
}

/** Whether the calendar lists any day of `year` ('2027'). A calendar that does not has run out:
 *  every day of that year is taken for an ordinary one, which the operator should be told. */
export function calendarCoversYear(calendar: HolidayCalendar, year: string): boolean {
  for (const date of calendar.holidays.keys()) if (date.startsWith(year)) return true;
  for (const date of calendar.workdays.keys()) if (date.startsWith(year)) return true;
  return false;
}

export function loadHolidayCalendar(path: string): HolidayCalendar {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new HolidayCalendarError(path, [{ path: '', message: `cannot read the holiday calendar (${code}); check the tenant setting holiday_calendar` }]);
  }
  return parseHolidayCalendar(text, path);
}

/** A range longer than this is taken for a typo in a year (2026-10-01 to 2062-10-07). */
const MAX_RANGE_DAYS = 366;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const ENTRY_KEYS = { holidays: ['date', 'from', 'to', 'name'], workdays: ['date', 'from', 'to', 'name', 'hours_of'] } as const;

type ListName = keyof typeof ENTRY_KEYS;

/** Throws one HolidayCalendarError listing every problem, each with its entry and line. */
export function parseHolidayCalendar(yamlText: string, sourceName: string): HolidayCalendar {
  const lc = new LineCounter();
  const doc = parseDocument(yamlText, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new HolidayCalendarError(
      sourceName,
      doc.errors.map((e) => ({ path: '', line: lc.linePos(e.pos[0]).line, message: e.message.split('\n')[0]! })),
    );
  }
  const problems: ConfigProblem[] = [];
  const problem = (path: readonly (string | number)[], message: string) => {
    const p: ConfigProblem = { path: formatPath(path), message };
    const line = lineOf(doc, lc, path);
    if (line !== undefined) p.line = line;
    problems.push(p);
  };

  const raw: unknown = doc.toJS();
  if (raw === null || raw === undefined) throw new HolidayCalendarError(sourceName, [{ path: '', message: 'the holiday calendar is empty; it needs a holidays list' }]);
  if (!isRecord(raw)) throw new HolidayCalendarError(sourceName, [{ path: '', line: 1, message: 'a holiday calendar is a mapping with name, holidays and workdays' }]);

  for (const key of Object.keys(raw)) {
    if (key !== 'name' && key !== 'holidays' && key !== 'workdays') problem([key], `unknown key; a holiday calendar has name, holidays and workdays`);
  }
  let name = basename(sourceName).replace(/\.ya?ml$/i, '');
  if (raw.name !== undefined) {
    if (typeof raw.name === 'string' || typeof raw.name === 'number') name = String(raw.name);
    else problem(['name'], 'must be text');
  }

  const holidays = new Map<string, string>();
  const workdays = new Map<string, CalendarWorkday>();
  /** Where each workday date came from, for the "both" and "twice" messages. */
  const workdayEntry = new Map<string, number>();
  const holidayEntry = new Map<string, number>();

  for (const list of ['holidays', 'workdays'] as const) {
    const entries = raw[list];
    if (entries === undefined || entries === null) continue;
    if (!Array.isArray(entries)) {
      problem([list], `must be a list of entries such as - { date: 2026-10-01, name: National Day }`);
      continue;
    }
    entries.forEach((entry: unknown, i: number) => {
      const at = [list, i] as const;
      const parsed = parseEntry(list, entry, (key, message) => problem(key === undefined ? at : [...at, key], message));
      if (parsed === undefined) return;
      for (const date of parsed.dates) {
        if (list === 'holidays') {
          if (!holidays.has(date)) {
            holidays.set(date, parsed.name);
            holidayEntry.set(date, i);
          }
        } else {
          const earlier = workdayEntry.get(date);
          if (earlier !== undefined) {
            problem(at, `${date} is already a workday in workdays[${earlier}]; list each make-up day once`);
            continue;
          }
          workdays.set(date, { name: parsed.name, hoursOf: parsed.hoursOf });
          workdayEntry.set(date, i);
        }
      }
    });
  }
  for (const [date, i] of workdayEntry) {
    const h = holidayEntry.get(date);
    if (h !== undefined) {
      problem(['workdays', i], `${date} is both a holiday (holidays[${h}]) and a make-up workday; remove it from one of the lists`);
    }
  }

  if (problems.length > 0) throw new HolidayCalendarError(sourceName, problems.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity)));
  return { name, source: sourceName, holidays, workdays };
}

function parseEntry(
  list: ListName,
  entry: unknown,
  problem: (key: string | undefined, message: string) => void,
): { dates: string[]; name: string; hoursOf: Weekday } | undefined {
  if (!isRecord(entry)) {
    problem(undefined, 'must be a mapping such as { date: 2026-10-01, name: National Day } or { from: 2026-10-01, to: 2026-10-07 }');
    return undefined;
  }
  let ok = true;
  const bad = (key: string | undefined, message: string) => {
    problem(key, message);
    ok = false;
  };
  const allowed: readonly string[] = ENTRY_KEYS[list];
  for (const key of Object.keys(entry)) {
    if (!allowed.includes(key)) bad(key, `unknown key; an entry of ${list} has ${allowed.join(', ')}`);
  }

  let name = '';
  if (entry.name !== undefined && entry.name !== null) {
    if (typeof entry.name === 'string' || typeof entry.name === 'number') name = String(entry.name);
    else bad('name', 'must be text');
  }
  let hoursOf: Weekday = 'mon';
  if (entry.hours_of !== undefined) {
    const h = String(entry.hours_of).toLowerCase();
    if ((WEEKDAYS as readonly string[]).includes(h)) hoursOf = h as Weekday;
    else bad('hours_of', `must be one of ${WEEKDAYS.join(', ')} (whose service hours the day has)`);
  }

  const hasDate = entry.date !== undefined;
  const hasRange = entry.from !== undefined || entry.to !== undefined;
  if (hasDate && hasRange) {
    bad(undefined, 'give either date or from/to, not both');
    return undefined;
  }
  if (!hasDate && !hasRange) {
    bad(undefined, 'needs a date (date: 2026-10-01) or a range (from: 2026-10-01, to: 2026-10-07)');
    return undefined;
  }
  let dates: string[] = [];
  if (hasDate) {
    const d = parseDate(entry.date, (m) => bad('date', m));
    if (d !== undefined) dates = [formatDay(d)];
  } else {
    if (entry.from === undefined) bad('from', 'a range needs from as well as to');
    if (entry.to === undefined) bad('to', 'a range needs to as well as from');
    const from = entry.from === undefined ? undefined : parseDate(entry.from, (m) => bad('from', m));
    const to = entry.to === undefined ? undefined : parseDate(entry.to, (m) => bad('to', m));
    if (from !== undefined && to !== undefined) {
      const days = to - from + 1;
      if (days < 1) bad('to', `${formatDay(to)} is before from ${formatDay(from)}; write the earlier date in from`);
      else if (days > MAX_RANGE_DAYS) bad('to', `the range from ${formatDay(from)} is ${days} days long; check the year`);
      else for (let d = from; d <= to; d++) dates.push(formatDay(d));
    }
  }
  return ok ? { dates, name, hoursOf } : undefined;
}

/** A YAML value → days since 1970-01-01, or undefined after reporting why not. */
function parseDate(value: unknown, bad: (message: string) => void): number | undefined {
  // YAML 1.1 documents turn unquoted dates into timestamps; 1.2 (the default) keeps them as text
  const text = value instanceof Date ? value.toISOString().slice(0, 10) : typeof value === 'string' ? value.trim() : String(value);
  const m = DATE.exec(text);
  if (m === null) {
    bad(`${JSON.stringify(text)} is not a date; write it as YYYY-MM-DD, e.g. 2026-10-01`);
    return undefined;
  }
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) {
    bad(`${text} is not a day of the calendar; check the month and day`);
    return undefined;
  }
  return ms / 86_400_000;
}

function formatDay(day: number): string {
  return new Date(day * 86_400_000).toISOString().slice(0, 10);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out === '' ? seg : `.${seg}`;
  return out;
}

/** Line (1-based) of the deepest key or item of `path` present in the document. */
function lineOf(doc: Document, lc: LineCounter, path: readonly (string | number)[]): number | undefined {
  let node: unknown = doc.contents;
  let offset = rangeOf(node);
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((it) => isScalar(it.key) && String(it.key.value) === String(seg));
      if (pair === undefined) break;
      offset = rangeOf(pair.key) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number' && seg < node.items.length) {
      node = node.items[seg];
      offset = rangeOf(node) ?? offset;
    } else break;
  }
  return offset === undefined ? undefined : lc.linePos(offset).line;
}

function rangeOf(node: unknown): number | undefined {
  return (node as { range?: [number, number, number] } | null | undefined)?.range?.[0];
}
