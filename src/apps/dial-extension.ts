// Ringing one extension (R-SW-4, R-SW-5): its registered phones and PSTN terminals by its
// strategy and timeout. A colleague calling gets the SIP answer of the phones (busy, no
// answer); a caller from outside who is not answered goes to the extension's voicemail.
import type { Call } from '../calls/call.ts';
import type { PlayArgs } from '../media/media-protocol.ts';
import type { DialableExtension } from '../directory/extension-lookup.ts';
import type { DialTarget } from '../calls/call.ts';
import { partyOf } from '../routing/route-call.ts';
import { toVoicemail } from './unanswered.ts';
import type { AppEnv } from './app-env.ts';

export interface DialExtensionArgs {
  extension: DialableExtension;
  targets: DialTarget[];
  /** An outside caller: unanswered → voicemail (else the caller gets the phones' answer). */
  voicemail?: { env: AppEnv; language: string };
  /** Played to a caller the PBX already answered (IVR) while the extension rings. */
  ringback?: PlayArgs;
}

/** Rings the extension; resolves true when it answered. */
export async function dialExtension(call: Call, args: DialExtensionArgs): Promise<boolean> {
  const { extension, targets } = args;
  const outcome = await call.dial(targets, {
    strategy: extension.ringStrategy,
    timeoutS: extension.ringTimeoutS,
    party: partyOf(extension),
    ...(args.ringback === undefined ? {} : { ringback: args.ringback }),
  });
  if (outcome.answered || call.isEnded) return outcome.answered;
  if (args.voicemail !== undefined) {
    await toVoicemail(call, args.voicemail.env, { extension, why: outcome.disposition === 'busy' ? 'busy' : 'no-answer', language: args.voicemail.language });
    return false;
  }
  call.reject(outcome.status, outcome.reason, outcome.disposition, outcome.disposition === 'busy' || outcome.disposition === 'rejected' ? 'callee' : 'system');
  return false;
}
