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
