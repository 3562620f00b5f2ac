import { describe, expect, it } from 'vitest';
import { formatForTrunk } from '../../../src/routing/numbers/format-for-trunk.ts';
import { normalizeNumber } from '../../../src/routing/numbers/normalize-number.ts';
import { isNumberError, type NormalizedNumber } from '../../../src/routing/numbers/normalized-number.ts';

function n(input: string): NormalizedNumber {
  const r = normalizeNumber(input, {});
  if (isNumberError(r)) throw new Error(r.message);
  return r;
}

describe('formatForTrunk', () => {
  it('writes domestic numbers as E.164, national or with 00', () => {
    expect(['e164', 'national', 'international00'].map((f) => formatForTrunk(n('13812345678'), f as never))).toEqual([
      '+8613812345678', '13812345678', '008613812345678',
    ]);
    expect(formatForTrunk(n('+86 10 8888 6666'), 'national')).toBe('01088886666');
    expect(formatForTrunk(n('010 8888 6666'), 'e164')).toBe('+861088886666');
    expect(formatForTrunk(n('4008001234'), 'international00')).toBe('00864008001234');
  });

  it('dials a foreign number with the international prefix in the national format', () => {
    expect(formatForTrunk(n('+44 20 7946 0958'), 'national')).toBe('00442079460958');
    expect(formatForTrunk(n('+1 415 555 0123'), 'national', { internationalPrefix: '011' })).toBe('01114155550123');
    expect(formatForTrunk(n('00852 9123 4567'), 'e164')).toBe('+85291234567');
  });

  it('sends short, emergency and area-less local numbers as dialled whatever the format', () => {
    for (const format of ['e164', 'national', 'international00'] as const) {
      expect(formatForTrunk(n('110'), format)).toBe('110');
      expect(formatForTrunk(n('95588'), format)).toBe('95588');
      expect(formatForTrunk(n('0571 12345'), format)).toBe('057112345');
      expect(formatForTrunk(n('88886666'), format)).toBe('88886666');
    }
  });
});
