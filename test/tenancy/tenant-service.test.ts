import { afterEach, describe, expect, it } from 'vitest';
import { tempServices } from '../fixtures.ts';
import { applyConfig } from '../../src/config/index.ts';

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

  it('recording switch and retention: on and 183 days by default, changed by update, audited', () => {
    env = tempServices();
    const { tenants, audit } = env.services;
    const acme = tenants.add({ name: 'acme', domain: 'acme.example' });
    expect(acme).toMatchObject({ recordingEnabled: true, recordingRetentionDays: 183 });
    expect(tenants.recordingPolicy(acme.id)).toEqual({ enabled: true, retentionDays: 183 });
    const changed = tenants.update('acme', { recordingEnabled: false, recordingRetentionDays: 30 }, 'test');
    expect(changed).toMatchObject({ recordingEnabled: false, recordingRetentionDays: 30 });
    expect(tenants.recordingPolicy(acme.id)).toEqual({ enabled: false, retentionDays: 30 });
    expect(tenants.update('acme', { recordingRetentionDays: 90 })).toMatchObject({ recordingEnabled: false, recordingRetentionDays: 90 });
    expect(audit.list().filter((a) => a.action === 'tenant.update').at(-1)).toMatchObject({ actor: 'test', target: 'acme', detail: { recordingEnabled: false, recordingRetentionDays: 30 } });
    expect(() => tenants.update('acme', { recordingRetentionDays: 0 })).toThrow(/whole number of days from 1 to 3650/);
    expect(() => tenants.update('acme', { recordingRetentionDays: 2.5 })).toThrow(/whole number of days/);
    expect(() => tenants.update('nope', { recordingEnabled: true })).toThrow(/tenant nope does not exist/);
    expect(tenants.recordingPolicy(9999)).toBeUndefined();
  });

  it('refuses to change a config-declared tenant', () => {
    env = tempServices('tenants:\n  - name: main\n    default: true\n    recording: false\n');
    applyConfig(env.services.db, env.config, env.services.audit);
    expect(() => env.services.tenants.update('main', { recordingEnabled: true })).toThrow('tenant main is declared in the config file; edit the config instead');
  });
});
