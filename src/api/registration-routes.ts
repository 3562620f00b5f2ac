// /registrations — live registrations (a tenant token sees its tenant's only).
import { Hono } from 'hono';
import { caller, tenantFor, type ApiDeps, type ApiEnv } from './context.ts';

export function registrationRoutes(deps: ApiDeps): Hono<ApiEnv> {
  const r = new Hono<ApiEnv>();
  const source = deps.registrations ?? deps.services.bindings;
  r.get('/', (c) => {
    const ref = c.req.query('tenant');
    const tenantId = ref !== undefined || caller(c).tenantId !== null ? tenantFor(c, deps, ref).id : undefined;
    return c.json({ items: source.listLive(tenantId) });
  });
  return r;
}
