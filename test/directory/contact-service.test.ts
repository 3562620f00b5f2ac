// External contacts: numbers normalised (national at home, E.164 abroad) and unique to one
// contact of a tenant, an owning employee, list/search/show/update/remove, and a contact made
// from a call record's outside party.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempServices } from '../fixtures.ts';
import { ConflictError, InvalidError, NotFoundError } from '../../src/errors.ts';
import { callNumberKey } from '../../src/directory/contact-service.ts';

let env: ReturnType<typeof tempServices>;
let t: number;
beforeEach(() => {
  env = tempServices();
  t = env.services.tenants.defaultTenant().id;
});
afterEach(() => env.cleanup());

function insertCall(id: string, direction: 'internal' | 'inbound' | 'outbound', caller: string, callee: string, tenantId = t): void {
  env.services.db.sqlite
    .prepare('INSERT INTO call (id, tenant_id, direction, caller_number, callee_number, started_at) VALUES (?, ?, ?, ?, ?, ?)')
    .run(id, tenantId, direction, caller, callee, Date.UTC(2026, 0, 1));
}

describe('ContactService', () => {
  it('adds a contact with normalised numbers and an owner; shows, lists by name with pagination, audited', () => {
    const { contacts, employees, audit } = env.services;
    employees.add(t, { employeeNo: 'E001', name: 'Ann', active: false });
    const c = contacts.add(t, { name: 'Wang Wu', company: 'Acme Ltd', numbers: ['+86 138-1234-5678', '010 8888 6666', '13812345678', '+44 20 7946 0000'], owner: 'E001' }, 'test');
    expect(c).toMatchObject({ name: 'Wang Wu', company: 'Acme Ltd', numbers: ['13812345678', '01088886666', '+442079460000'], owner: { employeeNo: 'E001', name: 'Ann' } });
    expect(contacts.get(t, c.id)).toEqual(c);
    expect(audit.list()[0]).toMatchObject({ actor: 'test', action: 'contact.add', target: 'Wang Wu', detail: { numbers: c.numbers, owner: 'E001' } });
    contacts.add(t, { name: 'Albert', numbers: ['13900000001'] });
    contacts.add(t, { name: 'Zed', numbers: ['13900000002'], owner: 'E001' });
    const page = contacts.list(t, { limit: 2 });
    expect(page).toMatchObject({ total: 3, limit: 2, offset: 0 });
    expect(page.items.map((x) => x.name)).toEqual(['Albert', 'Wang Wu']);
    expect(contacts.list(t, { offset: 2 }).items.map((x) => x.name)).toEqual(['Zed']);
    expect(contacts.list(t, { owner: 'E001' }).items.map((x) => x.name)).toEqual(['Wang Wu', 'Zed']);
    expect(() => contacts.list(t, { owner: 'E999' })).toThrow(NotFoundError);
  });

  it('refuses contacts without name or number, bad numbers, unknown owners, and a number another contact has', () => {
    const { contacts, tenants } = env.services;
    contacts.add(t, { name: 'First', numbers: ['13812345678'] });
    expect(() => contacts.add(t, { name: 'Second', numbers: ['+8613812345678'] })).toThrow(ConflictError);
    expect(() => contacts.add(t, { name: 'Second', numbers: ['13812345678'] })).toThrow(/13812345678 is already a number of contact First \(id \d+\)/);
    expect(() => contacts.add(t, { name: 'X', numbers: [] })).toThrow(/at least one number/);
    expect(() => contacts.add(t, { name: '', numbers: ['13900000000'] })).toThrow(/needs a name/);
    expect(() => contacts.add(t, { name: 'X', numbers: ['110'] })).toThrow(/emergency number/);
    expect(() => contacts.add(t, { name: 'X', numbers: ['88886666'] })).toThrow(/without area code/);
    expect(() => contacts.add(t, { name: 'X', numbers: ['abc'] })).toThrow(InvalidError);
    expect(() => contacts.add(t, { name: 'X', numbers: ['13900000000'], owner: 'E404' })).toThrow('employee E404 does not exist');
    expect(contacts.list(t).total).toBe(1);
    // another tenant may have the same number
    const acme = tenants.add({ name: 'acme', domain: 'acme.example' });
    expect(contacts.add(acme.id, { name: 'Acme First', numbers: ['13812345678'] }).numbers).toEqual(['13812345678']);
    expect(() => contacts.get(acme.id, contacts.list(t).items[0]!.id)).toThrow(NotFoundError);
  });

  it('a local number takes the tenant area code', () => {
    env.services.tenants.updateSettings(t, { area_code: '755' });
    expect(env.services.contacts.add(t, { name: 'Local', numbers: ['88886666'] }).numbers).toEqual(['075588886666']);
  });

  it('searches by name prefix and by number prefix in any form', () => {
    const { contacts } = env.services;
    contacts.add(t, { name: 'Zhang San', numbers: ['13812345678'] });
    contacts.add(t, { name: 'Zhang Wei', numbers: ['01088886666'] });
    contacts.add(t, { name: '张伟', numbers: ['+442079460000'] });
    contacts.add(t, { name: 'Li Si', numbers: ['13987654321'] });
    expect(contacts.search(t, 'Zhang').map((c) => c.name)).toEqual(['Zhang San', 'Zhang Wei']);
    expect(contacts.search(t, 'Zhang S').map((c) => c.name)).toEqual(['Zhang San']);
    expect(contacts.search(t, 'zhang s').map((c) => c.name)).toEqual(['Zhang San']);
    expect(contacts.search(t, 'ZHANG').map((c) => c.name)).toEqual(['Zhang San', 'Zhang Wei']);
    expect(contacts.search(t, '张').map((c) => c.name)).toEqual(['张伟']);
    expect(contacts.search(t, '138 1234').map((c) => c.name)).toEqual(['Zhang San']);
    expect(contacts.search(t, '+86138').map((c) => c.name)).toEqual(['Zhang San']);
    expect(contacts.search(t, '+8610888').map((c) => c.name)).toEqual(['Zhang Wei']);
    expect(contacts.search(t, '+4420').map((c) => c.name)).toEqual(['张伟']);
    expect(contacts.search(t, '139').map((c) => c.name)).toEqual(['Li Si']);
    expect(contacts.search(t, 'nobody')).toEqual([]);
    expect(contacts.search(t, 'Zhang', 1)).toHaveLength(1);
    expect(() => contacts.search(t, ' ')).toThrow(InvalidError);
    expect(contacts.findByNumber(t, '+8613812345678')?.name).toBe('Zhang San');
    expect(contacts.findByNumber(t, '0044 20 7946 0000')?.name).toBe('张伟');
    expect(contacts.findByNumber(t, '13800000000')).toBeUndefined();
  });

  it('updates name, company, owner and numbers (replacing them); removes with its numbers', () => {
    const { contacts, employees } = env.services;
    employees.add(t, { employeeNo: 'E1', name: 'Ann', active: false });
    const c = contacts.add(t, { name: 'A', numbers: ['13812345678'] });
    const other = contacts.add(t, { name: 'B', numbers: ['13900000000'] });
    const u = contacts.update(t, c.id, { name: 'A2', company: 'Co', owner: 'E1', numbers: ['13812345678', '13700000000'] });
    expect(u).toMatchObject({ name: 'A2', company: 'Co', owner: { employeeNo: 'E1' }, numbers: ['13812345678', '13700000000'] });
    expect(() => contacts.update(t, c.id, { numbers: ['13900000000'] })).toThrow(/already a number of contact B/);
    expect(contacts.update(t, c.id, { owner: null, company: null })).toMatchObject({ owner: null, company: null });
    expect(contacts.remove(t, other.id).name).toBe('B');
    expect(env.services.db.sqlite.prepare('SELECT count(*) FROM contact_number WHERE contact_id = ?').pluck().get(other.id)).toBe(0);
    expect(() => contacts.remove(t, other.id)).toThrow(NotFoundError);
    expect(env.services.audit.list()[0]).toMatchObject({ action: 'contact.remove', target: 'B' });
  });

  it('adds the outside party of a call record: the caller of an inbound call, the callee of an outbound one', () => {
    const { contacts, tenants } = env.services;
    insertCall('in-1', 'inbound', '+8613812345678', '+861088880000');
    insertCall('out-1', 'outbound', '800', '01088886666');
    insertCall('int-1', 'internal', '800', '801');
    insertCall('anon', 'inbound', 'anonymous', '+861088880000');
    expect(contacts.addFromCall(t, 'in-1', { name: 'Caller', company: 'Co' })).toMatchObject({ name: 'Caller', company: 'Co', numbers: ['13812345678'] });
    expect(contacts.addFromCall(t, 'out-1', { name: 'Callee', numbers: ['13700000000'] }).numbers).toEqual(['01088886666', '13700000000']);
    expect(() => contacts.addFromCall(t, 'in-1', { name: 'Again' })).toThrow(ConflictError);
    expect(() => contacts.addFromCall(t, 'int-1', { name: 'X' })).toThrow(/internal call between extensions/);
    expect(() => contacts.addFromCall(t, 'anon', { name: 'X' })).toThrow(/gave no number \(anonymous\)/);
    expect(() => contacts.addFromCall(t, 'nope', { name: 'X' })).toThrow(NotFoundError);
    const acme = tenants.add({ name: 'acme', domain: 'acme.example' });
    expect(() => contacts.addFromCall(acme.id, 'out-1', { name: 'X' })).toThrow('call out-1 does not exist');
  });

  it('callNumberKey reads what carriers send the way contacts are kept', () => {
    const home = { countryCode: '86', areaCode: '10' };
    expect(callNumberKey('+8613812345678', home)).toBe('13812345678');
    expect(callNumberKey('008613812345678', home)).toBe('13812345678');
    expect(callNumberKey('88886666', home)).toBe('01088886666');
    expect(callNumberKey('+442079460000', home)).toBe('+442079460000');
    expect(callNumberKey('110', home)).toBeUndefined();
    expect(callNumberKey('anonymous', home)).toBeUndefined();
  });
});
