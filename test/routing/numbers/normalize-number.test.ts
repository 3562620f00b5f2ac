import { describe, expect, it } from 'vitest';
import { isMobileNumber, normalizeNumber } from '../../../src/routing/numbers/normalize-number.ts';
import { isNumberError, type NormalizedNumber, type NumberError } from '../../../src/routing/numbers/normalized-number.ts';

function ok(input: string, ctx = {}): NormalizedNumber {
  const r = normalizeNumber(input, ctx);
  if (isNumberError(r)) throw new Error(`${input}: ${r.message}`);
  return r;
}

function fail(input: string, ctx = {}): NumberError {
  const r = normalizeNumber(input, ctx);
  if (!isNumberError(r)) throw new Error(`${input} was accepted as ${JSON.stringify(r)}`);
  return r;
}

const beijingMobile = { kind: 'mobile', e164: '+8613812345678', national: '13812345678', countryCode: '86', isMobile: true, isEmergency: false };

describe('normalizeNumber: mobiles', () => {
  it('accepts a mobile bare, with +86, 0086, 86 and the long-distance 0 in front', () => {
    for (const input of ['13812345678', '+8613812345678', '008613812345678', '8613812345678', '013812345678', '+86 0 138 1234 5678']) {
      expect(ok(input)).toEqual(beijingMobile);
    }
    expect(ok('19912345678').kind).toBe('mobile');
    expect(ok('16612345678').kind).toBe('mobile');
  });

  it('rejects a 10-digit and a 12-digit mobile, and 1[0-2]x numbers of mobile length', () => {
    expect(fail('1381234567')).toEqual({ error: 'too-short', message: 'too short: 1381234567 has 10 digits, a mobile number 11' });
    expect(fail('138123456789')).toEqual({ error: 'too-long', message: 'too long: 138123456789 has 12 digits, a mobile number 11' });
    expect(fail('+86138123456789').error).toBe('too-long');
    for (const input of ['10012345678', '11012345678', '12012345678']) {
      const e = fail(input);
      expect(e.error).toBe('unknown-format');
      expect(e.message).toBe(`not a phone number: ${input} — mobiles start 13–19, and no service number is 11 digits`);
    }
    expect(fail('012012345678').error).toBe('unknown-format'); // 0 + 12x: neither area code 10 nor a mobile
  });

  it('does not take a bare 86 before anything but a mobile', () => {
    expect(fail('861088886666').error).toBe('unknown-format');
  });
});

describe('normalizeNumber: landlines', () => {
  it('reads national numbers with trunk prefix 0 and 2- or 3-digit area codes', () => {
    expect(ok('01088886666')).toEqual({
      kind: 'landline', e164: '+861088886666', national: '01088886666', countryCode: '86', areaCode: '10', isMobile: false, isEmergency: false,
    });
    expect(ok('021-6288 8888')).toMatchObject({ e164: '+862162888888', areaCode: '21' });
    expect(ok('(0571) 8888.6666')).toMatchObject({ e164: '+8657188886666', national: '057188886666', areaCode: '571' });
    expect(ok('0755 2345678')).toMatchObject({ e164: '+867552345678', areaCode: '755' }); // 7-digit local
  });

  it('drops the redundant trunk prefix after +86 / 0086', () => {
    expect(ok('+86 0 10 8888 6666')).toMatchObject({ e164: '+861088886666', national: '01088886666', areaCode: '10' });
    expect(ok('+86 (0)10-8888-6666').e164).toBe('+861088886666');
    expect(ok('0086 010 88886666').e164).toBe('+861088886666');
    expect(ok('+86 10 8888 6666').national).toBe('01088886666');
  });

  it('puts the area code in front of a bare local number when it is known', () => {
    expect(ok('88886666')).toEqual({ kind: 'landline', national: '88886666', countryCode: '86', isMobile: false, isEmergency: false });
    expect(ok('88886666', { areaCode: '571' })).toMatchObject({ e164: '+8657188886666', national: '057188886666', areaCode: '571' });
    expect(ok('8888666', { areaCode: '0755' })).toMatchObject({ e164: '+867558888666', areaCode: '755' });
  });

  it('rejects local numbers of the wrong length or start', () => {
    expect(fail('010888866661')).toEqual({ error: 'too-long', message: 'too long: 010888866661 — a local number after area code 10 has 7–8 digits' });
    expect(fail('010888866').error).toBe('too-short');
    expect(fail('01008886666').message).toBe('not a phone number: 01008886666 — a local number starts with 2–9');
    expect(fail('1234').error).toBe('unknown-format'); // 1xx is 3 digits, 1[0-2]xxx 5–6
    expect(fail('23456')).toEqual({ error: 'too-short', message: 'too short: 23456 — a local number has 7–8 digits' });
    expect(fail('234567890').error).toBe('unknown-format');
    expect(fail('0').error).toBe('too-short');
  });
});

describe('normalizeNumber: service, toll-free and emergency numbers', () => {
  it('knows the emergency numbers, also after an area code', () => {
    for (const n of ['110', '119', '120', '122']) {
      expect(ok(n)).toEqual({ kind: 'emergency', national: n, countryCode: '86', isMobile: false, isEmergency: true });
    }
    expect(ok('0755-110')).toMatchObject({ kind: 'emergency', national: '0755110', areaCode: '755', isEmergency: true });
    expect(ok('+86 110').kind).toBe('emergency');
    expect(ok('110').e164).toBeUndefined();
  });

  it('classifies service numbers as short, without an E.164 form', () => {
    for (const n of ['114', '12345', '12306', '10086', '10010', '95588', '95105105', '96198', '116114']) {
      expect(ok(n)).toEqual({ kind: 'short', national: n, countryCode: '86', isMobile: false, isEmergency: false });
    }
    expect(ok('0571-12345')).toMatchObject({ kind: 'short', national: '057112345', areaCode: '571' });
    expect(ok('+86 95588')).toMatchObject({ kind: 'short', national: '95588' });
  });

  it('reads 400 and 800 numbers as toll-free', () => {
    expect(ok('400-800-1234')).toEqual({
      kind: 'tollfree', e164: '+864008001234', national: '4008001234', countryCode: '86', isMobile: false, isEmergency: false,
    });
    expect(ok('800 810 8888').kind).toBe('tollfree');
    expect(ok('+86 400 800 1234').national).toBe('4008001234');
  });
});

describe('normalizeNumber: international', () => {
  it('splits the country code of numbers abroad, with + or 00', () => {
    expect(ok('+1 (415) 555-0123')).toEqual({
      kind: 'international', e164: '+14155550123', national: '14155550123', countryCode: '1', isMobile: false, isEmergency: false,
    });
    expect(ok('+44 20 7946 0958')).toMatchObject({ e164: '+442079460958', national: '02079460958', countryCode: '44' });
    expect(ok('+44 (0)20 7946 0958').e164).toBe('+442079460958');
    expect(ok('00852 9123 4567')).toMatchObject({ kind: 'international', e164: '+85291234567', countryCode: '852' });
    expect(ok('0081 3 1234 5678')).toMatchObject({ e164: '+81312345678', countryCode: '81' });
    expect(ok('+7 495 123 4567').countryCode).toBe('7');
  });

  it('rejects a missing country code, more than 15 digits and foreign service numbers', () => {
    expect(fail('+0123456')).toEqual({ error: 'unknown-country', message: 'not a phone number: +0123456 has no valid country code' });
    expect(fail('00').error).toBe('too-short');
    expect(fail('+86').error).toBe('too-short');
    expect(fail('+1234567890123456')).toMatchObject({ error: 'too-long' });
    expect(fail('+44999').error).toBe('too-short');
  });

  it('detects a Chinese mobile for a PBX at home elsewhere', () => {
    const us = { countryCode: '1' };
    expect(ok('011 86 138 1234 5678', us)).toMatchObject({ kind: 'international', e164: '+8613812345678', isMobile: true });
    expect(ok('911', us).kind).toBe('emergency');
    expect(ok('1 415 555 0123', us)).toMatchObject({ kind: 'landline', e164: '+14155550123', national: '14155550123' });
  });
});

describe('normalizeNumber: URIs and input hygiene', () => {
  it('takes the user part of tel: and sip: URIs, percent-decoded', () => {
    expect(ok('tel:+86-138-1234-5678')).toEqual(beijingMobile);
    expect(ok('sip:+8613812345678@gw.carrier.example;user=phone')).toEqual(beijingMobile);
    expect(ok('SIPS:013812345678@10.0.0.1:5061')).toEqual(beijingMobile);
    expect(ok('sip:%2B86%20138%201234%205678@gw')).toEqual(beijingMobile);
    expect(ok('  138 1234 5678\t')).toEqual(beijingMobile);
  });

  it('resolves a local number in its phone-context', () => {
    expect(ok('tel:88886666;phone-context=+86-10')).toMatchObject({ e164: '+861088886666', areaCode: '10' });
    expect(ok('88886666;phone-context=+86-0571', { areaCode: '10' })).toMatchObject({ e164: '+8657188886666' });
    expect(ok('tel:5550123;phone-context=+1-415')).toMatchObject({ kind: 'international', e164: '+14155550123' });
    // a domain context says nothing about digits
    expect(ok('tel:88886666;phone-context=example.com', { areaCode: '21' }).e164).toBe('+862188886666');
    expect(ok('tel:88886666;phone-context=+86', { areaCode: '21' }).e164).toBe('+862188886666');
    expect(fail('tel:1234;phone-context=+abc').error).toBe('not-a-number');
  });

  it('says what is wrong with input that is no number', () => {
    expect(fail('')).toEqual({ error: 'empty', message: 'not a phone number: "" has no digits' });
    expect(fail(' - ').error).toBe('empty');
    expect(fail('abc')).toEqual({ error: 'not-a-number', message: 'not a phone number: "abc" (only digits, separators and a leading + are allowed)' });
    expect(fail('*72').error).toBe('not-a-number');
    expect(fail('138+12345678').error).toBe('not-a-number');
    expect(fail('sip:alice@example.com').error).toBe('not-a-number');
    expect(fail('1'.repeat(25))).toEqual({ error: 'too-long', message: `too long: ${'1'.repeat(25)} has 25 digits` });
  });
});

describe('isMobileNumber', () => {
  it('is true for mobiles in any accepted form and false for everything else', () => {
    expect(isMobileNumber('+86 138 1234 5678')).toBe(true);
    expect(isMobileNumber('sip:013812345678@gw')).toBe(true);
    expect(isMobileNumber('01088886666')).toBe(false);
    expect(isMobileNumber('12012345678')).toBe(false);
    expect(isMobileNumber('10086')).toBe(false);
    expect(isMobileNumber('anonymous')).toBe(false);
  });
});
