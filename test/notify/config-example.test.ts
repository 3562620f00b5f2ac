// config.example.yaml documents the notify keys: notify.*, notify.sms(.http).*, voicemail.dir,
// and the tenant settings' voicemail, messages.* and webhook (test/config checks the top level
// of tenants, extensions, trunks and numbers).
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import { configSchema } from '../../src/config/schema.ts';
import { loadConfigFile } from '../../src/config/load.ts';
import { tenantSettingsSchema } from '../../src/tenancy/tenant-settings.ts';

const EXAMPLE = fileURLToPath(new URL('../../config.example.yaml', import.meta.url));

type Def = { type: string; innerType?: z.ZodType; in?: z.ZodType; shape?: Record<string, z.ZodType> };
const unwrap = (s: z.ZodType): z.ZodType => {
  let cur = s as unknown as { def: Def };
  while (['default', 'prefault', 'optional', 'pipe'].includes(cur.def.type)) cur = (cur.def.innerType ?? cur.def.in) as unknown as typeof cur;
  return cur as unknown as z.ZodType;
};
const shape = (s: z.ZodType): Record<string, z.ZodType> => (unwrap(s) as unknown as { shape?: Record<string, z.ZodType> }).shape ?? {};

describe('config.example.yaml documents the notify keys', () => {
  it('every key of notify, notify.sms, notify.sms.http, voicemail and the tenant messages/webhook/voicemail settings', () => {
    const text = readFileSync(EXAMPLE, 'utf8');
    const missing: string[] = [];
    const check = (where: string, s: z.ZodType) => {
      for (const k of Object.keys(shape(s))) if (!new RegExp(`^\\s*(#\\s*)?(- )?${k}:`, 'm').test(text)) missing.push(`${where}.${k}`);
    };
    const top = configSchema.shape;
    check('notify', top.notify);
    check('notify.sms', shape(top.notify).sms!);
    check('notify.sms.http', shape(shape(top.notify).sms!).http!);
    expect(text).toMatch(/^#\s+dir:/m); // voicemail.dir
    const t = tenantSettingsSchema.shape;
    check('tenants[].voicemail', t.voicemail);
    check('tenants[].messages', t.messages);
    for (const [name, m] of Object.entries(shape(t.messages))) check(`tenants[].messages.${name}`, m);
    check('tenants[].webhook', t.webhook);
    expect(missing).toEqual([]);
  });

  it('the example tenant sets company and reserved mobile, and its templates fit', () => {
    const acme = loadConfigFile(EXAMPLE).tenants.find((x) => x.name === 'acme')!;
    expect(acme.company).toBe('Acme Ltd');
    expect(acme.reserved_mobile).toBe('13800000000');
    expect(acme.webhook.format).toBe('json');
  });
});
