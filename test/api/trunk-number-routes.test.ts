// The admin API for trunks (and their live status), numbers with blacklists and terminals, an
// extension's PSTN terminals and call rules, and tenant call settings.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApiApp } from '../../src/api/index.ts';
import { applyConfig } from '../../src/config/index.ts';
import { tempServices } from '../fixtures.ts';

let env: ReturnType<typeof tempServices>;
let app: ReturnType<typeof createApiApp>;
let admin: string;
let status: unknown[] | undefined;

beforeEach(() => {
  env = tempServices(
    'trunks:\n  - { name: cfg-carrier, kind: carrier, host: sip.example }\ntenants:\n  - name: main\n    default: true\n    extensions:\n      - { number: 1001, password: from-config }\n',
  );
  applyConfig(env.services.db, env.config, env.services.audit);
  status = undefined;
  app = createApiApp({ services: env.services, trunkStatus: () => status ?? [] });
  admin = env.services.tokens.create({ name: 'test-admin' }).token;
});
afterEach(() => env.cleanup());

function call(method: string, path: string, opts: { token?: string | null; body?: unknown; raw?: string; app?: ReturnType<typeof createApiApp> } = {}) {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  const token = opts.token === undefined ? admin : opts.token;
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  const body = opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
  return (opts.app ?? app).request(path, { method, headers, ...(body !== undefined ? { body } : {}) });
}

async function error(r: Response): Promise<{ status: number; code: string; message: string }> {
  const b = (await r.json()) as { error: { code: string; message: string } };
  return { status: r.status, ...b.error };
}

describe('admin API: trunks', () => {
  it('CRUD round trip with masked secrets, audited', async () => {
    const acme = env.services.tenants.add({ name: 'acme', domain: 'acme.example' });
    const add = await call('POST', '/trunks', { body: { name: 'carrier-a', kind: 'carrier', host: 'sip.carrier.example', register: true, username: 'u1', password: 'pw-1', priority: 5 } });
    expect(add.status).toBe(201);
    expect(await add.json()).toMatchObject({ name: 'carrier-a', password: '***', register: true, priority: 5 });
    const pbx = await call('POST', '/trunks', { body: { name: 'acme-pbx', kind: 'pbx', tenant: 'acme', host: '198.51.100.7' } });
    expect(await pbx.json()).toMatchObject({ tenantId: acme.id, kind: 'pbx' });

    const list = (await (await call('GET', '/trunks')).json()) as { items: Array<{ name: string; password: string | null }> };
    expect(list.items.map((t) => t.name)).toEqual(['carrier-a', 'cfg-carrier', 'acme-pbx']);
    expect(JSON.stringify(list)).not.toContain('pw-1');
    expect(((await (await call('GET', '/trunks?tenant=acme')).json()) as { items: unknown[] }).items).toHaveLength(1);
    expect(await (await call('GET', '/trunks/carrier-a')).json()).toMatchObject({ name: 'carrier-a', password: '***' });

    // a GET body sent back as it is keeps the secret
    const shown = (await (await call('GET', '/trunks/carrier-a')).json()) as Record<string, unknown>;
    const { id: _id, kind: _k, tenantId: _t, configManaged: _c, createdAt: _a, ...back } = shown;
    const patched = await call('PATCH', '/trunks/carrier-a', { body: { ...back, port: 5080 } });
    expect(patched.status).toBe(200);
    expect(await patched.json()).toMatchObject({ port: 5080, password: '***' });
    expect(env.services.db.sqlite.prepare("SELECT password FROM trunk WHERE name = 'carrier-a'").pluck().get()).toBe('pw-1');

    expect((await call('DELETE', '/trunks/carrier-a')).status).toBe(200);
    expect((await call('GET', '/trunks/carrier-a')).status).toBe(404);
    expect(env.services.audit.list().filter((a) => a.action.startsWith('trunk.')).map((a) => a.action)).toEqual(['trunk.remove', 'trunk.update', 'trunk.add', 'trunk.add']);
    expect(env.services.audit.list()[0]!.actor).toMatch(/^token:/);
  });

  it('400, 404, 409 JSON errors; config-managed trunks refused; tenant tokens see their own and cannot change trunks', async () => {
    expect(await error(await call('POST', '/trunks', { body: { name: 'x', kind: 'satellite', host: 'h', bogus: 1 } }))).toMatchObject({ status: 400, code: 'invalid', message: expect.stringMatching(/kind.*; bogus: unknown field/) });
    expect(await error(await call('POST', '/trunks', { body: { name: 'x', kind: 'pbx', host: 'h' } }))).toMatchObject({ status: 400, message: 'trunk x: a pbx trunk belongs to a tenant; name it' });
    expect(await error(await call('POST', '/trunks', { body: { name: 'x', kind: 'carrier', host: 'h', register: true } }))).toMatchObject({ status: 400, message: expect.stringMatching(/register needs username and password/) });
    expect(await error(await call('POST', '/trunks', { body: { name: 'cfg-carrier', kind: 'carrier', host: 'h' } }))).toMatchObject({ status: 409, code: 'conflict' });
    expect(await error(await call('PATCH', '/trunks/cfg-carrier', { body: { port: 5070 } }))).toMatchObject({ status: 409, code: 'config_managed' });
    expect(await error(await call('PATCH', '/trunks/cfg-carrier', { body: { kind: 'pbx' } }))).toMatchObject({ status: 400, message: 'kind: unknown field' });
    expect((await call('GET', '/trunks/nope')).status).toBe(404);

    const acme = env.services.tenants.add({ name: 'acme', domain: 'acme.example' });
    env.services.trunks.add({ name: 'acme-pbx', kind: 'pbx', host: 'h', tenantId: acme.id });
    const ta = env.services.tokens.create({ name: 'acme', tenantId: acme.id }).token;
    expect(((await (await call('GET', '/trunks', { token: ta })).json()) as { items: Array<{ name: string }> }).items.map((t) => t.name)).toEqual(['acme-pbx']);
    expect((await call('GET', '/trunks/cfg-carrier', { token: ta })).status).toBe(404);
    expect((await call('POST', '/trunks', { token: ta, body: { name: 'y', kind: 'carrier', host: 'h' } })).status).toBe(403);
  });

  it('GET /trunks/status: the server\'s view, filtered for tenant tokens; 503 without a running server', async () => {
    const acme = env.services.tenants.add({ name: 'acme', domain: 'acme.example' });
    const p = env.services.trunks.add({ name: 'acme-pbx', kind: 'pbx', host: 'h', tenantId: acme.id });
    const c = env.services.trunks.get('cfg-carrier');
    status = [
      { trunkId: c.id, name: 'cfg-carrier', kind: 'carrier', registration: { state: 'registered', lastStatus: 200, expiresAt: 1_800_000_000_000 }, activeCalls: 2 },
      { trunkId: p.id, name: 'acme-pbx', kind: 'pbx', activeCalls: 0 },
    ];
    expect(await (await call('GET', '/trunks/status')).json()).toEqual({ items: status });
    const ta = env.services.tokens.create({ name: 'acme', tenantId: acme.id }).token;
    expect(((await (await call('GET', '/trunks/status', { token: ta })).json()) as { items: Array<{ name: string }> }).items.map((t) => t.name)).toEqual(['acme-pbx']);
    const without = createApiApp({ services: env.services });
    expect(await error(await call('GET', '/trunks/status', { app: without }))).toMatchObject({ status: 503, code: 'unavailable' });
  });
});

describe('admin API: numbers', () => {
  it('numbers with blacklists and direct-line terminals, by id or E.164', async () => {
    const add = await call('POST', '/numbers', { body: { number: '01088886666', mode: 'switchboard', isMain: true } });
    expect(add.status).toBe(201);
    const n = (await add.json()) as { id: number; number: string; tenant: string };
    expect(n).toMatchObject({ number: '+861088886666', tenant: 'main', isMain: true });
    expect((await call('GET', `/numbers/${n.id}`)).status).toBe(200);
    expect(await (await call('GET', '/numbers/+861088886666')).json()).toMatchObject({ id: n.id });
    expect(await (await call('PATCH', '/numbers/+861088886666', { body: { blockAction: 'drop' } })).json()).toMatchObject({ blockAction: 'drop' });

    expect((await call('POST', `/numbers/${n.id}/blacklist`, { body: { entry: '0755*', note: 'spam' } })).status).toBe(201);
    expect((await call('POST', `/numbers/${n.id}/blacklist`, { body: { entry: 13812345678 } })).status).toBe(201);
    const bl = (await (await call('GET', `/numbers/${n.id}/blacklist`)).json()) as { items: Array<{ entry: string }> };
    expect(bl.items.map((b) => b.entry)).toEqual(['0755*', '13812345678']);
    expect((await call('DELETE', `/numbers/${n.id}/blacklist/${encodeURIComponent('0755*')}`)).status).toBe(200);
    expect((await call('DELETE', `/numbers/${n.id}/blacklist/0755*`)).status).toBe(404);

    const d = (await (await call('POST', '/numbers', { body: { tenant: 'main', number: '+861088886667', mode: 'direct', terminals: [{ extension: 1001 }] } })).json()) as { id: number };
    const t = await call('POST', `/numbers/${d.id}/terminals`, { body: { pstn: '13812345678' } });
    expect(t.status).toBe(201);
    const added = (await t.json()) as { id: number; pstnNumber: string };
    expect(added.pstnNumber).toBe('+8613812345678');
    const ts = (await (await call('GET', `/numbers/${d.id}/terminals`)).json()) as { items: Array<{ kind: string; extension: string | null }> };
    expect(ts.items.map((x) => x.extension ?? x.kind)).toEqual(['1001', 'pstn']);
    expect((await call('DELETE', `/numbers/${d.id}/terminals/${added.id}`)).status).toBe(200);
    const last = ((await (await call('GET', `/numbers/${d.id}/terminals`)).json()) as { items: Array<{ id: number }> }).items[0]!;
    expect(await error(await call('DELETE', `/numbers/${d.id}/terminals/${last.id}`))).toMatchObject({ status: 409, message: expect.stringMatching(/only terminal/) });

    const list = (await (await call('GET', '/numbers?tenant=main')).json()) as { items: unknown[] };
    expect(list.items).toHaveLength(2);
    expect((await call('DELETE', `/numbers/${n.id}`)).status).toBe(200);
    expect(env.services.audit.list().some((a) => a.action === 'number.block' && a.actor.startsWith('token:'))).toBe(true);
  });

  it('400s and tenant isolation', async () => {
    expect(await error(await call('POST', '/numbers', { body: { number: '+861088886666', mode: 'fax' } }))).toMatchObject({ status: 400, message: expect.stringMatching(/mode/) });
    expect(await error(await call('POST', '/numbers', { body: { number: '+861088886666', mode: 'sipTrunk' } }))).toMatchObject({ status: 400, message: expect.stringMatching(/a sipTrunk number needs the trunk/) });
    expect(await error(await call('POST', '/numbers', { body: { number: '+861088886666', mode: 'direct', terminals: [{ extension: '1001', pstn: '1' }] } }))).toMatchObject({ status: 400 });
    expect(await error(await call('GET', '/numbers/abc'))).toMatchObject({ status: 400, message: expect.stringMatching(/give its id or its E\.164 form/) });
    const n = env.services.numbers.add(env.services.tenants.defaultTenant().id, { number: '+861088886666', mode: 'switchboard' });
    expect(await error(await call('POST', `/numbers/${n.id}/blacklist`, { body: { entry: '07*55' } }))).toMatchObject({ status: 400 });

    const acme = env.services.tenants.add({ name: 'acme', domain: 'acme.example' });
    const ta = env.services.tokens.create({ name: 'acme', tenantId: acme.id }).token;
    expect(((await (await call('GET', '/numbers', { token: ta })).json()) as { items: unknown[] }).items).toEqual([]);
    expect((await call('GET', `/numbers/${n.id}`, { token: ta })).status).toBe(404);
    expect((await call('POST', `/numbers/${n.id}/blacklist`, { token: ta, body: { entry: '1*' } })).status).toBe(404);
    expect((await call('POST', '/numbers', { token: ta, body: { number: '+861088886667', mode: 'switchboard' } })).status).toBe(403);
  });
});

describe('admin API: extension terminals and rules, tenant settings', () => {
  it('PSTN terminals and call rules of an extension', async () => {
    env.services.extensions.add(env.services.tenants.defaultTenant().id, { number: '2001', password: 'secret-2001' });
    const t = await call('POST', '/extensions/2001/terminals', { body: { number: '13812345678' } });
    expect(t.status).toBe(201);
    const term = (await t.json()) as { id: number };
    expect(((await (await call('GET', '/tenants/main/extensions/2001/terminals')).json()) as { items: Array<{ pstnNumber: string }> }).items.map((x) => x.pstnNumber)).toEqual(['+8613812345678']);
    expect((await call('DELETE', `/extensions/2001/terminals/${term.id}`)).status).toBe(200);

    const r = await call('POST', '/extensions/2001/rules', { body: { scope: 'outbound', action: 'deny', pattern: '00' } });
    expect(r.status).toBe(201);
    const rule = (await r.json()) as { id: number };
    expect(((await (await call('GET', '/extensions/2001/rules')).json()) as { items: unknown[] }).items).toHaveLength(1);
    expect(await error(await call('POST', '/extensions/2001/rules', { body: { scope: 'outbound', action: 'block', pattern: '00' } }))).toMatchObject({ status: 400, message: expect.stringMatching(/action/) });
    expect(await error(await call('POST', '/extensions/2001/rules', { body: { scope: 'outbound', action: 'deny', pattern: '0*' } }))).toMatchObject({ status: 400 });
    expect((await call('DELETE', `/extensions/2001/rules/${rule.id}`)).status).toBe(200);
    expect(await error(await call('POST', '/extensions/1001/terminals', { body: { number: '13812345678' } }))).toMatchObject({ status: 409, code: 'config_managed' });
    expect((await call('GET', '/extensions/9999/rules')).status).toBe(404);
  });

  it('GET/PATCH /tenants/:tenant/settings', async () => {
    env.services.tenants.add({ name: 'acme', domain: 'acme.example' });
    const got = (await (await call('GET', '/tenants/acme/settings')).json()) as { timezone: string; service_hours: { mon: string[] } };
    expect(got.timezone).toBe('Asia/Shanghai');
    expect(got.service_hours.mon).toEqual(['09:00-18:00']);
    const p = await call('PATCH', '/tenants/acme/settings', { body: { service_hours: { sat: ['10:00-12:00'] }, international: { enabled: true, allowed_countries: ['44'] }, outbound_trunks: ['cfg-carrier'], outside_line_prefix: '9' } });
    expect(p.status).toBe(200);
    expect(await p.json()).toMatchObject({ service_hours: { mon: ['09:00-18:00'], sat: ['10:00-12:00'] }, international: { enabled: true, allowed_countries: ['44'] }, outbound_trunks: ['cfg-carrier'], outside_line_prefix: '9' });
    expect(await error(await call('PATCH', '/tenants/acme/settings', { body: { timezone: 'Nowhere/Else' } }))).toMatchObject({ status: 400, message: expect.stringMatching(/timezone: must be an IANA time zone/) });
    expect(await error(await call('PATCH', '/tenants/acme/settings', { body: { colour: 'red' } }))).toMatchObject({ status: 400, message: 'colour: unknown field' });
    expect(await error(await call('PATCH', '/tenants/main/settings', { body: { timezone: 'Europe/Berlin' } }))).toMatchObject({ status: 409, code: 'config_managed' });
    expect(env.services.audit.list()[0]).toMatchObject({ action: 'tenant.settings', target: 'acme' });
  });

  it('the OpenAPI document lists the new routes with their bodies', async () => {
    const doc = (await (await call('GET', '/openapi.json', { token: null })).json()) as { paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { properties: object } }> } }>> };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/trunks', '/trunks/status', '/trunks/{trunk}', '/numbers', '/numbers/{id}/blacklist', '/numbers/{id}/terminals', '/extensions/{number}/terminals', '/extensions/{number}/rules', '/tenants/{tenant}/settings']),
    );
    expect(doc.paths['/trunks']!.post!.requestBody!.content['application/json']!.schema.properties).toHaveProperty('inboundAuth');
    expect(doc.paths['/tenants/{tenant}/settings']!.patch!.requestBody!.content['application/json']!.schema.properties).toHaveProperty('service_hours');
  });
});
