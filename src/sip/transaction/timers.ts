// RFC 3261 §17 timer values (Table 4), configurable so tests and unusual networks can tune
// them. Only T1, T2, T4 are base values; the others derive from them as the RFC says.

export interface TimerConfig {
  /** RTT estimate (ms), default 500. */
  T1: number;
  /** Cap of non-INVITE request and INVITE response retransmit intervals (ms), default 4 s. */
  T2: number;
  /** Longest time a message stays in the network (ms), default 5 s. */
  T4: number;
  /**
   * How long a server transaction waits for the application's final response before the stack
   * answers 500 itself (ms). Non-INVITE default 64*T1; INVITE default 3 minutes (ringing).
   */
  serverNonInviteTimeout?: number;
  serverInviteTimeout?: number;
  /** INVITE client: after a 1xx, give up (synthetic 408) if no final arrives (Timer C-like, default 3 min). */
  clientProvisionalTimeout?: number;
}

export const DEFAULT_TIMERS: TimerConfig = { T1: 500, T2: 4000, T4: 5000 };

export function resolveTimers(partial?: Partial<TimerConfig>): Required<TimerConfig> {
  const t = { ...DEFAULT_TIMERS, ...partial };
  return {
    T1: t.T1,
    T2: t.T2,
    T4: t.T4,
    serverNonInviteTimeout: t.serverNonInviteTimeout ?? 64 * t.T1,
    serverInviteTimeout: t.serverInviteTimeout ?? 180_000,
    clientProvisionalTimeout: t.clientProvisionalTimeout ?? 180_000,
  };
}

/** Timer B, F, H, J (unreliable): 64*T1. */
export const timeout64 = (t: TimerConfig): number => 64 * t.T1;
/** Timer D: at least 32 s on unreliable transports, 0 on reliable ones. */
export const timerD = (t: TimerConfig, reliable: boolean): number => (reliable ? 0 : Math.max(32_000, 64 * t.T1));
/** Timer I and K: T4 on unreliable transports, 0 on reliable ones. */
export const timerIK = (t: TimerConfig, reliable: boolean): number => (reliable ? 0 : t.T4);
/** Timer J: 64*T1 on unreliable transports, 0 on reliable ones. */
export const timerJ = (t: TimerConfig, reliable: boolean): number => (reliable ? 0 : 64 * t.T1);

/** One-shot timer slot: at most one pending timeout per slot, unref'd so it never holds the process. */
export class TimerSlot {
  private handle: ReturnType<typeof setTimeout> | undefined;

  set(ms: number, fn: () => void): void {
    this.clear();
    this.handle = setTimeout(fn, ms);
    this.handle.unref?.();
  }

  clear(): void {
    if (this.handle !== undefined) {
      clearTimeout(this.handle);
      this.handle = undefined;
    }
  }
}

/**
 * Expiry of many items that all wait the same `duration` (Timer J, Timer K, the TU guard of
 * non-INVITE server transactions), with one shared timer instead of a setTimeout each.
 * Items expire in insertion order, so a FIFO ring (item + due time, 16 bytes per entry) is
 * ordered by expiry. The timer is armed for the head's due time, but after it expired
 * something it waits at least `granularity` ms, so under load items expire in batches (up to
 * `granularity` ms late, never early) and at low rates they expire on time.
 * `add` returns a handle for `cancel` (O(1): the slot is emptied and skipped later).
 * Time is `performance.now()` (monotonic; faked by vitest's fake timers, like setTimeout).
 */
export class ExpiryQueue<T extends object> {
  private items: Array<T | undefined>;
  private due: Float64Array;
  private mask: number;
  private head = 0;
  private size = 0;
  /** Sequence number (mod 2^30, stays a small integer) of the entry at `head`. */
  private headSeq = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly fire = (): void => this.run();

  constructor(
    readonly duration: number,
    private readonly onExpire: (item: T) => void,
    private readonly granularity = 100,
    private readonly minCapacity = 1024,
  ) {
    this.items = new Array<T | undefined>(minCapacity);
    this.due = new Float64Array(minCapacity);
    this.mask = minCapacity - 1;
  }

  /** Entries held, including cancelled ones not yet passed by (for tests and metrics). */
  get length(): number {
    return this.size;
  }

  add(item: T): number {
    if (this.size === this.items.length) this.resize(this.items.length * 2);
    const idx = (this.head + this.size) & this.mask;
    const at = performance.now() + this.duration;
    this.items[idx] = item;
    this.due[idx] = at;
    const handle = (this.headSeq + this.size) & SEQ_MASK;
    this.size++;
    if (this.timer === undefined) this.arm(this.duration);
    return handle;
  }

  /** Removes `item` if it is still queued under `handle`. */
  cancel(handle: number, item: T): void {
    const off = (handle - this.headSeq) & SEQ_MASK;
    if (off >= this.size) return;
    const idx = (this.head + off) & this.mask;
    if (this.items[idx] === item) this.items[idx] = undefined;
  }

  /** Drops every entry and the timer (stack shutdown). */
  clear(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.items = new Array<T | undefined>(this.minCapacity);
    this.due = new Float64Array(this.minCapacity);
    this.mask = this.minCapacity - 1;
    this.head = 0;
    this.size = 0;
  }

  private arm(ms: number): void {
    this.timer = setTimeout(this.fire, ms);
    this.timer.unref?.();
  }

  private run(): void {
    this.timer = undefined;
    const now = performance.now();
    let expired = 0;
    try {
      while (this.size > 0 && this.due[this.head]! <= now) {
        const item = this.items[this.head];
        this.items[this.head] = undefined;
        this.head = (this.head + 1) & this.mask;
        this.headSeq = (this.headSeq + 1) & SEQ_MASK;
        this.size--;
        if (item !== undefined) {
          expired++;
          this.onExpire(item);
        }
      }
    } finally {
      // Give memory back after a burst: a quarter full → half the capacity.
      if (this.items.length > this.minCapacity && this.size < this.items.length >>> 2) this.resize(this.items.length >>> 1);
      if (this.size > 0 && this.timer === undefined) {
        const wait = Math.max(0, this.due[this.head]! - now);
        this.arm(expired > 0 ? Math.max(wait, this.granularity) : Math.max(Math.ceil(wait), 1));
      }
    }
  }

  private resize(capacity: number): void {
    const items = new Array<T | undefined>(capacity);
    const due = new Float64Array(capacity);
    for (let i = 0; i < this.size; i++) {
      const from = (this.head + i) & this.mask;
      items[i] = this.items[from];
      due[i] = this.due[from]!;
    }
    this.items = items;
    this.due = due;
    this.mask = capacity - 1;
    this.head = 0;
  }
}

const SEQ_MASK = 0x3fffffff;
