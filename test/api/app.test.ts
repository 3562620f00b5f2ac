import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApiApp } from '../../src/api/index.ts';
import { applyConfig } from '../../src/config/index.ts';
import { tempServices } from '../fixtures.ts';

let env: ReturnType<typeof tempServices>;
let app: ReturnType<typeof createApiApp>;
let admin: string;

beforeEach(() => {
  env = tempServices('tenants:\n  - name: main\n    default: true\n    extensions:\n      - { number: 1001, password: from-config }\n');
  applyConfig(env.services.db, env.config, env.services.audit);
  app = createApiApp({ services: env.services });
  admin = env.services.tokens.create({ name: 'test-admin' }).token;
});
afterEach(() => env.cleanup());

function call(method: string, path: string, opts: { token?: string | null; body?: unknown; raw?: string } = {}) {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  const token = opts.token === undefined ? admin : opts.token;
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  const body = opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
  return app.request(path, { method, headers, ...(body !== undefined ? { body } : {}) });
}

describe('admin API', () => {
  it('GET /health is open; GET /metrics is Prometheus text with pbx_ metrics', async () => {
    expect(await (await call('GET', '/health', { token: null })).json()).toEqual({ status: 'ok' });
    const m = await call('GET', '/metrics', { token: null });
    expect(m.status).toBe(200);
    expect(m.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await m.text();
    for (const name of ['pbx_registrations', 'pbx_auth_failures_total', 'pbx_blocked_sources', 'pbx_sip_requests_total', 'pbx_sip_responses_total'])
      expect(text).toContain(name);
  });

  it('401 JSON without a token or with a bad or revoked one', async () => {
    const r = await call('GET', '/tenants', { token: null });
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(await r.json()).toEqual({ error: { code: 'unauthorized', message: expect.stringMatching(/missing bearer token/) } });
    expect((await call('GET', '/tenants', { token: 'pbx_wrong' })).status).toBe(401);
    const { token, info } = env.services.tokens.create({ name: 'gone' });
    env.services.tokens.revoke(info.id);
    expect((await call('GET', '/tenants', { token })).status).toBe(401);
  });

  it('CRUD on tenants and extensions, with audit entries', async () => {
    const t = await call('POST', '/tenants', { body: { name: 'acme', domain: 'acme.example' } });
    expect(t.status).toBe(201);
    expect(await t.json()).toMatchObject({ name: 'acme', domain: 'acme.example' });
    expect(((await (await call('GET', '/tenants')).json()) as { items: unknown[] }).items).toHaveLength(2);

    const add = await call('POST', '/tenants/acme/extensions', { body: { number: 200, displayName: 'Front desk', maxTerminals: 2 } });
    expect(add.status).toBe(201);
    const added = (await add.json()) as { extension: { number: string }; password: string; generatedPassword: boolean };
    expect(added).toMatchObject({ extension: { number: '200', displayName: 'Front desk', maxTerminals: 2 }, generatedPassword: true });
    expect(added.password).toHaveLength(16);

    const list = (await (await call('GET', '/tenants/acme/extensions?limit=10')).json()) as { items: unknown[]; total: number };
    expect(list.total).toBe(1);
    expect((await call('GET', '/tenants/acme/extensions/200')).status).toBe(200);
    const patched = await call('PATCH', '/tenants/acme/extensions/200', { body: { ringStrategy: 'sequential', ringTimeoutS: 30 } });
    expect(await patched.json()).toMatchObject({ ringStrategy: 'sequential', ringTimeoutS: 30 });
    // the kind of an extension without an employee: function (default) or operator
    expect(await (await call('PATCH', '/tenants/acme/extensions/200', { body: { kind: 'operator' } })).json()).toMatchObject({ kind: 'operator' });
    const employeeKind = await call('POST', '/tenants/acme/extensions', { body: { number: 201, kind: 'employee' } });
    expect(employeeKind.status).toBe(400);
    expect(JSON.stringify(await employeeKind.json())).toContain('pbx employee add');
    const pw = await call('POST', '/tenants/acme/extensions/200/password', { body: { password: 'a-new-secret' } });
    expect(await pw.json()).toEqual({ password: 'a-new-secret', generatedPassword: false });
    expect(env.services.accounts.find('acme.example', '200')?.password).toBe('a-new-secret');
    expect((await call('DELETE', '/tenants/acme/extensions/200')).status).toBe(200);
    expect((await call('GET', '/tenants/acme/extensions/200')).status).toBe(404);

    // /extensions = the default tenant
    expect((await call('POST', '/extensions', { body: { number: '3000', password: 'pw-3000-secret' } })).status).toBe(201);
    expect(env.services.accounts.find('any.host', '3000')?.password).toBe('pw-3000-secret');
    expect(env.services.audit.list().some((a) => a.actor.startsWith('token:') && a.action === 'extension.add')).toBe(true);
  });

  it('404, 409 and 400 JSON errors with clear messages', async () => {
    const nf = await call('GET', '/tenants/nope/extensions');
    expect(nf.status).toBe(404);
    expect(await nf.json()).toEqual({ error: { code: 'not_found', message: 'tenant nope does not exist' } });
    expect((await call('GET', '/extensions/9999')).status).toBe(404);

    await call('POST', '/extensions', { body: { number: '4000' } });
    const dup = await call('POST', '/extensions', { body: { number: '4000' } });
    expect(dup.status).toBe(409);
    expect(await dup.json()).toEqual({ error: { code: 'conflict', message: 'extension 4000 already exists' } });

    const managed = await call('DELETE', '/extensions/1001');
    expect(managed.status).toBe(409);
    expect(await managed.json()).toEqual({ error: { code: 'config_managed', message: 'extension 1001 is declared in the config file; edit the config instead' } });

    const bad = await call('POST', '/extensions', { body: { number: '5000', ringStrategy: 'loud', extra: 1 } });
    expect(bad.status).toBe(400);
    const msg = ((await bad.json()) as { error: { message: string } }).error.message;
    expect(msg).toMatch(/ringStrategy/);
    expect(msg).toMatch(/extra: unknown field/);
    const notJson = await call('POST', '/extensions', { raw: '{nope' });
    expect(await notJson.json()).toEqual({ error: { code: 'invalid', message: 'the request body must be JSON' } });
    expect((await call('GET', '/extensions?limit=abc')).status).toBe(400);
    expect((await call('GET', '/no/such/route')).status).toBe(404);
  });

  it('read scope may only GET; tenant tokens see only their tenant', async () => {
    const ro = env.services.tokens.create({ name: 'ro', scopes: ['read'] }).token;
    expect((await call('GET', '/extensions', { token: ro })).status).toBe(200);
    const denied = await call('POST', '/extensions', { token: ro, body: { number: '6000' } });
    expect(denied.status).toBe(403);

    const acme = env.services.tenants.add({ name: 'acme', domain: 'acme.example' });
    env.services.extensions.add(acme.id, { number: '200' });
    const ta = env.services.tokens.create({ name: 'acme-admin', tenantId: acme.id }).token;
    expect(((await (await call('GET', '/tenants', { token: ta })).json()) as { items: Array<{ name: string }> }).items.map((t) => t.name)).toEqual(['acme']);
    expect(((await (await call('GET', '/extensions', { token: ta })).json()) as { total: number }).total).toBe(1);
    expect((await call('GET', '/tenants/main/extensions', { token: ta })).status).toBe(404);
    expect((await call('POST', '/tenants', { token: ta, body: { name: 'x', domain: 'x.example' } })).status).toBe(403);
    expect((await call('GET', '/blocked-sources', { token: ta })).status).toBe(403);
  });

  it('registrations and blocked sources', async () => {
    const t = env.services.tenants.defaultTenant().id;
    const ext = env.services.extensions.findByNumber(t, '1001')!;
    const now = Date.now();
    env.services.bindings.upsert({
      tenantId: t,
      extensionId: ext.id,
      user: '1001',
      contact: 'sip:1001@10.0.0.2:5060',
      callId: 'c1',
      cseq: 1,
      expiresAt: now + 60_000,
      registeredAt: now,
      source: { transport: 'udp', address: '10.0.0.2', port: 5060 },
      natted: false,
      userAgent: 'softphone',
    });
    const regs = (await (await call('GET', '/registrations')).json()) as { items: Array<{ contact: string; userAgent: string }> };
    expect(regs.items).toMatchObject([{ contact: 'sip:1001@10.0.0.2:5060', userAgent: 'softphone' }]);

    env.services.blockStore.upsert({ address: '203.0.113.5', blockedAt: now, until: now + 60_000, failures: 10, reason: 'auth failures' });
    const blocks = (await (await call('GET', '/blocked-sources')).json()) as { items: Array<{ address: string }> };
    expect(blocks.items.map((b) => b.address)).toEqual(['203.0.113.5']);
    expect((await call('DELETE', '/blocked-sources/203.0.113.5')).status).toBe(200);
    expect((await call('DELETE', '/blocked-sources/203.0.113.5')).status).toBe(404);
  });

  it('tokens over the API', async () => {
    const r = await call('POST', '/tokens', { body: { name: 'ci', scopes: ['read'] } });
    expect(r.status).toBe(201);
    const created = (await r.json()) as { id: number; token: string };
    expect(created.token).toMatch(/^pbx_/);
    expect((await call('GET', '/tenants', { token: created.token })).status).toBe(200);
    expect((await call('DELETE', `/tokens/${created.id}`)).status).toBe(200);
    expect((await call('GET', '/tenants', { token: created.token })).status).toBe(401);
    const list = (await (await call('GET', '/tokens')).json()) as { items: Array<Record<string, unknown>> };
    expect(JSON.stringify(list)).not.toContain(created.token);
  });
});

describe('admin API description', () => {
  it('GET /openapi.json is open and lists the routes with body schemas', async () => {
    const r = await call('GET', '/openapi.json', { token: null });
    expect(r.status).toBe(200);
    const doc = (await r.json()) as { openapi: string; paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { properties: object } }> } }>> };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/tenants', '/tenants/{tenant}/extensions/{number}', '/registrations', '/blocked-sources']));
    expect(doc.paths['/extensions']!.post!.requestBody!.content['application/json']!.schema.properties).toHaveProperty('ringStrategy');
  });
});
