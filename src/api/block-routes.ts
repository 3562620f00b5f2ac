// /blocked-sources — list and lift blocks (platform tokens only: blocks are not per tenant).
import { Hono } from 'hono';
import { requirePlatform, type ApiDeps, type ApiEnv } from './context.ts';
import { NotFoundError } from '../errors.ts';

export function blockRoutes(deps: ApiDeps): Hono<ApiEnv> {
  const r = new Hono<ApiEnv>();
  const blocks = deps.blocks ?? deps.services.blocks;
  r.get('/', (c) => {
    requirePlatform(c, 'see blocked sources');
    return c.json({ items: blocks.list() });
  });
  r.delete('/', (c) => {
    const who = requirePlatform(c, 'clear blocked sources');
    return c.json({ cleared: blocks.clear(undefined, who.actor) });
  });
  r.delete('/:address', (c) => {
    const who = requirePlatform(c, 'clear blocked sources');
    const address = c.req.param('address');
    if (blocks.clear(address, who.actor) === 0) throw new NotFoundError(`${address} is not blocked`);
    return c.json({ cleared: 1 });
  });
  return r;
}
