import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadHolidayCalendar, parseHolidayCalendar } from '../../src/hours/holiday-calendar.ts';
import { isWithinServiceHours, localTime, type ServiceHours } from '../../src/hours/service-hours.ts';
import { serviceHoursSchema } from '../../src/tenancy/tenant-settings.ts';

const SH = 'Asia/Shanghai';
const BERLIN = 'Europe/Berlin';
/** Shanghai wall-clock time (UTC+8 all year) as ms epoch. */
const sh = (local: string) => Date.parse(`${local}+08:00`);
const utc = (iso: string) => Date.parse(`${iso}Z`);
const hours = (h: Partial<ServiceHours> = {}): ServiceHours => serviceHoursSchema.parse(h);
const office = hours(); // mon–fri 09:00-18:00, weekends closed
const always = hours({ mon: ['00:00-24:00'], tue: ['00:00-24:00'], wed: ['00:00-24:00'], thu: ['00:00-24:00'], fri: ['00:00-24:00'], sat: ['00:00-24:00'], sun: ['00:00-24:00'] });

describe('localTime', () => {
  it('gives the date, weekday and minute of the day in the zone', () => {
    expect(localTime(sh('2026-03-02T00:30:00'), SH)).toEqual({ date: '2026-03-02', weekday: 'mon', minutes: 30 });
    expect(localTime(utc('2026-03-01T16:30:00'), 'UTC')).toEqual({ date: '2026-03-01', weekday: 'sun', minutes: 16 * 60 + 30 });
    expect(localTime(utc('2026-07-04T22:30:00'), BERLIN)).toEqual({ date: '2026-07-05', weekday: 'sun', minutes: 30 });
    expect(localTime(utc('2026-01-04T22:30:00'), BERLIN)).toEqual({ date: '2026-01-04', weekday: 'sun', minutes: 23 * 60 + 30 });
  });

  it('writes midnight as minute 0, never as hour 24', () => {
    expect(localTime(sh('2026-03-03T00:00:00'), SH)).toEqual({ date: '2026-03-03', weekday: 'tue', minutes: 0 });
    expect(localTime(sh('2026-03-02T23:59:59.999'), SH)).toEqual({ date: '2026-03-02', weekday: 'mon', minutes: 1439 });
  });
});

describe('isWithinServiceHours: the week', () => {
  it('is half-open: open from the first minute, closed at the end minute', () => {
    // 2026-03-02 is a Monday
    expect(isWithinServiceHours(sh('2026-03-02T08:59:59.999'), office, SH)).toBe(false);
    expect(isWithinServiceHours(sh('2026-03-02T09:00:00'), office, SH)).toBe(true);
    expect(isWithinServiceHours(sh('2026-03-02T17:59:59.999'), office, SH)).toBe(true);
    expect(isWithinServiceHours(sh('2026-03-02T18:00:00'), office, SH)).toBe(false);
  });

  it('is closed on weekends by default and open on every weekday', () => {
    const days = ['2026-03-02', '2026-03-03', '2026-03-04', '2026-03-05', '2026-03-06', '2026-03-07', '2026-03-08'];
    expect(days.map((d) => isWithinServiceHours(sh(`${d}T12:00:00`), office, SH))).toEqual([true, true, true, true, true, false, false]);
  });

  it('has lunch breaks: several ranges a day, each half-open', () => {
    const h = hours({ mon: ['09:00-12:00', '13:30-18:00'] });
    const at = (t: string) => isWithinServiceHours(sh(`2026-03-02T${t}`), h, SH);
    expect([at('11:59:00'), at('12:00:00'), at('13:29:59'), at('13:30:00'), at('17:59:00'), at('18:00:00')]).toEqual([true, false, false, true, true, false]);
  });

  it('closes a day with no ranges, and opens all day with 00:00-24:00 up to the next midnight', () => {
    const h = hours({ fri: ['00:00-24:00'], sat: [] });
    expect(isWithinServiceHours(sh('2026-03-06T00:00:00'), h, SH)).toBe(true);
    expect(isWithinServiceHours(sh('2026-03-06T23:59:59.999'), h, SH)).toBe(true);
    expect(isWithinServiceHours(sh('2026-03-07T00:00:00'), h, SH)).toBe(false);
    // a range ending at 24:00 on a day followed by one starting at 00:00: open across midnight
    const night = hours({ mon: ['20:00-24:00'], tue: ['00:00-06:00'] });
    expect(isWithinServiceHours(sh('2026-03-02T23:59:00'), night, SH)).toBe(true);
    expect(isWithinServiceHours(sh('2026-03-03T00:00:00'), night, SH)).toBe(true);
    expect(isWithinServiceHours(sh('2026-03-03T05:59:00'), night, SH)).toBe(true);
    expect(isWithinServiceHours(sh('2026-03-03T06:00:00'), night, SH)).toBe(false);
  });

  it('uses the tenant\'s local weekday, not the UTC one', () => {
    // Monday 00:30 in Shanghai is still Sunday in UTC
    const h = hours({ mon: ['00:00-01:00'], sun: [] });
    expect(isWithinServiceHours(utc('2026-03-01T16:30:00'), h, SH)).toBe(true);
    expect(isWithinServiceHours(utc('2026-03-01T16:30:00'), h, 'UTC')).toBe(false);
  });
});

describe('isWithinServiceHours: a zone with daylight saving (Europe/Berlin)', () => {
  it('keeps 09:00-18:00 local in winter (UTC+1) and summer (UTC+2)', () => {
    // Monday 2026-03-23, CET
    expect(isWithinServiceHours(utc('2026-03-23T07:59:00'), office, BERLIN)).toBe(false);
    expect(isWithinServiceHours(utc('2026-03-23T08:00:00'), office, BERLIN)).toBe(true);
    expect(isWithinServiceHours(utc('2026-03-23T16:59:00'), office, BERLIN)).toBe(true);
    expect(isWithinServiceHours(utc('2026-03-23T17:00:00'), office, BERLIN)).toBe(false);
    // Monday 2026-03-30, CEST: the same wall-clock hours are an hour earlier in UTC
    expect(isWithinServiceHours(utc('2026-03-30T06:59:00'), office, BERLIN)).toBe(false);
    expect(isWithinServiceHours(utc('2026-03-30T07:00:00'), office, BERLIN)).toBe(true);
    expect(isWithinServiceHours(utc('2026-03-30T15:59:00'), office, BERLIN)).toBe(true);
    expect(isWithinServiceHours(utc('2026-03-30T16:00:00'), office, BERLIN)).toBe(false);
    // Monday 2026-10-26, back on CET
    expect(isWithinServiceHours(utc('2026-10-26T07:59:00'), office, BERLIN)).toBe(false);
    expect(isWithinServiceHours(utc('2026-10-26T08:00:00'), office, BERLIN)).toBe(true);
  });

  it('never opens an hour that the spring change skips, and opens twice the hour the autumn change repeats', () => {
    const h = hours({ sun: ['02:00-03:00'] });
    // 2026-03-29: 02:00 CET jumps to 03:00 CEST at 01:00 UTC
    expect(isWithinServiceHours(utc('2026-03-29T00:59:00'), h, BERLIN)).toBe(false); // 01:59 CET
    expect(isWithinServiceHours(utc('2026-03-29T01:00:00'), h, BERLIN)).toBe(false); // 03:00 CEST
    // 2026-10-25: 03:00 CEST falls back to 02:00 CET at 01:00 UTC
    expect(isWithinServiceHours(utc('2026-10-24T23:59:00'), h, BERLIN)).toBe(false); // 01:59 CEST
    expect(isWithinServiceHours(utc('2026-10-25T00:30:00'), h, BERLIN)).toBe(true); // 02:30 CEST
    expect(isWithinServiceHours(utc('2026-10-25T01:30:00'), h, BERLIN)).toBe(true); // 02:30 CET
    expect(isWithinServiceHours(utc('2026-10-25T02:00:00'), h, BERLIN)).toBe(false); // 03:00 CET
  });

  it('switches the day at local midnight on the days of the change', () => {
    const h = hours({ sat: ['00:00-24:00'], sun: [] });
    expect(isWithinServiceHours(utc('2026-03-28T22:59:59'), h, BERLIN)).toBe(true); // Sat 23:59 CET
    expect(isWithinServiceHours(utc('2026-03-28T23:00:00'), h, BERLIN)).toBe(false); // Sun 00:00 CET
    expect(isWithinServiceHours(utc('2026-10-24T21:59:59'), h, BERLIN)).toBe(true); // Sat 23:59 CEST
    expect(isWithinServiceHours(utc('2026-10-24T22:00:00'), h, BERLIN)).toBe(false); // Sun 00:00 CEST
  });
});

describe('isWithinServiceHours: holidays and make-up working days', () => {
  const calendar = parseHolidayCalendar(
    [
      'holidays:',
      '  - { from: 2026-10-01, to: 2026-10-07, name: National Day }',
      'workdays:',
      '  - { date: 2026-09-20, name: make-up Sunday }',
      '  - { date: 2026-10-10, name: make-up Saturday, hours_of: fri }',
    ].join('\n'),
    'test.yaml',
  );

  it('is closed all day on a holiday, from local midnight to local midnight', () => {
    expect(isWithinServiceHours(sh('2026-09-30T23:59:59.999'), always, SH, calendar)).toBe(true);
    expect(isWithinServiceHours(sh('2026-10-01T00:00:00'), always, SH, calendar)).toBe(false);
    expect(isWithinServiceHours(sh('2026-10-01T10:00:00'), office, SH, calendar)).toBe(false); // a Thursday
    expect(isWithinServiceHours(sh('2026-10-05T10:00:00'), office, SH, calendar)).toBe(false); // a Monday
    expect(isWithinServiceHours(sh('2026-10-07T23:59:59.999'), always, SH, calendar)).toBe(false);
    expect(isWithinServiceHours(sh('2026-10-08T00:00:00'), always, SH, calendar)).toBe(true);
    expect(isWithinServiceHours(sh('2026-10-08T09:00:00'), office, SH, calendar)).toBe(true);
    // without the calendar the same Thursday is an ordinary working day
    expect(isWithinServiceHours(sh('2026-10-01T10:00:00'), office, SH)).toBe(true);
  });

  it('opens a make-up weekend day with the hours of hours_of (default Monday)', () => {
    const h = hours({ mon: ['08:00-17:00'], fri: ['09:00-15:00'] });
    // Sunday 2026-09-20, Monday's hours
    expect(isWithinServiceHours(sh('2026-09-20T07:59:00'), h, SH, calendar)).toBe(false);
    expect(isWithinServiceHours(sh('2026-09-20T08:00:00'), h, SH, calendar)).toBe(true);
    expect(isWithinServiceHours(sh('2026-09-20T17:00:00'), h, SH, calendar)).toBe(false);
    // Saturday 2026-10-10, Friday's hours
    expect(isWithinServiceHours(sh('2026-10-10T08:59:00'), h, SH, calendar)).toBe(false);
    expect(isWithinServiceHours(sh('2026-10-10T09:00:00'), h, SH, calendar)).toBe(true);
    expect(isWithinServiceHours(sh('2026-10-10T14:59:00'), h, SH, calendar)).toBe(true);
    expect(isWithinServiceHours(sh('2026-10-10T15:00:00'), h, SH, calendar)).toBe(false);
    // the Saturday after is an ordinary weekend day
    expect(isWithinServiceHours(sh('2026-10-17T10:00:00'), h, SH, calendar)).toBe(false);
  });

  it('reads holiday dates in the tenant\'s zone', () => {
    // 20:00 UTC on 30 September: Wednesday 22:00 in Berlin, Thursday 1 October 04:00 in Shanghai
    const at = utc('2026-09-30T20:00:00');
    expect(isWithinServiceHours(at, always, BERLIN, calendar)).toBe(true);
    expect(isWithinServiceHours(at, always, SH, calendar)).toBe(false);
  });

  it('follows the shipped PRC 2026 calendar through the Spring Festival', () => {
    const cn = loadHolidayCalendar(fileURLToPath(new URL('../../media/calendars/cn-2026.yaml', import.meta.url)));
    const open = (d: string) => isWithinServiceHours(sh(`${d}T10:00:00`), office, SH, cn);
    expect(open('2026-02-13')).toBe(true); // Friday
    expect(open('2026-02-14')).toBe(true); // Saturday, make-up
    expect(open('2026-02-15')).toBe(false); // Sunday, first day off
    expect(open('2026-02-17')).toBe(false); // Tuesday, New Year's Day of the lunar calendar
    expect(open('2026-02-23')).toBe(false); // Monday, last day off
    expect(open('2026-02-24')).toBe(true); // Tuesday
    expect(open('2026-02-28')).toBe(true); // Saturday, make-up
    expect(open('2026-03-07')).toBe(false); // an ordinary Saturday
    expect(open('2026-01-04')).toBe(true); // Sunday, make-up for New Year
    expect(open('2026-10-01')).toBe(false);
  });
});
