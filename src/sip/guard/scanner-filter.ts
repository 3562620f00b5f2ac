// Known SIP scanner / brute-force tools, recognised by their User-Agent and dropped without an
// answer (an answer confirms a live PBX). Case-insensitive substring match against a
// configurable list. The default list holds only names of attack and scanning tools: UAs of
// real phones and SDKs that scanners sometimes spoof (eyeBeam, X-Lite, PortSIP, Ozeki, Zoiper,
// "Asterisk PBX", Cisco…) are NOT in it — dropping a customer's phone costs more than answering
// a scanner, which still has to get past digest auth and the failure limiter. `sipsak` is left
// out too: admins use it for health checks (e.g. Nagios/Icinga check_sip).
// Matching is cached per distinct User-Agent string (bounded), so the per-request cost is one
// Map lookup.
import { UserAgentMatcher } from './user-agent-matcher.ts';

export const DEFAULT_SCANNER_USER_AGENTS: readonly string[] = [
  'friendly-scanner', // SIPVicious (old default)
  'friendly-request', // SIPVicious variant
  'sipvicious',
  'sipcli',
  'sip-scan',
  'sipscan',
  'vaxsipuseragent',
  'vaxipuseragent',
  'iwar',
  'sivus',
  'siparmyknife',
  'sundayddr',
  'pplsip', // SIPPTS
  'sipptk', // SIPPTS (old)
  'smap',
  'gulp',
];

export interface ScannerFilterOptions {
  /** Substrings that mark a scanner (case-insensitive). Default DEFAULT_SCANNER_USER_AGENTS. */
  patterns?: readonly string[];
  /** Added to `patterns` (so config can extend the default list without repeating it). */
  extraPatterns?: readonly string[];
  /** Distinct User-Agent strings whose verdict is cached. Default 1000. */
  cacheSize?: number;
}

export class ScannerFilter {
  private readonly matcher: UserAgentMatcher;

  constructor(options: ScannerFilterOptions = {}) {
    this.matcher = new UserAgentMatcher([...(options.patterns ?? DEFAULT_SCANNER_USER_AGENTS), ...(options.extraPatterns ?? [])], options.cacheSize);
  }

  get patterns(): readonly string[] {
    return this.matcher.patterns;
  }

  /** True when the User-Agent names a known scanner. A missing User-Agent is not a scanner. */
  isScanner(userAgent: string | undefined): boolean {
    return this.matcher.matches(userAgent);
  }
}
