// /cdrs — call records, newest first, with filters and cursor pages; /cdrs/:id with its legs and
// recordings. A tenant token sees its tenant's calls only (others answer 404 like a missing call).
import { Hono, type Context } from 'hono';
import { caller, intQuery, tenantFor, type ApiDeps, type ApiEnv } from './context.ts';
import { checkDisposition } from '../cdr/cdr-service.ts';

/** The tenant a list is limited to: the one named, a tenant token's own, else all tenants. */
export function listTenant(c: Context<ApiEnv>, deps: ApiDeps): number | undefined {
  const ref = c.req.query('tenant');
  return ref !== undefined || caller(c).tenantId !== null ? tenantFor(c, deps, ref).id : undefined;
}

export function cdrRoutes(deps: ApiDeps): Hono<ApiEnv> {
  const r = new Hono<ApiEnv>();
  const { cdrs } = deps.services;

  r.get('/', (c) => {
    const q = (name: string) => c.req.query(name) || undefined;
    const disposition = q('disposition');
    const tenantId = listTenant(c, deps);
    return c.json(
      cdrs.list({
        ...(tenantId !== undefined ? { tenantId } : {}),
        ...(q('since') ? { since: q('since')! } : {}),
        ...(q('until') ? { until: q('until')! } : {}),
        ...(q('extension') ? { extension: q('extension')! } : {}),
        ...(disposition ? { disposition: checkDisposition(disposition) } : {}),
        ...(q('cursor') ? { cursor: q('cursor')! } : {}),
        limit: intQuery(c, 'limit', 100, 1, 1000),
      }),
    );
  });

  r.get('/:id', (c) => {
    const who = caller(c);
    return c.json(cdrs.get(c.req.param('id'), who.tenantId ?? undefined));
  });

  return r;
}
