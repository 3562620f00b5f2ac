// A country's numbering plan: what the digits after the country code or trunk prefix are, and
// what digits dialled without any prefix are. China has a plan of its own (china-plan.ts); any
// other country gets the generic one, which knows lengths only — no mobiles, no area codes.
import { chinaPlan } from './china-plan.ts';
import { numberError, type NumberError, type NumberKind } from './normalized-number.ts';

export interface PlanNumber {
  kind: Exclude<NumberKind, 'international'>;
  national: string;
  /** The national significant number, i.e. the E.164 form without '+' and country code;
   *  absent when the number has no E.164 form (short codes, a local number without area code). */
  significant?: string;
  areaCode?: string;
}

export type PlanResult = PlanNumber | NumberError;

/** How the digits were reached: after the country code (+86…, 0086…) or after the trunk prefix (0…). */
export type Via = 'country-code' | 'trunk-prefix';

export interface NumberingPlan {
  significant(nsn: string, trunkPrefix: string, via: Via): PlanResult;
  /** Digits with no prefix at all; the caller has already matched emergency codes. */
  dialled(digits: string, trunkPrefix: string, areaCode: string | undefined): PlanResult;
}

const genericPlan: NumberingPlan = {
  significant(nsn, trunkPrefix) {
    if (nsn.length < 4) return numberError('too-short', `too short: ${nsn} after the country code`);
    return { kind: 'landline', significant: nsn, national: trunkPrefix + nsn };
  },
  dialled(digits, trunkPrefix, areaCode) {
    if (digits.length <= 6) return { kind: 'short', national: digits };
    if (digits.length > 15) return numberError('too-long', `too long: ${digits} has ${digits.length} digits`);
    if (areaCode === undefined) return { kind: 'landline', national: digits };
    return { kind: 'landline', significant: areaCode + digits, national: trunkPrefix + areaCode + digits, areaCode };
  },
};

export function planFor(countryCode: string): NumberingPlan {
  return countryCode === '86' ? chinaPlan : genericPlan;
}
