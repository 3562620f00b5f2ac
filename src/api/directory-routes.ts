// The organisation (R-DIR-1): /departments (the tree; a department by id or by its path,
// URL-encoded: /departments/Sales%2FEast), /employees (by employee id), /contacts (by id, with
// /contacts/from-call/:callId), and /extensions/:number/devices (what an extension rings). Each
// is mounted at the caller's tenant (else the default tenant) and at /tenants/:tenant/…; a
// tenant token reaches its own tenant only.
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { caller, intQuery, jsonBody, tenantFor, type ApiDeps, type ApiEnv } from './context.ts';
import { InvalidError } from '../errors.ts';
import type { Services } from '../services.ts';
import { extensionDevices, type LiveLocation } from '../directory/extension-devices.ts';

/** The API's dependencies with the organisation's services; `location` (the running registrar's) makes the devices view live. */
export type DirectoryApiDeps = ApiDeps & { services: Pick<Services, 'db' | 'departments' | 'employees' | 'contacts'>; location?: LiveLocation };

const text = z.union([z.string(), z.number().int()]).transform(String);
const departmentRef = z.union([z.number().int().positive(), z.string().min(1)]);

export const departmentAddBody = z.object({ name: z.string(), parent: departmentRef.nullable().optional() }).strict();
export const departmentPatchBody = z.object({ name: z.string().optional(), parent: departmentRef.nullable().optional() }).strict();

const employeeFields = {
  name: z.string(),
  department: departmentRef.nullable().optional(),
  mobile: z.string().nullable().optional(),
  title: z.string().nullable().optional(),
  active: z.boolean().optional(),
  extension: text.optional(),
};
export const employeeAddBody = z.object({ employeeNo: text, ...employeeFields }).strict();
export const employeePatchBody = z.object({ employeeNo: text.optional(), ...employeeFields, name: z.string().optional() }).strict();

const contactFields = {
  name: z.string(),
  company: z.string().nullable().optional(),
  numbers: z.array(text).min(1).max(20),
  owner: text.nullable().optional(),
};
export const contactAddBody = z.object(contactFields).strict();
export const contactPatchBody = z.object({ ...contactFields, name: z.string().optional(), numbers: contactFields.numbers.optional() }).strict();
export const contactFromCallBody = z.object({ ...contactFields, numbers: z.array(text).max(19).optional() }).strict();

export const EMPLOYEE_QUERY = ['limit', 'offset', 'department', 'active'];
export const CONTACT_QUERY = ['limit', 'offset', 'owner', 'q'];

function idParam(c: Context, name: string): number {
  const v = c.req.param(name) ?? '';
  if (!/^[0-9]{1,15}$/.test(v)) throw new InvalidError(`${name} ${JSON.stringify(v)} must be an id`);
  return Number(v);
}

function boolQuery(c: Context, name: string): boolean | undefined {
  const v = c.req.query(name);
  if (v === undefined || v === '') return undefined;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new InvalidError(`query parameter ${name} must be true or false`);
}

const tenantOf = (deps: ApiDeps) => (c: Context<ApiEnv>) => tenantFor(c, deps, c.req.param('tenant'));

export function departmentRoutes(deps: DirectoryApiDeps): Hono<ApiEnv> {
  const r = new Hono<ApiEnv>();
  const { departments } = deps.services;
  const tenant = tenantOf(deps);
  r.get('/', (c) => c.json({ items: departments.list(tenant(c).id) }));
  r.post('/', async (c) => {
    const t = tenant(c);
    const body = await jsonBody(c, departmentAddBody);
    return c.json(departments.add(t.id, body, caller(c).actor), 201);
  });
  r.get('/:ref', (c) => c.json(departments.get(tenant(c).id, c.req.param('ref'))));
  r.patch('/:ref', async (c) => {
    const t = tenant(c);
    const body = await jsonBody(c, departmentPatchBody);
    return c.json(departments.update(t.id, c.req.param('ref'), body, caller(c).actor));
  });
  r.delete('/:ref', (c) => c.json(departments.remove(tenant(c).id, c.req.param('ref'), caller(c).actor)));
  return r;
}

export function employeeRoutes(deps: DirectoryApiDeps): Hono<ApiEnv> {
  const r = new Hono<ApiEnv>();
  const { employees } = deps.services;
  const tenant = tenantOf(deps);
  r.get('/', (c) => {
    const t = tenant(c);
    const department = c.req.query('department');
    const active = boolQuery(c, 'active');
    return c.json(
      employees.list(t.id, {
        limit: intQuery(c, 'limit', 100, 1, 10_000),
        offset: intQuery(c, 'offset', 0, 0, Number.MAX_SAFE_INTEGER),
        ...(department ? { department } : {}),
        ...(active !== undefined ? { active } : {}),
      }),
    );
  });
  r.post('/', async (c) => {
    const t = tenant(c);
    const body = await jsonBody(c, employeeAddBody);
    return c.json(employees.add(t.id, body, caller(c).actor), 201);
  });
  r.get('/:no', (c) => c.json(employees.get(tenant(c).id, c.req.param('no'))));
  r.patch('/:no', async (c) => {
    const t = tenant(c);
    const body = await jsonBody(c, employeePatchBody);
    return c.json(employees.update(t.id, c.req.param('no'), body, caller(c).actor));
  });
  r.post('/:no/deactivate', (c) => c.json(employees.deactivate(tenant(c).id, c.req.param('no'), caller(c).actor)));
  r.delete('/:no', (c) => c.json(employees.remove(tenant(c).id, c.req.param('no'), { keepExtension: boolQuery(c, 'keepExtension') ?? false }, caller(c).actor)));
  return r;
}

export function contactRoutes(deps: DirectoryApiDeps): Hono<ApiEnv> {
  const r = new Hono<ApiEnv>();
  const { contacts } = deps.services;
  const tenant = tenantOf(deps);
  r.get('/', (c) => {
    const t = tenant(c);
    const q = c.req.query('q');
    if (q !== undefined) return c.json({ items: contacts.search(t.id, q, intQuery(c, 'limit', 20, 1, 200)) });
    const owner = c.req.query('owner');
    return c.json(contacts.list(t.id, { limit: intQuery(c, 'limit', 100, 1, 1000), offset: intQuery(c, 'offset', 0, 0, Number.MAX_SAFE_INTEGER), ...(owner ? { owner } : {}) }));
  });
  r.post('/', async (c) => {
    const t = tenant(c);
    const body = await jsonBody(c, contactAddBody);
    return c.json(contacts.add(t.id, body, caller(c).actor), 201);
  });
  r.post('/from-call/:callId', async (c) => {
    const t = tenant(c);
    const body = await jsonBody(c, contactFromCallBody);
    return c.json(contacts.addFromCall(t.id, c.req.param('callId'), body, caller(c).actor), 201);
  });
  r.get('/:id', (c) => c.json(contacts.get(tenant(c).id, idParam(c, 'id'))));
  r.patch('/:id', async (c) => {
    const t = tenant(c);
    const body = await jsonBody(c, contactPatchBody);
    return c.json(contacts.update(t.id, idParam(c, 'id'), body, caller(c).actor));
  });
  r.delete('/:id', (c) => c.json(contacts.remove(tenant(c).id, idParam(c, 'id'), caller(c).actor)));
  return r;
}

/** /extensions/:number/devices, mounted beside extension-routes.ts. */
export function extensionDeviceRoutes(deps: DirectoryApiDeps): Hono<ApiEnv> {
  const r = new Hono<ApiEnv>();
  const tenant = tenantOf(deps);
  r.get('/:number/devices', (c) => {
    const s = deps.services;
    return c.json(extensionDevices({ db: s.db, extensions: s.extensions, terminals: s.terminals, bindings: s.bindings }, tenant(c).id, c.req.param('number'), deps.location ? { live: deps.location } : {}));
  });
  return r;
}
