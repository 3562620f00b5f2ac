// RFC 4028 decisions (session-timer.ts) and the header readers they rely on (sip-headers.ts).
import { describe, expect, it } from 'vitest';
import { decideSessionTimer, sessionTimerHeaders } from '../../src/calls/session-timer.ts';
import { hasOptionTag, parseSessionExpires, reasonCause } from '../../src/calls/sip-headers.ts';
import type { SipRequest } from '../../src/sip/message.ts';

const invite = (headers: Record<string, string>): SipRequest => ({ method: 'INVITE', uri: 'sip:1002@pbx', version: '2.0', headers: headers as unknown as SipRequest['headers'], content: '' });

describe('session timers', () => {
  it('no Session-Expires: no timer', () => {
    expect(decideSessionTimer(invite({}), 90)).toEqual({ kind: 'none' });
  });
  it('an interval under Min-SE is refused with our Min-SE (422)', () => {
    expect(decideSessionTimer(invite({ 'session-expires': '60' }), 90)).toEqual({ kind: 'too-small', minSe: 90 });
  });
  it('a caller that supports timers refreshes by default; Require: timer in our answer', () => {
    const d = decideSessionTimer(invite({ 'session-expires': '1800', supported: 'replaces, timer' }), 90);
    expect(d).toEqual({ kind: 'timer', seconds: 1800, refresher: 'uac', callerSupports: true });
    if (d.kind === 'timer') expect(sessionTimerHeaders(d)).toEqual({ 'Session-Expires': '1800;refresher=uac', Require: 'timer' });
  });
  it('the refresher the request names is kept', () => {
    expect(decideSessionTimer(invite({ 'session-expires': '900;refresher=uas', supported: 'timer' }), 90)).toMatchObject({ refresher: 'uas' });
  });
  it('a caller without timer support (a proxy added the header): we refresh, no Require', () => {
    const d = decideSessionTimer(invite({ 'session-expires': '900;refresher=uac' }), 90);
    expect(d).toMatchObject({ refresher: 'uas', callerSupports: false });
    if (d.kind === 'timer') expect(sessionTimerHeaders(d)).toEqual({ 'Session-Expires': '900;refresher=uas' });
  });
});

describe('header readers', () => {
  it('option tags, case-insensitive, in a comma list', () => {
    expect(hasOptionTag('100rel, Timer', 'timer')).toBe(true);
    expect(hasOptionTag('100relx', '100rel')).toBe(false);
    expect(hasOptionTag(undefined, 'timer')).toBe(false);
  });
  it('Session-Expires with and without refresher; garbage is ignored', () => {
    expect(parseSessionExpires('1800;refresher=UAC')).toEqual({ seconds: 1800, refresher: 'uac' });
    expect(parseSessionExpires('90')).toEqual({ seconds: 90 });
    expect(parseSessionExpires('soon')).toBeUndefined();
    expect(parseSessionExpires('-5')).toBeUndefined();
  });
  it('Reason cause and text (RFC 3326)', () => {
    expect(reasonCause('SIP;cause=200;text="Call completed elsewhere"')).toEqual({ cause: 200, text: 'Call completed elsewhere' });
    expect(reasonCause('Q.850;cause=16')).toBeUndefined();
  });
});
