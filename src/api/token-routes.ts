// /tokens — API tokens (platform tokens with admin scope only); the token value is returned once.
import { Hono } from 'hono';
import { z } from 'zod';
import { jsonBody, requirePlatform, type ApiDeps, type ApiEnv } from './context.ts';
import { NotFoundError } from '../errors.ts';

export const createBody = z
  .object({ name: z.string(), scopes: z.array(z.enum(['admin', 'read'])).optional(), tenant: z.union([z.string(), z.number().int()]).optional() })
  .strict();

export function tokenRoutes(deps: ApiDeps): Hono<ApiEnv> {
  const r = new Hono<ApiEnv>();
  const { tokens, tenants } = deps.services;
  r.get('/', (c) => {
    requirePlatform(c, 'manage tokens');
    return c.json({ items: tokens.list() });
  });
  r.post('/', async (c) => {
    const who = requirePlatform(c, 'manage tokens');
    const body = await jsonBody(c, createBody);
    const tenantId = body.tenant === undefined ? null : tenants.resolve(body.tenant).id;
    const { token, info } = tokens.create({ name: body.name, scopes: body.scopes, tenantId }, who.actor);
    return c.json({ ...info, token }, 201);
  });
  r.delete('/:id', (c) => {
    const who = requirePlatform(c, 'manage tokens');
    const id = c.req.param('id');
    if (!/^[0-9]+$/.test(id)) throw new NotFoundError(`token ${id} does not exist`);
    return c.json(tokens.revoke(Number(id), who.actor));
  });
  return r;
}
