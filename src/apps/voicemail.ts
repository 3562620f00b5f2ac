// Leaving a voicemail (R-BASIC-5): the PBX answers, says why nobody took the call, plays the
// box's greeting (or "please leave a message after the tone") and the beep, and records the
// caller until silence, the tenant's length limit (default 120 s) or '#'. A message of at least
// a second is stored with caller, time and duration; the owner is told (SMS/webhook through
// the outbox) and the phones' message-waiting light follows (MWI). A box that is switched off
// only tells the caller why and says goodbye.
import { statSync, rmSync } from 'node:fs';
import type { Call } from '../calls/call.ts';
import type { Disposition } from '../calls/call-events.ts';
import type { PromptRef } from '../media/media-protocol.ts';
import type { AppEnv } from './app-env.ts';
import type { UnansweredArgs } from './unanswered.ts';

/** Shorter than this is a hang-up at the beep, not a message. */
const MIN_MESSAGE_S = 1;
/** Bytes of the WAV header our recorder writes (mono PCM16, 8 kHz: 16,000 bytes a second). */
const WAV_HEADER = 44;

export async function leaveVoicemail(call: Call, env: AppEnv, a: UnansweredArgs): Promise<void> {
  const language = a.language;
  const why: PromptRef = { id: a.why === 'busy' ? 'busy' : a.why === 'closed' ? 'outside-hours' : 'no-answer', language };
  const disposition: Disposition = a.why === 'busy' ? 'busy' : a.why === 'closed' ? 'answered' : 'no-answer';
  const reason = a.why === 'closed' ? 'outside service hours' : `extension ${a.why}`;
  if (!(await call.answer())) return;
  if (a.extension !== undefined && !a.extension.voicemailEnabled) {
    await call.play({ prompts: [why, { id: 'goodbye', language }] });
    await call.end(reason, disposition);
    return;
  }
  const settings = env.routing.settings(call.tenantId);
  const greeting = a.extension !== undefined ? a.extension.voicemailGreeting : settings.voicemail.general_box_greeting;
  await call.play(greeting !== undefined ? { prompts: [why], files: [greeting] } : { prompts: [why, { id: 'leave-message', language }] });
  if (call.isEnded) return;
  await call.play({ prompts: [{ id: 'beep', language }] });
  if (call.isEnded) return;
  const receivedAt = env.routing.now();
  const path = env.voicemail.pathFor({ tenantId: call.tenantId, ...(a.extension === undefined ? {} : { extensionId: a.extension.id }), at: receivedAt, callId: call.id });
  const outcome = await call.recordMessage({ path, maxSeconds: settings.voicemail.max_length_s, silenceSeconds: settings.voicemail.silence_s, stopOnDigits: '#' });
  const seconds = outcome.seconds > 0 ? outcome.seconds : wavSeconds(path);
  if (seconds < MIN_MESSAGE_S) {
    rmSync(path, { force: true });
    env.routing.log.info({ callId: call.id, seconds }, 'voicemail: nothing said, no message kept');
  } else {
    const message = env.voicemail.add({
      tenantId: call.tenantId,
      ...(a.extension === undefined ? {} : { extensionId: a.extension.id }),
      callerNumber: call.caller.number,
      ...(call.caller.name === undefined ? {} : { callerName: call.caller.name }),
      callId: call.id,
      path,
      receivedAt,
      durationS: seconds,
    });
    env.routing.log.info({ callId: call.id, messageId: message.id, seconds, box: a.extension?.number ?? 'general', ended: outcome.reason }, 'voicemail left');
    env.notices.voicemailLeft(call, message, a.extension);
  }
  if (call.isEnded) return;
  await call.play({ prompts: [{ id: 'goodbye', language }] });
  await call.end('voicemail', disposition);
}

/** The audio length of a mono 8 kHz PCM16 WAV from its size (when the engine's report is lost). */
function wavSeconds(path: string): number {
  try {
    return Math.max(0, statSync(path).size - WAV_HEADER) / 16_000;
  } catch {
    return 0;
  }
}
