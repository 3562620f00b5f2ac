// Where a call goes when the extension (or direct line, or the closed switchboard) does not
// take it (R-SW-3): the tenant's reserved mobile is told of the missed call, and the caller may
// leave a message in the extension's box, or the tenant's general box. The one function every
// app calls.
import type { Call } from '../calls/call.ts';
import type { DialableExtension } from '../directory/extension-lookup.ts';
import type { AppEnv } from './app-env.ts';
import { leaveVoicemail } from './voicemail.ts';

export type UnansweredWhy = 'busy' | 'no-answer' | 'unavailable' | 'closed';

export interface UnansweredArgs {
  /** The extension whose box takes the message; undefined = the tenant's general box. */
  extension?: DialableExtension;
  why: UnansweredWhy;
  language: string;
}

export async function toVoicemail(call: Call, env: AppEnv, a: UnansweredArgs): Promise<void> {
  if (call.isEnded) return;
  if (call.direction === 'inbound') env.notices.missedCall(call, a.extension);
  await leaveVoicemail(call, env, a);
}
