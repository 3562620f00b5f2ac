import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/load.ts';
import {
  calendarCoversYear,
  calendarDay,
  HolidayCalendarError,
  loadHolidayCalendar,
  parseHolidayCalendar,
} from '../../src/hours/holiday-calendar.ts';

const shipped = fileURLToPath(new URL('../../media/calendars/cn-2026.yaml', import.meta.url));

function problemsOf(yaml: string, source = 'cal.yaml'): string[] {
  try {
    parseHolidayCalendar(yaml, source);
  } catch (e) {
    expect(e).toBeInstanceOf(HolidayCalendarError);
    return (e as HolidayCalendarError).lines();
  }
  throw new Error('the calendar was accepted');
}

describe('parseHolidayCalendar', () => {
  it('reads single dates, inclusive ranges and make-up workdays with their hours', () => {
    const c = parseHolidayCalendar(
      [
        'name: China 2026',
        'holidays:            # closed all day',
        '  - { date: 2026-01-01, name: New Year }',
        '  - { from: 2026-10-01, to: 2026-10-08, name: National Day }',
        'workdays:',
        '  - { date: 2026-10-10, name: National Day make-up, hours_of: fri }',
        '  - { date: 2026-09-20 }',
      ].join('\n'),
      'cn.yaml',
    );
    expect(c.name).toBe('China 2026');
    expect(c.source).toBe('cn.yaml');
    expect([...c.holidays.keys()]).toEqual([
      '2026-01-01', '2026-10-01', '2026-10-02', '2026-10-03', '2026-10-04', '2026-10-05', '2026-10-06', '2026-10-07', '2026-10-08',
    ]);
    expect(c.holidays.get('2026-10-08')).toBe('National Day');
    expect(c.workdays.get('2026-10-10')).toEqual({ name: 'National Day make-up', hoursOf: 'fri' });
    expect(c.workdays.get('2026-09-20')).toEqual({ name: '', hoursOf: 'mon' });
    expect(calendarDay(c, '2026-10-01')).toEqual({ holiday: 'National Day' });
    expect(calendarDay(c, '2026-10-10')).toEqual({ workday: { name: 'National Day make-up', hoursOf: 'fri' } });
    expect(calendarDay(c, '2026-09-30')).toBeUndefined();
    expect(calendarDay(c, '2026-10-09')).toBeUndefined();
  });

  it('takes the name from the file when none is given, and either list may be absent', () => {
    const c = parseHolidayCalendar('holidays:\n  - { date: 2026-05-01 }\n', '/etc/pbx/calendars/cn-2026.yaml');
    expect(c.name).toBe('cn-2026');
    expect(c.workdays.size).toBe(0);
    expect(parseHolidayCalendar('name: none\nworkdays: []\n', 'x.yml').holidays.size).toBe(0);
  });

  it('accepts a one-day range, a leap day, ranges across a year end and overlapping holidays', () => {
    const c = parseHolidayCalendar(
      [
        'holidays:',
        '  - { from: 2026-05-01, to: 2026-05-01, name: one }',
        '  - { date: 2028-02-29, name: leap }',
        '  - { from: 2026-12-31, to: 2027-01-02, name: turn }',
        '  - { from: 2026-12-30, to: 2026-12-31, name: company }',
        '  - { date: "2026-06-01" }',
      ].join('\n'),
      'c.yaml',
    );
    expect([...c.holidays.keys()]).toEqual(['2026-05-01', '2028-02-29', '2026-12-31', '2027-01-01', '2027-01-02', '2026-12-30', '2026-06-01']);
    expect(c.holidays.get('2026-12-31')).toBe('turn'); // the first entry naming a day wins
  });

  it('refuses bad dates, naming the file, the entry and the line', () => {
    const lines = problemsOf(
      [
        'holidays:',
        '  - { date: 2026-13-01 }',
        '  - { date: 2026-02-29 }',
        '  - { date: tomorrow }',
        '  - { date: 20261001 }',
        '  - { from: 2026-10-01, to: 2026-1-7 }',
      ].join('\n'),
    );
    expect(lines).toEqual([
      'cal.yaml: holidays[0].date (line 2): 2026-13-01 is not a day of the calendar; check the month and day',
      'cal.yaml: holidays[1].date (line 3): 2026-02-29 is not a day of the calendar; check the month and day',
      'cal.yaml: holidays[2].date (line 4): "tomorrow" is not a date; write it as YYYY-MM-DD, e.g. 2026-10-01',
      'cal.yaml: holidays[3].date (line 5): "20261001" is not a date; write it as YYYY-MM-DD, e.g. 2026-10-01',
      'cal.yaml: holidays[4].to (line 6): "2026-1-7" is not a date; write it as YYYY-MM-DD, e.g. 2026-10-01',
    ]);
  });

  it('refuses a range that ends before it starts, or spans more than a year', () => {
    expect(problemsOf('holidays:\n  - { from: 2026-10-08, to: 2026-10-01, name: National Day }\n')).toEqual([
      'cal.yaml: holidays[0].to (line 2): 2026-10-01 is before from 2026-10-08; write the earlier date in from',
    ]);
    expect(problemsOf('holidays:\n  - { from: 2026-10-01, to: 2062-10-07 }\n')).toEqual([
      'cal.yaml: holidays[0].to (line 2): the range from 2026-10-01 is 13156 days long; check the year',
    ]);
    // a whole leap year is still a range
    expect(parseHolidayCalendar('holidays:\n  - { from: 2028-01-01, to: 2028-12-31 }\n', 'y.yaml').holidays.size).toBe(366);
  });

  it('refuses a date that is both a holiday and a make-up workday, and a workday listed twice', () => {
    expect(
      problemsOf(
        [
          'holidays:',
          '  - { from: 2026-10-01, to: 2026-10-07, name: National Day }',
          'workdays:',
          '  - { date: 2026-10-10 }',
          '  - { date: 2026-10-03, name: typo }',
          '  - { date: 2026-10-10, hours_of: fri }',
        ].join('\n'),
      ),
    ).toEqual([
      'cal.yaml: workdays[1] (line 5): 2026-10-03 is both a holiday (holidays[0]) and a make-up workday; remove it from one of the lists',
      'cal.yaml: workdays[2] (line 6): 2026-10-10 is already a workday in workdays[0]; list each make-up day once',
    ]);
  });

  it('refuses entries of the wrong shape and unknown keys', () => {
    expect(
      problemsOf(
        [
          'name: test',
          'holiday:',
          '  - { date: 2026-01-01 }',
          'holidays:',
          '  - { form: 2026-10-01, to: 2026-10-07 }',
          '  - { date: 2026-10-01, from: 2026-10-01, to: 2026-10-02 }',
          '  - { name: nothing }',
          '  - 2026-01-01',
          '  - { date: 2026-05-01, hours_of: fri }',
          'workdays:',
          '  - { date: 2026-10-10, hours_of: friday }',
        ].join('\n'),
      ),
    ).toEqual([
      'cal.yaml: holiday (line 2): unknown key; a holiday calendar has name, holidays and workdays',
      'cal.yaml: holidays[0].form (line 5): unknown key; an entry of holidays has date, from, to, name',
      'cal.yaml: holidays[0].from (line 5): a range needs from as well as to',
      'cal.yaml: holidays[1] (line 6): give either date or from/to, not both',
      'cal.yaml: holidays[2] (line 7): needs a date (date: 2026-10-01) or a range (from: 2026-10-01, to: 2026-10-07)',
      'cal.yaml: holidays[3] (line 8): must be a mapping such as { date: 2026-10-01, name: National Day } or { from: 2026-10-01, to: 2026-10-07 }',
      'cal.yaml: holidays[4].hours_of (line 9): unknown key; an entry of holidays has date, from, to, name',
      'cal.yaml: workdays[0].hours_of (line 11): must be one of mon, tue, wed, thu, fri, sat, sun (whose service hours the day has)',
    ]);
    expect(problemsOf('holidays: 2026-01-01\n')).toEqual([
      'cal.yaml: holidays (line 1): must be a list of entries such as - { date: 2026-10-01, name: National Day }',
    ]);
  });

  it('refuses YAML that is not a calendar at all', () => {
    expect(problemsOf('')).toEqual(['cal.yaml: the holiday calendar is empty; it needs a holidays list']);
    expect(problemsOf('- 2026-01-01\n')).toEqual(['cal.yaml: line 1: a holiday calendar is a mapping with name, holidays and workdays']);
    expect(problemsOf('holidays:\n  - { date: 2026-01-01\n')[0]).toMatch(/^cal\.yaml: line \d+: /);
    expect(problemsOf('name: a\nname: b\n')[0]).toMatch(/^cal\.yaml: line 2: /);
  });

  it('says in its message which file is wrong, and is a ConfigError for the start-up and CLI printers', () => {
    try {
      parseHolidayCalendar('holidays:\n  - { date: 2026-02-30 }\n', 'calendars/cn.yaml');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as Error).name).toBe('HolidayCalendarError');
      expect((e as Error).message).toBe(
        'invalid holiday calendar calendars/cn.yaml:\nholidays[0].date (line 2): 2026-02-30 is not a day of the calendar; check the month and day',
      );
    }
  });
});

describe('loadHolidayCalendar', () => {
  it('says which file it cannot read and where it was configured', () => {
    expect(() => loadHolidayCalendar('/nonexistent/cal.yaml')).toThrow(
      'invalid holiday calendar /nonexistent/cal.yaml:\ncannot read the holiday calendar (ENOENT); check the tenant setting holiday_calendar',
    );
  });

  it('loads the shipped PRC 2026 calendar as announced by the State Council on 2025-11-04', () => {
    const c = loadHolidayCalendar(shipped);
    expect(c.name).toBe('China 2026');
    const days = (from: string, to: string) => {
      const out: string[] = [];
      for (let t = Date.parse(from); t <= Date.parse(to); t += 86_400_000) out.push(new Date(t).toISOString().slice(0, 10));
      return out;
    };
    expect([...c.holidays.keys()]).toEqual([
      ...days('2026-01-01', '2026-01-03'),
      ...days('2026-02-15', '2026-02-23'),
      ...days('2026-04-04', '2026-04-06'),
      ...days('2026-05-01', '2026-05-05'),
      ...days('2026-06-19', '2026-06-21'),
      ...days('2026-09-25', '2026-09-27'),
      ...days('2026-10-01', '2026-10-07'),
    ]);
    expect(c.holidays.size).toBe(33);
    expect([...c.workdays.keys()]).toEqual(['2026-01-04', '2026-02-14', '2026-02-28', '2026-05-09', '2026-09-20', '2026-10-10']);
    // every make-up day is a weekend day; otherwise it would make up nothing
    for (const d of c.workdays.keys()) expect([0, 6]).toContain(new Date(`${d}T00:00:00Z`).getUTCDay());
    expect(c.holidays.get('2026-02-17')).toBe('Spring Festival');
  });
});

describe('calendarCoversYear', () => {
  it('is true for a year with a holiday or a make-up day, false once the calendar has run out', () => {
    const c = loadHolidayCalendar(shipped);
    expect(calendarCoversYear(c, '2026')).toBe(true);
    expect(calendarCoversYear(c, '2027')).toBe(false);
    expect(calendarCoversYear(c, '2025')).toBe(false);
    const onlyWorkday = parseHolidayCalendar('workdays:\n  - { date: 2027-02-06 }\n', 'w.yaml');
    expect(calendarCoversYear(onlyWorkday, '2027')).toBe(true);
  });
});
