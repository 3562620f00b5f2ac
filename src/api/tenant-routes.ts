// /tenants — list, add, show, change settings, remove (tenant tokens see only their own tenant;
// an admin-scope tenant token may change its own tenant's recording settings), and
// /tenants/:tenant/settings, the call settings (operator, service hours, IVR, dial plan), with
// keys in snake_case like the config file.
import { Hono } from 'hono';
import { z } from 'zod';
import { caller, jsonBody, requirePlatform, tenantFor, type ApiDeps, type ApiEnv } from './context.ts';

export const tenantBody = z.object({ name: z.string(), domain: z.string() }).strict();
export const tenantPatchBody = z.object({ recordingEnabled: z.boolean().optional(), recordingRetentionDays: z.number().int().optional() }).strict();

const dayHours = z.array(z.string()).optional();
/** Keys given replace the stored ones (service_hours, ivr, international key by key); null goes back to the default. */
export const tenantSettingsPatchBody = z
  .object({
    language: z.enum(['zh', 'en']).nullable().optional(),
    timezone: z.string().nullable().optional(),
    country_code: z.string().nullable().optional(),
    area_code: z.string().nullable().optional(),
    operator: z.union([z.string(), z.number().int()]).transform(String).nullable().optional(),
    service_hours: z.object({ mon: dayHours, tue: dayHours, wed: dayHours, thu: dayHours, fri: dayHours, sat: dayHours, sun: dayHours }).strict().nullable().optional(),
    holiday_calendar: z.string().nullable().optional(),
    ivr: z
      .object({ first_digit_timeout_s: z.number().int().optional(), inter_digit_timeout_s: z.number().int().optional(), max_attempts: z.number().int().optional() })
      .strict()
      .nullable()
      .optional(),
    international: z.object({ enabled: z.boolean().optional(), allowed_countries: z.array(z.string()).optional() }).strict().nullable().optional(),
    outside_line_prefix: z.string().nullable().optional(),
    outbound_trunks: z.array(z.string()).nullable().optional(),
  })
  .strict();

export function tenantRoutes(deps: ApiDeps): Hono<ApiEnv> {
  const r = new Hono<ApiEnv>();
  const { tenants } = deps.services;

  r.get('/', (c) => {
    const who = caller(c);
    const items = who.tenantId === null ? tenants.list() : [tenants.resolve(who.tenantId)];
    return c.json({ items });
  });

  r.post('/', async (c) => {
    const who = requirePlatform(c, 'create tenants');
    const body = await jsonBody(c, tenantBody);
    return c.json(tenants.add(body, who.actor), 201);
  });

  r.get('/:tenant', (c) => c.json(tenantFor(c, deps, c.req.param('tenant'))));

  r.patch('/:tenant', async (c) => {
    const t = tenantFor(c, deps, c.req.param('tenant'));
    const body = await jsonBody(c, tenantPatchBody);
    return c.json(tenants.update(t.id, body, caller(c).actor));
  });

  r.get('/:tenant/settings', (c) => c.json(tenants.settings(tenantFor(c, deps, c.req.param('tenant')).id)));

  r.patch('/:tenant/settings', async (c) => {
    const t = tenantFor(c, deps, c.req.param('tenant'));
    const body = await jsonBody(c, tenantSettingsPatchBody);
    return c.json(tenants.updateSettings(t.id, body, caller(c).actor));
  });

  r.delete('/:tenant', (c) => {
    const who = requirePlatform(c, 'remove tenants');
    return c.json(tenants.remove(tenantFor(c, deps, c.req.param('tenant')).id, who.actor));
  });

  return r;
}
