// Case-insensitive substring matching of User-Agent headers against a list, with the verdict
// cached per distinct User-Agent (a PBX sees few distinct ones, each thousands of times).
export class UserAgentMatcher {
  readonly patterns: readonly string[];
  private readonly cache = new Map<string, boolean>();

  constructor(
    patterns: readonly string[],
    private readonly cacheSize = 1000,
  ) {
    this.patterns = [...new Set(patterns.map((p) => p.trim().toLowerCase()).filter((p) => p.length > 0))];
  }

  /** True when the User-Agent contains one of the patterns. A missing User-Agent matches nothing. */
  matches(userAgent: string | undefined): boolean {
    if (userAgent === undefined || userAgent.length === 0 || this.patterns.length === 0) return false;
    const cached = this.cache.get(userAgent);
    if (cached !== undefined) return cached;
    const ua = userAgent.toLowerCase();
    const hit = this.patterns.some((p) => ua.includes(p));
    if (this.cacheSize > 0) {
      if (this.cache.size >= this.cacheSize) this.cache.clear(); // bounded under a flood of made-up agents
      this.cache.set(userAgent, hit);
    }
    return hit;
  }
}
