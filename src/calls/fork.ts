// Ringing an extension's terminals (R-SW-5): in order, each for its own timeout, or all at
// once for one timeout. The first 2xx wins; every other fork still ringing gets CANCEL with
// `Reason: SIP;cause=200;text="Call completed elsewhere"` (RFC 3326) so no phone shows a false
// missed call. A fork that answers after another won is BYEd. When nothing answers, the
// outcome is the most telling failure: busy beats no-answer beats the rest (RFC 3261 §16.7's
// best-response idea, narrowed to what a caller should hear from a PBX).
import type { SipResponse } from '../sip/message.ts';
import type { OutboundLeg } from './outbound-leg.ts';

export type RingStrategy = 'sequential' | 'simultaneous';

export const COMPLETED_ELSEWHERE = 'SIP;cause=200;text="Call completed elsewhere"';

export interface ForkOptions {
  strategy: RingStrategy;
  /** Seconds each terminal rings (sequential) or all ring together (simultaneous). */
  timeoutS: number;
  /** Makes the leg for one terminal (index into the targets) and starts it. */
  start(index: number, events: { provisional(leg: OutboundLeg, r: SipResponse): void; final(leg: OutboundLeg, r: SipResponse): void }): OutboundLeg;
  targets: number;
  /** The outcome when there are no targets (default 480: nobody to ring). */
  noTargets?: ForkOutcome & { answered: false };
  /** A terminal rings (180/183). */
  onProvisional(leg: OutboundLeg, r: SipResponse): void;
  /** A fork ended without answering (its final response, or undefined when we cancelled it). */
  onForkEnded?(leg: OutboundLeg, r: SipResponse | undefined, why: 'failed' | 'timeout' | 'cancelled' | 'completed-elsewhere'): void;
}

export type ForkOutcome =
  | { answered: true; leg: OutboundLeg; response: SipResponse }
  | { answered: false; status: number; reason: string; disposition: 'busy' | 'no-answer' | 'failed' | 'rejected' | 'cancelled' };

export class Fork {
  private readonly options: ForkOptions;
  private readonly legs: OutboundLeg[] = [];
  private readonly live = new Set<OutboundLeg>();
  private readonly failures: number[] = [];
  private timer: NodeJS.Timeout | undefined;
  private next = 0;
  private done = false;
  private cancelledByCaller = false;
  private resolve!: (o: ForkOutcome) => void;
  readonly outcome: Promise<ForkOutcome>;

  constructor(options: ForkOptions) {
    this.options = options;
    this.outcome = new Promise((r) => (this.resolve = r));
    if (options.targets === 0) {
      this.finish(options.noTargets ?? { answered: false, status: 480, reason: 'Temporarily Unavailable', disposition: 'failed' });
      return;
    }
    if (options.strategy === 'simultaneous') {
      for (let i = 0; i < options.targets; i++) this.startOne();
      this.arm();
    } else {
      this.startOne();
      this.arm();
    }
  }

  /** Every leg started so far. */
  get started(): readonly OutboundLeg[] {
    return this.legs;
  }

  /** The caller gave up (CANCEL) or the call is being torn down: cancel every fork. */
  cancel(reason?: string): void {
    if (this.done) return;
    this.cancelledByCaller = true;
    for (const leg of this.live) {
      leg.cancel(reason);
      this.options.onForkEnded?.(leg, undefined, 'cancelled');
    }
    this.live.clear();
    this.finish({ answered: false, status: 487, reason: 'Request Terminated', disposition: 'cancelled' });
  }

  private startOne(): void {
    const index = this.next++;
    const leg = this.options.start(index, {
      provisional: (l, r) => {
        if (!this.done && this.live.has(l)) this.options.onProvisional(l, r);
      },
      final: (l, r) => this.onFinal(l, r),
    });
    this.legs.push(leg);
    this.live.add(leg);
  }

  private arm(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.onTimeout(), this.options.timeoutS * 1000);
  }

  private onTimeout(): void {
    if (this.done) return;
    for (const leg of this.live) {
      leg.cancel();
      this.failures.push(408);
      this.options.onForkEnded?.(leg, undefined, 'timeout');
    }
    this.live.clear();
    if (this.options.strategy === 'sequential' && this.next < this.options.targets) {
      this.startOne();
      this.arm();
      return;
    }
    this.settleFailure();
  }

  private onFinal(leg: OutboundLeg, r: SipResponse): void {
    const wasLive = this.live.delete(leg);
    if (r.status >= 200 && r.status < 300) {
      if (this.done || !wasLive) {
        // a late answer (another fork won, or we cancelled it): hang it up
        void leg.bye({ Reason: COMPLETED_ELSEWHERE });
        return;
      }
      for (const other of this.live) {
        other.cancel(COMPLETED_ELSEWHERE);
        this.options.onForkEnded?.(other, undefined, 'completed-elsewhere');
      }
      this.live.clear();
      this.finish({ answered: true, leg, response: r });
      return;
    }
    if (!wasLive || this.done) return;
    this.failures.push(r.status);
    this.options.onForkEnded?.(leg, r, 'failed');
    // 6xx: a global decline ends the search (RFC 3261 §16.7 point 5)
    if (r.status >= 600) {
      for (const other of this.live) other.cancel();
      this.live.clear();
      this.finish(failureOutcome([r.status], r.reason));
      return;
    }
    if (this.live.size > 0) return;
    if (this.options.strategy === 'sequential' && this.next < this.options.targets) {
      this.startOne();
      this.arm();
      return;
    }
    this.settleFailure(r.reason);
  }

  private settleFailure(lastReason?: string): void {
    this.finish(failureOutcome(this.failures, lastReason));
  }

  private finish(o: ForkOutcome): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    if (this.cancelledByCaller && o.answered) return;
    this.resolve(o);
  }
}

/** What the caller hears when no fork answered. */
export function failureOutcome(statuses: readonly number[], reason?: string): ForkOutcome & { answered: false } {
  if (statuses.some((s) => s === 486 || s === 600)) return { answered: false, status: 486, reason: 'Busy Here', disposition: 'busy' };
  if (statuses.length === 0 || statuses.every((s) => s === 408 || s === 480 || s === 487)) return { answered: false, status: 480, reason: 'Temporarily Unavailable', disposition: 'no-answer' };
  if (statuses.some((s) => s === 603)) return { answered: false, status: 603, reason: 'Decline', disposition: 'rejected' };
  const best = [...statuses].sort((a, b) => a - b)[0]!;
  return { answered: false, status: best, reason: reason ?? 'Call Failed', disposition: best === 403 || best === 488 ? 'rejected' : 'failed' };
}
