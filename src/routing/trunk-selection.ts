// Which trunks carry an outside call and in what order (R-SIP-4 failover), when to move on to the
// next one, and how the called number is written for each.
import type { NormalizedNumber } from './numbers/normalized-number.ts';
import { formatForTrunk, type TrunkNumberFormat } from './numbers/format-for-trunk.ts';
import { InvalidError } from '../errors.ts';

export interface TrunkCandidate {
  id: number;
  name: string;
  kind: 'carrier' | 'gateway' | 'pbx';
  enabled: boolean;
  priority: number;
  /** 0 = no limit. */
  maxCalls: number;
}

/**
 * Trunks to try for an outbound call, in failover order. With the tenant's named list
 * (outbound_trunks) those trunks in that order — carriers or the tenant's own gateways, never a
 * customer PBX, unknown names skipped, and no fallback to other carriers: a tenant that names its
 * carriers has chosen them. Without one every enabled carrier by priority, then id. Disabled
 * trunks, trunks at their call limit and trunks not usable now (registration down) are left out.
 * `trunks` must hold only trunks the tenant may use.
 */
export function outboundTrunkOrder<T extends TrunkCandidate>(
  trunks: readonly T[],
  o: { preferred: readonly string[]; activeCalls(id: number): number; usable(id: number): boolean },
): T[] {
  const free = (t: T) => t.enabled && t.kind !== 'pbx' && (t.maxCalls <= 0 || o.activeCalls(t.id) < t.maxCalls) && o.usable(t.id);
  if (o.preferred.length > 0) {
    const byName = new Map(trunks.map((t) => [t.name, t]));
    const named = [...new Set(o.preferred)].map((name) => byName.get(name)).filter((t): t is T => t !== undefined);
    return named.filter(free);
  }
  return trunks
    .filter((t) => t.kind === 'carrier')
    .filter(free)
    .sort((a, b) => a.priority - b.priority || a.id - b.id);
}

/**
 * Whether a trunk's final response means "try the next trunk" rather than the callee's answer.
 * Yes: 408 (the trunk did not answer, including our own transaction timeout) and every 5xx —
 * RFC 3261 §21.5 makes 5xx the server's failure, not the callee's, RFC 3263 §4.3 moves on to the
 * next server on 503, and carriers map congestion and temporary failure (ISUP causes 34, 38, 41,
 * 42) to 503/500. 501 too: a trunk that does not implement what we asked is a trunk problem
 * another may not have. Also 401/407 as a final answer: the trunk refused our credentials, which
 * another trunk does not share. No: 3xx, the callee's 4xx (404, 480, 486, 487 …), 403 (a carrier
 * barring a destination or an account; trying every carrier with a refused call is what toll
 * fraud looks like) and 6xx (the callee's final word everywhere).
 */
export function isFailoverStatus(status: number): boolean {
  return status === 408 || status === 401 || status === 407 || (status >= 500 && status <= 599);
}

export interface TrunkNumbering {
  calledFormat: TrunkNumberFormat;
  /** Applied in order to the formatted number: the first match of `match` becomes `replace` ($1 …). */
  rewrite: readonly { match: string; replace: string }[];
  /** The home international prefix for 'national' and 'international00' formats (default 00). */
  internationalPrefix?: string;
}

/** The called number as the trunk wants it: formatForTrunk with the trunk's called_format, then
 *  its rewrite rules in order. A rule that is not a valid regular expression throws InvalidError. */
export function calledNumberFor(n: NormalizedNumber, trunk: TrunkNumbering): string {
  let out = formatForTrunk(n, trunk.calledFormat, trunk.internationalPrefix === undefined ? {} : { internationalPrefix: trunk.internationalPrefix });
  for (const rule of trunk.rewrite) out = out.replace(compiled(rule.match), rule.replace);
  return out;
}

// a trunk's few rules are used on every call; compiling them once is worth a small map
const regexes = new Map<string, RegExp>();
const MAX_CACHED = 1000;

function compiled(source: string): RegExp {
  let re = regexes.get(source);
  if (re === undefined) {
    try {
      re = new RegExp(source);
    } catch {
      throw new InvalidError(`trunk rewrite rule ${JSON.stringify(source)} is not a valid regular expression; correct the trunk's rewrite rules`);
    }
    if (regexes.size >= MAX_CACHED) regexes.clear();
    regexes.set(source, re);
  }
  return re;
}
