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
