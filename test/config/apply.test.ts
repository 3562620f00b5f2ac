import { afterEach, describe, expect, it } from 'vitest';
import { tempServices, testConfig } from '../fixtures.ts';
import { applyConfig } from '../../src/config/index.ts';

let env: ReturnType<typeof tempServices>;
afterEach(() => env?.cleanup());

const V1 = `
tenants:
  - name: main
    default: true
    domain: pbx.example
    extensions:
      - { number: 1001, password: secret-1001, name: Alice }
      - { number: 1002, password: secret-1002 }
  - name: acme
    domain: acme.example
    extensions:
      - { number: 200, password: secret-acme-200, max_terminals: 1, ring_strategy: sequential }
`;

describe('applyConfig', () => {
  it('creates declared tenants and extensions as config-managed, and is idempotent', () => {
    env = tempServices(V1);
    const { services, config } = env;
    const r = applyConfig(services.db, config, services.audit);
    expect(r.tenants).toMatchObject({ added: 1, updated: 1 });
    expect(r.extensions).toMatchObject({ added: 3, updated: 0, removed: 0 });
    const def = services.tenants.defaultTenant();
    expect(def).toMatchObject({ name: 'main', domain: 'pbx.example', configManaged: true });
    const acme = services.tenants.resolve('acme');
    expect(services.extensions.show(acme.id, '200')).toMatchObject({ maxTerminals: 1, ringStrategy: 'sequential', configManaged: true });
    expect(services.accounts.find('acme.example', '200')?.password).toBe('secret-acme-200');
    const again = applyConfig(services.db, config, services.audit);
    expect(again.extensions).toEqual({ added: 0, updated: 0, removed: 0 });
    expect(again.tenants).toEqual({ added: 0, updated: 0, removed: 0, released: 0 });
  });

  it('updates changed rows, removes undeclared config-managed rows, keeps database rows', () => {
    env = tempServices(V1);
    const { services, config } = env;
    applyConfig(services.db, config, services.audit);
    const def = services.tenants.defaultTenant().id;
    services.extensions.add(def, { number: '3000', password: 'db-managed-1' });
    const acme = services.tenants.resolve('acme').id;
    services.extensions.add(acme, { number: '201', password: 'db-managed-2' });
    const v2 = testConfig(env.dir, `
tenants:
  - name: main
    default: true
    extensions:
      - { number: 1001, password: changed-1001 }
`);
    const r = applyConfig(services.db, v2, services.audit);
    expect(r.extensions).toEqual({ added: 0, updated: 1, removed: 2 });
    expect(r.tenants.released).toBe(1); // acme keeps its database extension 201
    expect(services.accounts.find('x', '1001')?.password).toBe('changed-1001');
    expect(services.extensions.findByNumber(def, '1002')).toBeUndefined();
    expect(services.extensions.findByNumber(def, '3000')).toBeDefined();
    expect(services.tenants.resolve('acme').configManaged).toBe(false);
    expect(services.extensions.findByNumber(acme, '200')).toBeUndefined();
    expect(services.tenants.defaultTenant().domain).toBeNull();
  });

  it('applies the declared recording switch and retention, and changes them when the file does', () => {
    env = tempServices(`
tenants:
  - name: main
    default: true
  - name: acme
    domain: acme.example
    recording: false
    recording_retention_days: 30
`);
    const { services, config } = env;
    applyConfig(services.db, config, services.audit);
    const main = services.tenants.defaultTenant();
    expect(main).toMatchObject({ recordingEnabled: true, recordingRetentionDays: 183 });
    const acme = services.tenants.resolve('acme');
    expect(services.tenants.recordingPolicy(acme.id)).toEqual({ enabled: false, retentionDays: 30 });
    const v2 = testConfig(env.dir, `
tenants:
  - name: main
    default: true
    recording_retention_days: 365
  - name: acme
    domain: acme.example
`);
    const r = applyConfig(services.db, v2, services.audit);
    expect(r.tenants).toEqual({ added: 0, updated: 2, removed: 0, released: 0 });
    expect(services.tenants.recordingPolicy(main.id)).toEqual({ enabled: true, retentionDays: 365 });
    expect(services.tenants.recordingPolicy(acme.id)).toEqual({ enabled: true, retentionDays: 183 });
    expect(applyConfig(services.db, v2, services.audit).tenants.updated).toBe(0);
  });
});
