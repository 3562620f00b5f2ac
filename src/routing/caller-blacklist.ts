// A number's caller blacklist (R-BASIC-2): whole numbers and prefixes. Carriers present the same
// caller as +8613812345678, 8613812345678, 013812345678 or 13812345678, and people write entries
// in national form (13812345678, 0755*) or E.164 (+86755*, 86755*); both sides are normalised so
// any of them meets any other. The same pattern rules serve the extensions' outbound lists.
import { InvalidError } from '../errors.ts';
import { COUNTRIES } from './numbers/countries.ts';
import { formatForTrunk } from './numbers/format-for-trunk.ts';
import { normalizeNumber } from './numbers/normalize-number.ts';
import { isNumberError, type NormalizedNumber } from './numbers/normalized-number.ts';

export type PatternMatch = 'exact' | 'prefix';

export interface BlacklistEntry {
  pattern: string;
  match: PatternMatch;
}

export interface PatternContext {
  /** The home country's calling code (the tenant's country_code): 86. */
  countryCode: string;
}

/**
 * The first entry that blocks the caller, or undefined. Anonymous, withheld or unparsable
 * callers are never matched by number: what to do with them is not a blacklist question.
 */
export function isBlacklisted<E extends BlacklistEntry>(callerRaw: string, entries: readonly E[], ctx: PatternContext): E | undefined {
  return compileBlacklist(entries, ctx)(callerRaw);
}

/** isBlacklisted with the entries prepared once: exact entries by canonical number, so a long
 *  list costs one map look-up plus the prefixes per call. */
export function compileBlacklist<E extends BlacklistEntry>(entries: readonly E[], ctx: PatternContext): (callerRaw: string) => E | undefined {
  const byE164 = new Map<string, E>();
  /** Every normalised exact entry by its home form; and those without an E.164 form alone. */
  const byHome = new Map<string, E>();
  const byHomeOnly = new Map<string, E>();
  const rawExact: E[] = [];
  const prefixes: E[] = [];
  const first = (map: Map<string, E>, key: string, e: E) => {
    if (!map.has(key)) map.set(key, e);
  };
  for (const e of entries) {
    if (e.match === 'prefix') {
      prefixes.push(e);
      continue;
    }
    const n = normalizedPattern(e.pattern, ctx);
    if (n === undefined) {
      rawExact.push(e);
      continue;
    }
    const forms = formsOf(n, ctx);
    first(byHome, forms.home, e);
    if (forms.e164 === undefined) first(byHomeOnly, forms.home, e);
    else first(byE164, forms.e164, e);
  }
  return (callerRaw) => {
    const n = normalizeNumber(callerRaw, { countryCode: ctx.countryCode });
    if (isNumberError(n)) return undefined;
    const forms = formsOf(n, ctx);
    const hit = forms.e164 === undefined ? byHome.get(forms.home) : (byE164.get(forms.e164) ?? byHomeOnly.get(forms.home));
    if (hit !== undefined) return hit;
    return rawExact.find((e) => matchesForms(forms, e.pattern, 'exact')) ?? prefixes.find((e) => matchesForms(forms, e.pattern, 'prefix'));
  };
}

/**
 * Whether a number meets a pattern. A pattern with '+' is E.164; one without matches either the
 * number as dialled at home (national form, or 00… for a foreign number) or its E.164 digits, so
 * '0755', '86755' and '+86755' are the same prefix, and '00' (or '0044') catches foreign numbers.
 * An exact pattern is normalised first (013812345678 = +8613812345678) and compared on E.164, or
 * on the home form when either side has none (a local number of unknown area). Separators and a
 * trailing '*' are ignored; a pattern without digits matches nothing.
 */
export function numberMatchesPattern(n: NormalizedNumber, pattern: string, match: PatternMatch, ctx: PatternContext): boolean {
  const forms = formsOf(n, ctx);
  const p = match === 'exact' ? normalizedPattern(pattern, ctx) : undefined;
  if (p === undefined) return matchesForms(forms, pattern, match);
  const pf = formsOf(p, ctx);
  return forms.e164 !== undefined && pf.e164 !== undefined ? forms.e164 === pf.e164 : forms.home === pf.home;
}

/** "0755*" → a prefix, "13812345678" → a whole number. Throws InvalidError saying how to write one. */
export function parseBlacklistEntry(text: string): BlacklistEntry {
  const s = text.trim().replace(SEPARATORS, '');
  const m = /^(\+?\d{1,20})(\*?)$/.exec(s);
  if (m === null) {
    throw new InvalidError(
      `blacklist entry ${JSON.stringify(text)} is neither a number nor a prefix: write a whole number (13812345678, +8613812345678) or a prefix ending in * (0755*)`,
    );
  }
  return { pattern: m[1]!, match: m[2] === '*' ? 'prefix' : 'exact' };
}

/** The inverse of parseBlacklistEntry, for lists shown to people: "0755*", "13812345678". */
export function formatBlacklistEntry(e: BlacklistEntry): string {
  return e.match === 'prefix' ? `${e.pattern}*` : e.pattern;
}

const SEPARATORS = /[\s\-.()]/g;

interface Forms {
  /** As dialled from the home country: 13812345678, 075528881234, 00442079460000, 110. */
  home: string;
  /** E.164 without '+'; absent for short codes and local numbers of unknown area. */
  e164?: string;
}

function formsOf(n: NormalizedNumber, ctx: PatternContext): Forms {
  const internationalPrefix = COUNTRIES[ctx.countryCode]?.internationalPrefix ?? '00';
  const home = formatForTrunk(n, 'national', { internationalPrefix });
  return n.e164 === undefined ? { home } : { home, e164: n.e164.slice(1) };
}

function matchesForms(forms: Forms, pattern: string, match: PatternMatch): boolean {
  let p = pattern.trim().replace(SEPARATORS, '');
  if (p.endsWith('*')) p = p.slice(0, -1);
  const plus = p.startsWith('+');
  if (plus) p = p.slice(1);
  if (!/^\d+$/.test(p)) return false;
  const meets = (form: string | undefined) => form !== undefined && (match === 'exact' ? form === p : form.startsWith(p));
  return plus ? meets(forms.e164) : meets(forms.home) || meets(forms.e164);
}

/** An exact pattern as a number, when it is one. */
function normalizedPattern(pattern: string, ctx: PatternContext): NormalizedNumber | undefined {
  const p = pattern.trim();
  if (p === '' || p.endsWith('*')) return undefined;
  const n = normalizeNumber(p, { countryCode: ctx.countryCode });
  return isNumberError(n) ? undefined : n;
}
