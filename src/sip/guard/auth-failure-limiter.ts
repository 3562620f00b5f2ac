// Brute-force guard: counts digest failures per source address in a sliding window and blocks
// a source that reaches the limit (default 10 failures in 60 s → blocked 15 min). A blocked
// source gets no answer at all (the ingress drops it before any handler runs).
//
// Blocks are written through the BlockStore so that `pbx` CLI commands in another process can
// list and clear them; the server calls `reload()` periodically (see `start()`) to pick up
// blocks cleared there. `isBlocked` is a Map lookup. Memory is bounded: at most
// `maxTrackedSources` sources with recent failures are remembered (the least recently failing
// is forgotten first), each with at most `maxFailures` timestamps.
import type { BlockedSource, BlockStore } from '../registrar/ports.ts';
import { blockedSources, sourcesBlocked } from '../../metrics.ts';
import { log as defaultLog, type Logger } from '../../log.ts';

export interface AuthFailureLimiterOptions {
  store: BlockStore;
  /** Failures within `windowMs` that trigger a block. Default 10. */
  maxFailures?: number;
  /** Sliding window, ms. Default 60 000. */
  windowMs?: number;
  /** Block duration, ms. Default 900 000 (15 min). */
  blockMs?: number;
  /** Most sources with failures tracked at once. Default 50 000. */
  maxTrackedSources?: number;
  /** Addresses never blocked (e.g. the office's own NAT address, monitoring hosts). */
  exempt?: Iterable<string>;
  now?: () => number;
  log?: Logger;
}

/** IPv4-mapped IPv6 (`::ffff:1.2.3.4`) and plain IPv4 name the same source. */
export function normalizeAddress(address: string): string {
  return address.length > 7 && address.charCodeAt(0) === 0x3a && address.toLowerCase().startsWith('::ffff:') && address.indexOf('.') > 0
    ? address.slice(7)
    : address;
}

export class AuthFailureLimiter {
  readonly maxFailures: number;
  readonly windowMs: number;
  readonly blockMs: number;
  private readonly maxTracked: number;
  private readonly store: BlockStore;
  private readonly now: () => number;
  private readonly log: Logger;
  private readonly exempt: ReadonlySet<string>;
  private readonly failures = new Map<string, number[]>();
  private blocks = new Map<string, BlockedSource>();
  private timer: NodeJS.Timeout | undefined;

  constructor(options: AuthFailureLimiterOptions) {
    this.store = options.store;
    this.maxFailures = Math.max(1, options.maxFailures ?? 10);
    this.windowMs = options.windowMs ?? 60_000;
    this.blockMs = options.blockMs ?? 15 * 60_000;
    this.maxTracked = Math.max(1, options.maxTrackedSources ?? 50_000);
    this.now = options.now ?? Date.now;
    this.log = options.log ?? defaultLog;
    this.exempt = new Set([...(options.exempt ?? [])].map(normalizeAddress));
    this.reload();
  }

  /** True while the source is blocked. A Map lookup; an expired block is lifted on the way. */
  isBlocked(address: string): boolean {
    if (this.blocks.size === 0) return false;
    const key = normalizeAddress(address);
    const block = this.blocks.get(key);
    if (block === undefined) return false;
    if (block.until > this.now()) return true;
    this.lift(key, 'expired');
    return false;
  }

  /** Counts one failure; returns true when this failure got the source blocked. */
  recordFailure(address: string, reason = 'authentication failure'): boolean {
    const key = normalizeAddress(address);
    if (this.exempt.has(key) || this.isBlocked(key)) return false;
    const now = this.now();
    let times = this.failures.get(key);
    if (times === undefined) {
      if (this.failures.size >= this.maxTracked) this.forgetOldest();
      times = [];
    } else {
      this.failures.delete(key); // re-insert below: Map order = least recently failing first
    }
    const horizon = now - this.windowMs;
    let drop = 0;
    while (drop < times.length && times[drop] <= horizon) drop++;
    if (drop > 0) times.splice(0, drop);
    times.push(now);
    if (times.length < this.maxFailures) {
      this.failures.set(key, times);
      return false;
    }
    this.block(key, { failures: times.length, reason: `${times.length} authentication failures in ${Math.round(this.windowMs / 1000)} s (last: ${reason})` });
    return true;
  }

  /** Blocks a source now (also used by the CLI or an operator). */
  block(address: string, opts: { failures?: number; reason?: string; durationMs?: number } = {}): BlockedSource {
    const key = normalizeAddress(address);
    const now = this.now();
    const entry: BlockedSource = {
      address: key,
      blockedAt: now,
      until: now + (opts.durationMs ?? this.blockMs),
      failures: opts.failures ?? 0,
      reason: opts.reason ?? 'blocked by operator',
    };
    this.failures.delete(key);
    this.blocks.set(key, entry);
    this.persist(() => this.store.upsert(entry));
    sourcesBlocked.inc();
    blockedSources.set(this.blocks.size);
    this.log.warn({ address: key, failures: entry.failures, until: new Date(entry.until).toISOString(), reason: entry.reason }, 'SIP source blocked');
    return entry;
  }

  /** Current blocks (expired ones are lifted first), soonest to end first. */
  list(): BlockedSource[] {
    this.sweep();
    return [...this.blocks.values()].map((b) => ({ ...b })).sort((a, b) => a.until - b.until);
  }

  /** Lifts a block (and forgets the source's failures). Returns false if it was not blocked. */
  clear(address: string): boolean {
    const key = normalizeAddress(address);
    this.failures.delete(key);
    if (!this.blocks.has(key)) {
      this.persist(() => this.store.remove(key)); // may exist in the store only (another process)
      return false;
    }
    this.lift(key, 'cleared');
    return true;
  }

  /** Re-reads the store: picks up blocks added or cleared by another process. */
  reload(): void {
    let rows: BlockedSource[];
    try {
      rows = this.store.loadAll();
    } catch (err) {
      this.log.error({ err }, 'could not read blocked sources; keeping the ones in memory');
      return;
    }
    const now = this.now();
    const next = new Map<string, BlockedSource>();
    for (const row of rows) {
      const key = normalizeAddress(row.address);
      if (row.until > now) next.set(key, { ...row, address: key });
      else this.persist(() => this.store.remove(row.address));
    }
    this.blocks = next;
    blockedSources.set(next.size);
  }

  /** Lifts expired blocks and forgets failures older than the window. */
  sweep(): void {
    const now = this.now();
    for (const [key, b] of this.blocks) if (b.until <= now) this.lift(key, 'expired');
    const horizon = now - this.windowMs;
    for (const [key, times] of this.failures) if (times[times.length - 1] <= horizon) this.failures.delete(key);
  }

  /** Periodic reload + sweep (default every 10 s). Timers are unref'd. */
  start(intervalMs = 10_000): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.reload();
      this.sweep();
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Sources with failures currently tracked (for tests and diagnostics). */
  get trackedSources(): number {
    return this.failures.size;
  }

  private lift(key: string, why: 'expired' | 'cleared'): void {
    this.blocks.delete(key);
    this.persist(() => this.store.remove(key));
    blockedSources.set(this.blocks.size);
    this.log.info({ address: key, why }, 'SIP source unblocked');
  }

  private forgetOldest(): void {
    const first = this.failures.keys().next();
    if (!first.done) this.failures.delete(first.value);
  }

  private persist(write: () => void): void {
    try {
      write();
    } catch (err) {
      this.log.error({ err }, 'could not write blocked source to the store');
    }
  }
}
