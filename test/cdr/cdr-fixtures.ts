// Shared by the cdr tests: a capturing logger and a synthetic call published on the bus.
import type { Logger } from '../../src/log.ts';
import type { CallEventBus, Disposition, HangupBy } from '../../src/calls/call-events.ts';

export interface Captured {
  level: string;
  obj: unknown;
  msg: string;
}

export function captureLogger(): { log: Logger; lines: Captured[] } {
  const lines: Captured[] = [];
  const at = (level: string) => (obj: unknown, msg?: string) => void lines.push({ level, obj, msg: msg ?? '' });
  const log = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), fatal: at('fatal'), trace: at('trace') } as unknown as Logger;
  return { log, lines };
}

export interface CallScript {
  callId: string;
  tenantId: number;
  at: number; // start
  caller?: { number: string; extensionId?: number; name?: string };
  callee?: { number: string; extensionId?: number; name?: string };
  direction?: 'internal' | 'inbound' | 'outbound';
  /** ms after start the callee answers; absent: never. */
  answerAfter?: number;
  /** ms after start the call ends. */
  endAfter: number;
  disposition: Disposition;
  hangupBy: HangupBy;
  sipCode?: number;
  reason?: string;
  /** Records from the answer to the end into this file. */
  recordingPath?: string;
}

/** Publishes a two-leg call (caller's inbound leg, one outbound leg) the way call control will. */
export function publishCall(bus: CallEventBus, s: CallScript): void {
  const caller = s.caller ?? { number: '1001', extensionId: 1, name: 'Alice' };
  const callee = s.callee ?? { number: '1002', extensionId: 2, name: 'Bob' };
  const a = `${s.callId}-a`;
  const b = `${s.callId}-b`;
  bus.emit('call.started', { callId: s.callId, tenantId: s.tenantId, at: s.at, direction: s.direction ?? 'internal', caller, callee, sipCallId: `sip-${s.callId}` });
  bus.emit('leg.started', { callId: s.callId, legId: a, at: s.at, direction: 'inbound', party: caller, target: `sip:${caller.number}@192.0.2.1:5060` });
  bus.emit('leg.started', { callId: s.callId, legId: b, at: s.at + 20, direction: 'outbound', party: callee, target: `sip:${callee.number}@192.0.2.2:5060` });
  const end = s.at + s.endAfter;
  if (s.answerAfter !== undefined) {
    const ans = s.at + s.answerAfter;
    bus.emit('leg.answered', { callId: s.callId, legId: b, at: ans });
    bus.emit('leg.answered', { callId: s.callId, legId: a, at: ans });
    bus.emit('call.answered', { callId: s.callId, legId: b, at: ans });
    if (s.recordingPath) bus.emit('recording.started', { callId: s.callId, tenantId: s.tenantId, at: ans, path: s.recordingPath });
    if (s.recordingPath) bus.emit('recording.finished', { callId: s.callId, at: end, path: s.recordingPath, seconds: (end - ans) / 1000 });
  }
  const legEnd = { at: end, disposition: s.disposition, hangupBy: s.hangupBy, ...(s.sipCode !== undefined ? { sipCode: s.sipCode } : {}), ...(s.reason ? { reason: s.reason } : {}) };
  bus.emit('leg.ended', { callId: s.callId, legId: b, ...legEnd });
  bus.emit('leg.ended', { callId: s.callId, legId: a, ...legEnd });
  bus.emit('call.ended', { callId: s.callId, ...legEnd });
}
