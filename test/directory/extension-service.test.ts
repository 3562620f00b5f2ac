import { afterEach, describe, expect, it } from 'vitest';
import { tempServices } from '../fixtures.ts';
import { applyConfig } from '../../src/config/index.ts';
import { ConfigManagedError, ConflictError, InvalidError, NotFoundError } from '../../src/errors.ts';

let env: ReturnType<typeof tempServices>;
afterEach(() => env?.cleanup());

describe('ExtensionService', () => {
  it('adds with a generated password, shows, lists, updates, sets password, removes', () => {
    env = tempServices();
    const { extensions, tenants, audit } = env.services;
    const t = tenants.defaultTenant().id;
    const added = extensions.add(t, { number: '1001', displayName: 'Alice', maxTerminals: 2, ringStrategy: 'sequential', ringTimeoutS: 15 }, 'cli:test');
    expect(added.generatedPassword).toBe(true);
    expect(added.password).toMatch(/^[A-Za-z0-9]{16}$/);
    expect(added.extension).toMatchObject({ number: '1001', displayName: 'Alice', maxTerminals: 2, ringStrategy: 'sequential', ringTimeoutS: 15, configManaged: false });
    expect(added.extension).not.toHaveProperty('sipPassword');
    expect(extensions.findByNumber(t, '1001')?.sipPassword).toBe(added.password);

    const own = extensions.add(t, { number: '1002', password: 'my-secret-pw' });
    expect(own).toMatchObject({ password: 'my-secret-pw', generatedPassword: false });
    expect(extensions.show(t, '1002')).toMatchObject({ maxTerminals: 3, ringStrategy: 'simultaneous', ringTimeoutS: 20 });

    const page = extensions.list(t, { limit: 1 });
    expect(page.total).toBe(2);
    expect(page.items.map((e) => e.number)).toEqual(['1001']);
    expect(extensions.list(t, { limit: 1, offset: 1 }).items[0]!.number).toBe('1002');

    expect(extensions.update(t, '1002', { displayName: 'Bob', maxTerminals: 1 }).displayName).toBe('Bob');
    const pw = extensions.setPassword(t, '1002', 'another-secret');
    expect(pw.password).toBe('another-secret');
    expect(extensions.findByNumber(t, '1002')?.sipPassword).toBe('another-secret');
    expect(extensions.setPassword(t, '1002').generatedPassword).toBe(true);

    extensions.remove(t, '1001');
    expect(extensions.findByNumber(t, '1001')).toBeUndefined();
    expect(audit.list().map((a) => a.action)).toEqual(
      expect.arrayContaining(['extension.add', 'extension.update', 'extension.set_password', 'extension.remove']),
    );
  });

  it('rejects bad input, duplicates and unknown numbers with typed errors', () => {
    env = tempServices();
    const { extensions, tenants } = env.services;
    const t = tenants.defaultTenant().id;
    extensions.add(t, { number: '200' });
    expect(() => extensions.add(t, { number: '200' })).toThrow(ConflictError);
    expect(() => extensions.add(t, { number: '0123' })).toThrow(InvalidError);
    expect(() => extensions.add(t, { number: '1' })).toThrow(/2 to 8 digits/);
    expect(() => extensions.add(t, { number: '300', maxTerminals: 4 })).toThrow(/max terminals .* 1 to 3/);
    expect(() => extensions.add(t, { number: '300', ringStrategy: 'random' as never })).toThrow(/sequential or simultaneous/);
    expect(() => extensions.add(t, { number: '300', password: 'short' })).toThrow(/8 to 128/);
    expect(() => extensions.show(t, '999')).toThrow(NotFoundError);
    expect(() => extensions.remove(t, '999')).toThrow(/extension 999 does not exist/);
  });

  it('keeps tenants apart', () => {
    env = tempServices();
    const { extensions, tenants } = env.services;
    const d = tenants.defaultTenant().id;
    const acme = tenants.add({ name: 'acme', domain: 'acme.example' }).id;
    extensions.add(d, { number: '100', password: 'default-100' });
    extensions.add(acme, { number: '100', password: 'acme-100-pw' });
    expect(extensions.findByNumber(acme, '100')?.sipPassword).toBe('acme-100-pw');
    expect(extensions.list(acme).total).toBe(1);
    extensions.remove(acme, '100');
    expect(extensions.findByNumber(d, '100')).toBeDefined();
  });

  it('refuses to edit config-managed extensions with a message saying so', () => {
    env = tempServices('tenants:\n  - name: main\n    default: true\n    extensions:\n      - number: 1001\n        password: from-config\n');
    applyConfig(env.services.db, env.config, env.services.audit);
    const { extensions, tenants } = env.services;
    const t = tenants.defaultTenant().id;
    expect(extensions.show(t, '1001').configManaged).toBe(true);
    expect(() => extensions.remove(t, '1001')).toThrow(ConfigManagedError);
    expect(() => extensions.setPassword(t, '1001', 'whatever1')).toThrow('extension 1001 is declared in the config file; edit the config instead');
    expect(() => extensions.update(t, '1001', { maxTerminals: 1 })).toThrow(ConfigManagedError);
  });

  it('provisions many in one transaction, all or nothing', () => {
    env = tempServices();
    const { extensions, tenants } = env.services;
    const t = tenants.defaultTenant().id;
    const generated: string[] = [];
    const rows = Array.from({ length: 5000 }, (_, i) => ({ number: String(10000 + i), ...(i % 2 ? { password: `pw-${i}-secret` } : {}) }));
    expect(extensions.provisionMany(t, rows, { onGeneratedPassword: (n) => generated.push(n) }).added).toBe(5000);
    expect(generated).toHaveLength(2500);
    expect(extensions.count(t)).toBe(5000);
    expect(extensions.findByNumber(t, '10001')?.sipPassword).toBe('pw-1-secret');
    expect(() => extensions.provisionMany(t, [{ number: '20000' }, { number: '10000' }])).toThrow(/extension 10000 already exists \(nothing was added\)/);
    expect(extensions.findByNumber(t, '20000')).toBeUndefined();
    expect(() => extensions.provisionMany(t, [{ number: '20001' }, { number: 'x' }])).toThrow(InvalidError);
    expect(extensions.findByNumber(t, '20001')).toBeUndefined();
  });
});

describe('ExtensionService kinds (R-DIR-1)', () => {
  it('function by default, operator on request, employee only with an employee; kind changes only without one', () => {
    env = tempServices();
    const { extensions, employees, tenants } = env.services;
    const t = tenants.defaultTenant().id;
    expect(extensions.add(t, { number: '300', password: 'secret-300' }).extension).toMatchObject({ kind: 'function', employeeId: null });
    expect(extensions.add(t, { number: '301', password: 'secret-301', kind: 'operator' }).extension.kind).toBe('operator');
    expect(() => extensions.add(t, { number: '302', kind: 'employee' })).toThrow(/an employee's extension is given with the employee/);
    expect(() => extensions.add(t, { number: '302', kind: 'fax' as never })).toThrow(/kind of extension 302 must be one of employee, operator, function/);
    expect(extensions.update(t, '300', { kind: 'operator' }).kind).toBe('operator');
    expect(() => extensions.update(t, '300', { kind: 'employee' })).toThrow(/given with the employee/);
    const e = employees.add(t, { employeeNo: 'E1', name: 'Ann' }).employee;
    expect(extensions.show(t, e.extension!)).toMatchObject({ kind: 'employee', employeeId: e.id });
    expect(() => extensions.update(t, e.extension!, { kind: 'function' })).toThrow(/its kind stays employee/);
    expect(extensions.update(t, e.extension!, { ringTimeoutS: 30 })).toMatchObject({ kind: 'employee', ringTimeoutS: 30 });
    expect(() => extensions.add(t, { number: '303', employeeId: e.id })).toThrow('that employee already has an extension');
    // bulk provisioning keeps the kind given
    extensions.provisionMany(t, [{ number: '400', kind: 'operator' }, { number: '401' }]);
    expect([extensions.show(t, '400').kind, extensions.show(t, '401').kind]).toEqual(['operator', 'function']);
    // renumbering: unique, keeps the row
    const before = extensions.show(t, '401');
    expect(extensions.renumber(t, '401', '402')).toMatchObject({ id: before.id, number: '402' });
    expect(() => extensions.renumber(t, '402', '400')).toThrow('extension 400 already exists');
    expect(() => extensions.renumber(t, '402', '04')).toThrow(/2 to 8 digits/);
  });
});
