// Known SIP scanner / brute-force tools, recognised by their User-Agent and dropped without an
// answer (an answer confirms a live PBX). Case-insensitive substring match against a
// configurable list. The default list holds only names of attack and scanning tools: UAs of
// real phones and SDKs that scanners sometimes spoof (eyeBeam, X-Lite, PortSIP, Ozeki, Zoiper,
// "Asterisk PBX", Cisco…) are NOT in it — dropping a customer's phone costs more than answering
// a scanner, which still has to get past digest auth and the failure limiter. `sipsak` is left
// out too: admins use it for health checks (e.g. Nagios/Icinga check_sip).
// Matching is cached per distinct User-Agent string (bounded), so the per-request cost is one
// Map lookup.

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
  readonly patterns: readonly string[];
  private readonly cache = new Map<string, boolean>();
  private readonly cacheSize: number;

  constructor(options: ScannerFilterOptions = {}) {
    const all = [...(options.patterns ?? DEFAULT_SCANNER_USER_AGENTS), ...(options.extraPatterns ?? [])];
    this.patterns = [...new Set(all.map((p) => p.trim().toLowerCase()).filter((p) => p.length > 0))];
    this.cacheSize = Math.max(0, options.cacheSize ?? 1000);
  }

  /** True when the User-Agent names a known scanner. A missing User-Agent is not a scanner. */
  isScanner(userAgent: string | undefined): boolean {
    if (userAgent === undefined || userAgent.length === 0 || this.patterns.length === 0) return false;
    const cached = this.cache.get(userAgent);
    if (cached !== undefined) return cached;
    const ua = userAgent.toLowerCase();
    let hit = false;
    for (const p of this.patterns) {
      if (ua.includes(p)) {
        hit = true;
        break;
      }
    }
    if (this.cacheSize > 0) {
      if (this.cache.size >= this.cacheSize) this.cache.clear();
      this.cache.set(userAgent, hit);
    }
    return hit;
  }
}
