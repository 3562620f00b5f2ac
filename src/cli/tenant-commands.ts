// bin/pbx tenant add|list|set|remove|settings
import { Command } from 'commander';
import { choiceOption, cliActor, intOption, withConfigOption, withJsonOption, withServices, type CommonOptions } from './context.ts';
import { isoTime, json, stdio, table, type Out } from './output.ts';
import { RETENTION_DAYS, type Tenant, type TenantPatch, type TenantSettingsPatch } from '../tenancy/tenant-service.ts';
import { WEEKDAYS, type TenantSettings, type Weekday } from '../tenancy/tenant-settings.ts';
import { InvalidError } from '../errors.ts';

export function tenantView(t: Tenant) {
  return { ...t, createdAt: isoTime(t.createdAt) };
}

interface SettingsOptions extends CommonOptions {
  operator?: string;
  serviceHours?: string[];
  timezone?: string;
  holidayCalendar?: string;
  international?: 'on' | 'off';
  allowCountry?: string[];
  outsideLinePrefix?: string;
  outboundTrunks?: string;
  language?: 'zh' | 'en';
  countryCode?: string;
  areaCode?: string;
  firstDigitTimeout?: number;
  interDigitTimeout?: number;
  maxAttempts?: number;
}

/** "mon=09:00-12:00,13:00-18:00", "mon-fri=09:00-18:00", "sat=closed" → the days' hours. */
export function parseServiceHours(words: readonly string[]): Partial<Record<Weekday, string[]>> {
  const out: Partial<Record<Weekday, string[]>> = {};
  for (const w of words) {
    const m = /^([a-z]{3})(?:-([a-z]{3}))?=(.*)$/.exec(w.trim().toLowerCase());
    const from = m ? WEEKDAYS.indexOf(m[1] as Weekday) : -1;
    const to = m?.[2] === undefined ? from : WEEKDAYS.indexOf(m[2] as Weekday);
    if (!m || from < 0 || to < from)
      throw new InvalidError(`--service-hours ${JSON.stringify(w)} must be DAY=HH:MM-HH:MM[,HH:MM-HH:MM] or DAY-DAY=…, days mon..sun ("sat=closed" for none)`);
    const ranges = m[3] === '' || m[3] === 'closed' ? [] : m[3]!.split(',').map((r) => r.trim());
    for (let d = from; d <= to; d++) out[WEEKDAYS[d]!] = ranges;
  }
  return out;
}

function settingsPatch(o: SettingsOptions): TenantSettingsPatch {
  const p: TenantSettingsPatch = {};
  const clear = (v: string) => v === '' || v === 'none';
  if (o.operator !== undefined) p.operator = clear(o.operator) ? null : o.operator;
  if (o.serviceHours !== undefined) p.service_hours = parseServiceHours(o.serviceHours);
  if (o.timezone !== undefined) p.timezone = o.timezone;
  if (o.holidayCalendar !== undefined) p.holiday_calendar = clear(o.holidayCalendar) ? null : o.holidayCalendar;
  const intl: { enabled?: boolean; allowed_countries?: string[] } = {};
  if (o.international !== undefined) intl.enabled = o.international === 'on';
  if (o.allowCountry !== undefined) intl.allowed_countries = o.allowCountry.filter((c) => !clear(c)).map((c) => c.replace(/^\+/, ''));
  if (Object.keys(intl).length > 0) p.international = intl;
  if (o.outsideLinePrefix !== undefined) p.outside_line_prefix = o.outsideLinePrefix === 'none' ? '' : o.outsideLinePrefix;
  if (o.outboundTrunks !== undefined) p.outbound_trunks = clear(o.outboundTrunks) ? [] : o.outboundTrunks.split(',').map((t) => t.trim()).filter((t) => t !== '');
  if (o.language !== undefined) p.language = o.language;
  if (o.countryCode !== undefined) p.country_code = o.countryCode.replace(/^\+/, '');
  if (o.areaCode !== undefined) p.area_code = clear(o.areaCode) ? null : o.areaCode.replace(/^0/, '');
  const ivr: { first_digit_timeout_s?: number; inter_digit_timeout_s?: number; max_attempts?: number } = {};
  if (o.firstDigitTimeout !== undefined) ivr.first_digit_timeout_s = o.firstDigitTimeout;
  if (o.interDigitTimeout !== undefined) ivr.inter_digit_timeout_s = o.interDigitTimeout;
  if (o.maxAttempts !== undefined) ivr.max_attempts = o.maxAttempts;
  if (Object.keys(ivr).length > 0) p.ivr = ivr;
  return p;
}

function describeSettings(name: string, st: TenantSettings, configManaged: boolean): string {
  const hours = WEEKDAYS.map((d) => `${d} ${st.service_hours[d].length === 0 ? 'closed' : st.service_hours[d].join(',')}`);
  return table(
    ['setting', 'value'],
    [
      ['tenant', name],
      ['operator', st.operator ?? '(none)'],
      ...hours.map((h, i) => [i === 0 ? 'service hours' : '', h] as [string, string]),
      ['timezone', st.timezone],
      ['holiday calendar', st.holiday_calendar ?? '(none: weekdays only)'],
      ['language', st.language],
      ['country code', st.country_code],
      ['area code', st.area_code ?? null],
      ['IVR', `first digit ${st.ivr.first_digit_timeout_s} s, between digits ${st.ivr.inter_digit_timeout_s} s, ${st.ivr.max_attempts} attempts`],
      ['international', st.international.enabled ? `on${st.international.allowed_countries.length > 0 ? ` to ${st.international.allowed_countries.map((c) => '+' + c).join(' ')}` : ' (no country allowed yet)'}` : 'off'],
      ['outside line prefix', st.outside_line_prefix === '' ? '(none)' : st.outside_line_prefix],
      ['outbound trunks', st.outbound_trunks.length === 0 ? '(every carrier by priority)' : st.outbound_trunks.join(', ')],
      ['source', configManaged ? 'config file' : 'database'],
    ],
  );
}

export function tenantCommands(io: Out = stdio): Command {
  const cmd = new Command('tenant').description('tenants (companies); the default tenant takes any SIP domain');

  withJsonOption(cmd.command('add <name>').description('add a tenant selected by its SIP domain'))
    .requiredOption('-d, --domain <domain>', 'the SIP domain its phones register to')
    .action(async (name: string, o: CommonOptions & { domain: string }) => {
      await withServices(o, (s) => {
        const t = s.tenants.add({ name, domain: o.domain }, cliActor());
        io.out(o.json ? json(tenantView(t)) : `tenant ${t.name} added (id ${t.id}, domain ${t.domain})`);
      });
    });

  withJsonOption(cmd.command('list').description('list tenants')).action(async (o: CommonOptions) => {
    await withServices(o, (s) => {
      const ts = s.tenants.list();
      if (o.json) return io.out(json(ts.map(tenantView)));
      io.out(
        table(
          ['id', 'name', 'domain', 'default', 'status', 'source', 'extensions', 'recording'],
          ts.map((t) => [
            t.id,
            t.name,
            t.domain ?? (t.isDefault ? '(any)' : null),
            t.isDefault ? 'yes' : '',
            t.status,
            t.configManaged ? 'config' : 'db',
            s.extensions.count(t.id),
            t.recordingEnabled ? `on, kept ${t.recordingRetentionDays} d` : 'off',
          ]),
        ),
      );
    });
  });

  withJsonOption(cmd.command('set <name>').description('change a tenant\'s settings (not for tenants declared in the config file)'))
    .option('--recording <on|off>', 'record every call of the tenant (default on)', choiceOption(['on', 'off'] as const))
    .option('--retention-days <n>', `delete recordings older than this: ${RETENTION_DAYS.min}-${RETENTION_DAYS.max} days (default ${RETENTION_DAYS.default})`, intOption(RETENTION_DAYS.min, RETENTION_DAYS.max))
    .action(async (name: string, o: CommonOptions & { recording?: 'on' | 'off'; retentionDays?: number }) => {
      const patch: TenantPatch = {
        ...(o.recording !== undefined ? { recordingEnabled: o.recording === 'on' } : {}),
        ...(o.retentionDays !== undefined ? { recordingRetentionDays: o.retentionDays } : {}),
      };
      if (Object.keys(patch).length === 0) throw new InvalidError('nothing to change: pass --recording on|off and/or --retention-days N');
      await withServices(o, (s) => {
        const t = s.tenants.update(name, patch, cliActor());
        io.out(o.json ? json(tenantView(t)) : `tenant ${t.name}: recording ${t.recordingEnabled ? 'on' : 'off'}, recordings kept ${t.recordingRetentionDays} days`);
      });
    });

  withJsonOption(cmd.command('settings <tenant>').description("show a tenant's call settings, or change those given (not for tenants declared in the config file)"))
    .option('--operator <extension>', "the switchboard operator's extension ('none' clears)")
    .option('--service-hours <day=hours...>', 'when the operator answers: mon=09:00-12:00,13:00-18:00  mon-fri=09:00-18:00  sat=closed')
    .option('--timezone <zone>', 'IANA time zone of the service hours (default Asia/Shanghai)')
    .option('--holiday-calendar <file>', "holiday calendar (YAML) such as media/calendars/cn-2026.yaml ('none' clears)")
    .option('--international <on|off>', 'international calls (default off)', choiceOption(['on', 'off'] as const))
    .option('--allow-country <code...>', "calling codes international calls may go to: 44 1 852 (replaces the list; 'none' empties it)")
    .option('--outside-line-prefix <digits>', "digit(s) dialled before an outside number: 9 ('none' for none)")
    .option('--outbound-trunks <names>', "carrier trunks outbound calls try, in order: a,b ('none' = every carrier by priority)")
    .option('--language <language>', 'prompt language: zh | en (default zh)', choiceOption(['zh', 'en'] as const))
    .option('--country-code <code>', 'calling code of the home country (default 86)')
    .option('--area-code <code>', "area code put before bare local numbers: 10, 755 ('none' clears)")
    .option('--first-digit-timeout <seconds>', 'IVR: no digit within this → the operator (default 5)', intOption(1, 60))
    .option('--inter-digit-timeout <seconds>', 'IVR: a pause this long ends the number (default 3)', intOption(1, 30))
    .option('--max-attempts <n>', 'IVR: invalid extensions before the call goes to the operator (default 3)', intOption(1, 10))
    .action(async (ref: string, o: SettingsOptions) => {
      const patch = settingsPatch(o);
      await withServices(o, (s) => {
        const t = s.tenants.resolve(ref);
        const st = Object.keys(patch).length === 0 ? s.tenants.settings(t.id) : s.tenants.updateSettings(t.id, patch, cliActor());
        io.out(o.json ? json({ tenant: t.name, configManaged: t.configManaged, settings: st }) : describeSettings(t.name, st, t.configManaged));
      });
    });

  withConfigOption(cmd.command('remove <name>').description('remove a tenant and everything it owns')).action(async (name: string, o: CommonOptions) => {
    await withServices(o, (s) => {
      const t = s.tenants.remove(name, cliActor());
      io.out(`tenant ${t.name} removed`);
    });
  });

  return cmd;
}
