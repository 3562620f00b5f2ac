// A direct line (R-DL-1): one number, no extensions, its 1–3 terminals rung in order or all at
// once. With a greeting the PBX answers and plays it first; without one the caller hears the
// terminals ring. Nobody answers → the tenant's general box.
import type { Call } from '../calls/call.ts';
import type { RoutableNumber } from '../numbers/number-lookup.ts';
import type { AppEnv } from './app-env.ts';
import { RINGBACK } from './switchboard.ts';
import { toVoicemail } from './unanswered.ts';

export async function directLine(call: Call, line: RoutableNumber, env: AppEnv): Promise<void> {
  const routing = env.routing;
  const language = routing.settings(line.tenantId).language;
  const { targets, party, release } = await routing.directLineTargets(line, call.inbound.invite.headers.to.uri, line.number);
  try {
    if (line.greeting !== undefined) {
      if (!(await call.answer())) return;
      await call.play({ files: [line.greeting] });
      if (call.isEnded) return;
    }
    if (targets.length === 0) {
      await toVoicemail(call, env, { why: 'unavailable', language });
      return;
    }
    const outcome = await call.dial(targets, { strategy: line.ringStrategy, timeoutS: line.ringTimeoutS, party, ...(line.greeting === undefined ? {} : { ringback: RINGBACK }) });
    if (outcome.answered || call.isEnded) return;
    await toVoicemail(call, env, { why: outcome.disposition === 'busy' ? 'busy' : 'no-answer', language });
  } finally {
    release();
  }
}
