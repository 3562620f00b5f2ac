import { describe, expect, it } from 'vitest';
import { InvalidError } from '../../src/errors.ts';
import {
  compileBlacklist,
  formatBlacklistEntry,
  isBlacklisted,
  numberMatchesPattern,
  parseBlacklistEntry,
  type BlacklistEntry,
} from '../../src/routing/caller-blacklist.ts';
import { normalizeNumber } from '../../src/routing/numbers/normalize-number.ts';
import { isNumberError, type NormalizedNumber } from '../../src/routing/numbers/normalized-number.ts';

const cn = { countryCode: '86' };
const exact = (pattern: string): BlacklistEntry => ({ pattern, match: 'exact' });
const prefix = (pattern: string): BlacklistEntry => ({ pattern, match: 'prefix' });
const blocked = (caller: string, entries: BlacklistEntry[]) => isBlacklisted(caller, entries, cn);

/** One Shenzhen mobile and one Shenzhen landline as carriers present them. */
const MOBILE_FORMS = ['+8613812345678', '8613812345678', '008613812345678', '013812345678', '13812345678', 'sip:+8613812345678@carrier.example;user=phone', 'tel:+86-138-1234-5678'];
const LANDLINE_FORMS = ['+8675528881234', '008675528881234', '075528881234', '+86 755 2888 1234', '0755-2888-1234', 'tel:+86-755-2888-1234'];

function n(s: string): NormalizedNumber {
  const r = normalizeNumber(s, cn);
  if (isNumberError(r)) throw new Error(r.message);
  return r;
}

describe('isBlacklisted: exact entries', () => {
  it('matches a mobile in every form a carrier sends against an entry in every form people write', () => {
    for (const pattern of ['13812345678', '+8613812345678', '8613812345678', '013812345678', '008613812345678', '138 1234 5678']) {
      for (const caller of MOBILE_FORMS) expect(blocked(caller, [exact(pattern)]), `${caller} vs ${pattern}`).toEqual(exact(pattern));
    }
  });

  it('matches a landline with its area code in every form', () => {
    for (const pattern of ['075528881234', '+8675528881234', '8675528881234']) {
      for (const caller of LANDLINE_FORMS) expect(blocked(caller, [exact(pattern)]), `${caller} vs ${pattern}`).toEqual(exact(pattern));
    }
  });

  it('leaves a landline with 86 but no + to the numbers module, which does not guess it', () => {
    // routing/numbers takes 86 + mobile without '+', never 86 + area code (a mistyped local number
    // looks the same): an unparsable caller is not matched
    expect(blocked('8675528881234', [exact('075528881234'), prefix('0755'), prefix('86755')])).toBeUndefined();
  });

  it('does not match a different number, a longer one or a shorter one', () => {
    const list = [exact('13812345678')];
    expect(blocked('13812345679', list)).toBeUndefined();
    expect(blocked('+86138123456789', list)).toBeUndefined();
    expect(blocked('1381234567', list)).toBeUndefined();
    expect(blocked('075513812345678', list)).toBeUndefined();
  });

  it('matches service numbers, local numbers of unknown area and foreign numbers', () => {
    expect(blocked('10086', [exact('10086')])).toEqual(exact('10086'));
    expect(blocked('+86 400 800 1234', [exact('4008001234')])).toEqual(exact('4008001234'));
    expect(blocked('88886666', [exact('88886666')])).toEqual(exact('88886666'));
    // a local number of unknown area is not the same as one with an area code
    expect(blocked('88886666', [exact('01088886666')])).toBeUndefined();
    expect(blocked('01088886666', [exact('88886666')])).toBeUndefined();
    expect(blocked('00442079460000', [exact('+442079460000')])).toEqual(exact('+442079460000'));
    expect(blocked('+442079460000', [exact('00442079460000')])).toEqual(exact('00442079460000'));
  });

  it('returns the first matching entry itself, with whatever else it carries', () => {
    const entries = [{ pattern: '139', match: 'prefix' as const, id: 1 }, { pattern: '138*', match: 'prefix' as const, id: 2 }, { pattern: '13812345678', match: 'exact' as const, id: 3 }];
    expect(isBlacklisted('13812345678', entries, cn)?.id).toBe(3); // exact entries first: the most specific
    expect(isBlacklisted('13812340000', entries, cn)?.id).toBe(2);
  });
});

describe('isBlacklisted: prefix entries', () => {
  it('matches an area code written nationally or as E.164 with and without +', () => {
    for (const pattern of ['0755', '+86755', '86755', '0755*', '+86 755']) {
      for (const caller of LANDLINE_FORMS) expect(blocked(caller, [prefix(pattern)]), `${caller} vs ${pattern}`).toBeDefined();
      expect(blocked('+861088886666', [prefix(pattern)]), pattern).toBeUndefined();
    }
    // 0755 is a prefix of the home form, never of a mobile's
    expect(blocked('13812345678', [prefix('0755')])).toBeUndefined();
  });

  it('matches mobile ranges on the national or E.164 digits', () => {
    for (const pattern of ['138', '1381234', '+86138', '86138']) {
      for (const caller of MOBILE_FORMS) expect(blocked(caller, [prefix(pattern)]), `${caller} vs ${pattern}`).toBeDefined();
    }
    expect(blocked('13912345678', [prefix('138')])).toBeUndefined();
    // the whole number as a prefix matches it too
    expect(blocked('13812345678', [prefix('13812345678')])).toBeDefined();
    expect(blocked('1381234567', [prefix('13812345678')])).toBeUndefined();
  });

  it('catches foreign callers with 00 or a country, and never domestic ones with 00', () => {
    expect(blocked('+442079460000', [prefix('00')])).toBeDefined();
    expect(blocked('+442079460000', [prefix('0044')])).toBeDefined();
    expect(blocked('+442079460000', [prefix('+44')])).toBeDefined();
    expect(blocked('+14155550123', [prefix('0044')])).toBeUndefined();
    for (const caller of [...MOBILE_FORMS, ...LANDLINE_FORMS, '4008001234', '10086']) expect(blocked(caller, [prefix('00')]), caller).toBeUndefined();
  });

  it('a + pattern only ever matches E.164 digits', () => {
    // +0755 is no country; +1 is NANP, not the 1 of Chinese mobiles
    expect(blocked('075528881234', [prefix('+0755')])).toBeUndefined();
    expect(blocked('13812345678', [prefix('+1')])).toBeUndefined();
    expect(blocked('+14155550123', [prefix('+1')])).toBeDefined();
  });

  it('matches short codes on their digits', () => {
    expect(blocked('95588', [prefix('955')])).toBeDefined();
    expect(blocked('10086', [prefix('100')])).toBeDefined();
  });

  it('ignores patterns without digits rather than blocking everybody', () => {
    for (const p of ['', '*', '+', ' ', 'abc']) expect(blocked('13812345678', [prefix(p)]), JSON.stringify(p)).toBeUndefined();
    expect(blocked('13812345678', [exact('')])).toBeUndefined();
  });
});

describe('isBlacklisted: callers without a usable number', () => {
  it('never matches anonymous, withheld, empty or malformed callers', () => {
    const everything = [prefix('0'), prefix('1'), prefix('+'), prefix('00'), exact('anonymous'), exact('')];
    for (const caller of ['', 'anonymous', 'Anonymous', 'sip:anonymous@anonymous.invalid', 'unknown', 'restricted', '+', '1381234567', '138123456789', '0', 'abc123']) {
      expect(blocked(caller, everything), JSON.stringify(caller)).toBeUndefined();
    }
  });

  it('says nothing for an empty list', () => {
    expect(blocked('13812345678', [])).toBeUndefined();
  });
});

describe('compileBlacklist', () => {
  it('answers like isBlacklisted for many callers over one prepared list', () => {
    const entries = [exact('13812345678'), prefix('0755'), exact('+442079460000'), prefix('00852'), exact('8613900000000')];
    const check = compileBlacklist(entries, cn);
    for (const caller of [...MOBILE_FORMS, ...LANDLINE_FORMS, '13900000000', '+85291234567', '+442079460000', '+8613700000000', 'anonymous']) {
      expect(check(caller), caller).toEqual(blocked(caller, entries));
    }
    expect(check('013900000000')).toEqual(exact('8613900000000'));
    expect(check('+8613700000000')).toBeUndefined();
  });

  it('follows the home country of the tenant', () => {
    const hk = { countryCode: '852' };
    expect(isBlacklisted('91234567', [exact('+85291234567')], hk)).toBeDefined();
    expect(isBlacklisted('+85291234567', [prefix('9123')], hk)).toBeDefined();
    expect(isBlacklisted('+8613812345678', [prefix('001')], hk)).toBeDefined(); // HK dials out with 001
  });
});

describe('numberMatchesPattern', () => {
  it('applies the same rules to a number already normalised', () => {
    expect(numberMatchesPattern(n('013812345678'), '138', 'prefix', cn)).toBe(true);
    expect(numberMatchesPattern(n('013812345678'), '013812345678', 'exact', cn)).toBe(true);
    expect(numberMatchesPattern(n('110'), '110', 'exact', cn)).toBe(true);
    expect(numberMatchesPattern(n('110'), '+86110', 'prefix', cn)).toBe(false);
  });
});

describe('parseBlacklistEntry / formatBlacklistEntry', () => {
  it('reads whole numbers and prefixes ending in *', () => {
    expect(parseBlacklistEntry('0755*')).toEqual({ pattern: '0755', match: 'prefix' });
    expect(parseBlacklistEntry('13812345678')).toEqual({ pattern: '13812345678', match: 'exact' });
    expect(parseBlacklistEntry('+86 138-1234-5678')).toEqual({ pattern: '+8613812345678', match: 'exact' });
    expect(parseBlacklistEntry(' +86755* ')).toEqual({ pattern: '+86755', match: 'prefix' });
    expect(parseBlacklistEntry('1')).toEqual({ pattern: '1', match: 'exact' });
  });

  it('refuses what is not a number or a prefix, saying how to write one', () => {
    for (const bad of ['', '*', '+*', '0755**', '07*55', 'abc', '++86', '1'.repeat(21), '0755%']) {
      expect(() => parseBlacklistEntry(bad), bad).toThrow(InvalidError);
    }
    expect(() => parseBlacklistEntry('07*55')).toThrow(
      'blacklist entry "07*55" is neither a number nor a prefix: write a whole number (13812345678, +8613812345678) or a prefix ending in * (0755*)',
    );
  });

  it('writes entries back as people type them', () => {
    for (const text of ['0755*', '13812345678', '+86755*', '+8613812345678']) expect(formatBlacklistEntry(parseBlacklistEntry(text))).toBe(text);
  });
});
