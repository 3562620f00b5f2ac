// Whether the operator is on duty (R-SW-2): the tenant's weekly service hours in its own time
// zone, with public holidays closed and make-up working days open. The clock is the caller's
// (`at`), so tests and the switchboard decide with the same code.
import type { TenantSettings, Weekday } from '../tenancy/tenant-settings.ts';
import { calendarDay, type HolidayCalendar } from './holiday-calendar.ts';

export type ServiceHours = TenantSettings['service_hours'];

export interface LocalTime {
  /** 'YYYY-MM-DD' in the zone. */
  date: string;
  weekday: Weekday;
  /** Minutes since local midnight, 0–1439. */
  minutes: number;
}

export function isWithinServiceHours(at: number, hours: ServiceHours, timezone: string, calendar?: HolidayCalendar): boolean {
  const local = localTime(at, timezone);
  let weekday = local.weekday;
  if (calendar !== undefined) {
    const day = calendarDay(calendar, local.date);
    if (day !== undefined && 'holiday' in day) return false;
    if (day !== undefined) weekday = day.workday.hoursOf;
  }
  return hours[weekday].some((range) => inRange(range, local.minutes));
}

const WEEKDAY_OF_UTC_DAY: readonly Weekday[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
// an Intl.DateTimeFormat costs tens of microseconds to build; one per zone is kept
const formatters = new Map<string, Intl.DateTimeFormat>();

/** The wall-clock date and time at `at` in an IANA zone; Intl applies the zone's DST rules. */
export function localTime(at: number, timezone: string): LocalTime {
  let f = formatters.get(timezone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timezone, f);
  }
  const parts: Record<string, string> = {};
  for (const p of f.formatToParts(at)) parts[p.type] = p.value;
  const year = Number(parts.year);
  const month = Number(parts.month);
  const day = Number(parts.day);
  // the weekday from the date itself, not from a locale's weekday names
  const weekday = WEEKDAY_OF_UTC_DAY[new Date(Date.UTC(year, month - 1, day)).getUTCDay()]!;
  const hour = Number(parts.hour) % 24; // some engines print midnight as 24 even with h23
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    weekday,
    minutes: hour * 60 + Number(parts.minute),
  };
}

const RANGE = /^(\d{2}):(\d{2})-(\d{2}):(\d{2})$/;

/** 'HH:MM-HH:MM' is half-open: 09:00-18:00 holds 17:59 but not 18:00; 24:00 ends at midnight.
 *  A range the settings schema would refuse holds nothing. */
function inRange(range: string, minutes: number): boolean {
  const m = RANGE.exec(range);
  if (m === null) return false;
  const start = Number(m[1]) * 60 + Number(m[2]);
  const end = Number(m[3]) * 60 + Number(m[4]);
  return start <= minutes && minutes < end;
}
