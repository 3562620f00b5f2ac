// The first app: a call to an extension of the caller's own tenant (R-SW-4: free and direct).
// Rings the extension's registered terminals by its strategy and timeout (R-SW-5); when
// nothing answers the caller hears why (busy, no answer). Voicemail for unanswered calls
// arrives with its own issue: the `unanswered` hook is where it will plug in.
import type { Call } from '../calls/call.ts';
import type { OutboundTarget } from '../calls/outbound-leg.ts';
import type { DialableExtension } from '../directory/extension-lookup.ts';
import { partyOf } from '../routing/route-call.ts';

export interface DialExtensionArgs {
  extension: DialableExtension;
  /** The extension's registered terminals, in registration order. */
  terminals: OutboundTarget[];
}

export async function dialExtension(call: Call, args: DialExtensionArgs): Promise<void> {
  const { extension, terminals } = args;
  if (terminals.length === 0) {
    call.reject(480, 'Temporarily Unavailable', 'failed', 'system');
    return;
  }
  const outcome = await call.dial(terminals, {
    strategy: extension.ringStrategy,
    timeoutS: extension.ringTimeoutS,
    party: partyOf(extension),
  });
  if (outcome.answered || call.isEnded) return;
  call.reject(outcome.status, outcome.reason, outcome.disposition, outcome.disposition === 'busy' || outcome.disposition === 'rejected' ? 'callee' : 'system');
}
