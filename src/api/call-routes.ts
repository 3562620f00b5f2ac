// /calls — calls in progress (the live view) and hanging one up. A tenant token sees and ends its
// tenant's calls only (others answer 404 like a missing call). Without call control running the
// routes answer 503.
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { caller, jsonBody, tenantFor, type ApiDeps, type ApiEnv } from './context.ts';
import { NotFoundError } from '../errors.ts';
import type { LiveCall, LiveCalls } from '../calls/live-calls.ts';

export const hangupBody = z.object({ reason: z.string().min(1).max(200).optional() }).strict();

/** A live call as the API shows it: the call control view plus the tenant's name. */
export type LiveCallView = LiveCall & { tenant: string | null };

export function callRoutes(deps: ApiDeps): Hono<ApiEnv> {
  const r = new Hono<ApiEnv>();
  const { tenants, audit } = deps.services;
  /** Adds tenant names, looking each tenant up once per request. */
  const viewer = () => {
    const names = new Map<number, string | null>();
    return (call: LiveCall): LiveCallView => {
      if (!names.has(call.tenantId)) names.set(call.tenantId, tenants.get(call.tenantId)?.name ?? null);
      return { ...call, tenant: names.get(call.tenantId)! };
    };
  };

  r.use('*', async (c, next) => {
    if (!deps.calls) return c.json({ error: { code: 'unavailable', message: 'call control is not running' } }, 503);
    await next();
  });
  const live = (): LiveCalls => deps.calls!; // present: checked above

  /** The call, if it exists and the caller may see it. */
  const find = (c: Context<ApiEnv>, id: string): LiveCall => {
    const call = live().get(id);
    const who = caller(c);
    if (!call || (who.tenantId !== null && call.tenantId !== who.tenantId)) throw new NotFoundError(`no call ${id} in progress`);
    return call;
  };

  r.get('/', (c) => {
    const ref = c.req.query('tenant');
    const tenantId = ref !== undefined || caller(c).tenantId !== null ? tenantFor(c, deps, ref).id : undefined;
    return c.json({ items: live().list(tenantId).map(viewer()) });
  });
  r.get('/:id', (c) => c.json(viewer()(find(c, c.req.param('id')))));
  r.post('/:id/hangup', async (c) => {
    const who = caller(c);
    const body = await jsonBody(c, hangupBody);
    const call = find(c, c.req.param('id'));
    if (!live().hangup(call.id, body.reason)) throw new NotFoundError(`no call ${call.id} in progress`); // ended meanwhile
    audit.record({
      actor: who.actor,
      action: 'call.hangup',
      target: call.id,
      tenantId: call.tenantId,
      detail: { caller: call.caller.number, callee: call.callee.number, state: call.state, ...(body.reason ? { reason: body.reason } : {}) },
    });
    return c.json({ id: call.id, hungUp: true });
  });
  return r;
}
