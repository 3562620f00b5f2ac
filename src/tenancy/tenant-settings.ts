// A tenant's call settings (ARCHITECTURE.md: `tenant.settings`): the switchboard's operator and
// service hours, the IVR's timing, the outbound dial plan and international permission. One
// zod schema serves the YAML config (tenant declarations), the database's JSON column, the CLI
// and the API, so every way in checks the same rules. Keys are snake_case like the config.
import { z } from 'zod';

/** "09:00-12:00": a half-open interval of local time; "00:00-24:00" is the whole day. */
export const timeRange = z
  .string()
  .regex(/^([01][0-9]|2[0-3]):[0-5][0-9]-(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$/, 'must be HH:MM-HH:MM (24-hour local time)')
  .refine((r) => {
    const [a, b] = r.split('-') as [string, string];
    return a < b;
  }, 'the end must be after the start');

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

const dayHours = z.array(timeRange).max(8);
export const serviceHoursSchema = z
  .object({
    mon: dayHours.default(['09:00-18:00']),
    tue: dayHours.default(['09:00-18:00']),
    wed: dayHours.default(['09:00-18:00']),
    thu: dayHours.default(['09:00-18:00']),
    fri: dayHours.default(['09:00-18:00']),
    sat: dayHours.default([]),
    sun: dayHours.default([]),
  })
  .strict();

export const tenantSettingsSchema = z
  .object({
    /** Prompt language of the tenant's IVR. */
    language: z.enum(['zh', 'en']).default('zh'),
    /** IANA time zone of service hours and holidays. */
    timezone: z
      .string()
      .refine((tz) => {
        try {
          new Intl.DateTimeFormat('en', { timeZone: tz });
          return true;
        } catch {
          return false;
        }
      }, 'must be an IANA time zone such as Asia/Shanghai')
      .default('Asia/Shanghai'),
    /** Calling code of the tenant's home country (number normalisation): 86. */
    country_code: z.string().regex(/^[1-9][0-9]{0,2}$/, 'must be a calling code such as 86').default('86'),
    /** Area code (without the trunk prefix) put before bare local numbers its extensions dial: 10, 755. */
    area_code: z.string().regex(/^[1-9][0-9]{0,4}$/, 'must be an area code without the 0, such as 755').optional(),
    /** The switchboard operator (one per tenant, R-SW-2): an extension number. */
    operator: z.string().regex(/^[1-9][0-9]{1,7}$/, 'must be an extension number').optional(),
    /** When the operator answers (local time); outside them callers hear the closed greeting. */
    service_hours: serviceHoursSchema.prefault({}),
    /** Holiday calendar file (YAML: holidays and make-up working days); none = weekdays only. */
    holiday_calendar: z.string().min(1).optional(),
    ivr: z
      .object({
        /** No first digit within this → the operator (R-SW-1: 5 s). */
        first_digit_timeout_s: z.number().int().min(1).max(60).default(5),
        /** Gap between digits that ends the number. */
        inter_digit_timeout_s: z.number().int().min(1).max(30).default(3),
        /** Invalid extensions before the call goes to the operator (or ends). */
        max_attempts: z.number().int().min(1).max(10).default(3),
      })
      .strict()
      .prefault({}),
    international: z
      .object({
        /** International calls are off unless enabled (R-VAS-3). */
        enabled: z.boolean().default(false),
        /** Calling codes that may be dialled when enabled: ['1', '44', '852']; empty = none. */
        allowed_countries: z.array(z.string().regex(/^[1-9][0-9]{0,2}$/, 'must be a calling code such as 44')).default([]),
      })
      .strict()
      .prefault({}),
    /** Digit(s) an extension dials before an outside number ('9'); '' = none. */
    outside_line_prefix: z.string().regex(/^[0-9*#]{0,3}$/, 'must be up to 3 digits').default(''),
    /** Ordered failover list of carrier trunk names; empty = every carrier by priority. */
    outbound_trunks: z.array(z.string().min(1)).default([]),
    /** The company name messages use ({company}); default the tenant's name. */
    company: z.string().min(1).max(64).optional(),
    /** The tenant's reserved mobile: missed-call SMS and general-box voicemail notices go there. */
    reserved_mobile: z.string().regex(/^\+?[0-9]{5,20}$/, 'must be a phone number').optional(),
    voicemail: z
      .object({
        /** Longest message, seconds (R-BASIC-5: default 120). */
        max_length_s: z.number().int().min(10).max(600).default(120),
        /** This long without speech ends a message. */
        silence_s: z.number().int().min(2).max(60).default(5),
        /** PIN of the general box (listening by phone). */
        general_box_pin: z.string().regex(/^[0-9]{4,12}$/, 'must be 4 to 12 digits').optional(),
        /** Greeting of the general box (WAV), default the built-in prompt. */
        general_box_greeting: z.string().min(1).optional(),
      })
      .strict()
      .prefault({}),
    /** Messages the PBX sends for the tenant; templates take {caller} {time} {extension} {company}. */
    messages: z
      .object({
        /** R-BASIC-3: an SMS to a mobile caller after the call ends (off unless enabled). */
        hangup_sms: z
          .object({
            enabled: z.boolean().default(false),
            text: z.string().min(1).max(500).default('Thank you for calling {company}.'),
            /** At most one per caller within this many hours. */
            period_h: z.number().int().min(1).max(24 * 90).default(24),
          })
          .strict()
          .prefault({}),
        /** R-SW-3: an SMS to the reserved mobile when a call could not be connected. */
        missed_call_sms: z
          .object({
            enabled: z.boolean().default(true),
            text: z.string().min(1).max(500).default('{company}: missed call from {caller} at {time} for {extension}.'),
          })
          .strict()
          .prefault({}),
        /** R-BASIC-4: the real caller pushed to the employee a call is forwarded to. */
        incoming_call: z
          .object({
            sms: z.boolean().default(false),
            webhook: z.boolean().default(false),
            text: z.string().min(1).max(500).default('{company}: call from {caller} for {extension} at {time}.'),
          })
          .strict()
          .prefault({}),
        /** A voicemail was left: SMS to the box owner's mobile and/or the webhook. */
        voicemail: z
          .object({
            sms: z.boolean().default(false),
            webhook: z.boolean().default(true),
            text: z.string().min(1).max(500).default('{company}: new voicemail from {caller} at {time} for {extension}.'),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    /** Where webhooks go (voicemail, incoming calls) and in which format. */
    webhook: z
      .object({
        url: z.string().url('must be an http(s) URL').optional(),
        /** json: our event; wecom / dingtalk / feishu: the chat robots' text message format. */
        format: z.enum(['json', 'wecom', 'dingtalk', 'feishu']).default('json'),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type TenantSettings = z.output<typeof tenantSettingsSchema>;
export type TenantSettingsInput = z.input<typeof tenantSettingsSchema>;

/** The stored JSON read back: a row written by an older version gets today's defaults. */
export function parseTenantSettings(json: string | null | undefined): TenantSettings {
  let raw: unknown = {};
  try {
    raw = json ? JSON.parse(json) : {};
  } catch {
    raw = {};
  }
  const r = tenantSettingsSchema.safeParse(raw);
  return r.success ? r.data : tenantSettingsSchema.parse({});
}
