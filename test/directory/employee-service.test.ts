// Employees: unique employee id per tenant, department by id or path, mobile checked, an active
// new employee gets an extension at once (automatic numbering, or the number given), inactive
// ones none until activated, deactivation keeps the extension, removal takes it (or keeps it as
// a function extension), pagination and filters.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempServices } from '../fixtures.ts';
import { ConfigManagedError, ConflictError, InvalidError, NotFoundError } from '../../src/errors.ts';

let env: ReturnType<typeof tempServices>;
let t: number;
beforeEach(() => {
  env = tempServices();
  t = env.services.tenants.defaultTenant().id;
});
afterEach(() => env.cleanup());

const extRow = (number: string) =>
  env.services.db.sqlite.prepare('SELECT number, kind, employee_id, display_name FROM extension WHERE tenant_id = ? AND number = ?').get(t, number) as
    | { number: string; kind: string; employee_id: number | null; display_name: string | null }
    | undefined;

describe('EmployeeService', () => {
  it('an active new employee gets the next automatic extension at once, with its SIP password shown once', () => {
    const { employees, departments, audit } = env.services;
    departments.add(t, { name: 'Sales' });
    departments.add(t, { name: 'East', parent: 'Sales' });
    const a = employees.add(t, { employeeNo: 'E001', name: 'Zhang San', department: 'Sales/East', mobile: '138 1234 5678', title: 'Manager' }, 'test');
    expect(a.employee).toMatchObject({ employeeNo: 'E001', name: 'Zhang San', department: 'Sales/East', mobile: '13812345678', title: 'Manager', active: true, extension: '800' });
    expect(a.extension).toMatchObject({ number: '800', how: 'automatic', password: expect.stringMatching(/^[A-Za-z0-9]{16}$/) });
    expect(extRow('800')).toEqual({ number: '800', kind: 'employee', employee_id: a.employee.id, display_name: 'Zhang San' });
    expect(env.services.extensions.findByNumber(t, '800')?.sipPassword).toBe(a.extension!.password);
    const b = employees.add(t, { employeeNo: 'E002', name: 'Li Si', department: departments.get(t, 'Sales').id });
    expect(b.employee).toMatchObject({ extension: '801', department: 'Sales' });
    expect(audit.list().map((x) => x.action).slice(0, 4)).toEqual(['extension.add', 'employee.add', 'extension.add', 'employee.add']);
    expect(audit.list()[3]).toMatchObject({ actor: 'test', target: 'E001' });
  });

  it('takes a given extension number instead (uniqueness enforced; nothing is added on a clash)', () => {
    const { employees, extensions } = env.services;
    extensions.add(t, { number: '2001', password: 'secret-2001' });
    const a = employees.add(t, { employeeNo: 'E001', name: 'Ann', extension: '2002' });
    expect(a.extension).toMatchObject({ number: '2002', how: 'given' });
    expect(extRow('2002')).toMatchObject({ kind: 'employee', employee_id: a.employee.id });
    expect(() => employees.add(t, { employeeNo: 'E002', name: 'Bob', extension: '2001' })).toThrow(ConflictError);
    expect(() => employees.get(t, 'E002')).toThrow(NotFoundError); // all or nothing
    expect(() => employees.add(t, { employeeNo: 'E002', name: 'Bob', extension: '0123' })).toThrow(InvalidError);
    // an inactive employee may be given a number by hand, but gets none by itself
    expect(employees.add(t, { employeeNo: 'E003', name: 'Cy', active: false, extension: '2003' }).employee).toMatchObject({ active: false, extension: '2003' });
    expect(employees.add(t, { employeeNo: 'E004', name: 'Di', active: false })).toMatchObject({ extension: null, employee: { extension: null } });
  });

  it('refuses duplicate employee ids (per tenant), unknown departments, bad mobiles and names', () => {
    const { employees, tenants } = env.services;
    employees.add(t, { employeeNo: 'E001', name: 'Ann', active: false });
    expect(() => employees.add(t, { employeeNo: 'E001', name: 'Other', active: false })).toThrow('employee E001 already exists');
    const acme = tenants.add({ name: 'acme', domain: 'acme.example' });
    expect(employees.add(acme.id, { employeeNo: 'E001', name: 'Acme Ann' }).employee.extension).toBe('800');
    expect(() => employees.add(t, { employeeNo: 'E002', name: 'B', department: 'Nowhere' })).toThrow(/department Nowhere does not exist/);
    expect(() => employees.add(t, { employeeNo: 'E002', name: 'B', mobile: '01088886666' })).toThrow(/mobile 01088886666 of employee E002 is not a mobile number \(it reads as a landline number\)/);
    expect(() => employees.add(t, { employeeNo: 'E002', name: 'B', mobile: '1381234' })).toThrow(InvalidError);
    expect(() => employees.add(t, { employeeNo: 'E002', name: 'B', mobile: 'call me' })).toThrow(/not a phone number/);
    expect(() => employees.add(t, { employeeNo: '', name: 'B' })).toThrow(/needs an employee id/);
    expect(() => employees.add(t, { employeeNo: 'E 2', name: 'B' })).toThrow(/without spaces/);
    expect(() => employees.add(t, { employeeNo: 'E002', name: ' ' })).toThrow(/needs a name/);
    expect(() => employees.add(t, { employeeNo: 'E002', name: 'B', title: 'x'.repeat(65) })).toThrow(/title/);
    expect(employees.add(t, { employeeNo: 'E002', name: 'B', mobile: '+86 139-1234-5678', active: false }).employee.mobile).toBe('13912345678');
    expect(employees.list(t).total).toBe(2);
  });

  it('activating gives an extension; deactivating keeps it; set renumbers it (unique) and carries the name', () => {
    const { employees, extensions, audit } = env.services;
    employees.add(t, { employeeNo: 'E001', name: 'Ann', active: false });
    const on = employees.update(t, 'E001', { active: true });
    expect(on.extension).toMatchObject({ number: '800', how: 'automatic' });
    const off = employees.deactivate(t, 'E001');
    expect(off).toMatchObject({ active: false, extension: '800' });
    expect(audit.list()[0]).toMatchObject({ action: 'employee.deactivate', target: 'E001' });
    expect(extRow('800')).toMatchObject({ kind: 'employee' });
    expect(employees.update(t, 'E001', { active: true }).extension).toBeNull(); // has one already

    extensions.add(t, { number: '900', password: 'secret-900' });
    expect(() => employees.update(t, 'E001', { extension: '900' })).toThrow('extension 900 already exists');
    const moved = employees.update(t, 'E001', { extension: '1234', name: 'Ann Lee', title: 'Boss', employeeNo: 'E0001' });
    expect(moved).toMatchObject({ extension: null, employee: { employeeNo: 'E0001', name: 'Ann Lee', title: 'Boss', extension: '1234' } });
    expect(extRow('1234')).toMatchObject({ display_name: 'Ann Lee', kind: 'employee' });
    expect(extRow('800')).toBeUndefined();
    expect(() => employees.get(t, 'E001')).toThrow(NotFoundError);
    employees.add(t, { employeeNo: 'E002', name: 'Bob', active: false });
    expect(() => employees.update(t, 'E002', { employeeNo: 'E0001' })).toThrow('employee E0001 already exists');
    expect(() => employees.update(t, 'E002', { mobile: '110' })).toThrow(/not a mobile number/);
    expect(employees.update(t, 'E002', { mobile: null, title: '' }).employee).toMatchObject({ mobile: null, title: null });
    // an inactive employee without extension given one by hand
    expect(employees.update(t, 'E002', { extension: '1235' }).extension).toMatchObject({ number: '1235', how: 'given' });
    expect(() => employees.update(t, 'nobody', { name: 'x' })).toThrow(NotFoundError);
  });

  it('remove takes the extension with it, or keeps it as a function extension; contacts lose their manager', () => {
    const { employees, extensions, contacts, terminals } = env.services;
    const a = employees.add(t, { employeeNo: 'E001', name: 'Ann' }).employee;
    employees.add(t, { employeeNo: 'E002', name: 'Bob' });
    terminals.addToExtension(t, a.extension!, '13812345678');
    const c = contacts.add(t, { name: 'Client', numbers: ['13900001111'], owner: 'E001' });
    expect(c.owner).toEqual({ employeeNo: 'E001', name: 'Ann' });
    expect(employees.remove(t, 'E001')).toMatchObject({ employeeNo: 'E001', extension: '800', extensionKept: false });
    expect(extRow('800')).toBeUndefined();
    expect(env.services.db.sqlite.prepare('SELECT count(*) FROM terminal').pluck().get()).toBe(0);
    expect(contacts.get(t, c.id)).toMatchObject({ ownerEmployeeId: null, owner: null });
    expect(employees.remove(t, 'E002', { keepExtension: true })).toMatchObject({ extension: '801', extensionKept: true });
    expect(extRow('801')).toEqual({ number: '801', kind: 'function', employee_id: null, display_name: 'Bob' });
    expect(extensions.show(t, '801')).toMatchObject({ kind: 'function', employeeId: null });
    expect(env.services.audit.list()[0]).toMatchObject({ action: 'employee.remove', target: 'E002', detail: { extension: '801', extensionKept: true } });
    expect(() => employees.remove(t, 'E002')).toThrow(NotFoundError);
  });

  it('lists by employee id with pagination, filtered by department (with its sub-departments) and active', () => {
    const { employees, departments } = env.services;
    departments.add(t, { name: 'Sales' });
    departments.add(t, { name: 'East', parent: 'Sales' });
    departments.add(t, { name: 'Admin' });
    employees.add(t, { employeeNo: 'E03', name: 'C', department: 'Sales/East' });
    employees.add(t, { employeeNo: 'E01', name: 'A', department: 'Sales' });
    employees.add(t, { employeeNo: 'E02', name: 'B', department: 'Admin', active: false });
    employees.add(t, { employeeNo: 'E04', name: 'D' });
    const page = employees.list(t, { limit: 2, offset: 1 });
    expect(page).toMatchObject({ total: 4, limit: 2, offset: 1 });
    expect(page.items.map((e) => [e.employeeNo, e.department, e.extension])).toEqual([
      ['E02', 'Admin', null],
      ['E03', 'Sales/East', '800'],
    ]);
    expect(employees.list(t, { department: 'Sales' }).items.map((e) => e.employeeNo)).toEqual(['E01', 'E03']);
    expect(employees.list(t, { department: 'Sales/East' }).items.map((e) => e.employeeNo)).toEqual(['E03']);
    expect(employees.list(t, { active: false }).items.map((e) => e.employeeNo)).toEqual(['E02']);
    expect(employees.list(t, { department: 'Sales', active: true }).total).toBe(2);
    expect(() => employees.list(t, { department: 'Nope' })).toThrow(NotFoundError);
  });

  it('a config-declared extension cannot be taken over by renumbering', () => {
    env.cleanup();
    env = tempServices('tenants:\n  - name: main\n    default: true\n    extensions:\n      - { number: 1001, password: from-config }\n');
    t = env.services.tenants.defaultTenant().id;
    // applyConfig is what marks rows config-managed
    return import('../../src/config/index.ts').then(({ applyConfig }) => {
      applyConfig(env.services.db, env.config, env.services.audit);
      expect(() => env.services.employees.add(t, { employeeNo: 'E1', name: 'A', extension: '1001' })).toThrow(ConflictError);
      env.services.employees.add(t, { employeeNo: 'E1', name: 'A' });
      expect(() => env.services.extensions.update(t, '1001', { kind: 'operator' })).toThrow(ConfigManagedError);
    });
  });
});
