// The admin API for the organisation: /departments, /employees, /contacts (with from-call) and
// /extensions/:number/devices — at the caller's tenant and at /tenants/:tenant/…, zod-checked
// bodies, JSON errors, tenant tokens kept to their tenant, read-only tokens, audit entries.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApiApp } from '../../src/api/index.ts';
import { tempServices } from '../fixtures.ts';

let env: ReturnType<typeof tempServices>;
let app: ReturnType<typeof createApiApp>;
let admin: string;
let t: number;

beforeEach(() => {
  env = tempServices();
  app = createApiApp({ services: env.services });
  admin = env.services.tokens.create({ name: 'test-admin' }).token;
  t = env.services.tenants.defaultTenant().id;
});
afterEach(() => env.cleanup());

function call(method: string, path: string, opts: { token?: string | null; body?: unknown; raw?: string } = {}) {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  const token = opts.token === undefined ? admin : opts.token;
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  const body = opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
  return app.request(path, { method, headers, ...(body !== undefined ? { body } : {}) });
}

async function ok<T = Record<string, unknown>>(r: Response | Promise<Response>, status = 200): Promise<T> {
  const res = await r;
  const b = (await res.json()) as T;
  expect(res.status, JSON.stringify(b)).toBe(status);
  return b;
}

async function error(r: Response | Promise<Response>): Promise<{ status: number; code: string; message: string }> {
  const res = await r;
  const b = (await res.json()) as { error: { code: string; message: string } };
  return { status: res.status, ...b.error };
}

describe('admin API: /departments', () => {
  it('add, tree, get by id or encoded path, rename and move (PATCH), remove; errors; audit', async () => {
    const sales = await ok<{ id: number; path: string }>(call('POST', '/departments', { body: { name: 'Sales' } }), 201);
    expect(sales.path).toBe('Sales');
    await ok(call('POST', '/departments', { body: { name: 'East', parent: 'Sales' } }), 201);
    await ok(call('POST', '/departments', { body: { name: 'West', parent: sales.id } }), 201);
    await ok(call('POST', '/departments', { body: { name: 'Admin' } }), 201);
    const tree = await ok<{ items: Array<{ path: string; depth: number }> }>(call('GET', '/departments'));
    expect(tree.items.map((d) => [d.path, d.depth])).toEqual([
      ['Admin', 0],
      ['Sales', 0],
      ['Sales/East', 1],
      ['Sales/West', 1],
    ]);
    expect(await ok(call('GET', '/departments/Sales%2FEast'))).toMatchObject({ path: 'Sales/East', parentId: sales.id });
    expect(await ok(call('GET', `/departments/${sales.id}`))).toMatchObject({ path: 'Sales', children: 2 });
    expect(await ok(call('PATCH', '/departments/Sales%2FEast', { body: { name: 'Eastern', parent: 'Admin' } }))).toMatchObject({ path: 'Admin/Eastern' });
    expect(await ok(call('PATCH', '/departments/Admin%2FEastern', { body: { parent: null } }))).toMatchObject({ path: 'Eastern', depth: 0 });

    expect(await error(call('PATCH', '/departments/Sales', { body: { parent: 'Sales/West' } }))).toMatchObject({ status: 409, code: 'conflict', message: expect.stringMatching(/one of its own sub-departments/) });
    expect(await error(call('POST', '/departments', { body: { name: 'Sales' } }))).toMatchObject({ status: 409, message: 'department Sales already exists' });
    expect(await error(call('POST', '/departments', { body: { name: 'A/B' } }))).toMatchObject({ status: 400, code: 'invalid' });
    expect(await error(call('POST', '/departments', { body: { name: 'X', bogus: 1 } }))).toMatchObject({ status: 400, message: 'bogus: unknown field' });
    expect(await error(call('POST', '/departments', { body: { parent: 'Sales' } }))).toMatchObject({ status: 400, message: expect.stringMatching(/^name:/) });
    expect(await error(call('GET', '/departments/Nope'))).toMatchObject({ status: 404, code: 'not_found' });
    expect(await error(call('DELETE', '/departments/Sales'))).toMatchObject({ status: 409, message: 'department Sales still has 1 sub-department; move or remove it first' });
    expect(await ok(call('DELETE', '/departments/Sales%2FWest'))).toMatchObject({ path: 'Sales/West' });
    await ok(call('DELETE', '/departments/Sales'));
    const actions = env.services.audit.list().map((a) => a.action);
    expect(actions.slice(0, 5)).toEqual(['department.remove', 'department.remove', 'department.move', 'department.move', 'department.rename']);
    expect(env.services.audit.list()[0]!.actor).toMatch(/^token:/);
  });
});

describe('admin API: /employees', () => {
  it('add (automatic or given extension, password once), list with filters and pages, get, patch, deactivate, remove', async () => {
    env.services.departments.add(t, { name: 'Sales' });
    env.services.departments.add(t, { name: 'East', parent: 'Sales' });
    const a = await ok<{ employee: { id: number; extension: string; department: string }; extension: { number: string; password: string; how: string } }>(
      call('POST', '/employees', { body: { employeeNo: 'E001', name: 'Zhang San', department: 'Sales/East', mobile: '13812345678', title: 'Rep' } }),
      201,
    );
    expect(a.employee).toMatchObject({ extension: '800', department: 'Sales/East' });
    expect(a.extension).toMatchObject({ number: '800', how: 'automatic', password: expect.stringMatching(/^[A-Za-z0-9]{16}$/) });
    const b = await ok<{ extension: { number: string; how: string } }>(call('POST', '/employees', { body: { employeeNo: 2, name: 'Li Si', extension: 2001 } }), 201);
    expect(b.extension).toMatchObject({ number: '2001', how: 'given' });
    await ok(call('POST', '/employees', { body: { employeeNo: 'E003', name: 'Wang', active: false } }), 201);

    const page = await ok<{ items: Array<{ employeeNo: string }>; total: number }>(call('GET', '/employees?limit=2&offset=1'));
    expect(page.total).toBe(3);
    expect(page.items.map((e) => e.employeeNo)).toEqual(['E001', 'E003']);
    expect((await ok<{ items: Array<{ employeeNo: string }> }>(call('GET', '/employees?department=Sales'))).items.map((e) => e.employeeNo)).toEqual(['E001']);
    expect((await ok<{ items: Array<{ employeeNo: string }> }>(call('GET', '/employees?active=false'))).items.map((e) => e.employeeNo)).toEqual(['E003']);
    expect(await ok(call('GET', '/employees/E001'))).toMatchObject({ name: 'Zhang San', mobile: '13812345678', extension: '800' });

    const on = await ok<{ employee: { active: boolean; extension: string }; extension: { number: string } }>(call('PATCH', '/employees/E003', { body: { active: true, title: 'Boss' } }));
    expect(on).toMatchObject({ employee: { active: true, extension: '801' }, extension: { number: '801' } });
    expect(await ok(call('PATCH', '/employees/E001', { body: { extension: '1234' } }))).toMatchObject({ employee: { extension: '1234' }, extension: null });
    expect(await ok(call('POST', '/employees/E001/deactivate'))).toMatchObject({ active: false, extension: '1234' });
    expect(await ok(call('DELETE', '/employees/2?keepExtension=true'))).toMatchObject({ extensionKept: true, extension: '2001' });
    expect(env.services.extensions.show(t, '2001')).toMatchObject({ kind: 'function', employeeId: null });
    expect(await ok(call('DELETE', '/employees/E001'))).toMatchObject({ extensionKept: false });
    expect(() => env.services.extensions.show(t, '1234')).toThrow(/does not exist/);
    expect(env.services.audit.list().some((x) => x.action === 'employee.remove' && x.actor.startsWith('token:'))).toBe(true);
  });

  it('400, 404, 409 JSON errors', async () => {
    await ok(call('POST', '/employees', { body: { employeeNo: 'E001', name: 'A' } }), 201);
    expect(await error(call('POST', '/employees', { body: { employeeNo: 'E001', name: 'B' } }))).toMatchObject({ status: 409, message: 'employee E001 already exists' });
    expect(await error(call('POST', '/employees', { body: { employeeNo: 'E002', name: 'B', extension: '800' } }))).toMatchObject({ status: 409, message: 'extension 800 already exists' });
    expect(await error(call('POST', '/employees', { body: { employeeNo: 'E002', name: 'B', mobile: '01088886666' } }))).toMatchObject({ status: 400, message: expect.stringMatching(/not a mobile number/) });
    expect(await error(call('POST', '/employees', { body: { employeeNo: 'E002', name: 'B', department: 'Nope' } }))).toMatchObject({ status: 404, message: 'department Nope does not exist' });
    expect(await error(call('POST', '/employees', { body: { employeeNo: 'E002', name: 'B', active: 'yes' } }))).toMatchObject({ status: 400, message: expect.stringMatching(/^active:/) });
    expect(await error(call('POST', '/employees', { body: { name: 'B' } }))).toMatchObject({ status: 400, message: expect.stringMatching(/^employeeNo:/) });
    expect(await error(call('PATCH', '/employees/E001', { body: { salary: 1 } }))).toMatchObject({ status: 400, message: 'salary: unknown field' });
    expect(await error(call('GET', '/employees/E404'))).toMatchObject({ status: 404, message: 'employee E404 does not exist' });
    expect(await error(call('GET', '/employees?active=maybe'))).toMatchObject({ status: 400, message: 'query parameter active must be true or false' });
    expect(await error(call('GET', '/employees?limit=0'))).toMatchObject({ status: 400 });
    expect(await error(call('POST', '/employees', { raw: '{nope' }))).toMatchObject({ status: 400, message: 'the request body must be JSON' });
  });
});

describe('admin API: /contacts', () => {
  it('add, list, search, get, patch, remove; from a call record; errors', async () => {
    env.services.employees.add(t, { employeeNo: 'E001', name: 'Ann', active: false });
    const c = await ok<{ id: number; numbers: string[]; owner: unknown }>(call('POST', '/contacts', { body: { name: 'Wang Wu', company: 'Client Co', numbers: ['+86 138 1234 5678', '010-8888-6666'], owner: 'E001' } }), 201);
    expect(c).toMatchObject({ numbers: ['13812345678', '01088886666'], owner: { employeeNo: 'E001', name: 'Ann' } });
    await ok(call('POST', '/contacts', { body: { name: 'Zhao Liu', numbers: ['13900000000'] } }), 201);
    expect(await ok(call('GET', '/contacts?limit=1'))).toMatchObject({ total: 2, items: [{ name: 'Wang Wu' }] });
    expect(await ok(call('GET', '/contacts?owner=E001'))).toMatchObject({ total: 1 });
    expect((await ok<{ items: Array<{ name: string }> }>(call('GET', '/contacts?q=Zhao'))).items.map((x) => x.name)).toEqual(['Zhao Liu']);
    expect((await ok<{ items: Array<{ name: string }> }>(call('GET', `/contacts?q=${encodeURIComponent('+86138')}`))).items.map((x) => x.name)).toEqual(['Wang Wu']);
    expect(await ok(call('GET', `/contacts/${c.id}`))).toMatchObject({ name: 'Wang Wu', company: 'Client Co' });
    expect(await ok(call('PATCH', `/contacts/${c.id}`, { body: { owner: null, numbers: ['13812345678'] } }))).toMatchObject({ owner: null, numbers: ['13812345678'] });
    expect(await error(call('POST', '/contacts', { body: { name: 'Dup', numbers: ['13900000000'] } }))).toMatchObject({ status: 409, message: expect.stringMatching(/already a number of contact Zhao Liu/) });
    expect(await error(call('POST', '/contacts', { body: { name: 'None', numbers: [] } }))).toMatchObject({ status: 400, message: expect.stringMatching(/^numbers:/) });
    expect(await error(call('POST', '/contacts', { body: { name: 'Bad', numbers: ['110'] } }))).toMatchObject({ status: 400 });
    expect(await error(call('GET', '/contacts/abc'))).toMatchObject({ status: 400, message: 'id "abc" must be an id' });
    expect(await error(call('GET', '/contacts/999'))).toMatchObject({ status: 404 });
    expect(await ok(call('DELETE', `/contacts/${c.id}`))).toMatchObject({ name: 'Wang Wu' });

    env.services.db.sqlite
      .prepare("INSERT INTO call (id, tenant_id, direction, caller_number, callee_number, started_at) VALUES ('in-1', ?, 'inbound', '+8613712345678', '+861088880000', 1), ('int-1', ?, 'internal', '800', '801', 2)")
      .run(t, t);
    expect(await ok(call('POST', '/contacts/from-call/in-1', { body: { name: 'New Caller', owner: 'E001' } }), 201)).toMatchObject({ numbers: ['13712345678'], owner: { employeeNo: 'E001' } });
    expect(await error(call('POST', '/contacts/from-call/int-1', { body: { name: 'X' } }))).toMatchObject({ status: 400, message: expect.stringMatching(/internal call/) });
    expect(await error(call('POST', '/contacts/from-call/nope', { body: { name: 'X' } }))).toMatchObject({ status: 404, message: 'call nope does not exist' });
    expect(await error(call('POST', '/contacts/from-call/in-1', { body: {} }))).toMatchObject({ status: 400, message: expect.stringMatching(/^name:/) });
    expect(env.services.audit.list()[0]).toMatchObject({ action: 'contact.add', target: 'New Caller' });
  });
});

describe('admin API: tenants and tokens', () => {
  it('/tenants/:tenant/… reaches another tenant; a tenant token only its own; read-only tokens only GET', async () => {
    const acme = env.services.tenants.add({ name: 'acme', domain: 'acme.example' });
    await ok(call('POST', '/tenants/acme/departments', { body: { name: 'Acme Sales' } }), 201);
    await ok(call('POST', '/tenants/acme/employees', { body: { employeeNo: 'A1', name: 'Acme One', department: 'Acme Sales' } }), 201);
    await ok(call('POST', '/tenants/acme/contacts', { body: { name: 'Acme Client', numbers: ['13812345678'] } }), 201);
    expect((await ok<{ items: unknown[] }>(call('GET', '/departments'))).items).toEqual([]);
    expect((await ok<{ total: number }>(call('GET', '/employees'))).total).toBe(0);

    const ta = env.services.tokens.create({ name: 'acme', tenantId: acme.id }).token;
    expect((await ok<{ items: Array<{ path: string }> }>(call('GET', '/departments', { token: ta }))).items.map((d) => d.path)).toEqual(['Acme Sales']);
    expect(await ok(call('GET', '/employees/A1', { token: ta }))).toMatchObject({ department: 'Acme Sales', extension: '800' });
    expect((await ok<{ total: number }>(call('GET', '/contacts', { token: ta }))).total).toBe(1);
    expect((await call('GET', `/tenants/${t}/employees`, { token: ta })).status).toBe(404);
    expect((await call('GET', '/tenants/default/contacts', { token: ta })).status).toBe(404);

    const reader = env.services.tokens.create({ name: 'reader', scopes: ['read'] }).token;
    expect((await call('GET', '/tenants/acme/employees', { token: reader })).status).toBe(200);
    expect((await call('POST', '/departments', { token: reader, body: { name: 'X' } })).status).toBe(403);
    expect((await call('GET', '/employees', { token: null })).status).toBe(401);
  });
});

describe('admin API: /extensions/:number/devices', () => {
  it('registered devices (stored, or live from the location service) and PSTN terminals, against the limit', async () => {
    const { extensions, terminals, bindings } = env.services;
    const ext = extensions.add(t, { number: '1001', password: 'secret-1001', maxTerminals: 3 }).extension;
    terminals.addToExtension(t, '1001', '13812345678');
    const now = Date.now();
    bindings.upsert({ tenantId: t, extensionId: ext.id, user: '1001', contact: 'sip:1001@192.0.2.10:5060', callId: 'c1', cseq: 1, expiresAt: now + 600_000, registeredAt: now, source: { transport: 'udp', address: '192.0.2.10', port: 5060 }, natted: false, userAgent: 'Yealink' });
    bindings.upsert({ tenantId: t, extensionId: ext.id, user: '1001', contact: 'sip:1001@192.0.2.11:5060', callId: 'c2', cseq: 1, expiresAt: now - 1, registeredAt: now - 10_000, source: { transport: 'udp', address: '192.0.2.11', port: 5060 }, natted: false });
    const v = await ok<{ registered: Array<{ contact: string; userAgent: string; source: string }>; pstn: Array<{ pstnNumber: string }>; total: number; limit: number; source: string }>(call('GET', '/extensions/1001/devices'));
    expect(v).toMatchObject({ total: 2, limit: 3, source: 'stored', pstn: [{ pstnNumber: '+8613812345678' }], registered: [{ contact: 'sip:1001@192.0.2.10:5060', userAgent: 'Yealink', source: 'udp 192.0.2.10:5060' }] });
    expect(await ok(call('GET', `/tenants/${t}/extensions/1001/devices`))).toMatchObject({ total: 2 });
    expect((await call('GET', '/extensions/9999/devices')).status).toBe(404);

    const live = createApiApp({ services: env.services, location: { contactsOf: (id) => (id === ext.id ? [{ tenantId: t, extensionId: id, user: '1001', contact: 'sip:1001@10.0.0.5:5062;transport=tcp', callId: 'x', cseq: 1, expiresAt: now + 1000, registeredAt: now, source: { transport: 'tcp', address: '203.0.113.5', port: 40000 }, natted: true }] : []) } });
    const r = await live.request('/extensions/1001/devices', { headers: { Authorization: `Bearer ${admin}` } });
    expect(await r.json()).toMatchObject({ source: 'live', total: 2, registered: [{ source: 'tcp 203.0.113.5:40000', natted: true }] });
  });
});

describe('admin API: OpenAPI', () => {
  it('describes the organisation routes with their bodies', async () => {
    const doc = (await (await call('GET', '/openapi.json', { token: null })).json()) as { paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { properties: object } }> } }>> };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/departments',
        '/departments/{department}',
        '/employees',
        '/employees/{employee}',
        '/employees/{employee}/deactivate',
        '/contacts',
        '/contacts/{id}',
        '/contacts/from-call/{callId}',
        '/tenants/{tenant}/employees',
        '/extensions/{number}/devices',
        '/tenants/{tenant}/extensions/{number}/devices',
      ]),
    );
    expect(doc.paths['/employees']!.post!.requestBody!.content['application/json']!.schema.properties).toHaveProperty('employeeNo');
    expect(doc.paths['/contacts/from-call/{callId}']!.post!.requestBody!.content['application/json']!.schema.properties).toHaveProperty('name');
    expect(doc.paths['/departments/{department}']).toHaveProperty('patch');
  });
});
