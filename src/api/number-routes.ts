// /numbers — the tenants' numbers (DIDs): list (?tenant=), add, show, change, remove, and each
// number's /blacklist and /terminals (direct lines). A number is named by its id or its E.164
// form (+861088886666). Adding and removing numbers needs a platform token; a tenant token sees,
// and may change, its own tenant's numbers, their blacklists and terminals.
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { caller, jsonBody, requirePlatform, tenantFor, type ApiDeps, type ApiEnv } from './context.ts';
import { InvalidError } from '../errors.ts';
import { BLOCK_ACTIONS, NUMBER_MODES } from '../numbers/schema.ts';
import { storeGreeting } from '../numbers/greeting-file.ts';

const terminal = z.union([z.object({ extension: z.union([z.string(), z.number().int()]).transform(String) }).strict(), z.object({ pstn: z.string() }).strict()]);
const settings = {
  isMain: z.boolean().optional(),
  trunk: z.union([z.string(), z.number().int()]).nullable().optional(),
  maxCalls: z.number().int().optional(),
  greeting: z.string().nullable().optional(),
  blockAction: z.enum(BLOCK_ACTIONS).optional(),
  ringStrategy: z.enum(['sequential', 'simultaneous']).optional(),
  ringTimeoutS: z.number().int().optional(),
  terminals: z.array(terminal).optional(),
};
export const numberAddBody = z.object({ tenant: z.union([z.string(), z.number().int()]).optional(), number: z.string(), mode: z.enum(NUMBER_MODES), ...settings }).strict();
export const numberPatchBody = z.object({ mode: z.enum(NUMBER_MODES).optional(), ...settings }).strict();
export const blockBody = z.object({ entry: z.union([z.string(), z.number().int()]).transform(String), note: z.string().max(200).optional() }).strict();
export const numberTerminalBody = terminal;

/** ":id" — digits are the id, "+…" the number itself. */
function ref(c: Context<ApiEnv>): number | string {
  const v = c.req.param('id') ?? '';
  if (/^[0-9]+$/.test(v)) return Number(v);
  if (/^\+[0-9]+$/.test(v)) return v;
  throw new InvalidError(`number ${JSON.stringify(v)}: give its id or its E.164 form (+861088886666)`);
}

export function numberRoutes(deps: ApiDeps): Hono<ApiEnv> {
  const r = new Hono<ApiEnv>();
  const { numbers } = deps.services;
  /** A tenant token is held to its own tenant's numbers. */
  const scope = (c: Context<ApiEnv>): number | undefined => caller(c).tenantId ?? undefined;

  r.get('/', (c) => {
    const t = c.req.query('tenant');
    if (t === undefined && caller(c).tenantId === null) return c.json({ items: numbers.list() });
    return c.json({ items: numbers.list({ tenantId: tenantFor(c, deps, t).id }) });
  });

  r.post('/', async (c) => {
    const who = requirePlatform(c, 'add numbers');
    const { tenant, ...body } = await jsonBody(c, numberAddBody);
    const t = deps.services.tenants.resolve(tenant);
    return c.json(numbers.add(t.id, body, who.actor), 201);
  });

  r.get('/:id', (c) => c.json(numbers.get(ref(c), scope(c))));

  r.patch('/:id', async (c) => {
    const body = await jsonBody(c, numberPatchBody);
    return c.json(numbers.update(ref(c), body, caller(c).actor, scope(c)));
  });

  r.delete('/:id', (c) => {
    const who = requirePlatform(c, 'remove numbers');
    return c.json(numbers.remove(ref(c), who.actor));
  });

  // the greeting as a WAV upload (8 kHz mono PCM16, A-law or µ-law), or back to the built-in one
  r.put('/:id/greeting', async (c) => {
    if (deps.greetingsDir === undefined) return c.json({ error: { code: 'unavailable', message: 'greeting uploads need the running PBX' } }, 503);
    const n = numbers.get(ref(c), scope(c));
    const wav = Buffer.from(await c.req.arrayBuffer());
    const path = storeGreeting(deps.greetingsDir, n.tenantId, n.number, wav);
    return c.json(numbers.update(n.id, { greeting: path }, caller(c).actor, scope(c)));
  });
  r.delete('/:id/greeting', (c) => c.json(numbers.update(ref(c), { greeting: null }, caller(c).actor, scope(c))));

  r.get('/:id/blacklist', (c) => c.json({ items: numbers.blacklist(ref(c), scope(c)) }));
  r.post('/:id/blacklist', async (c) => {
    const body = await jsonBody(c, blockBody);
    return c.json(numbers.block(ref(c), body.entry, body.note ?? null, caller(c).actor, scope(c)), 201);
  });
  r.delete('/:id/blacklist/:entry', (c) => c.json(numbers.unblock(ref(c), c.req.param('entry'), caller(c).actor, scope(c))));

  r.get('/:id/terminals', (c) => c.json({ items: numbers.terminalsOf(ref(c), scope(c)) }));
  r.post('/:id/terminals', async (c) => {
    const body = await jsonBody(c, numberTerminalBody);
    return c.json(numbers.addTerminal(ref(c), body, caller(c).actor, scope(c)), 201);
  });
  r.delete('/:id/terminals/:terminal', (c) => {
    const t = c.req.param('terminal');
    if (!/^[0-9]+$/.test(t)) throw new InvalidError(`terminal ${JSON.stringify(t)}: give its id`);
    return c.json(numbers.removeTerminal(ref(c), Number(t), caller(c).actor, scope(c)));
  });

  return r;
}
