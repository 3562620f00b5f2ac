import { afterEach, describe, expect, it } from 'vitest';
import { tempServices } from '../fixtures.ts';
import { applyConfig } from '../../src/config/index.ts';
import { ConfigManagedError, InvalidError } from '../../src/errors.ts';

let env: ReturnType<typeof tempServices>;
afterEach(() => env?.cleanup());

describe('TenantService settings', () => {
  it('defaults, partial updates merged (nested objects key by key), null back to the default, audited', () => {
    env = tempServices();
    const { tenants, extensions, trunks, audit } = env.services;
    const acme = tenants.add({ name: 'acme', domain: 'acme.example' });
    const d = tenants.settings('acme');
    expect(d).toMatchObject({ language: 'zh', timezone: 'Asia/Shanghai', country_code: '86', outside_line_prefix: '', outbound_trunks: [], international: { enabled: false, allowed_countries: [] } });
    expect(d.service_hours.mon).toEqual(['09:00-18:00']);
    expect(d.operator).toBeUndefined();

    extensions.add(acme.id, { number: '800', password: 'secret-800' });
    trunks.add({ name: 'c1', kind: 'carrier', host: 'h' });
    const s = tenants.updateSettings('acme', { operator: '800', service_hours: { sat: ['10:00-12:00'] }, international: { enabled: true }, outbound_trunks: ['c1'] }, 'test');
    expect(s.operator).toBe('800');
    expect(s.service_hours).toMatchObject({ mon: ['09:00-18:00'], sat: ['10:00-12:00'], sun: [] });
    expect(s.international).toEqual({ enabled: true, allowed_countries: [] });
    const s2 = tenants.updateSettings(acme.id, { international: { allowed_countries: ['44'] }, service_hours: { mon: ['08:00-12:00', '13:00-17:00'] } });
    expect(s2.international).toEqual({ enabled: true, allowed_countries: ['44'] });
    expect(s2.service_hours).toMatchObject({ mon: ['08:00-12:00', '13:00-17:00'], sat: ['10:00-12:00'] });
    expect(tenants.updateSettings('acme', { operator: null }).operator).toBeUndefined();
    expect(tenants.settings('acme').outbound_trunks).toEqual(['c1']);
    expect(audit.list().find((a) => a.action === 'tenant.settings')).toMatchObject({ target: 'acme' });
  });

  it('checks values with the config rules and references', () => {
    env = tempServices();
    const { tenants, trunks } = env.services;
    const acme = tenants.add({ name: 'acme', domain: 'acme.example' });
    trunks.add({ name: 'acme-pbx', kind: 'pbx', host: 'h', tenantId: acme.id });
    expect(() => tenants.updateSettings('acme', { timezone: 'Mars/Olympus' })).toThrow(/timezone: must be an IANA time zone/);
    expect(() => tenants.updateSettings('acme', { service_hours: { mon: ['18:00-09:00'] } })).toThrow(/service_hours\.mon\.0: the end must be after the start/);
    expect(() => tenants.updateSettings('acme', { outbound_trunks: ['nope'] })).toThrow(/outbound trunk nope does not exist/);
    expect(() => tenants.updateSettings('acme', { outbound_trunks: ['acme-pbx'] })).toThrow(/is a pbx trunk/);
    expect(() => tenants.updateSettings('acme', { operator: '800' })).toThrow(/operator 800 is not an extension of the tenant/);
    expect(() => tenants.updateSettings('acme', { bogus: 1 } as never)).toThrow(/bogus: unknown setting/);
    expect(() => tenants.updateSettings('acme', { international: { enabled: 'yes' } } as never)).toThrow(InvalidError);
    expect(tenants.settings('acme').timezone).toBe('Asia/Shanghai'); // nothing stored
  });

  it('config-declared tenants take their settings from the config, and refuse edits', () => {
    env = tempServices('tenants:\n  - name: main\n    default: true\n    timezone: Europe/Berlin\n    country_code: "49"\n    service_hours: { sat: ["10:00-14:00"] }\n');
    applyConfig(env.services.db, env.config, env.services.audit);
    const { tenants } = env.services;
    expect(tenants.settings('main')).toMatchObject({ timezone: 'Europe/Berlin', country_code: '49', service_hours: { mon: ['09:00-18:00'], sat: ['10:00-14:00'] } });
    expect(() => tenants.updateSettings('main', { timezone: 'Asia/Shanghai' })).toThrow(ConfigManagedError);
  });
});
