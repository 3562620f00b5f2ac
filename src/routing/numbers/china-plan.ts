// China's numbering plan (the PBX's first market). Mobiles are 1[3-9] + 9 digits; landlines are
// area code + 7–8 digit local number, the area code being 10 or 2x (two digits) or a three-digit
// code starting 3–9 (571, 755) — prefix-free, so the first digits say how long it is. Service
// numbers (114, 12345, 10086, 95588, 96xxx) are dialled as they are, also after an area code to
// reach another city's; 400/800 are nationwide numbers without an area code.
import { isEmergencyNumber } from './countries.ts';
import { numberError } from './normalized-number.ts';
import type { NumberingPlan, PlanResult, Via } from './numbering-plan.ts';

const MOBILE = /^1[3-9]\d{9}$/;
const TOLLFREE = /^(?:400|800)\d{7}$/;
/** 1xx, 5–6 digit 10xxx/11xxx/12xxx (carriers, 12345 hotlines), 95 national and 96 local service numbers. */
const SERVICE = /^(?:1\d{2}|1[0-2]\d{3,4}|95\d{3,6}|96\d{3,4})$/;
const LOCAL = /^[2-9]\d{6,7}$/;
const AREA_AND_LOCAL = /^(10|2\d|[3-9]\d\d)(\d+)$/;

function service(digits: string, areaCode: string | undefined, national: string): PlanResult {
  const kind = isEmergencyNumber('86', digits) ? 'emergency' : 'short';
  return areaCode === undefined ? { kind, national } : { kind, national, areaCode };
}

/** Why digits starting with 1 are not a mobile: wrong length, or a 1[0-2] prefix. */
function notMobile(digits: string): PlanResult {
  if (/^1[3-9]/.test(digits)) {
    const which = digits.length < 11 ? 'too short' : 'too long';
    return numberError(digits.length < 11 ? 'too-short' : 'too-long', `${which}: ${digits} has ${digits.length} digits, a mobile number 11`);
  }
  return numberError('unknown-format', `not a phone number: ${digits} — mobiles start 13–19, and no service number is ${digits.length} digits`);
}

export const chinaPlan: NumberingPlan = {
  significant(nsn: string, trunkPrefix: string, via: Via): PlanResult {
    // "0 + mobile": long-distance dialling of a mobile from a landline (加拨0), still common
    if (MOBILE.test(nsn)) return { kind: 'mobile', significant: nsn, national: nsn };
    if (TOLLFREE.test(nsn)) return { kind: 'tollfree', significant: nsn, national: nsn };
    // +8695588 / +86110: trunks present service numbers this way; they are still dialled bare
    if (via === 'country-code' && (SERVICE.test(nsn) || isEmergencyNumber('86', nsn))) return service(nsn, undefined, nsn);
    const m = AREA_AND_LOCAL.exec(nsn);
    if (m === null) {
      if (nsn.startsWith('1')) return notMobile(nsn);
      return numberError('unknown-format', `not a phone number: ${trunkPrefix}${nsn} — no area code starts ${nsn.slice(0, 2) || nsn}`);
    }
    const areaCode = m[1];
    const local = m[2];
    const national = trunkPrefix + nsn;
    if (LOCAL.test(local)) return { kind: 'landline', significant: nsn, national, areaCode };
    // another city's service number: 0571 12345, 010 96xxx, 0755 110
    if (SERVICE.test(local) || isEmergencyNumber('86', local)) return service(local, areaCode, national);
    if (local.length < 7) return numberError('too-short', `too short: ${national} — a local number after area code ${areaCode} has 7–8 digits`);
    if (local.length > 8) return numberError('too-long', `too long: ${national} — a local number after area code ${areaCode} has 7–8 digits`);
    return numberError('unknown-format', `not a phone number: ${national} — a local number starts with 2–9`);
  },

  dialled(digits: string, trunkPrefix: string, areaCode: string | undefined): PlanResult {
    if (SERVICE.test(digits)) return service(digits, undefined, digits);
    if (TOLLFREE.test(digits)) return { kind: 'tollfree', significant: digits, national: digits };
    if (MOBILE.test(digits)) return { kind: 'mobile', significant: digits, national: digits };
    // 8613812345678: country code without '+', as some trunks present mobiles; landlines are
    // not guessed this way (86 + 9–11 digits could as well be a mistyped local number)
    if (digits.length === 13 && digits.startsWith('86') && MOBILE.test(digits.slice(2))) {
      return { kind: 'mobile', significant: digits.slice(2), national: digits.slice(2) };
    }
    if (LOCAL.test(digits)) {
      if (areaCode === undefined) return { kind: 'landline', national: digits };
      return { kind: 'landline', significant: areaCode + digits, national: trunkPrefix + areaCode + digits, areaCode };
    }
    if (digits.startsWith('1')) return notMobile(digits);
    if (digits.length < 7) return numberError('too-short', `too short: ${digits} — a local number has 7–8 digits`);
    if (digits.length > 15) return numberError('too-long', `too long: ${digits} has ${digits.length} digits`);
    return numberError('unknown-format', `not a phone number: ${digits} — ${digits.length} digits without the trunk prefix ${trunkPrefix} are neither a local number (7–8 digits) nor a mobile`);
  },
};
