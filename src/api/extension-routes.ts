// Extensions of a tenant, mounted at /tenants/:tenant/extensions and at /extensions (the
// caller's tenant, else the default tenant).
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { caller, intQuery, jsonBody, tenantFor, type ApiDeps, type ApiEnv } from './context.ts';
import { VoicemailGreetings } from '../voicemail/voicemail-greeting.ts';

const settings = {
  /** operator | function (an employee's extension is made with the employee). */
  kind: z.enum(['employee', 'operator', 'function']).optional(),
  displayName: z.string().nullable().optional(),
  maxTerminals: z.number().int().optional(),
  ringStrategy: z.enum(['sequential', 'simultaneous']).optional(),
  ringTimeoutS: z.number().int().optional(),
  maxConcurrentCalls: z.number().int().optional(),
  voicemailEnabled: z.boolean().optional(),
};
export const addBody = z.object({ number: z.union([z.string(), z.number().int()]).transform(String), password: z.string().optional(), ...settings }).strict();
export const patchBody = z.object(settings).strict();
export const passwordBody = z.object({ password: z.string().optional() }).strict();

export function extensionRoutes(deps: ApiDeps): Hono<ApiEnv> {
  const r = new Hono<ApiEnv>();
  const { extensions } = deps.services;
  const tenant = (c: Context<ApiEnv>) => tenantFor(c, deps, c.req.param('tenant'));

  r.get('/', (c) => {
    const t = tenant(c);
    return c.json(extensions.list(t.id, { limit: intQuery(c, 'limit', 100, 1, 10_000), offset: intQuery(c, 'offset', 0, 0, Number.MAX_SAFE_INTEGER) }));
  });

  r.post('/', async (c) => {
    const t = tenant(c);
    const body = await jsonBody(c, addBody);
    return c.json(extensions.add(t.id, body, caller(c).actor), 201);
  });

  r.get('/:number', (c) => c.json(extensions.show(tenant(c).id, c.req.param('number'))));

  r.patch('/:number', async (c) => {
    const t = tenant(c);
    const body = await jsonBody(c, patchBody);
    return c.json(extensions.update(t.id, c.req.param('number'), body, caller(c).actor));
  });

  r.delete('/:number', (c) => c.json(extensions.remove(tenant(c).id, c.req.param('number'), caller(c).actor)));

  // the voicemail box's greeting: an 8 kHz mono WAV upload, or back to the default prompt
  const greetings = deps.greetingsDir === undefined ? undefined : new VoicemailGreetings(deps.services.db, deps.services.audit, deps.greetingsDir);
  r.put('/:number/voicemail-greeting', async (c) => {
    if (greetings === undefined) return c.json({ error: { code: 'unavailable', message: 'greeting uploads need the running PBX' } }, 503);
    const wav = Buffer.from(await c.req.arrayBuffer());
    return c.json({ greeting: greetings.set(tenant(c).id, c.req.param('number'), wav, caller(c).actor) });
  });
  r.delete('/:number/voicemail-greeting', (c) => {
    if (greetings === undefined) return c.json({ error: { code: 'unavailable', message: 'greeting uploads need the running PBX' } }, 503);
    return c.json({ greeting: greetings.set(tenant(c).id, c.req.param('number'), null, caller(c).actor) });
  });

  r.post('/:number/password', async (c) => {
    const t = tenant(c);
    const body = await jsonBody(c, passwordBody);
    return c.json(extensions.setPassword(t.id, c.req.param('number'), body.password, caller(c).actor));
  });

  return r;
}
