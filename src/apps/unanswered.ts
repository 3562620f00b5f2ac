// Where a call goes when the extension (or direct line, or the closed switchboard) does not
// take it: the extension's voicemail box, or the tenant's general box (R-SW-3). Voicemail is
// built by its own issue and plugs in here, the one function every app calls. Until then the
// caller hears why (busy / no answer / closed) and a goodbye, and the call ends.
import type { Call } from '../calls/call.ts';
import type { Disposition } from '../calls/call-events.ts';
import type { DialableExtension } from '../directory/extension-lookup.ts';

export type UnansweredWhy = 'busy' | 'no-answer' | 'unavailable' | 'closed';

export interface UnansweredArgs {
  /** The extension whose box takes the message; undefined = the tenant's general box. */
  extension?: DialableExtension;
  why: UnansweredWhy;
  language: string;
}

export async function toVoicemail(call: Call, a: UnansweredArgs): Promise<void> {
  if (call.isEnded) return;
  if (!(await call.answer())) return;
  const reason = a.why === 'busy' ? 'busy' : a.why === 'closed' ? 'outside-hours' : 'no-answer';
  await call.play({ prompts: [{ id: reason, language: a.language }, { id: 'goodbye', language: a.language }] });
  const disposition: Disposition = a.why === 'busy' ? 'busy' : a.why === 'closed' ? 'answered' : 'no-answer';
  await call.end(a.why === 'closed' ? 'outside service hours' : `extension ${a.why}`, disposition);
}
