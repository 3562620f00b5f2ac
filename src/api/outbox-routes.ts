// /outbox — the SMS/webhook outbox: messages newest first with filters, one message, and sending a
// dead (or waiting) one again (admin scope: the app refuses POST for read tokens). A tenant token
// sees its tenant's messages only (others answer 404 like a missing one). Times are ms since the
// epoch, as in /cdrs.
import { Hono } from 'hono';
import { caller, intQuery, type ApiDeps, type ApiEnv } from './context.ts';
import { listTenant } from './cdr-routes.ts';
import { InvalidError } from '../errors.ts';
import { OUTBOX_CHANNELS, OUTBOX_PURPOSES, OUTBOX_STATUSES, checkChoice, type Outbox } from '../notify/outbox.ts';
import type { Services } from '../services.ts';

export const OUTBOX_QUERY = ['tenant', 'status', 'purpose', 'channel', 'limit', 'before'];

function messageId(raw: string): number {
  if (!/^[1-9][0-9]{0,15}$/.test(raw)) throw new InvalidError(`message id must be a whole number (not ${JSON.stringify(raw)})`);
  return Number(raw);
}

export function outboxRoutes(deps: ApiDeps): Hono<ApiEnv> {
  const r = new Hono<ApiEnv>();
  // Services carries the outbox; ApiDeps' narrower view of it may not name it yet.
  const outbox = (deps.services as Partial<Pick<Services, 'outbox'>>).outbox;

  r.use('*', async (c, next) => {
    if (!outbox) return c.json({ error: { code: 'unavailable', message: 'the outbox is not available' } }, 503);
    await next();
  });
  const box = (): Outbox => outbox!; // present: checked above

  r.get('/', (c) => {
    const q = (name: string) => c.req.query(name) || undefined;
    const status = q('status');
    const purpose = q('purpose');
    const channel = q('channel');
    const before = q('before');
    const limit = intQuery(c, 'limit', 50, 1, 1000);
    const items = box().list({
      tenantId: listTenant(c, deps),
      status: status === undefined ? undefined : checkChoice('query parameter status', OUTBOX_STATUSES, status),
      purpose: purpose === undefined ? undefined : checkChoice('query parameter purpose', OUTBOX_PURPOSES, purpose),
      channel: channel === undefined ? undefined : checkChoice('query parameter channel', OUTBOX_CHANNELS, channel),
      beforeId: before === undefined ? undefined : messageId(before),
      limit,
    });
    return c.json({ items, nextBefore: items.length === limit ? items.at(-1)!.id : null });
  });

  r.get('/:id', (c) => c.json(box().get(messageId(c.req.param('id')), caller(c).tenantId ?? undefined)));

  r.post('/:id/retry', (c) => {
    const who = caller(c);
    return c.json(box().retry(messageId(c.req.param('id')), { actor: who.actor, ...(who.tenantId !== null ? { tenantId: who.tenantId } : {}) }));
  });

  return r;
}
