// A blacklisted caller (R-BASIC-2), refused the way the number says: busy (486), an
// announcement then hang-up, or a silent drop (answered and ended at once: the caller hears
// nothing, and no transaction is left waiting). Each is recorded with disposition 'blocked'.
import type { Call } from '../calls/call.ts';
import type { RoutableNumber } from '../numbers/number-lookup.ts';
import type { AppEnv } from './app-env.ts';

export async function refuseBlocked(call: Call, line: RoutableNumber, entry: { pattern: string; match: 'exact' | 'prefix' }, env: AppEnv): Promise<void> {
  const routing = env.routing;
  routing.log.info({ callId: call.id, number: line.number, caller: call.caller.number, pattern: entry.pattern, match: entry.match, action: line.blockAction }, 'blacklisted caller refused');
  const why = `blacklisted (${entry.match} ${entry.pattern})`;
  switch (line.blockAction) {
    case 'busy':
      call.reject(486, 'Busy Here', 'blocked', 'system', { Reason: `SIP;cause=486;text="${why}"` });
      return;
    case 'announcement': {
      if (!(await call.answer())) return;
      const language = routing.settings(line.tenantId).language;
      await call.play({ prompts: [{ id: 'not-available', language }, { id: 'goodbye', language }] });
      await call.end(why, 'blocked');
      return;
    }
    case 'drop':
      if (!(await call.answer())) return;
      await call.end(why, 'blocked');
  }
}
