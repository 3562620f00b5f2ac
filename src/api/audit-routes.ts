// /audit — the audit trail, newest first (a tenant token sees its tenant's entries).
import { Hono } from 'hono';
import { caller, intQuery, type ApiDeps, type ApiEnv } from './context.ts';

export function auditRoutes(deps: ApiDeps): Hono<ApiEnv> {
  const r = new Hono<ApiEnv>();
  r.get('/', (c) => {
    const who = caller(c);
    const limit = intQuery(c, 'limit', 100, 1, 1000);
    return c.json({ items: deps.services.audit.list(who.tenantId === null ? { limit } : { limit, tenantId: who.tenantId }) });
  });
  return r;
}
