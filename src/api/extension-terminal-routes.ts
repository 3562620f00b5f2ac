// An extension's PSTN terminals (/:number/terminals) and call rules (/:number/rules), mounted
// beside extension-routes.ts at /tenants/:tenant/extensions and /extensions.
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { caller, jsonBody, tenantFor, type ApiDeps, type ApiEnv } from './context.ts';
import { InvalidError } from '../errors.ts';
import { RULE_ACTIONS, RULE_SCOPES } from '../directory/call-rule-service.ts';

export const extensionTerminalBody = z.object({ number: z.union([z.string(), z.number().int()]).transform(String) }).strict();
export const ruleBody = z.object({ scope: z.enum(RULE_SCOPES), action: z.enum(RULE_ACTIONS), pattern: z.union([z.string(), z.number().int()]).transform(String) }).strict();

function idParam(c: Context, name: string): number {
  const v = c.req.param(name) ?? '';
  if (!/^[0-9]+$/.test(v)) throw new InvalidError(`${name} ${JSON.stringify(v)} must be an id`);
  return Number(v);
}

export function extensionTerminalRoutes(deps: ApiDeps): Hono<ApiEnv> {
  const r = new Hono<ApiEnv>();
  const { terminals, callRules } = deps.services;
  const tenant = (c: Context<ApiEnv>) => tenantFor(c, deps, c.req.param('tenant'));

  r.get('/:number/terminals', (c) => c.json({ items: terminals.listForExtension(tenant(c).id, c.req.param('number')) }));
  r.post('/:number/terminals', async (c) => {
    const t = tenant(c);
    const body = await jsonBody(c, extensionTerminalBody);
    return c.json(terminals.addToExtension(t.id, c.req.param('number'), body.number, caller(c).actor), 201);
  });
  r.delete('/:number/terminals/:id', (c) => c.json(terminals.removeFromExtension(tenant(c).id, c.req.param('number'), idParam(c, 'id'), caller(c).actor)));

  r.get('/:number/rules', (c) => c.json({ items: callRules.list(tenant(c).id, c.req.param('number')) }));
  r.post('/:number/rules', async (c) => {
    const t = tenant(c);
    const body = await jsonBody(c, ruleBody);
    return c.json(callRules.add(t.id, c.req.param('number'), body, caller(c).actor), 201);
  });
  r.delete('/:number/rules/:id', (c) => c.json(callRules.remove(tenant(c).id, c.req.param('number'), idParam(c, 'id'), caller(c).actor)));

  return r;
}
