// One place that says what a dialled or presented number is (ARCHITECTURE.md "routing/": E.164,
// national 0-prefix, mobile detection). Input is a Request-URI user part, a tel:/sip: URI, or what
// a person typed; the home country's prefixes come from the context (China's by default).
import { COUNTRIES, isEmergencyNumber } from './countries.ts';
import { splitCountryCode } from './country-codes.ts';
import {
  isNumberError,
  numberError,
  type NormalizedNumber,
  type NumberContext,
  type NumberError,
} from './normalized-number.ts';
import { planFor, type PlanResult } from './numbering-plan.ts';

const SCHEME = /^(?:tel|sips?):/i;
const SEPARATORS = /[\s\-.()]/g;
const DIGITS = /^\d+$/;
/** E.164 allows 15 digits; with the longest international prefixes (0011, 011) a little more. */
const MAX_DIALLED_DIGITS = 19;

interface Home {
  countryCode: string;
  trunkPrefix: string;
  internationalPrefix: string;
}

export function normalizeNumber(input: string, ctx: NumberContext = {}): NormalizedNumber | NumberError {
  const countryCode = ctx.countryCode ?? '86';
  const known = COUNTRIES[countryCode];
  const home: Home = {
    countryCode,
    trunkPrefix: ctx.trunkPrefix ?? known?.trunkPrefix ?? '0',
    internationalPrefix: ctx.internationalPrefix ?? known?.internationalPrefix ?? '00',
  };

  const uri = userPart(input);
  const s = DIGITS.test(uri.number) ? uri.number : uri.number.replace(SEPARATORS, '');
  if (s === '' || s === '+') return numberError('empty', `not a phone number: ${JSON.stringify(input)} has no digits`);
  const plus = s.charCodeAt(0) === 43;
  const digits = plus ? s.slice(1) : s;
  if (!DIGITS.test(digits)) {
    return numberError('not-a-number', `not a phone number: ${JSON.stringify(input)} (only digits, separators and a leading + are allowed)`);
  }
  if (digits.length > MAX_DIALLED_DIGITS) return numberError('too-long', `too long: ${s} has ${digits.length} digits`);

  if (plus) return fromE164(digits, home);
  let areaCode = ctx.areaCode === undefined ? undefined : withoutPrefix(ctx.areaCode, home.trunkPrefix);
  if (uri.phoneContext !== undefined) {
    // RFC 3966 §5.1.5: a local number in the context of "+86-10" is +86 10 <number>; a context
    // that is a domain name says nothing about digits and is ignored
    const context = uri.phoneContext.replace(SEPARATORS, '');
    if (context.startsWith('+') && DIGITS.test(context.slice(1))) {
      const split = splitCountryCode(context.slice(1));
      if (split === undefined || split.countryCode !== home.countryCode) return fromE164(context.slice(1) + digits, home);
      if (split.rest !== '') areaCode = withoutPrefix(split.rest, home.trunkPrefix);
    } else if (context.startsWith('+')) {
      return numberError('not-a-number', `not a phone number: phone-context ${uri.phoneContext} is neither digits nor a domain`);
    }
  }

  // before the prefixes: Australia's 000 starts with its trunk prefix 0
  if (isEmergencyNumber(home.countryCode, digits)) return domestic({ kind: 'emergency', national: digits }, home);
  if (home.internationalPrefix !== '' && digits.startsWith(home.internationalPrefix)) {
    return fromE164(digits.slice(home.internationalPrefix.length), home);
  }
  const plan = planFor(home.countryCode);
  if (home.trunkPrefix !== '' && digits.startsWith(home.trunkPrefix)) {
    const nsn = digits.slice(home.trunkPrefix.length);
    if (nsn === '') return numberError('too-short', `too short: ${digits} is only the trunk prefix`);
    return domestic(plan.significant(nsn, home.trunkPrefix, 'trunk-prefix'), home);
  }
  return domestic(plan.dialled(digits, home.trunkPrefix, areaCode), home);
}

/** The helper the hang-up SMS uses (R-BASIC-3: only callers from a mobile get it). */
export function isMobileNumber(input: string, ctx?: NumberContext): boolean {
  const n = normalizeNumber(input, ctx);
  return !isNumberError(n) && n.isMobile;
}

/** `digits` follows '+' or the international prefix: country code and significant number. */
function fromE164(digits: string, home: Home): NormalizedNumber | NumberError {
  const split = splitCountryCode(digits);
  if (split === undefined) {
    return numberError(digits === '' ? 'too-short' : 'unknown-country', `not a phone number: +${digits} has no valid country code`);
  }
  const { countryCode } = split;
  const own = countryCode === home.countryCode;
  const trunkPrefix = own ? home.trunkPrefix : (COUNTRIES[countryCode]?.trunkPrefix ?? '');
  // "+86 (0)10 …", "+44 (0)20 …": the trunk prefix has no place after a country code
  const rest = withoutPrefix(split.rest, trunkPrefix);
  if (rest === '') return numberError('too-short', `too short: +${digits} is only a country code`);
  if (countryCode.length + rest.length > 15) {
    return numberError('too-long', `too long: +${countryCode}${rest} has ${countryCode.length + rest.length} digits, E.164 allows 15`);
  }
  const r = planFor(countryCode).significant(rest, trunkPrefix, 'country-code');
  if (own) return domestic(r, home);
  if (isNumberError(r)) return r;
  if (r.significant === undefined) {
    return numberError('unknown-format', `not a phone number: +${countryCode} ${rest} is a service number that cannot be dialled from abroad`);
  }
  const n: NormalizedNumber = {
    kind: 'international',
    e164: `+${countryCode}${r.significant}`,
    national: r.national,
    countryCode,
    isMobile: r.kind === 'mobile',
    isEmergency: false,
  };
  if (r.areaCode !== undefined) n.areaCode = r.areaCode;
  return n;
}

function domestic(r: PlanResult, home: Home): NormalizedNumber | NumberError {
  if (isNumberError(r)) return r;
  const n: NormalizedNumber = {
    kind: r.kind,
    national: r.national,
    countryCode: home.countryCode,
    isMobile: r.kind === 'mobile',
    isEmergency: r.kind === 'emergency',
  };
  // short and emergency codes are only ever dialled as they are, never with a country code
  if (r.significant !== undefined && r.kind !== 'short' && r.kind !== 'emergency') n.e164 = `+${home.countryCode}${r.significant}`;
  if (r.areaCode !== undefined) n.areaCode = r.areaCode;
  return n;
}

function withoutPrefix(digits: string, prefix: string): string {
  return prefix !== '' && digits.startsWith(prefix) ? digits.slice(prefix.length) : digits;
}

/** The number out of "tel:+86-10-8888-6666", "sip:013812345678@gw;user=phone",
 *  "88886666;phone-context=+86-10", percent-escapes decoded; other parameters dropped. */
function userPart(input: string): { number: string; phoneContext?: string } {
  let s = input.trim();
  const scheme = SCHEME.exec(s);
  if (scheme !== null) {
    s = s.slice(scheme[0].length);
    const at = s.indexOf('@');
    if (at >= 0 && scheme[0].toLowerCase() !== 'tel:') s = s.slice(0, at); // sip:, sips: — the host is not ours
  }
  if (s.includes('%')) {
    try {
      s = decodeURIComponent(s);
    } catch {
      // left as it is: the character check reports it
    }
  }
  const semi = s.indexOf(';');
  if (semi < 0) return { number: s };
  const number = s.slice(0, semi);
  for (const param of s.slice(semi + 1).split(';')) {
    const eq = param.indexOf('=');
    if (eq > 0 && param.slice(0, eq).trim().toLowerCase() === 'phone-context') return { number, phoneContext: param.slice(eq + 1).trim() };
  }
  return { number };
}
