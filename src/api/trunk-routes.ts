// /trunks — carriers (shared), gateways and tenant PBXs: list, add, show, change, remove, and
// GET /trunks/status, the running server's registration state and calls per trunk. Secrets are
// shown as '***' (a PATCH may send '***' back: it keeps the secret). Changes need a platform
// token; a tenant token sees its own tenant's trunks only.
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { caller, jsonBody, requirePlatform, tenantFor, type ApiDeps, type ApiEnv } from './context.ts';
import { NotFoundError } from '../errors.ts';
import { CALLER_ID_HEADERS, INBOUND_AUTH, TRUNK_KINDS, TRUNK_NUMBER_FORMATS, TRUNK_TRANSPORTS } from '../trunks/schema.ts';
import type { Trunk, TrunkStatus } from '../trunks/trunk-service.ts';

const settings = {
  host: z.string().optional(),
  port: z.number().int().optional(),
  transport: z.enum(TRUNK_TRANSPORTS).optional(),
  register: z.boolean().optional(),
  registerExpiresS: z.number().int().optional(),
  username: z.string().nullable().optional(),
  password: z.string().nullable().optional(),
  inboundAuth: z.enum(INBOUND_AUTH).optional(),
  inboundUsername: z.string().nullable().optional(),
  inboundPassword: z.string().nullable().optional(),
  addresses: z.array(z.string()).optional(),
  maxCalls: z.number().int().optional(),
  codecs: z.array(z.string()).nullable().optional(),
  calledFormat: z.enum(TRUNK_NUMBER_FORMATS).optional(),
  callerIdFormat: z.enum(TRUNK_NUMBER_FORMATS).optional(),
  callerIdHeader: z.enum(CALLER_ID_HEADERS).optional(),
  diversion: z.boolean().optional(),
  rewrite: z.array(z.object({ match: z.string(), replace: z.string() }).strict()).optional(),
  priority: z.number().int().optional(),
  countryCode: z.string().optional(),
  enabled: z.boolean().optional(),
};
export const trunkAddBody = z
  .object({ name: z.string(), kind: z.enum(TRUNK_KINDS), tenant: z.union([z.string(), z.number().int()]).optional(), ...settings, host: z.string() })
  .strict();
export const trunkPatchBody = z.object({ name: z.string().optional(), ...settings }).strict();

export function trunkRoutes(deps: ApiDeps): Hono<ApiEnv> {
  const r = new Hono<ApiEnv>();
  const { trunks } = deps.services;

  /** The trunk, if the caller may see it (a tenant token: its own tenant's only). */
  const visible = (c: Context<ApiEnv>, ref: string): Trunk => {
    const t = trunks.get(ref);
    const who = caller(c);
    if (who.tenantId !== null && t.tenantId !== who.tenantId) throw new NotFoundError(`trunk ${ref} does not exist`);
    return t;
  };

  r.get('/', (c) => {
    const ref = c.req.query('tenant');
    if (ref === undefined && caller(c).tenantId === null) return c.json({ items: trunks.list() });
    return c.json({ items: trunks.list({ tenantId: tenantFor(c, deps, ref).id }) });
  });

  r.post('/', async (c) => {
    const who = requirePlatform(c, 'add trunks');
    const { tenant, ...body } = await jsonBody(c, trunkAddBody);
    const tenantId = tenant === undefined ? null : deps.services.tenants.resolve(tenant).id;
    return c.json(trunks.add({ ...body, tenantId }, who.actor), 201);
  });

  r.get('/status', (c) => {
    if (!deps.trunkStatus) return c.json({ error: { code: 'unavailable', message: 'trunk status comes from the running PBX, and it is not running here' } }, 503);
    let items = deps.trunkStatus() as TrunkStatus[];
    const who = caller(c);
    if (who.tenantId !== null) {
      const own = new Set(trunks.list({ tenantId: who.tenantId }).map((t) => t.id));
      items = items.filter((s) => own.has(s.trunkId));
    }
    return c.json({ items });
  });

  r.get('/:trunk', (c) => c.json(visible(c, c.req.param('trunk'))));

  r.patch('/:trunk', async (c) => {
    const who = requirePlatform(c, 'change trunks');
    const body = await jsonBody(c, trunkPatchBody);
    return c.json(trunks.update(c.req.param('trunk'), body, who.actor));
  });

  r.delete('/:trunk', (c) => {
    const who = requirePlatform(c, 'remove trunks');
    return c.json(trunks.remove(c.req.param('trunk'), who.actor));
  });

  return r;
}
