import { afterEach, describe, expect, it } from 'vitest';
import { tempServices } from '../fixtures.ts';
import { applyConfig } from '../../src/config/index.ts';
import { ConfigManagedError, ConflictError, InvalidError, NotFoundError } from '../../src/errors.ts';

let env: ReturnType<typeof tempServices>;
afterEach(() => env?.cleanup());

describe('TrunkService', () => {
  it('adds a carrier with defaults; list and get mask the secrets; audited without them', () => {
    env = tempServices();
    const { trunks, audit } = env.services;
    const t = trunks.add({ name: 'carrier-a', kind: 'carrier', host: 'sip.carrier.example', register: true, username: 'u1', password: 'secret-pw' }, 'test');
    expect(t).toMatchObject({
      name: 'carrier-a',
      kind: 'carrier',
      tenantId: null,
      port: 5060,
      transport: 'udp',
      register: true,
      registerExpiresS: 3600,
      username: 'u1',
      password: '***',
      inboundAuth: 'ip',
      inboundPassword: null,
      addresses: [],
      codecs: null,
      calledFormat: 'national',
      callerIdHeader: 'both',
      rewrite: [],
      priority: 100,
      countryCode: '86',
      enabled: true,
      configManaged: false,
    });
    expect(trunks.list()).toHaveLength(1);
    expect(trunks.list()[0]!.password).toBe('***');
    expect(trunks.get('carrier-a').id).toBe(t.id);
    expect(trunks.get(t.id).name).toBe('carrier-a');
    expect(trunks.get(String(t.id)).name).toBe('carrier-a');
    // the clear secret is in the database for signalling, never in the audit log
    expect(env.services.db.sqlite.prepare('SELECT password FROM trunk WHERE id = ?').pluck().get(t.id)).toBe('secret-pw');
    const entry = audit.list().find((a) => a.action === 'trunk.add')!;
    expect(entry).toMatchObject({ actor: 'test', target: 'carrier-a', detail: { password: 'set' } });
    expect(JSON.stringify(audit.list())).not.toContain('secret-pw');
  });

  it('checks the config rules: names unique, register needs credentials, pbx/gateway need a tenant, carriers have none', () => {
    env = tempServices();
    const { trunks, tenants } = env.services;
    const acme = tenants.add({ name: 'acme', domain: 'acme.example' });
    trunks.add({ name: 'c1', kind: 'carrier', host: '192.0.2.1' });
    expect(() => trunks.add({ name: 'c1', kind: 'carrier', host: '192.0.2.2' })).toThrow(ConflictError);
    expect(() => trunks.add({ name: 'c2', kind: 'carrier', host: 'h', register: true })).toThrow(/trunk c2: register: register needs username and password/);
    expect(() => trunks.add({ name: 'p1', kind: 'pbx', host: 'h' })).toThrow(/a pbx trunk belongs to a tenant/);
    expect(() => trunks.add({ name: 'g1', kind: 'gateway', host: 'h', tenantId: 9999 })).toThrow(NotFoundError);
    expect(() => trunks.add({ name: 'c3', kind: 'carrier', host: 'h', tenantId: acme.id })).toThrow(/carrier trunk is shared by every tenant/);
    expect(() => trunks.add({ name: '1bad', kind: 'carrier', host: 'h' })).toThrow(/name: must start with a letter/);
    expect(() => trunks.add({ name: 'c4', kind: 'carrier', host: 'h', inboundAuth: 'digest', inboundUsername: 'x' })).toThrow(/inbound_auth digest needs inbound_username and inbound_password/);
    expect(() => trunks.add({ name: 'c5', kind: 'carrier', host: 'h', rewrite: [{ match: '(', replace: '' }] })).toThrow(/rewrite\.0\.match: must be a valid regular expression/);
    expect(() => trunks.add({ name: 'c6', kind: 'carrier', host: 'h', port: 0 })).toThrow(InvalidError);
    const p = trunks.add({ name: 'acme-pbx', kind: 'pbx', host: '198.51.100.7', tenantId: acme.id, inboundAuth: 'digest', inboundUsername: 'acme', inboundPassword: 'long-enough' });
    expect(p).toMatchObject({ tenantId: acme.id, inboundAuth: 'digest', inboundPassword: '***' });
    expect(trunks.list({ tenantId: acme.id }).map((t) => t.name)).toEqual(['acme-pbx']);
    expect(trunks.list().map((t) => t.name)).toEqual(['c1', 'acme-pbx']);
    expect(() => trunks.get('nope')).toThrow('trunk nope does not exist');
  });

  it('updates: merges, keeps secrets sent back masked, clears with null, renames in outbound lists', () => {
    env = tempServices();
    const { trunks, tenants } = env.services;
    trunks.add({ name: 'c1', kind: 'carrier', host: 'h', register: true, username: 'u', password: 'pw-1' });
    const acme = tenants.add({ name: 'acme', domain: 'acme.example' });
    tenants.updateSettings('acme', { outbound_trunks: ['c1'] });
    const u = trunks.update('c1', { port: 5080, password: '***', codecs: ['PCMA'], addresses: ['192.0.2.9'], rewrite: [{ match: '^0086', replace: '00' }] });
    expect(u).toMatchObject({ port: 5080, password: '***', codecs: ['PCMA'], addresses: ['192.0.2.9'], rewrite: [{ match: '^0086', replace: '00' }] });
    expect(env.services.db.sqlite.prepare("SELECT password FROM trunk WHERE name = 'c1'").pluck().get()).toBe('pw-1');
    expect(() => trunks.update('c1', { password: null })).toThrow(/register needs username and password/);
    expect(trunks.update('c1', { register: false, password: null, username: null })).toMatchObject({ register: false, password: null, username: null });
    expect(trunks.update('c1', { name: 'c-main' }).name).toBe('c-main');
    expect(tenants.settings(acme.id).outbound_trunks).toEqual(['c-main']);
    trunks.add({ name: 'c2', kind: 'carrier', host: 'h2' });
    expect(() => trunks.update('c2', { name: 'c-main' })).toThrow(ConflictError);
  });

  it('removes only what nothing uses', () => {
    env = tempServices();
    const { trunks, tenants, numbers } = env.services;
    const acme = tenants.add({ name: 'acme', domain: 'acme.example' });
    trunks.add({ name: 'c1', kind: 'carrier', host: 'h' });
    trunks.add({ name: 'acme-pbx', kind: 'pbx', host: 'h', tenantId: acme.id });
    tenants.updateSettings('acme', { outbound_trunks: ['c1'] });
    numbers.add(acme.id, { number: '+861088886666', mode: 'sipTrunk', trunk: 'acme-pbx' });
    expect(() => trunks.remove('c1')).toThrow(/in the outbound trunks of tenant acme/);
    expect(() => trunks.remove('acme-pbx')).toThrow(/trunk acme-pbx is the trunk of number \+861088886666/);
    tenants.updateSettings('acme', { outbound_trunks: [] });
    expect(trunks.remove('c1', 'test').name).toBe('c1');
    expect(env.services.audit.list()[0]).toMatchObject({ action: 'trunk.remove', target: 'c1', actor: 'test' });
    expect(() => trunks.remove('c1')).toThrow(NotFoundError);
  });

  it('refuses to edit config-managed trunks', () => {
    env = tempServices('trunks:\n  - { name: cfg, kind: carrier, host: sip.example }\n');
    applyConfig(env.services.db, env.config, env.services.audit);
    const { trunks } = env.services;
    expect(trunks.get('cfg').configManaged).toBe(true);
    expect(() => trunks.update('cfg', { port: 5070 })).toThrow(ConfigManagedError);
    expect(() => trunks.remove('cfg')).toThrow('trunk cfg is declared in the config file; edit the config instead');
  });
});
