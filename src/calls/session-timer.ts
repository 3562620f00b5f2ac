// RFC 4028 session timers on the caller's leg, when the caller (or a proxy before it) asks
// for them with Session-Expires. The requested interval is honoured if it is at least our
// Min-SE (else 422). The refresher is who the request names, the caller by default when it
// supports timers, else us. If the caller is the refresher and no refresh (re-INVITE or
// UPDATE) arrives before the session expires, the call is ended (§10: BYE shortly before
// expiry); if we are, we refresh with an UPDATE without SDP at half the interval.
import type { SipRequest } from '../sip/message.ts';
import { hasOptionTag, parseSessionExpires } from './sip-headers.ts';

export type SessionTimerDecision =
  | { kind: 'none' }
  | { kind: 'too-small'; minSe: number }
  | { kind: 'timer'; seconds: number; refresher: 'uac' | 'uas'; callerSupports: boolean };

/** What to do with an INVITE's Session-Expires (`minSe` from config calls.min_se_s). */
export function decideSessionTimer(invite: SipRequest, minSe: number): SessionTimerDecision {
  const se = parseSessionExpires(invite.headers['session-expires']);
  if (se === undefined) return { kind: 'none' };
  if (se.seconds < minSe) return { kind: 'too-small', minSe };
  const callerSupports = hasOptionTag(invite.headers.supported, 'timer') || hasOptionTag(invite.headers.require, 'timer');
  const refresher = se.refresher ?? (callerSupports ? 'uac' : 'uas');
  return { kind: 'timer', seconds: se.seconds, refresher: callerSupports ? refresher : 'uas', callerSupports };
}

/** Headers of our 2xx (and of answers to refreshes) for an agreed timer. */
export function sessionTimerHeaders(d: Extract<SessionTimerDecision, { kind: 'timer' }>): Record<string, string> {
  const h: Record<string, string> = { 'Session-Expires': `${d.seconds};refresher=${d.refresher}` };
  if (d.callerSupports) h.Require = 'timer';
  return h;
}

export class SessionTimer {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly decision: Extract<SessionTimerDecision, { kind: 'timer' }>,
    private readonly onExpired: () => void,
    private readonly refresh: () => void,
  ) {}

  /** Starts (or restarts, after a refresh) the interval. */
  arm(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    const ms = this.decision.seconds * 1000;
    if (this.decision.refresher === 'uac') {
      // RFC 4028 §10: BYE at the expiry minus min(32 s, a third of the interval)
      this.timer = setTimeout(() => this.onExpired(), ms - Math.min(32_000, ms / 3));
    } else {
      this.timer = setTimeout(() => {
        this.refresh();
        this.arm();
      }, ms / 2);
    }
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }
}
