// What apps may use besides the call itself: routing's answers (extensions, trunks, hours), the
// voicemail boxes, and the notices a call causes (missed-call SMS, voicemail notices).
import type { CallRouting } from '../routing/call-routing.ts';
import type { VoicemailStore } from '../voicemail/voicemail-store.ts';
import type { CallNotices } from '../notify/call-notices.ts';

export interface AppEnv {
  routing: CallRouting;
  voicemail: VoicemailStore;
  notices: CallNotices;
}
