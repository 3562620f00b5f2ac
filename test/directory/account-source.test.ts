import { afterEach, describe, expect, it } from 'vitest';
import { tempServices } from '../fixtures.ts';

let env: ReturnType<typeof tempServices>;
afterEach(() => env?.cleanup());

describe('DirectoryAccountSource', () => {
  it('selects a tenant by SIP domain and falls back to the default tenant for any other domain', () => {
    env = tempServices('sip:\n  auth:\n    realm: office\n');
    const { extensions, tenants, accounts } = env.services;
    const d = tenants.defaultTenant();
    const acme = tenants.add({ name: 'acme', domain: 'acme.example' });
    const e1 = extensions.add(d.id, { number: '1001', password: 'default-1001', maxTerminals: 2 });
    extensions.add(acme.id, { number: '1001', password: 'acme-1001-pw' });
    extensions.add(acme.id, { number: '2002', password: 'acme-2002-pw' });

    expect(accounts.find('192.168.1.10', '1001')).toEqual({
      tenantId: d.id,
      extensionId: e1.extension.id,
      user: '1001',
      realm: 'office',
      password: 'default-1001',
      maxContacts: 2,
    });
    expect(accounts.find('ACME.example', '1001')).toMatchObject({ tenantId: acme.id, realm: 'acme.example', password: 'acme-1001-pw' });
    // a user of another tenant is not reachable through the default tenant, and vice versa
    expect(accounts.find('pbx.local', '2002')).toBeUndefined();
    expect(accounts.find('acme.example', '9999')).toBeUndefined();
    expect(accounts.realmFor('acme.example')).toBe('acme.example');
    expect(accounts.realmFor('anything')).toBe('office');
  });

  it('sees password changes immediately', () => {
    env = tempServices();
    const { extensions, tenants, accounts } = env.services;
    const t = tenants.defaultTenant().id;
    extensions.add(t, { number: '300', password: 'first-pass' });
    extensions.setPassword(t, '300', 'second-pass');
    expect(accounts.find('x', '300')?.password).toBe('second-pass');
  });
});

describe('DirectoryAccountSource terminal limit', () => {
  it('counts the PSTN terminals: phones + PSTN numbers ≤ max terminals, one phone always', () => {
    env = tempServices();
    const { extensions, tenants, accounts, terminals } = env.services;
    const t = tenants.defaultTenant().id;
    extensions.add(t, { number: '300', password: 'first-pass' });
    extensions.add(t, { number: '301', password: 'first-pass', maxTerminals: 2 });
    expect(accounts.find('x', '300')?.maxContacts).toBe(3);
    terminals.addToExtension(t, '300', '13812345678');
    expect(accounts.find('x', '300')?.maxContacts).toBe(2);
    terminals.addToExtension(t, '300', '13912345678');
    expect(accounts.find('x', '300')?.maxContacts).toBe(1);
    terminals.addToExtension(t, '300', '13712345678');
    expect(accounts.find('x', '300')?.maxContacts).toBe(1); // never 0: the desk phone still registers
    terminals.addToExtension(t, '301', '13812345678');
    expect(accounts.find('x', '301')?.maxContacts).toBe(1);
    terminals.removeFromExtension(t, '300', '13812345678');
    expect(accounts.find('x', '300')?.maxContacts).toBe(1);
    terminals.removeFromExtension(t, '300', '13912345678');
    expect(accounts.find('x', '300')?.maxContacts).toBe(2);
  });
});
