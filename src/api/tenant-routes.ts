// /tenants — list, add, show, change settings, remove (tenant tokens see only their own tenant;
// an admin-scope tenant token may change its own tenant's recording settings).
import { Hono } from 'hono';
import { z } from 'zod';
import { caller, jsonBody, requirePlatform, tenantFor, type ApiDeps, type ApiEnv } from './context.ts';

export const tenantBody = z.object({ name: z.string(), domain: z.string() }).strict();
export const tenantPatchBody = z.object({ recordingEnabled: z.boolean().optional(), recordingRetentionDays: z.number().int().optional() }).strict();

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

  r.delete('/:tenant', (c) => {
    const who = requirePlatform(c, 'remove tenants');
    return c.json(tenants.remove(tenantFor(c, deps, c.req.param('tenant')).id, who.actor));
  });

  return r;
}
