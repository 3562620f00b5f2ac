import { afterEach, describe, expect, it } from 'vitest';
import { tempServices } from '../fixtures.ts';

let env: ReturnType<typeof tempServices>;
afterEach(() => env?.cleanup());

describe('TenantService', () => {
  it('ensures one default tenant without domain', () => {
    env = tempServices();
    const { tenants } = env.services;
    const d = tenants.ensureDefault();
    expect(d).toMatchObject({ name: 'default', isDefault: true, domain: null });
    expect(tenants.ensureDefault().id).toBe(d.id);
    expect(tenants.list()).toHaveLength(1);
  });

  it('adds, lists, finds by domain and name, refuses duplicates and bad input', () => {
    env = tempServices();
    const { tenants } = env.services;
    const acme = tenants.add({ name: 'acme', domain: 'ACME.example' }, 'test');
    expect(acme.domain).toBe('acme.example');
    expect(tenants.findByDomain('acme.EXAMPLE')?.id).toBe(acme.id);
    expect(tenants.resolve('acme').id).toBe(acme.id);
    expect(tenants.resolve(String(acme.id)).name).toBe('acme');
    expect(tenants.resolve(undefined).isDefault).toBe(true);
    expect(() => tenants.add({ name: 'acme', domain: 'other.example' })).toThrow(/already exists/);
    expect(() => tenants.add({ name: 'acme2', domain: 'acme.example' })).toThrow(/already belongs to tenant acme/);
    expect(() => tenants.add({ name: 'x', domain: null })).toThrow(/needs a SIP domain/);
    expect(() => tenants.add({ name: '1bad', domain: 'b.example' })).toThrow(/must start with a letter/);
    expect(() => tenants.resolve('nope')).toThrow(/tenant nope does not exist/);
    expect(tenants.list().map((t) => t.name)).toEqual(['default', 'acme']);
  });

  it('removes a tenant but never the default one', () => {
    env = tempServices();
    const { tenants } = env.services;
    tenants.add({ name: 'acme', domain: 'acme.example' });
    tenants.remove('acme');
    expect(tenants.findByName('acme')).toBeUndefined();
    expect(() => tenants.remove('default')).toThrow(/default tenant/);
  });
});
