// SIP-trunk hand-off (R-ST-1): every call to the number goes to the tenant's own PBX (call
// centre, IAD) as it is — no greeting, no IVR; the tenant's PBX does that. Its calls out come
// to us the other way (call control routes them to dialOutside with the number shown).
import type { Call } from '../calls/call.ts';
import type { RoutableNumber } from '../numbers/number-lookup.ts';
import type { CallRouting } from '../routing/call-routing.ts';

export async function sipTrunkInbound(call: Call, line: RoutableNumber, routing: CallRouting): Promise<void> {
  const attempt = await routing.pbxTarget(line, call.caller.number);
  if (attempt === undefined) {
    routing.log.warn({ callId: call.id, number: line.number }, 'sipTrunk number has no reachable PBX trunk');
    call.reject(503, 'Service Unavailable', 'failed', 'system');
    return;
  }
  call.onEnd(() => attempt.release());
  const outcome = await call.dial([attempt.target], { strategy: 'sequential', timeoutS: 60, party: { number: line.number } });
  if (outcome.answered || call.isEnded) return;
  call.reject(outcome.status, outcome.reason, outcome.disposition, outcome.disposition === 'busy' || outcome.disposition === 'rejected' ? 'callee' : 'system');
}
