// Who may call what (ARCHITECTURE.md "routing/"): whether digits an extension dialled are an
// outside number, the outbound permission chain that guards against toll fraud (R-VAS-3
// international, the extension's own black/white list, its concurrent calls: R-SEC-1), and
// which extensions may call an extension (R-VAS-4). Pure decisions; the counts come in.
import type { TenantSettings } from '../tenancy/tenant-settings.ts';
import { numberMatchesPattern } from './caller-blacklist.ts';
import { isEmergencyNumber } from './numbers/countries.ts';
import { normalizeNumber } from './numbers/normalize-number.ts';
import { isNumberError, type NormalizedNumber, type NumberContext, type NumberError } from './numbers/normalized-number.ts';

export type OutsideNumber = {
  /** What was dialled, without the outside-line prefix and separators. */
  dialled: string;
  number: NormalizedNumber;
};

export interface Refusal {
  status: number;
  /** The SIP reason phrase. */
  reason: string;
  /** For logs and the call record. */
  why: string;
}

/**
 * Whether what an extension dialled is an outside number. With an outside-line prefix ('9')
 * only digits after it are; emergency codes need no prefix (nobody in an emergency should have to
 * remember the 9) and neither does a number with '+' (contact lists, click-to-call), which can
 * never be an extension. Without a prefix any valid number is outside, so the caller looks the
 * digits up as an extension first — except an emergency number, which must win over an
 * extension of the same digits. `notOutside`: no prefix where one is needed, letters or feature
 * codes, or (without a prefix) digits that could be an extension. `refuse`: meant as an outside
 * number but not a valid one (484 incomplete or malformed, 404 unknown country: RFC 3398).
 */
export function parseOutsideNumber(
  dialled: string,
  settings: TenantSettings,
): { outside: OutsideNumber } | { notOutside: true } | { refuse: Refusal } {
  const s = clean(dialled);
  const ctx: NumberContext = { countryCode: settings.country_code };
  if (settings.area_code !== undefined) ctx.areaCode = settings.area_code;
  const prefix = settings.outside_line_prefix;

  if (isEmergencyNumber(settings.country_code, s) || s.startsWith('+')) return classify(s, ctx, false);
  if (prefix !== '') {
    if (!s.startsWith(prefix)) return { notOutside: true };
    const rest = s.slice(prefix.length);
    if (rest === '') return { refuse: { status: 484, reason: 'Address Incomplete', why: `dial the outside number after the outside-line prefix ${prefix}` } };
    return classify(rest, ctx, false);
  }
  return classify(s, ctx, EXTENSION_LIKE.test(s));
}

/** Extension numbers (config extensionNumber): 2–8 digits, not starting with 0. */
const EXTENSION_LIKE = /^[1-9][0-9]{1,7}$/;

function classify(s: string, ctx: NumberContext, couldBeExtension: boolean): { outside: OutsideNumber } | { notOutside: true } | { refuse: Refusal } {
  const n = normalizeNumber(s, ctx);
  if (!isNumberError(n)) return { outside: { dialled: s, number: n } };
  if (couldBeExtension || n.error === 'empty' || n.error === 'not-a-number') return { notOutside: true };
  return { refuse: refusalOf(n) };
}

function refusalOf(e: NumberError): Refusal {
  // RFC 3398 §7.2.4.1: cause 1 (unallocated number) → 404, cause 28 (invalid number format) → 484
  if (e.error === 'unknown-country') return { status: 404, reason: 'Not Found', why: e.message };
  return { status: 484, reason: 'Address Incomplete', why: e.message };
}

/**
 * The outbound permission chain, in order: emergency → always allowed (whatever the lists and
 * limits); international only if the tenant enabled it and allows the country (403); the
 * extension's deny prefixes (403); its allow prefixes as a whitelist when non-empty (403); its
 * concurrent-call limit (486; maxCalls 0 = no limit). Prefixes match the national form or the
 * E.164 form, with or without '+' (numberMatchesPattern).
 */
export function permitOutbound(
  n: OutsideNumber,
  p: { settings: TenantSettings; allow: readonly string[]; deny: readonly string[]; activeCalls: number; maxCalls: number },
): { ok: true; emergency: boolean } | ({ ok: false } & Refusal) {
  const number = n.number;
  if (number.isEmergency) return { ok: true, emergency: true };
  const shown = number.e164 ?? number.national;
  if (number.kind === 'international') {
    const intl = p.settings.international;
    if (!intl.enabled) return forbidden('international calls are not enabled for this tenant');
    if (!intl.allowed_countries.includes(number.countryCode)) return forbidden(`calls to +${number.countryCode} are not allowed`);
  }
  const ctx = { countryCode: p.settings.country_code };
  const denied = p.deny.find((pattern) => numberMatchesPattern(number, pattern, 'prefix', ctx));
  if (denied !== undefined) return forbidden(`${shown} matches ${denied} on the extension's deny list`);
  if (p.allow.length > 0 && !p.allow.some((pattern) => numberMatchesPattern(number, pattern, 'prefix', ctx))) {
    return forbidden(`${shown} is not on the extension's allow list`);
  }
  if (p.maxCalls > 0 && p.activeCalls >= p.maxCalls) {
    return { ok: false, status: 486, reason: 'Busy Here', why: `the extension already has ${p.activeCalls} calls, its limit is ${p.maxCalls}` };
  }
  return { ok: true, emergency: false };
}

/**
 * R-VAS-4: may extension `callerNumber` call an extension with these inbound rules. deny always
 * refuses; allow is a whitelist when non-empty. Patterns are extension numbers or prefixes
 * (matched as prefixes: '8' is every 8xx, '801' is 801 and any longer number starting 801).
 */
export function mayCallExtension(callerNumber: string, rules: { allow: readonly string[]; deny: readonly string[] }): boolean {
  const caller = clean(callerNumber);
  const meets = (pattern: string) => {
    const p = clean(pattern).replace(/\*$/, '');
    return p !== '' && caller.startsWith(p);
  };
  if (rules.deny.some(meets)) return false;
  return rules.allow.length === 0 || rules.allow.some(meets);
}

function forbidden(why: string): { ok: false } & Refusal {
  return { ok: false, status: 403, reason: 'Forbidden', why };
}

/** Digits as a phone sends them: percent-escapes decoded, visual separators dropped. */
function clean(s: string): string {
  let out = s;
  if (out.includes('%')) {
    try {
      out = decodeURIComponent(out);
    } catch {
      // left as it is: normalisation reports it
    }
  }
  return out.trim().replace(/[\s\-.()]/g, '');
}
