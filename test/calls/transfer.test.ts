// Integration: transfer by REFER through the real PBX with scripted phones. Blind: B REFERs A
// to C; C rings and answers; A is re-INVITEd toward C, B is told (NOTIFY sipfrag 100 then 200)
// and hung up, A and C hear each other. Attended: B holds A, calls C, then REFERs A with
// Replaces naming its call with C: A and C end up together, B is out of both calls.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { PhoneCall, SipPhone } from '../support/sip-phone.ts';
import { settleCalls, startTestPbx, waitForCalls, type TestPbx } from '../support/test-pbx.ts';

describe('call transfer (REFER)', () => {
  let t: TestPbx;
  beforeAll(async () => {
    t = await startTestPbx({ extensions: [{ number: '3001' }, { number: '3002' }, { number: '3003' }, { number: '3004' }] });
  });
  afterEach(async () => {
    await t.closePhones();
    await settleCalls(t);
  });
  afterAll(async () => {
    await t?.stop();
  });

  async function connect(a: SipPhone, b: SipPhone, number: string): Promise<{ out: PhoneCall; inc: PhoneCall }> {
    const out = await a.call(number);
    const inc = await b.incomingCall();
    expect((await out.waitFinal()).status).toBe(200);
    await inc.waitRequest('ACK');
    return { out, inc };
  }

  /** The sipfrag status lines B got in NOTIFYs for its REFER, in order. */
  function sipfrags(call: PhoneCall): string[] {
    return call.requests('NOTIFY').map((n) => n.body.trim());
  }

  it('blind: C takes B’s place opposite A; B gets 202, NOTIFY 100 then 200, and BYE', async () => {
    const a = await t.phone('3001');
    const b = await t.phone('3002');
    const c = await t.phone('3003');
    const { out: aCall, inc: bCall } = await connect(a, b, '3002');

    const refer = await bCall.request('REFER', { headers: [`Refer-To: <sip:3003@127.0.0.1:${t.sipPort}>`, `Referred-By: <sip:3002@127.0.0.1>`] });
    expect(refer.status).toBe(202);
    const cCall = await c.incomingCall();
    expect(cCall.invite!.header('From')).toContain('sip:3001@'); // C sees who is being transferred to it
    await cCall.waitRequest('ACK');

    // A is re-INVITEd toward C (sendrecv) and B hears how it went, then is hung up
    const reinvite = await aCall.waitRequest('INVITE');
    expect(reinvite.body).toMatch(/a=sendrecv/);
    await bCall.waitRequest('NOTIFY', undefined, (n) => n.body.includes('200'));
    expect(sipfrags(bCall)[0]).toBe('SIP/2.0 100 Trying');
    expect(sipfrags(bCall).at(-1)).toBe('SIP/2.0 200 OK');
    const last = bCall.requests('NOTIFY').at(-1)!;
    expect(last.header('Subscription-State')).toMatch(/^terminated/);
    expect(last.header('Content-Type')).toMatch(/^message\/sipfrag/);
    await bCall.waitRequest('BYE');

    // A and C hear each other through the PBX
    await Promise.all([a.rtp.send(aCall.remoteMedia, 20), c.rtp.send(cCall.remoteMedia, 20)]);
    await c.rtp.waitFor(15);
    await a.rtp.waitFor(15);
    const live = t.pbx.calls.list();
    expect(live).toHaveLength(1);
    expect(live[0]!.callee.number).toBe('3003');

    expect((await aCall.bye()).status).toBe(200);
    await cCall.waitRequest('BYE');
    await waitForCalls(t, 0);
  });

  it('blind to an unknown number: NOTIFY carries 404 and A and B stay connected', async () => {
    const a = await t.phone('3001');
    const b = await t.phone('3002');
    const { out: aCall, inc: bCall } = await connect(a, b, '3002');
    expect((await bCall.request('REFER', { headers: [`Refer-To: <sip:3999@127.0.0.1>`] })).status).toBe(202);
    await bCall.waitRequest('NOTIFY', undefined, (n) => n.body.includes('404'));
    expect(t.pbx.calls.list()).toHaveLength(1);
    await Promise.all([a.rtp.send(aCall.remoteMedia, 10), b.rtp.send(bCall.remoteMedia, 10)]);
    await b.rtp.waitFor(8);
    await a.rtp.waitFor(8);
    expect((await bCall.bye()).status).toBe(200);
    await aCall.waitRequest('BYE');
  });

  it('attended: B consults C, then REFERs A with Replaces; A and C are connected, B is out', async () => {
    const a = await t.phone('3001');
    const b = await t.phone('3002');
    const c = await t.phone('3004');
    const first = await connect(a, b, '3002'); // A → B
    const second = await connect(b, c, '3004'); // B → C (consultation)
    expect(t.pbx.calls.list()).toHaveLength(2);

    // B's dialog with the PBX in the second call, as RFC 3891 names it from B's side
    const d = second.out;
    const replaces = encodeURIComponent(`${d.callId};to-tag=${d.remoteTag};from-tag=${d.localTag}`);
    const refer = await first.inc.request('REFER', { headers: [`Refer-To: <sip:3004@127.0.0.1?Replaces=${replaces}>`] });
    expect(refer.status).toBe(202);

    // C (already in a call with the PBX) is re-INVITEd into A's call; B is hung up on both calls
    await second.inc.waitRequest('INVITE', undefined, (m) => m.body.includes('a=sendrecv'));
    await first.inc.waitRequest('NOTIFY', undefined, (n) => n.body.includes('200 OK'));
    await first.inc.waitRequest('BYE');
    await second.out.waitRequest('BYE');
    await waitForCalls(t, 1);

    await Promise.all([a.rtp.send(first.out.remoteMedia, 20), c.rtp.send(second.inc.remoteMedia, 20)]);
    await c.rtp.waitFor(15);
    await a.rtp.waitFor(15);
    expect((await second.inc.bye()).status).toBe(200);
    await first.out.waitRequest('BYE');
    await waitForCalls(t, 0);
  });

  it('a REFER before the call is answered is refused', async () => {
    const a = await t.phone('3001');
    const b = await t.phone('3002');
    b.answerMode = { kind: 'ring' };
    const out = await a.call('3002');
    await b.incomingCall();
    await out.waitStatus(180);
    // no dialog exists yet for the caller's REFER: the PBX does not know it
    const r = await out.request('REFER', { headers: [`Refer-To: <sip:3003@127.0.0.1>`] }).catch(() => undefined);
    expect(r === undefined || r.status >= 400).toBe(true);
    await out.cancel();
  });
});
