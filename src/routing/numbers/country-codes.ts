// Where the country code ends in an E.164 number. ITU country codes are prefix-free: 1 and 7 are
// one digit, the two-digit codes are the list below, every other code has three digits — so no
// table of all ~200 countries is needed to split +8613…, +1415…, +85291… correctly.

const TWO_DIGIT = new Set(
  '20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58 60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98'.split(' '),
);

/** `digits` follows the '+' (or the international prefix); undefined when it starts with 0 or is
 *  shorter than its country code. `rest` may be empty (a phone-context of just "+86"). */
export function splitCountryCode(digits: string): { countryCode: string; rest: string } | undefined {
  const first = digits.charCodeAt(0);
  if (!(first > 48 && first <= 57)) return undefined; // '1'..'9'
  const length = first === 49 || first === 55 ? 1 : TWO_DIGIT.has(digits.slice(0, 2)) ? 2 : 3;
  if (digits.length < length) return undefined;
  return { countryCode: digits.slice(0, length), rest: digits.slice(length) };
}
