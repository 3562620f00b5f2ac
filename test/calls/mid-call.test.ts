// Integration: what happens between the INVITE and the BYE, through the real PBX on loopback —
// early media, hold and resume by re-INVITE, UPDATE, DTMF by SIP INFO, reliable provisional
// responses (RFC 3262) on either side, and session timers (RFC 4028).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hasTag, sdpMedia, sleep, type PhoneCall, type SipPhone } from '../support/sip-phone.ts';
import { settleCalls, startTestPbx, type TestPbx } from '../support/test-pbx.ts';

describe('during a call', () => {
  let t: TestPbx;
  beforeAll(async () => {
    t = await startTestPbx({ extensions: [{ number: '5001' }, { number: '5002' }, { number: '5003' }] });
  });
  afterEach(async () => {
    await settleCalls(t);
  });
  afterAll(async () => {
    await t?.stop();
  });

  async function connected(opts: { calleeTelephoneEvent?: boolean } = {}): Promise<{ a: SipPhone; b: SipPhone; out: PhoneCall; inc: PhoneCall }> {
    const a = await t.phone('5001');
    const b = await t.phone('5002', opts.calleeTelephoneEvent === false ? { telephoneEvent: false } : {});
    const out = await a.call('5002');
    const inc = await b.incomingCall();
    expect((await out.waitFinal()).status).toBe(200);
    await inc.waitRequest('ACK');
    return { a, b, out, inc };
  }

  async function hangUp(out: PhoneCall, inc: PhoneCall): Promise<void> {
    expect((await out.bye()).status).toBe(200);
    await inc.waitRequest('BYE');
  }

  it('passes the callee’s 183 with SDP on as early media from the PBX’s address', async () => {
    const a = await t.phone('5001');
    const b = await t.phone('5002');
    b.answerMode = { kind: 'ring', early: true };
    const out = await a.call('5002');
    const inc = await b.incomingCall();
    const progress = await out.waitStatus(183);
    const media = sdpMedia(progress.body);
    expect(media.address).toBe('127.0.0.1');
    expect(media.port).not.toBe(b.rtp.port);
    // the callee's announcement reaches the caller through the relay before the answer
    await b.rtp.send(inc.remoteMedia, 10);
    await a.rtp.waitFor(5, (p) => p.from === `127.0.0.1:${media.port}`);
    inc.answer();
    const ok = await out.waitFinal();
    expect(ok.status).toBe(200);
    expect(sdpMedia(ok.body).port).toBe(media.port);
    await inc.waitRequest('ACK');
    await hangUp(out, inc);
  });

  it('mirrors hold and resume: sendonly to the other phone, its recvonly back', async () => {
    const { out, inc } = await connected();
    const hold = await out.reinvite('sendonly');
    const offer = await inc.waitRequest('INVITE', 3000, (m) => m.toTag !== undefined);
    expect(sdpMedia(offer.body)).toMatchObject({ direction: 'sendonly', address: '127.0.0.1' });
    expect(sdpMedia(offer.body).port).toBe(sdpMedia(inc.invite!.body).port);
    expect(hold.status).toBe(200);
    expect(sdpMedia(hold.body).direction).toBe('recvonly');
    expect(sdpMedia(hold.body).address).toBe('127.0.0.1');
    await inc.waitRequest('ACK', 3000, (m) => m.cseq.seq === offer.cseq.seq);
    expect(t.pbx.calls.list()[0]!.state).toBe('held');

    const resume = await out.reinvite('sendrecv');
    expect(resume.status).toBe(200);
    expect(sdpMedia(resume.body).direction).toBe('sendrecv');
    const offers = inc.requests('INVITE').filter((m) => m.toTag !== undefined);
    expect(offers).toHaveLength(2);
    expect(sdpMedia(offers[1]!.body).direction).toBe('sendrecv');
    expect(t.pbx.calls.list()[0]!.state).toBe('answered');
    await hangUp(out, inc);
  });

  it('mirrors a hold from the callee’s side too', async () => {
    const { out, inc } = await connected();
    const hold = await inc.reinvite('sendonly');
    expect(hold.status).toBe(200);
    expect(sdpMedia(hold.body).direction).toBe('recvonly');
    const offer = await out.waitRequest('INVITE');
    expect(sdpMedia(offer.body).direction).toBe('sendonly');
    await hangUp(out, inc);
  });

  it('mirrors an UPDATE with SDP as an UPDATE', async () => {
    const { out, inc } = await connected();
    const r = await out.update(out.phone.sdp('sendonly', 5));
    expect(r.status).toBe(200);
    expect(sdpMedia(r.body).direction).toBe('recvonly');
    const update = await inc.waitRequest('UPDATE');
    expect(sdpMedia(update.body)).toMatchObject({ direction: 'sendonly', address: '127.0.0.1' });
    await hangUp(out, inc);
  });

  it('answers 491 to a re-INVITE while another is being passed on, then completes the first', async () => {
    const { out, inc } = await connected();
    inc.reinviteDelayMs = 400;
    const first = out.reinvite('sendonly');
    await inc.waitRequest('INVITE', 3000, (m) => m.toTag !== undefined);
    // the callee's own re-INVITE crosses ours: glare
    const crossing = await inc.reinvite('sendonly');
    expect(crossing.status).toBe(491);
    expect((await first).status).toBe(200);
    await hangUp(out, inc);
  });

  it('answers an UPDATE without SDP with 200', async () => {
    const { out, inc } = await connected();
    const r = await out.update();
    expect(r.status).toBe(200);
    await hangUp(out, inc);
  });

  it('turns SIP INFO DTMF into RFC 4733 packets toward a callee that has telephone-event', async () => {
    const { b, out, inc } = await connected();
    const r = await out.info('application/dtmf-relay', 'Signal=5\r\nDuration=160\r\n');
    expect(r.status).toBe(200);
    const from = `${inc.remoteMedia.address}:${inc.remoteMedia.port}`;
    // event 5, and at last an end packet (E bit)
    await b.rtp.waitFor(1, (p) => p.payloadType === 101 && p.from === from && (p.payload[1]! & 0x80) !== 0);
    const events = b.rtp.received.filter((p) => p.payloadType === 101);
    expect(events.length).toBeGreaterThan(1);
    expect(events.every((p) => p.payload[0] === 5)).toBe(true);
    expect(inc.requests('INFO')).toHaveLength(0);
    await hangUp(out, inc);
  });

  it('passes SIP INFO DTMF on to a callee without telephone-event', async () => {
    const { b, out, inc } = await connected({ calleeTelephoneEvent: false });
    expect(sdpMedia(inc.localSdp).payloadTypes).not.toContain(101);
    const r = await out.info('application/dtmf-relay', 'Signal=7\r\nDuration=160\r\n');
    expect(r.status).toBe(200);
    const info = await inc.waitRequest('INFO');
    expect(info.header('content-type')).toBe('application/dtmf-relay');
    expect(info.body).toContain('Signal=7');
    expect(b.rtp.count((p) => p.payloadType === 101)).toBe(0);
    await hangUp(out, inc);
  });

  it('turns the callee’s SIP INFO DTMF into RFC 4733 packets toward the caller', async () => {
    const { a, out, inc } = await connected();
    expect((await inc.info('application/dtmf-relay', 'Signal=#\r\nDuration=100\r\n')).status).toBe(200);
    const from = `${out.remoteMedia.address}:${out.remoteMedia.port}`;
    await a.rtp.waitFor(1, (p) => p.payloadType === 101 && p.from === from && (p.payload[1]! & 0x80) !== 0);
    expect(a.rtp.received.filter((p) => p.payloadType === 101).every((p) => p.payload[0] === 11)).toBe(true);
    await hangUp(out, inc);
  });

  it('sends a caller that requires 100rel a reliable 180 and retransmits it until the PRACK', async () => {
    const a = await t.phone('5001');
    const b = await t.phone('5002');
    b.answerMode = { kind: 'ring' };
    const out = await a.call('5002', { require100rel: true, autoPrack: false });
    const inc = await b.incomingCall();
    const ringing = await out.waitStatus(180);
    expect(hasTag(ringing.header('require'), '100rel')).toBe(true);
    const rseq = ringing.header('rseq');
    expect(rseq).toMatch(/^\d+$/);
    // no PRACK yet: the PBX sends the same 180 again
    await out.waitResponse((m) => m.status === 180 && m !== ringing, 3000, 'a retransmitted 180');
    expect(out.responses().filter((m) => m.status === 180).every((m) => m.header('rseq') === rseq)).toBe(true);
    const prack = await out.prack(ringing);
    expect(prack.status).toBe(200);
    inc.answer();
    expect((await out.waitFinal()).status).toBe(200);
    await hangUp(out, inc);
  });

  it('does not answer a 100rel caller before it PRACKed the 183 that carried SDP', async () => {
    const a = await t.phone('5001');
    const b = await t.phone('5002');
    b.answerMode = { kind: 'ring', early: true };
    const out = await a.call('5002', { require100rel: true, autoPrack: false });
    const inc = await b.incomingCall();
    const early = await out.waitStatus(183);
    expect(hasTag(early.header('require'), '100rel')).toBe(true);
    expect(early.body).toContain('m=audio');
    inc.answer();
    await inc.waitRequest('ACK'); // the PBX has the answer
    await sleep(300);
    expect(out.responses().filter((m) => m.status === 200)).toHaveLength(0);
    expect((await out.prack(early)).status).toBe(200);
    expect((await out.waitFinal()).status).toBe(200);
    await hangUp(out, inc);
  });

  it('hangs up the callee that answered when the caller cancels before its PRACK let the answer through', async () => {
    const a = await t.phone('5001');
    const b = await t.phone('5002');
    b.answerMode = { kind: 'ring', early: true };
    const out = await a.call('5002', { require100rel: true, autoPrack: false });
    const inc = await b.incomingCall();
    await out.waitStatus(183);
    inc.answer();
    await inc.waitRequest('ACK');
    expect((await out.cancel()).status).toBe(200);
    expect((await out.waitFinal()).status).toBe(487);
    await inc.waitRequest('BYE');
  });

  it('PRACKs a callee’s reliable 180', async () => {
    const a = await t.phone('5001');
    const b = await t.phone('5002');
    b.answerMode = { kind: 'ring', reliable: true };
    const out = await a.call('5002');
    const inc = await b.incomingCall();
    expect(hasTag(inc.invite!.header('supported'), '100rel')).toBe(true);
    const prack = await inc.waitRequest('PRACK');
    expect(prack.header('rack')).toBe(`1 ${inc.invite!.cseq.seq} INVITE`);
    expect(prack.toTag).toBe(inc.localTag);
    await out.waitStatus(180);
    inc.answer();
    expect((await out.waitFinal()).status).toBe(200);
    await inc.waitRequest('ACK');
    await hangUp(out, inc);
  });

  it('refuses a session interval below Min-SE with 422', async () => {
    const a = await t.phone('5001');
    await t.phone('5002');
    const out = await a.call('5002', { sessionExpires: '60' });
    const r = await out.waitFinal();
    expect(r.status).toBe(422);
    expect(r.header('min-se')).toBe('90');
  });

  it('refreshes the session itself for a caller that asks for a timer without supporting it', async () => {
    const a = await t.phone('5001');
    const b = await t.phone('5002');
    const out = await a.call('5002', { sessionExpires: '1800', supported: '100rel' });
    const inc = await b.incomingCall();
    const ok = await out.waitFinal();
    expect(ok.status).toBe(200);
    expect(ok.header('session-expires')).toBe('1800;refresher=uas');
    expect(hasTag(ok.header('require'), 'timer')).toBe(false);
    await inc.waitRequest('ACK');
    await hangUp(out, inc);
  });

  it('agrees to a session timer the caller refreshes', async () => {
    const a = await t.phone('5001');
    const b = await t.phone('5002');
    const out = await a.call('5002', { sessionExpires: '1800;refresher=uac', supported: 'timer, 100rel' });
    const inc = await b.incomingCall();
    const ok = await out.waitFinal();
    expect(ok.status).toBe(200);
    expect(ok.header('session-expires')).toBe('1800;refresher=uac');
    expect(hasTag(ok.header('require'), 'timer')).toBe(true);
    // a refresh (UPDATE without SDP) is answered with the timer again
    const refresh = await out.update();
    expect(refresh.status).toBe(200);
    expect(refresh.header('session-expires')).toBe('1800;refresher=uac');
    await inc.waitRequest('ACK');
    await hangUp(out, inc);
  });
});
