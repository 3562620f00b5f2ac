// One 20 ms tick that drives every player of a media worker (R-MEDIA-5). A timer per player
// would mean thousands of timers; here one timer wakes, works out which tick of its grid is
// due and asks each registered source for the packets due up to that tick.
//
// No drift: tick n is due at anchor + n * tickMs, computed from the anchor every time, never by
// adding up timer delays. A late timer only makes that one tick late; the next one is scheduled
// for its own grid time. After a stall the clock jumps to the latest due tick (it does not run
// the missed ticks one by one); sources see the jump in the tick number and decide how much to
// catch up (the player: a bounded burst, then it re-anchors).
//
// Ticks are integers, so sources compare positions exactly, with no floating-point residue.
// Tick numbers keep increasing across idle periods: when the last source leaves, the timer
// stops, and when one comes back the grid is re-anchored so that the next tick number is due
// at once.

/** Time and timers, injected so that tests and benches can run a fake or a real clock. */
export interface Clock {
  /** Monotonic milliseconds (performance.now or process.hrtime in real life). */
  now(): number;
  /** Calls fn once after ms milliseconds; the returned function cancels it. */
  schedule(fn: () => void, ms: number): () => void;
}

/** The real clock: performance.now (monotonic) and setTimeout. */
export const realClock: Clock = {
  now: () => performance.now(),
  schedule: (fn, ms) => {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
};

/** Something that sends paced packets: a player. */
export interface PlayoutSource {
  /** Send whatever is due up to and including `tick` (see PlayoutClock.tickTime). */
  pump(tick: number): void;
}

export interface PlayoutClockOptions {
  /** Tick period in ms (default 20, the packet time of the G.711 streams we send). */
  tickMs?: number;
  /**
   * A timer that fires this much before its grid time still runs the tick (default 1 ms).
   * setTimeout counts in the event loop's whole-millisecond time, so measured with
   * performance.now it can fire a fraction of a millisecond early; rescheduling for that
   * fraction would cost another loop turn and make the tick late instead.
   */
  earlyToleranceMs?: number;
  /** Called with what a source's pump throws; the other sources still run. Default: ignored. */
  onError?: (err: unknown, source: PlayoutSource) => void;
}

export class PlayoutClock {
  readonly tickMs: number;
  private readonly earlyTolerance: number;
  private readonly onError: (err: unknown, source: PlayoutSource) => void;
  private readonly sources = new Set<PlayoutSource>();
  private anchor = 0; // clock time of tick 0 (moved on re-anchoring, see start())
  private lastTick = -1; // the last tick run
  private cancel: (() => void) | undefined;
  private running = false;
  private inTick = false;
  /** Ticks run, and ticks skipped because the timer came too late (stalls). */
  readonly stats = { ticks: 0, skippedTicks: 0 };

  constructor(
    readonly clock: Clock = realClock,
    options: PlayoutClockOptions = {},
  ) {
    this.tickMs = options.tickMs ?? 20;
    this.earlyTolerance = options.earlyToleranceMs ?? 1;
    this.onError = options.onError ?? (() => {});
  }

  /** Registers a source; it is pumped from the next tick on (at once if the clock was idle). */
  add(source: PlayoutSource): void {
    this.sources.add(source);
    if (!this.running) this.start();
  }

  /** Unregisters a source (safe from inside its own pump); the timer stops with the last one. */
  remove(source: PlayoutSource): void {
    this.sources.delete(source);
    if (this.sources.size === 0) this.stop();
  }

  get size(): number {
    return this.sources.size;
  }

  /** The clock time at which `tick` is (or was) due. */
  tickTime(tick: number): number {
    return this.anchor + tick * this.tickMs;
  }

  /** The last tick run (-1 before the first). */
  get currentTick(): number {
    return this.lastTick;
  }

  private start(): void {
    this.running = true;
    if (this.inTick) return; // the tick in progress schedules the next one on the same grid
    // The next tick number is due now: ticks stay increasing across idle periods.
    this.anchor = this.clock.now() - (this.lastTick + 1) * this.tickMs;
    this.cancel = this.clock.schedule(this.onTimer, 0);
  }

  private stop(): void {
    this.running = false;
    this.cancel?.();
    this.cancel = undefined;
  }

  private readonly onTimer = (): void => {
    this.cancel = undefined;
    if (!this.running) return;
    const now = this.clock.now();
    let tick = Math.floor((now - this.anchor + this.earlyTolerance) / this.tickMs);
    if (tick <= this.lastTick) {
      // Woke too early (beyond the tolerance): wait for the tick that is still to come.
      this.scheduleNext(now);
      return;
    }
    if (tick > this.lastTick + 1) this.stats.skippedTicks += tick - this.lastTick - 1;
    this.lastTick = tick;
    this.stats.ticks++;
    this.inTick = true;
    try {
      for (const source of this.sources) {
        try {
          source.pump(tick);
        } catch (err) {
          this.onError(err, source);
        }
      }
    } finally {
      this.inTick = false;
    }
    if (this.running && !this.cancel) this.scheduleNext(this.clock.now());
  };

  private scheduleNext(now: number): void {
    const due = this.tickTime(this.lastTick + 1);
    this.cancel = this.clock.schedule(this.onTimer, Math.max(0, due - now));
  }
}

let shared: PlayoutClock | undefined;

/** The thread's shared playout clock on the real clock (one timer for all players of a worker). */
export function sharedPlayoutClock(): PlayoutClock {
  return (shared ??= new PlayoutClock(realClock));
}
