// The switchboard (R-SW-1…3): a caller from outside dials the company's main number. The
// blacklist has been checked by routing. The PBX answers with the greeting (the tenant's
// recording or the default prompt); the caller dials an extension (during the greeting too),
// or 0, or nothing for 5 s → the operator. An invalid extension is told and asked again, at
// most `max_attempts` times, then the operator. The operator answers only in service hours;
// outside them, weekends and holidays, the caller hears "closed" and goes to the general box.
import type { Call } from '../calls/call.ts';
import type { PlayArgs } from '../media/media-protocol.ts';
import type { RoutableNumber } from '../numbers/number-lookup.ts';
import type { AppEnv } from './app-env.ts';
import { dialExtension } from './dial-extension.ts';
import { toVoicemail } from './unanswered.ts';

/** Ringback while an extension rings after the greeting: 450 Hz, 1 s on 4 s off (China). */
export const RINGBACK: PlayArgs = { tones: [{ hz: [450], ms: 1000 }, { hz: [], ms: 4000 }] };

export async function switchboard(call: Call, line: RoutableNumber, env: AppEnv): Promise<void> {
  const routing = env.routing;
  const settings = routing.settings(line.tenantId);
  const language = settings.language;
  const toUri = call.inbound.invite.headers.to.uri;
  if (!(await call.answer())) return;
  const greeting: PlayArgs =
    line.greeting !== undefined
      ? { files: [line.greeting], interruptible: true }
      : { prompts: [{ id: 'welcome', language }, { id: 'dial-extension', language }, { id: 'operator-zero', language }], interruptible: true };
  const ivr = settings.ivr;
  for (let attempt = 1; attempt <= ivr.max_attempts; attempt++) {
    let played = await call.play(attempt === 1 ? greeting : { prompts: [{ id: 'invalid-extension', language }, { id: 'dial-extension', language }], interruptible: true });
    // a tenant's greeting that cannot be played (file gone, wrong format): the built-in one
    if (played === 'failed') played = await call.play({ prompts: [{ id: 'welcome', language }, { id: 'dial-extension', language }, { id: 'operator-zero', language }], interruptible: true });
    if (played === 'ended' || call.isEnded) return;
    const digits = await call.collect({ maxDigits: 8, firstDigitMs: ivr.first_digit_timeout_s * 1000, interDigitMs: ivr.inter_digit_timeout_s * 1000, terminators: '#' });
    if (call.isEnded) return;
    if (digits === '' || digits === '0') return operator(call, line, env);
    const reach = await routing.reachExtension(line.tenantId, digits, { toUri, presented: line.number, divertedFrom: line.number });
    if ('status' in reach) {
      if (reach.status === 404 || reach.status === 484 || reach.status === 403) {
        routing.log.info({ callId: call.id, digits, why: reach.why }, 'switchboard: invalid extension');
        call.clearDigits();
        continue;
      }
      // a real extension that cannot ring now (busy, nothing registered) → its voicemail
      const extension = routing.extension(line.tenantId, digits);
      await toVoicemail(call, env, { ...(extension ? { extension } : {}), why: reach.status === 486 ? 'busy' : 'unavailable', language });
      return;
    }
    try {
      await dialExtension(call, { extension: reach.extension, targets: reach.targets, voicemail: { env, language }, ringback: RINGBACK });
    } finally {
      reach.release();
    }
    return;
  }
  return operator(call, line, env);
}

/** The tenant's operator in service hours; otherwise "closed" and the general box. */
export async function operator(call: Call, line: RoutableNumber, env: AppEnv): Promise<void> {
  const routing = env.routing;
  const settings = routing.settings(line.tenantId);
  const language = settings.language;
  if (settings.operator === undefined || !routing.operatorOnDuty(line.tenantId)) {
    routing.log.info({ callId: call.id, operator: settings.operator ?? null }, 'switchboard: operator closed');
    await toVoicemail(call, env, { why: 'closed', language });
    return;
  }
  const reach = await routing.reachExtension(line.tenantId, settings.operator, { toUri: call.inbound.invite.headers.to.uri, presented: line.number, divertedFrom: line.number });
  if ('status' in reach) {
    const extension = routing.extension(line.tenantId, settings.operator);
    await toVoicemail(call, env, { ...(extension ? { extension } : {}), why: reach.status === 486 ? 'busy' : 'unavailable', language });
    return;
  }
  try {
    await dialExtension(call, { extension: reach.extension, targets: reach.targets, voicemail: { env, language }, ringback: RINGBACK });
  } finally {
    reach.release();
  }
}
