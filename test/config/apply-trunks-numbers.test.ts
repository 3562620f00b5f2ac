// applyConfig for trunks, numbers (blacklists, direct-line terminals), tenant settings, and the
// extensions' PSTN terminals and call rules.
import { afterEach, describe, expect, it } from 'vitest';
import { tempServices, testConfig } from '../fixtures.ts';
import { fileURLToPath } from 'node:url';
import { applyConfig, ConfigError, loadConfigFile } from '../../src/config/index.ts';
import { ConflictError } from '../../src/errors.ts';

let env: ReturnType<typeof tempServices>;
afterEach(() => env?.cleanup());

const V1 = `
trunks:
  - { name: carrier-a, kind: carrier, host: sip.carrier.example, register: true, username: u1, password: pw1, priority: 10 }
  - { name: carrier-b, kind: carrier, host: 203.0.113.5, addresses: [203.0.113.6] }
  - { name: acme-pbx, kind: pbx, tenant: acme, host: 198.51.100.7, inbound_auth: digest, inbound_username: acme, inbound_password: acme-secret }
tenants:
  - name: main
    default: true
  - name: acme
    domain: acme.example
    operator: "800"
    timezone: Asia/Shanghai
    area_code: "10"
    service_hours: { sat: ["10:00-14:00"] }
    outbound_trunks: [carrier-a, carrier-b]
    extensions:
      - { number: 800, password: secret-800 }
      - { number: 1001, password: secret-1001, pstn_terminals: ["13812345678"], outbound_deny: ["00"], callers_allow: ["80"] }
    numbers:
      - { number: "+861088886666", mode: switchboard, main: true, blacklist: ["0755*", "13900000000"], block_action: announcement }
      - { number: "01088886667", mode: direct, terminals: [{ extension: 1001 }, { pstn: "13700000000" }] }
      - { number: "88886668", mode: sipTrunk, trunk: acme-pbx, max_calls: 4 }
`;

function reject(yaml: string): string[] {
  env = tempServices(yaml);
  try {
    applyConfig(env.services.db, env.config, env.services.audit);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).lines();
  }
  throw new Error('expected a ConfigError');
}

describe('applyConfig: trunks, numbers, settings', () => {
  it('creates everything declared as config-managed, and a second run changes nothing', () => {
    env = tempServices(V1);
    const { services, config } = env;
    const r = applyConfig(services.db, config, services.audit);
    expect(r.trunks).toEqual({ added: 3, updated: 0, removed: 0 });
    expect(r.numbers).toEqual({ added: 3, updated: 0, removed: 0 });
    expect(r.warnings).toEqual([]);
    const acme = services.tenants.resolve('acme');
    expect(services.trunks.get('carrier-a')).toMatchObject({ kind: 'carrier', register: true, password: '***', priority: 10, configManaged: true, tenantId: null });
    expect(services.trunks.get('acme-pbx')).toMatchObject({ kind: 'pbx', tenantId: acme.id, inboundAuth: 'digest', inboundPassword: '***' });
    const settings = services.tenants.settings('acme');
    expect(settings).toMatchObject({ operator: '800', area_code: '10', outbound_trunks: ['carrier-a', 'carrier-b'], service_hours: { mon: ['09:00-18:00'], sat: ['10:00-14:00'] } });
    const nums = services.numbers.list({ tenantId: acme.id });
    expect(nums.map((n) => [n.number, n.mode, n.isMain, n.trunk, n.configManaged])).toEqual([
      ['+861088886666', 'switchboard', true, null, true],
      ['+861088886667', 'direct', false, null, true],
      ['+861088886668', 'sipTrunk', false, 'acme-pbx', true],
    ]);
    expect(services.numbers.get('+861088886666').blockAction).toBe('announcement');
    expect(services.numbers.blacklist('+861088886666').map((b) => b.entry)).toEqual(['0755*', '13900000000']);
    expect(services.numbers.terminalsOf('+861088886667').map((t) => t.extension ?? t.pstnNumber)).toEqual(['1001', '+8613700000000']);
    expect(services.terminals.listForExtension(acme.id, '1001').map((t) => t.pstnNumber)).toEqual(['+8613812345678']);
    expect(services.callRules.list(acme.id, '1001').map((x) => `${x.scope} ${x.action} ${x.pattern}`)).toEqual(['outbound deny 00', 'inbound allow 80']);

    const again = applyConfig(services.db, config, services.audit);
    expect(again.trunks).toEqual({ added: 0, updated: 0, removed: 0 });
    expect(again.numbers).toEqual({ added: 0, updated: 0, removed: 0 });
    expect(again.extensions).toEqual({ added: 0, updated: 0, removed: 0 });
    expect(again.tenants).toEqual({ added: 0, updated: 0, removed: 0, released: 0 });
  });

  it('updates what changed, removes what is no longer declared, keeps database rows', () => {
    env = tempServices(V1);
    const { services } = env;
    applyConfig(services.db, env.config, services.audit);
    const acme = services.tenants.resolve('acme');
    services.trunks.add({ name: 'db-carrier', kind: 'carrier', host: 'db.example' });
    services.numbers.add(acme.id, { number: '+861099990000', mode: 'switchboard' });
    const v2 = testConfig(
      env.dir,
      `
trunks:
  - { name: carrier-a, kind: carrier, host: sip.carrier.example, register: true, username: u1, password: pw2, priority: 10 }
tenants:
  - name: main
    default: true
  - name: acme
    domain: acme.example
    timezone: Europe/Berlin
    outbound_trunks: [carrier-a]
    extensions:
      - { number: 1001, password: secret-1001, pstn_terminals: ["13912345678"], outbound_allow: ["010"] }
    numbers:
      - { number: "+861088886666", mode: switchboard, main: true, blacklist: ["0755*"] }
      - { number: "+861088886667", mode: direct, terminals: [{ pstn: "13700000000" }] }
`,
    );
    const r = applyConfig(services.db, v2, services.audit);
    expect(r.trunks).toEqual({ added: 0, updated: 1, removed: 2 });
    expect(r.numbers).toEqual({ added: 0, updated: 2, removed: 1 });
    expect(r.extensions).toEqual({ added: 0, updated: 1, removed: 1 });
    expect(r.tenants.updated).toBe(1);
    expect(services.db.sqlite.prepare("SELECT password FROM trunk WHERE name = 'carrier-a'").pluck().get()).toBe('pw2');
    expect(services.trunks.list().map((t) => t.name)).toEqual(['carrier-a', 'db-carrier']);
    expect(services.tenants.settings('acme')).toMatchObject({ timezone: 'Europe/Berlin', outbound_trunks: ['carrier-a'] });
    expect(services.tenants.settings('acme').operator).toBeUndefined();
    expect(services.numbers.list({ tenantId: acme.id }).map((n) => n.number)).toEqual(['+861088886666', '+861088886667', '+861099990000']);
    expect(services.numbers.blacklist('+861088886666').map((b) => b.entry)).toEqual(['0755*']);
    expect(services.numbers.terminalsOf('+861088886667').map((t) => t.pstnNumber)).toEqual(['+8613700000000']);
    expect(services.terminals.listForExtension(acme.id, '1001').map((t) => t.pstnNumber)).toEqual(['+8613912345678']);
    expect(services.callRules.list(acme.id, '1001').map((x) => `${x.scope} ${x.action} ${x.pattern}`)).toEqual(['outbound allow 010']);
    expect(services.audit.list()[0]).toMatchObject({ action: 'config.apply', detail: { trunks: r.trunks, numbers: r.numbers } });

    // the tenant goes from the config; its database number keeps it as a database tenant
    const v3 = testConfig(env.dir, 'tenants:\n  - name: main\n    default: true\n');
    const r3 = applyConfig(services.db, v3, services.audit);
    expect(r3.numbers.removed).toBe(2);
    expect(r3.tenants.released).toBe(1);
    expect(r3.warnings.join('\n')).toMatch(/tenant acme is no longer declared but still has numbers or trunks/);
    expect(services.tenants.resolve('acme').configManaged).toBe(false);
  });

  it('adopts database rows with a warning; a database number of another tenant is a conflict', () => {
    env = tempServices(V1);
    const { services } = env;
    const acme = services.tenants.add({ name: 'acme', domain: 'acme.example' });
    services.trunks.add({ name: 'carrier-b', kind: 'carrier', host: 'old.example' });
    services.numbers.add(acme.id, { number: '+861088886666', mode: 'direct', terminals: [{ pstn: '13800000000' }] });
    services.numbers.add(acme.id, { number: '+861055550000', mode: 'switchboard', isMain: true });
    const r = applyConfig(services.db, env.config, services.audit);
    expect(r.trunks).toEqual({ added: 2, updated: 1, removed: 0 });
    expect(r.numbers).toEqual({ added: 2, updated: 1, removed: 0 });
    expect(r.warnings.join('\n')).toMatch(/trunk carrier-b existed in the database and is now managed by the config file/);
    expect(r.warnings.join('\n')).toMatch(/number \+861088886666 of tenant acme existed in the database/);
    expect(r.warnings.join('\n')).toMatch(/the main number in the database is not main any more/);
    expect(services.numbers.get('+861055550000').isMain).toBe(false);
    expect(services.numbers.terminalsOf('+861088886666')).toEqual([]); // a switchboard now

    env.cleanup();
    env = tempServices(V1);
    const other = env.services.tenants.add({ name: 'other', domain: 'other.example' });
    env.services.numbers.add(other.id, { number: '+861088886667', mode: 'switchboard' });
    expect(() => applyConfig(env.services.db, env.config, env.services.audit)).toThrow(ConflictError);
    expect(() => applyConfig(env.services.db, env.config, env.services.audit)).toThrow(/number \+861088886667 of tenant "acme" already belongs to tenant "other"/);
    expect(env.services.trunks.list()).toEqual([]); // nothing written
  });

  it('a number declared by another tenant before moves with the config', () => {
    env = tempServices('tenants:\n  - { name: a, domain: a.example, numbers: [{ number: "+861088886666", mode: switchboard, blacklist: ["1*"] }] }\n  - { name: b, domain: b.example }\n');
    applyConfig(env.services.db, env.config, env.services.audit);
    const v2 = testConfig(env.dir, 'tenants:\n  - { name: a, domain: a.example }\n  - { name: b, domain: b.example, numbers: [{ number: "+861088886666", mode: switchboard, blacklist: ["2*"] }] }\n');
    const r = applyConfig(env.services.db, v2, env.services.audit);
    expect(r.numbers).toEqual({ added: 0, updated: 1, removed: 0 });
    expect(env.services.numbers.get('+861088886666').tenant).toBe('b');
    expect(env.services.numbers.blacklist('+861088886666').map((b) => b.entry)).toEqual(['2*']);
  });

  it('config.example.yaml applies as it is', () => {
    env = tempServices();
    const example = { ...loadConfigFile(fileURLToPath(new URL('../../config.example.yaml', import.meta.url))), data_dir: env.dir };
    const r = applyConfig(env.services.db, example, env.services.audit);
    expect(r.trunks.added).toBe(3);
    expect(r.numbers.added).toBe(3);
    expect(r.warnings).toEqual([]);
    expect(env.services.numbers.get('+861088886667').mode).toBe('direct');
  });

  it('refuses references that do not exist, all problems at once, with their key paths', () => {
    const lines = reject(`
trunks:
  - { name: c1, kind: carrier, host: h, tenant: acme }
  - { name: c1, kind: carrier, host: h2 }
  - { name: g1, kind: gateway, host: h, tenant: ghost }
  - { name: other-pbx, kind: pbx, host: h, tenant: other }
tenants:
  - name: acme
    domain: acme.example
    outbound_trunks: [nope, other-pbx]
    extensions:
      - { number: 1001, password: secret-1001, max_terminals: 1, pstn_terminals: ["13812345678", "13912345678"], callers_deny: ["+86"] }
    numbers:
      - { number: "+861088886666", mode: switchboard, main: true }
      - { number: "+861088886667", mode: switchboard, main: true }
      - { number: "+861088886668", mode: sipTrunk, trunk: unknown }
      - { number: "+861088886669", mode: sipTrunk, trunk: other-pbx }
      - { number: "+861088886670", mode: direct, terminals: [{ extension: 2002 }] }
      - { number: "110", mode: switchboard }
  - name: other
    domain: other.example
    numbers:
      - { number: "01088886666", mode: switchboard }
`);
    const text = lines.join('\n');
    expect(text).toMatch(/config: trunks\[0\]\.tenant: a carrier trunk is shared by every tenant/);
    expect(text).toMatch(/trunks\[1\]\.name: duplicate trunk name "c1"/);
    expect(text).toMatch(/trunks\[2\]\.tenant: unknown tenant "ghost"/);
    expect(text).toMatch(/tenants\[0\]\.outbound_trunks\[0\]: unknown trunk "nope"/);
    expect(text).toMatch(/tenants\[0\]\.outbound_trunks\[1\]: trunk "other-pbx" is a pbx trunk/);
    expect(text).toMatch(/tenants\[0\]\.extensions\[0\]\.pstn_terminals: 2 PSTN terminals but max_terminals is 1/);
    expect(text).toMatch(/tenants\[0\]\.extensions\[0\]\.callers_deny\[0\]: inbound rule "\+86" must be an extension number/);
    expect(text).toMatch(/tenants\[0\]\.numbers\[1\]\.main: tenant "acme" has two main numbers/);
    expect(text).toMatch(/tenants\[0\]\.numbers\[2\]\.trunk: unknown trunk "unknown"/);
    expect(text).toMatch(/tenants\[0\]\.numbers\[3\]\.trunk: trunk "other-pbx" is not a pbx trunk of tenant "acme"/);
    expect(text).toMatch(/tenants\[0\]\.numbers\[4\]\.terminals\[0\]\.extension: extension 2002 is not declared in tenant "acme"/);
    expect(text).toMatch(/tenants\[0\]\.numbers\[5\]\.number: number 110 cannot be a DID/);
    expect(text).toMatch(/tenants\[1\]\.numbers\[0\]\.number: number \+861088886666 is declared twice \(also tenants\[0\]\.numbers\[0\]\)/);
    expect(lines).toHaveLength(13);
    expect(env.services.tenants.list().map((t) => t.name)).toEqual(['default']); // nothing written
  });
});
