import { describe, expect, it } from 'vitest';
import { InvalidError } from '../../src/errors.ts';
import { normalizeNumber } from '../../src/routing/numbers/normalize-number.ts';
import { isNumberError, type NormalizedNumber } from '../../src/routing/numbers/normalized-number.ts';
import { calledNumberFor, isFailoverStatus, outboundTrunkOrder, type TrunkCandidate } from '../../src/routing/trunk-selection.ts';

type T = TrunkCandidate & { host: string };
const trunk = (id: number, name: string, over: Partial<T> = {}): T => ({ id, name, kind: 'carrier', enabled: true, priority: 100, maxCalls: 0, host: `${name}.example`, ...over });

const names = (ts: readonly TrunkCandidate[]) => ts.map((t) => t.name);
const idle = { preferred: [] as string[], activeCalls: () => 0, usable: () => true };

describe('outboundTrunkOrder without a named list', () => {
  it('orders every enabled carrier by priority, then id', () => {
    const trunks = [trunk(4, 'd', { priority: 10 }), trunk(2, 'b'), trunk(1, 'a'), trunk(3, 'c', { priority: 10 }), trunk(5, 'e', { priority: 200 })];
    expect(names(outboundTrunkOrder(trunks, idle))).toEqual(['c', 'd', 'a', 'b', 'e']);
  });

  it('leaves out disabled trunks, gateways and customer PBXs', () => {
    const trunks = [trunk(1, 'off', { enabled: false }), trunk(2, 'iad', { kind: 'gateway' }), trunk(3, 'pbx', { kind: 'pbx' }), trunk(4, 'ok')];
    expect(names(outboundTrunkOrder(trunks, idle))).toEqual(['ok']);
  });

  it('leaves out trunks at their call limit (0 = none) and those not usable now', () => {
    const active: Record<number, number> = { 1: 10, 2: 9, 3: 1000, 4: 0 };
    const trunks = [trunk(1, 'full', { maxCalls: 10 }), trunk(2, 'room', { maxCalls: 10 }), trunk(3, 'unlimited'), trunk(4, 'down')];
    const order = outboundTrunkOrder(trunks, { preferred: [], activeCalls: (id) => active[id] ?? 0, usable: (id) => id !== 4 });
    expect(names(order)).toEqual(['room', 'unlimited']);
  });

  it('keeps the callers\' own type and returns nothing when nothing can take the call', () => {
    const order = outboundTrunkOrder([trunk(1, 'a')], idle);
    expect(order[0]?.host).toBe('a.example');
    expect(outboundTrunkOrder([], idle)).toEqual([]);
    expect(outboundTrunkOrder([trunk(1, 'a')], { ...idle, usable: () => false })).toEqual([]);
  });
});

describe('outboundTrunkOrder with the tenant\'s named list', () => {
  const trunks = [trunk(1, 'telecom', { priority: 1 }), trunk(2, 'unicom', { priority: 2 }), trunk(3, 'mobile', { priority: 3 }), trunk(4, 'iad', { kind: 'gateway' }), trunk(5, 'pbx', { kind: 'pbx' })];

  it('takes the named trunks in the named order, ignoring priority', () => {
    expect(names(outboundTrunkOrder(trunks, { ...idle, preferred: ['mobile', 'telecom'] }))).toEqual(['mobile', 'telecom']);
  });

  it('may name the tenant\'s own gateway, never a PBX; unknown and repeated names are skipped', () => {
    expect(names(outboundTrunkOrder(trunks, { ...idle, preferred: ['iad', 'pbx', 'nosuch', 'unicom', 'iad'] }))).toEqual(['iad', 'unicom']);
  });

  it('leaves out named trunks that are disabled, full or down, without falling back to others', () => {
    const ts = [trunk(1, 'a', { enabled: false }), trunk(2, 'b', { maxCalls: 1 }), trunk(3, 'c'), trunk(4, 'd')];
    const o = { preferred: ['a', 'b', 'c'], activeCalls: (id: number) => (id === 2 ? 1 : 0), usable: (id: number) => id !== 3 };
    expect(outboundTrunkOrder(ts, o)).toEqual([]);
  });
});

describe('isFailoverStatus', () => {
  it('moves on after a timeout and every server failure', () => {
    for (const s of [408, 500, 501, 502, 503, 504, 505, 513, 580, 599]) expect(isFailoverStatus(s), String(s)).toBe(true);
  });

  it('moves on when the trunk refuses our credentials', () => {
    expect(isFailoverStatus(401)).toBe(true);
    expect(isFailoverStatus(407)).toBe(true);
  });

  it('takes the callee\'s answer: 3xx, other 4xx and 6xx', () => {
    for (const s of [200, 302, 400, 403, 404, 410, 480, 484, 486, 487, 488, 600, 603, 604, 606]) expect(isFailoverStatus(s), String(s)).toBe(false);
  });
});

describe('calledNumberFor', () => {
  const n = (s: string): NormalizedNumber => {
    const r = normalizeNumber(s, { areaCode: '755' });
    if (isNumberError(r)) throw new Error(r.message);
    return r;
  };

  it('formats the number in the trunk\'s format', () => {
    expect(calledNumberFor(n('13812345678'), { calledFormat: 'national', rewrite: [] })).toBe('13812345678');
    expect(calledNumberFor(n('13812345678'), { calledFormat: 'e164', rewrite: [] })).toBe('+8613812345678');
    expect(calledNumberFor(n('88886666'), { calledFormat: 'international00', rewrite: [] })).toBe('008675588886666');
    expect(calledNumberFor(n('+14155550123'), { calledFormat: 'national', rewrite: [], internationalPrefix: '00' })).toBe('0014155550123');
    expect(calledNumberFor(n('110'), { calledFormat: 'e164', rewrite: [] })).toBe('110');
  });

  it('applies the rewrite rules in order to the formatted number, each on its first match', () => {
    const trunk = {
      calledFormat: 'e164' as const,
      rewrite: [
        { match: '^\\+86', replace: '0086' },
        { match: '^0086(1\\d{10})$', replace: '$1' }, // mobiles go bare
        { match: '0', replace: 'X' }, // first match only
      ],
    };
    expect(calledNumberFor(n('13812345678'), trunk)).toBe('13812345678');
    expect(calledNumberFor(n('01088886666'), trunk)).toBe('X0861088886666');
  });

  it('adds a carrier\'s routing prefix and leaves numbers alone that no rule matches', () => {
    const trunk = { calledFormat: 'national' as const, rewrite: [{ match: '^(0\\d+)$', replace: '17909$1' }] };
    expect(calledNumberFor(n('01088886666'), trunk)).toBe('1790901088886666');
    expect(calledNumberFor(n('13812345678'), trunk)).toBe('13812345678');
  });

  it('refuses a rule that is not a regular expression, saying where to fix it', () => {
    expect(() => calledNumberFor(n('13812345678'), { calledFormat: 'national', rewrite: [{ match: '(', replace: '' }] })).toThrow(InvalidError);
    expect(() => calledNumberFor(n('13812345678'), { calledFormat: 'national', rewrite: [{ match: '(', replace: '' }] })).toThrow(
      'trunk rewrite rule "(" is not a valid regular expression; correct the trunk\'s rewrite rules',
    );
  });
});
