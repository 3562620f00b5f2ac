import { afterEach, describe, expect, it } from 'vitest';
import { tempServices } from '../fixtures.ts';
import { applyConfig } from '../../src/config/index.ts';
import { ConfigManagedError, ConflictError, InvalidError, NotFoundError } from '../../src/errors.ts';
import { parseBlockEntry } from '../../src/numbers/number-service.ts';

let env: ReturnType<typeof tempServices>;
afterEach(() => env?.cleanup());

function setup() {
  env = tempServices();
  const { tenants, extensions, trunks } = env.services;
  const acme = tenants.add({ name: 'acme', domain: 'acme.example' });
  const other = tenants.add({ name: 'other', domain: 'other.example' });
  extensions.add(acme.id, { number: '1001', password: 'secret-1001' });
  extensions.add(other.id, { number: '2001', password: 'secret-2001' });
  trunks.add({ name: 'acme-pbx', kind: 'pbx', host: '198.51.100.7', tenantId: acme.id });
  trunks.add({ name: 'other-pbx', kind: 'pbx', host: '198.51.100.8', tenantId: other.id });
  trunks.add({ name: 'carrier', kind: 'carrier', host: 'sip.example' });
  return { ...env.services, acme, other };
}

describe('NumberService', () => {
  it('adds numbers as E.164 read with the tenant country/area code, lists and finds them in any form', () => {
    const { numbers, tenants, acme, audit } = setup();
    const n = numbers.add(acme.id, { number: '010 8888 6666', mode: 'switchboard' }, 'test');
    expect(n).toMatchObject({ number: '+861088886666', tenant: 'acme', mode: 'switchboard', isMain: false, trunk: null, blockAction: 'busy', ringTimeoutS: 20, configManaged: false });
    expect(numbers.get('01088886666', acme.id).id).toBe(n.id);
    expect(numbers.get('+861088886666').id).toBe(n.id);
    expect(numbers.get(n.id).number).toBe('+861088886666');
    expect(audit.list()[0]).toMatchObject({ action: 'number.add', target: '+861088886666', actor: 'test' });
    tenants.updateSettings('acme', { area_code: '755' });
    expect(numbers.add(acme.id, { number: '23456789', mode: 'switchboard' }).number).toBe('+8675523456789');
    expect(numbers.add(acme.id, { number: '4008001234', mode: 'switchboard' }).number).toBe('+864008001234');
    expect(numbers.list({ tenantId: acme.id }).map((x) => x.number)).toEqual(['+861088886666', '+864008001234', '+8675523456789']);
    expect(() => numbers.add(acme.id, { number: '110', mode: 'switchboard' })).toThrow(/cannot be a DID/);
    expect(() => numbers.add(acme.id, { number: 'abc', mode: 'switchboard' })).toThrow(InvalidError);
    expect(() => numbers.get('+861099999999')).toThrow(NotFoundError);
  });

  it('a number belongs to one tenant; another tenant cannot see it', () => {
    const { numbers, acme, other } = setup();
    numbers.add(acme.id, { number: '+861088886666', mode: 'switchboard' });
    expect(() => numbers.add(other.id, { number: '01088886666', mode: 'switchboard' })).toThrow(/already exists \(tenant acme\)/);
    expect(() => numbers.get('+861088886666', other.id)).toThrow('number +861088886666 does not exist');
    expect(() => numbers.remove('+861088886666', 'x', other.id)).toThrow(NotFoundError);
  });

  it('one main number per tenant: marking a new one clears the old', () => {
    const { numbers, acme, other } = setup();
    const a = numbers.add(acme.id, { number: '+861088886666', mode: 'switchboard', isMain: true });
    const o = numbers.add(other.id, { number: '+861088887777', mode: 'switchboard', isMain: true });
    const b = numbers.add(acme.id, { number: '+861088886667', mode: 'switchboard', isMain: true });
    expect(numbers.get(a.id).isMain).toBe(false);
    expect(numbers.get(b.id).isMain).toBe(true);
    expect(numbers.get(o.id).isMain).toBe(true);
    numbers.update(a.id, { isMain: true });
    expect(numbers.list({ tenantId: acme.id }).filter((x) => x.isMain).map((x) => x.id)).toEqual([a.id]);
  });

  it('sipTrunk numbers need a pbx trunk of their own tenant', () => {
    const { numbers, acme } = setup();
    expect(() => numbers.add(acme.id, { number: '+861088886666', mode: 'sipTrunk' })).toThrow(/trunk: a sipTrunk number needs the trunk/);
    expect(() => numbers.add(acme.id, { number: '+861088886666', mode: 'sipTrunk', trunk: 'other-pbx' })).toThrow(/not a PBX trunk of this tenant/);
    expect(() => numbers.add(acme.id, { number: '+861088886666', mode: 'sipTrunk', trunk: 'carrier' })).toThrow(/not a PBX trunk of this tenant/);
    expect(() => numbers.add(acme.id, { number: '+861088886666', mode: 'sipTrunk', trunk: 'nope' })).toThrow(/trunk nope does not exist/);
    expect(() => numbers.add(acme.id, { number: '+861088886666', mode: 'switchboard', trunk: 'acme-pbx' })).toThrow(/only sipTrunk numbers have a trunk/);
    const n = numbers.add(acme.id, { number: '+861088886666', mode: 'sipTrunk', trunk: 'acme-pbx', maxCalls: 10 });
    expect(n).toMatchObject({ mode: 'sipTrunk', trunk: 'acme-pbx', maxCalls: 10 });
    // leaving sipTrunk mode drops the trunk
    expect(numbers.update(n.id, { mode: 'switchboard' })).toMatchObject({ mode: 'switchboard', trunk: null, trunkId: null });
  });

  it('direct lines: 1 to 3 terminals (extension of the tenant or PSTN), replaced by update, dropped when leaving direct mode', () => {
    const { numbers, acme } = setup();
    expect(() => numbers.add(acme.id, { number: '+861088886666', mode: 'direct' })).toThrow(/a direct-line number needs 1 to 3 terminals/);
    expect(() => numbers.add(acme.id, { number: '+861088886666', mode: 'direct', terminals: [{ extension: '2001' }] })).toThrow(/extension 2001 does not exist in the tenant/);
    expect(() => numbers.add(acme.id, { number: '+861088886666', mode: 'direct', terminals: [{ pstn: '1' }, { pstn: '2' }, { pstn: '3' }, { pstn: '4' }] })).toThrow(InvalidError);
    expect(() => numbers.add(acme.id, { number: '+861088886666', mode: 'switchboard', terminals: [{ pstn: '13812345678' }] })).toThrow(/only direct-line numbers have terminals/);
    expect(numbers.list()).toHaveLength(0); // nothing half-added
    const n = numbers.add(acme.id, { number: '+861088886666', mode: 'direct', terminals: [{ extension: '1001' }, { pstn: '13812345678' }] });
    expect(numbers.terminalsOf(n.id).map((t) => [t.kind, t.extension, t.pstnNumber, t.position])).toEqual([
      ['sip', '1001', null, 0],
      ['pstn', null, '+8613812345678', 1],
    ]);
    numbers.update(n.id, { ringStrategy: 'simultaneous' });
    expect(numbers.terminalsOf(n.id)).toHaveLength(2); // kept
    numbers.update(n.id, { terminals: [{ pstn: '+8613900000000' }] });
    expect(numbers.terminalsOf(n.id).map((t) => t.pstnNumber)).toEqual(['+8613900000000']);
    numbers.update(n.id, { mode: 'switchboard' });
    expect(numbers.terminalsOf(n.id)).toEqual([]);
    expect(() => numbers.update(n.id, { mode: 'direct' })).toThrow(/needs 1 to 3 terminals/);
  });

  it('blacklist: numbers and prefixes, stored as they will be matched, duplicates refused, audited', () => {
    const { numbers, acme, audit } = setup();
    const n = numbers.add(acme.id, { number: '+861088886666', mode: 'switchboard' });
    numbers.block(n.id, '0755*', 'spam city', 'test');
    numbers.block(n.id, '+8613812345678');
    numbers.block('+861088886666', '13900000000');
    expect(() => numbers.block(n.id, '13812345678')).toThrow(ConflictError);
    expect(() => numbers.block(n.id, '07*55')).toThrow(/must be a number, or a prefix ending in \*/);
    expect(numbers.blacklist(n.id).map((b) => [b.entry, b.match, b.note])).toEqual([
      ['0755*', 'prefix', 'spam city'],
      ['13812345678', 'exact', null],
      ['13900000000', 'exact', null],
    ]);
    expect(audit.list().find((a) => a.action === 'number.block')).toMatchObject({ target: '+861088886666' });
    expect(numbers.unblock(n.id, '0755*', 'test').entry).toBe('0755*');
    expect(() => numbers.unblock(n.id, '0755*')).toThrow(/0755\* is not on the blacklist of number \+861088886666/);
    expect(numbers.blacklist(n.id)).toHaveLength(2);
  });

  it('parseBlockEntry: national form at home, E.164 abroad, prefixes as typed', () => {
    const home = { country_code: '86' };
    expect(parseBlockEntry('+8613812345678', home)).toEqual({ pattern: '13812345678', match: 'exact' });
    expect(parseBlockEntry('+442071234567', home)).toEqual({ pattern: '+442071234567', match: 'exact' });
    expect(parseBlockEntry('+44*', home)).toEqual({ pattern: '+44', match: 'prefix' });
    expect(parseBlockEntry('075512345678', home)).toEqual({ pattern: '075512345678', match: 'exact' });
  });

  it('removes a number with its terminals and blacklist; config-managed numbers are refused', () => {
    const { numbers, acme, db } = setup();
    const n = numbers.add(acme.id, { number: '+861088886666', mode: 'direct', terminals: [{ pstn: '13812345678' }] });
    numbers.block(n.id, '0755*');
    numbers.remove(n.id);
    expect(db.sqlite.prepare('SELECT count(*) FROM terminal').pluck().get()).toBe(0);
    expect(db.sqlite.prepare('SELECT count(*) FROM number_block').pluck().get()).toBe(0);

    env.cleanup();
    env = tempServices(
      'tenants:\n  - name: main\n    default: true\n    numbers:\n      - { number: "+861088886666", mode: switchboard, blacklist: ["0755*"] }\n',
    );
    applyConfig(env.services.db, env.config, env.services.audit);
    const cfg = env.services.numbers.get('+861088886666');
    expect(cfg.configManaged).toBe(true);
    expect(() => env.services.numbers.update(cfg.id, { blockAction: 'drop' })).toThrow(ConfigManagedError);
    expect(() => env.services.numbers.remove(cfg.id)).toThrow('number +861088886666 is declared in the config file; edit the config instead');
    expect(() => env.services.numbers.block(cfg.id, '139*')).toThrow(ConfigManagedError);
  });
});
