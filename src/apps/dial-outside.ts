// An outside call (R-SW-4, R-SMART-4): through the trunks routing offers in failover order; a
// trunk that fails (408, 5xx: the carrier's trouble, not the callee's answer) hands the call to
// the next; the callee's answer (busy, not found, declined) is final. A trunk that takes none of
// the call's codecs is passed over (488 when none does). The callee sees the tenant's number,
// never the extension.
import type { Call } from '../calls/call.ts';
import type { Party } from '../calls/call-events.ts';
import type { TrunkAttempt } from '../routing/call-routing.ts';
import { isFailoverStatus } from '../routing/trunk-selection.ts';
import { callsRefused } from '../metrics.ts';

export interface DialOutsideArgs {
  attempts: TrunkAttempt[];
  party: Party;
  ringTimeoutS: number;
}

export async function dialOutside(call: Call, a: DialOutsideArgs): Promise<void> {
  if (a.attempts.length === 0) {
    callsRefused.inc({ reason: 'no_trunk' });
    call.ctx.log.warn({ callId: call.id }, 'no trunk can take the call');
    call.reject(503, 'Service Unavailable', 'failed', 'system', { 'Retry-After': '30' });
    return;
  }
  let last = { status: 503, reason: 'Service Unavailable' };
  try {
    for (const [i, attempt] of a.attempts.entries()) {
      if (call.isEnded) return;
      if (!call.accepts(attempt.target)) {
        attempt.release();
        last = { status: 488, reason: 'Not Acceptable Here' };
        call.ctx.log.info({ callId: call.id, trunk: attempt.trunk.name, codecs: attempt.target.codecs }, 'trunk takes none of the call\'s codecs: trying the next');
        continue;
      }
      const outcome = await call.dial([attempt.target], { strategy: 'sequential', timeoutS: a.ringTimeoutS, party: a.party });
      if (outcome.answered) {
        // the trunk stays counted until the call ends; the others are given back now
        for (const other of a.attempts) if (other !== attempt) other.release();
        call.onEnd(() => attempt.release());
        return;
      }
      attempt.release();
      if (call.isEnded) return;
      last = { status: outcome.status, reason: outcome.reason };
      if (!isFailoverStatus(outcome.status) || i === a.attempts.length - 1) {
        call.reject(outcome.status, outcome.reason, outcome.disposition, outcome.disposition === 'busy' || outcome.disposition === 'rejected' ? 'callee' : 'system');
        return;
      }
      call.ctx.log.info({ callId: call.id, trunk: attempt.trunk.name, status: outcome.status }, 'trunk failed: trying the next');
    }
  } finally {
    for (const attempt of a.attempts) if (call.isEnded) attempt.release();
  }
  if (!call.isEnded) call.reject(last.status, last.reason, 'failed', 'system');
}
