import { describe, expect, it } from 'vitest';
import { mayCallExtension, parseOutsideNumber, permitOutbound, type OutsideNumber } from '../../src/routing/outbound-permission.ts';
import { tenantSettingsSchema, type TenantSettings, type TenantSettingsInput } from '../../src/tenancy/tenant-settings.ts';

const settings = (s: TenantSettingsInput = {}): TenantSettings => tenantSettingsSchema.parse(s);
const plain = settings(); // China, no prefix, no area code, international off
const nine = settings({ outside_line_prefix: '9', area_code: '755' });

function outside(dialled: string, s: TenantSettings = plain): OutsideNumber {
  const r = parseOutsideNumber(dialled, s);
  if (!('outside' in r)) throw new Error(`${dialled}: ${JSON.stringify(r)}`);
  return r.outside;
}

describe('parseOutsideNumber with an outside-line prefix', () => {
  it('takes the digits after the prefix, normalised with the tenant\'s country and area code', () => {
    expect(outside('913812345678', nine)).toMatchObject({ dialled: '13812345678', number: { kind: 'mobile', e164: '+8613812345678' } });
    expect(outside('988886666', nine)).toMatchObject({ dialled: '88886666', number: { kind: 'landline', e164: '+8675588886666', national: '075588886666' } });
    expect(outside('9010-8888-6666', nine)).toMatchObject({ dialled: '01088886666', number: { e164: '+861088886666' } });
    expect(outside('900442079460000', nine)).toMatchObject({ number: { kind: 'international', countryCode: '44' } });
    expect(outside('910086', nine)).toMatchObject({ number: { kind: 'short', national: '10086' } });
    expect(outside('9%2B8613812345678', nine).number.e164).toBe('+8613812345678');
  });

  it('is not an outside call without the prefix: extensions and feature codes', () => {
    for (const d of ['801', '8001', '13812345678', '088886666', '*97', 'alice', '', '9*97']) expect(parseOutsideNumber(d, nine), d).toEqual({ notOutside: true });
  });

  it('takes emergency codes with or without the prefix', () => {
    for (const d of ['110', '119', '120', '122', '9110', '9120']) {
      const r = outside(d, nine);
      expect(r.number.isEmergency, d).toBe(true);
      expect(r.dialled).toBe(d.slice(-3));
    }
    // 112 is not an emergency code in China: it needs the prefix like any short number
    expect(parseOutsideNumber('112', nine)).toEqual({ notOutside: true });
  });

  it('takes a number with + without the prefix: it can never be an extension', () => {
    expect(outside('+8613812345678', nine).number.kind).toBe('mobile');
    expect(outside('+44 20 7946 0000', nine).number.kind).toBe('international');
  });

  it('refuses what is meant as an outside number but is not one', () => {
    expect(parseOutsideNumber('9', nine)).toEqual({ refuse: { status: 484, reason: 'Address Incomplete', why: 'dial the outside number after the outside-line prefix 9' } });
    expect(parseOutsideNumber('91381234567', nine)).toEqual({ refuse: { status: 484, reason: 'Address Incomplete', why: 'too short: 1381234567 has 10 digits, a mobile number 11' } });
    expect(parseOutsideNumber('9138123456789', nine)).toMatchObject({ refuse: { status: 484 } });
    expect(parseOutsideNumber('912345678', nine)).toMatchObject({ refuse: { status: 484 } }); // a local number starting with 1
    expect(parseOutsideNumber('900012345678', nine)).toEqual({ refuse: { status: 404, reason: 'Not Found', why: 'not a phone number: +012345678 has no valid country code' } });
    expect(parseOutsideNumber('+0123', nine)).toMatchObject({ refuse: { status: 404 } });
  });

  it('works with a multi-digit prefix and with * or # in it', () => {
    const s = settings({ outside_line_prefix: '*0' });
    expect(outside('*013812345678', s).dialled).toBe('13812345678');
    expect(parseOutsideNumber('013812345678', s)).toEqual({ notOutside: true });
  });
});

describe('parseOutsideNumber without a prefix', () => {
  it('takes every valid number, leaving the extension look-up to the caller', () => {
    expect(outside('13812345678').number.kind).toBe('mobile');
    expect(outside('010 8888 6666').number.e164).toBe('+861088886666');
    expect(outside('10086').number.kind).toBe('short');
    expect(outside('88886666').number).toMatchObject({ kind: 'landline', national: '88886666' }); // no area code known: no E.164
    expect(outside('0044 20 7946 0000').number.kind).toBe('international');
  });

  it('does not refuse digits that could be an extension (2–8 digits, no leading 0)', () => {
    for (const d of ['80', '801', '8001', '80001', '1001', '12345678']) expect(parseOutsideNumber(d, plain), d).toEqual({ notOutside: true });
  });

  it('refuses what cannot be an extension and is not a valid number', () => {
    expect(parseOutsideNumber('1381234567', plain)).toMatchObject({ refuse: { status: 484 } });
    expect(parseOutsideNumber('0801', plain)).toMatchObject({ refuse: { status: 484 } });
    expect(parseOutsideNumber('0', plain)).toMatchObject({ refuse: { status: 484, why: 'too short: 0 is only the trunk prefix' } });
  });

  it('is not an outside call for letters or nothing', () => {
    for (const d of ['', ' ', 'alice', '*97', '#']) expect(parseOutsideNumber(d, plain), JSON.stringify(d)).toEqual({ notOutside: true });
  });
});

describe('permitOutbound', () => {
  const base = { settings: plain, allow: [] as string[], deny: [] as string[], activeCalls: 0, maxCalls: 2 };
  const intl = settings({ international: { enabled: true, allowed_countries: ['852', '1'] } });

  it('lets an ordinary domestic call through', () => {
    expect(permitOutbound(outside('13812345678'), base)).toEqual({ ok: true, emergency: false });
  });

  it('always lets emergency calls through, whatever the lists and limits', () => {
    const strict = { ...base, allow: ['0755'], deny: ['1', '110'], activeCalls: 5, maxCalls: 1 };
    expect(permitOutbound(outside('110'), strict)).toEqual({ ok: true, emergency: true });
    expect(permitOutbound(outside('9119', nine), { ...strict, settings: nine })).toEqual({ ok: true, emergency: true });
  });

  it('refuses international calls unless enabled, and then only to allowed countries', () => {
    expect(permitOutbound(outside('+442079460000'), base)).toEqual({ ok: false, status: 403, reason: 'Forbidden', why: 'international calls are not enabled for this tenant' });
    expect(permitOutbound(outside('+442079460000'), { ...base, settings: intl })).toEqual({ ok: false, status: 403, reason: 'Forbidden', why: 'calls to +44 are not allowed' });
    expect(permitOutbound(outside('0085291234567'), { ...base, settings: intl })).toEqual({ ok: true, emergency: false });
    expect(permitOutbound(outside('+14155550123'), { ...base, settings: intl })).toEqual({ ok: true, emergency: false });
    // enabled with no countries: none
    const none = settings({ international: { enabled: true } });
    expect(permitOutbound(outside('+85291234567'), { ...base, settings: none })).toMatchObject({ ok: false, why: 'calls to +852 are not allowed' });
    // domestic numbers dialled in international form are not international
    expect(permitOutbound(outside('+8613812345678'), base)).toEqual({ ok: true, emergency: false });
    expect(permitOutbound(outside('008613812345678'), base)).toEqual({ ok: true, emergency: false });
  });

  it('checks international permission before the extension\'s allow list', () => {
    expect(permitOutbound(outside('+442079460000'), { ...base, allow: ['0044'] })).toMatchObject({ why: 'international calls are not enabled for this tenant' });
  });

  it('refuses numbers on the deny list, matching the national or E.164 form', () => {
    for (const deny of ['0755', '86755', '+86755', '075528881234', '0755 2888']) {
      expect(permitOutbound(outside('075528881234'), { ...base, deny: [deny] }), deny).toEqual({
        ok: false, status: 403, reason: 'Forbidden', why: `+8675528881234 matches ${deny} on the extension's deny list`,
      });
    }
    expect(permitOutbound(outside('13812345678'), { ...base, deny: ['0755', '139'] })).toEqual({ ok: true, emergency: false });
    // the deny list can take all long distance (0), mobiles (1) or service numbers
    expect(permitOutbound(outside('01088886666'), { ...base, deny: ['0'] })).toMatchObject({ ok: false, status: 403 });
    expect(permitOutbound(outside('13812345678'), { ...base, deny: ['1'] })).toMatchObject({ ok: false, status: 403 });
    expect(permitOutbound(outside('4008001234'), { ...base, deny: ['400'] })).toMatchObject({ ok: false, status: 403 });
    expect(permitOutbound(outside('95588'), { ...base, deny: ['955'] })).toMatchObject({ ok: false, why: "95588 matches 955 on the extension's deny list" });
  });

  it('matches foreign numbers as dialled from home (00…) or E.164, never their own national form', () => {
    const p = { ...base, settings: intl };
    expect(permitOutbound(outside('+85291234567'), { ...p, deny: ['00852'] })).toMatchObject({ ok: false });
    expect(permitOutbound(outside('+85291234567'), { ...p, deny: ['+852'] })).toMatchObject({ ok: false });
    expect(permitOutbound(outside('+85291234567'), { ...p, deny: ['852'] })).toMatchObject({ ok: false });
    // 020 is Guangzhou: a whitelist of it does not let London (020 7946 …) through
    const london = settings({ international: { enabled: true, allowed_countries: ['44'] } });
    expect(permitOutbound(outside('+442079460000'), { ...base, settings: london, allow: ['020'] })).toMatchObject({ ok: false, why: "+442079460000 is not on the extension's allow list" });
    expect(permitOutbound(outside('+442079460000'), { ...base, settings: london, allow: ['0044'] })).toEqual({ ok: true, emergency: false });
  });

  it('uses a non-empty allow list as a whitelist, the deny list still winning', () => {
    const p = { ...base, allow: ['0755', '+86138'] };
    expect(permitOutbound(outside('075528881234'), p)).toEqual({ ok: true, emergency: false });
    expect(permitOutbound(outside('13812345678'), p)).toEqual({ ok: true, emergency: false });
    expect(permitOutbound(outside('13912345678'), p)).toEqual({ ok: false, status: 403, reason: 'Forbidden', why: "+8613912345678 is not on the extension's allow list" });
    expect(permitOutbound(outside('075528881234'), { ...p, deny: ['07552888'] })).toMatchObject({ ok: false, why: "+8675528881234 matches 07552888 on the extension's deny list" });
    // a local number of unknown area is matched on its digits
    expect(permitOutbound(outside('88886666'), { ...base, allow: ['8888'] })).toEqual({ ok: true, emergency: false });
  });

  it('fails closed on blank patterns: a blank deny blocks nothing, a blank allow lets nothing through', () => {
    expect(permitOutbound(outside('13812345678'), { ...base, deny: [''] })).toEqual({ ok: true, emergency: false });
    expect(permitOutbound(outside('13812345678'), { ...base, allow: [''] })).toMatchObject({ ok: false, status: 403 });
  });

  it('refuses with 486 at the concurrent-call limit, after the lists; 0 means no limit', () => {
    expect(permitOutbound(outside('13812345678'), { ...base, activeCalls: 1, maxCalls: 2 })).toEqual({ ok: true, emergency: false });
    expect(permitOutbound(outside('13812345678'), { ...base, activeCalls: 2, maxCalls: 2 })).toEqual({
      ok: false, status: 486, reason: 'Busy Here', why: 'the extension already has 2 calls, its limit is 2',
    });
    expect(permitOutbound(outside('13812345678'), { ...base, activeCalls: 3, maxCalls: 2 })).toMatchObject({ status: 486 });
    expect(permitOutbound(outside('13812345678'), { ...base, deny: ['138'], activeCalls: 3, maxCalls: 2 })).toMatchObject({ status: 403 });
    expect(permitOutbound(outside('13812345678'), { ...base, activeCalls: 50, maxCalls: 0 })).toEqual({ ok: true, emergency: false });
  });
});

describe('mayCallExtension', () => {
  it('lets anyone call without rules', () => {
    expect(mayCallExtension('801', { allow: [], deny: [] })).toBe(true);
  });

  it('refuses callers on the deny list, by number or prefix', () => {
    const rules = { allow: [], deny: ['802', '9'] };
    expect(mayCallExtension('802', rules)).toBe(false);
    expect(mayCallExtension('901', rules)).toBe(false);
    expect(mayCallExtension('801', rules)).toBe(true);
    expect(mayCallExtension('80', rules)).toBe(true); // a shorter number is not under the prefix 802
  });

  it('lets only callers on a non-empty allow list through, and deny wins over allow', () => {
    const rules = { allow: ['8', '901'], deny: ['803'] };
    expect(mayCallExtension('801', rules)).toBe(true);
    expect(mayCallExtension('901', rules)).toBe(true);
    expect(mayCallExtension('902', rules)).toBe(false);
    expect(mayCallExtension('803', rules)).toBe(false);
    expect(mayCallExtension('1001', rules)).toBe(false);
  });

  it('matches patterns as prefixes, so an exact number also takes longer ones', () => {
    expect(mayCallExtension('8012', { allow: ['801'], deny: [] })).toBe(true);
    expect(mayCallExtension('801', { allow: ['8012'], deny: [] })).toBe(false);
  });

  it('ignores separators and a trailing *, and fails closed on blank patterns', () => {
    expect(mayCallExtension('801', { allow: ['80*'], deny: [] })).toBe(true);
    expect(mayCallExtension(' 801 ', { allow: [], deny: ['8-0-1'] })).toBe(false);
    expect(mayCallExtension('801', { allow: [], deny: ['', '*'] })).toBe(true);
    expect(mayCallExtension('801', { allow: ['', '*'], deny: [] })).toBe(false);
  });
});
