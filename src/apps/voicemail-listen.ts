// Listening to voicemail by phone (R-BASIC-5): the owner dials the feature code (*97), enters
// the box's PIN and '#', hears how many new messages there are, then each message (new first)
// with a menu: 1 replay, 7 delete, 9 save, # next. Three wrong PINs end the call.
import { timingSafeEqual } from 'node:crypto';
import type { Call } from '../calls/call.ts';
import type { DialableExtension } from '../directory/extension-lookup.ts';
import type { AppEnv } from './app-env.ts';

export const VOICEMAIL_FEATURE_CODE = '*97';
const PIN_ATTEMPTS = 3;

export async function listenVoicemail(call: Call, env: AppEnv, owner: DialableExtension): Promise<void> {
  const language = env.routing.settings(call.tenantId).language;
  const p = (id: string) => ({ id, language });
  if (!(await call.answer())) return;
  if (!(await pinAccepted(call, owner.voicemailPin, language))) {
    await call.play({ prompts: [p('goodbye')] });
    await call.end('voicemail: wrong PIN');
    return;
  }
  const box = { tenantId: call.tenantId, extensionId: owner.id };
  const fresh = env.voicemail.list(box, { status: 'new' });
  const saved = env.voicemail.list(box, { status: 'saved' });
  await call.play({ prompts: [...[...String(fresh.length)].map((d) => p(`digit-${d}`)), p('vm-new-messages')], interruptible: true });
  for (const message of [...fresh, ...saved]) {
    if (call.isEnded) return;
    let next = false;
    let idle = 0;
    await call.play({ files: [message.path], interruptible: true });
    while (!next && !call.isEnded) {
      await call.play({ prompts: [p('vm-menu')], interruptible: true });
      const choice = await call.collect({ maxDigits: 1, firstDigitMs: 8000, interDigitMs: 1000 });
      switch (choice) {
        case '1':
          call.clearDigits();
          await call.play({ files: [message.path], interruptible: true });
          break;
        case '7':
          env.voicemail.delete(message.id);
          await call.play({ prompts: [p('vm-deleted')] });
          next = true;
          break;
        case '9':
          env.voicemail.markHeard(message.id);
          await call.play({ prompts: [p('vm-saved')] });
          next = true;
          break;
        case '#':
          env.voicemail.markHeard(message.id);
          next = true;
          break;
        case '':
          if (++idle >= 2) {
            env.voicemail.markHeard(message.id);
            await call.end('voicemail: no input');
            return;
          }
          break;
        default:
          call.clearDigits();
      }
    }
  }
  if (call.isEnded) return;
  await call.play({ prompts: [p('vm-no-more'), p('goodbye')] });
  await call.end('voicemail: done');
}

async function pinAccepted(call: Call, pin: string | undefined, language: string): Promise<boolean> {
  for (let attempt = 0; attempt < PIN_ATTEMPTS && !call.isEnded; attempt++) {
    await call.play({ prompts: [{ id: 'vm-enter-pin', language }], interruptible: true });
    const entered = await call.collect({ maxDigits: 12, firstDigitMs: 10_000, interDigitMs: 5000, terminators: '#' });
    if (pin !== undefined && entered.length === pin.length && timingSafeEqual(Buffer.from(entered), Buffer.from(pin))) return true;
    call.clearDigits();
    if (!call.isEnded) await call.play({ prompts: [{ id: 'vm-wrong-pin', language }] });
  }
  return false;
}
