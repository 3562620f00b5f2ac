// Integration: one extension calls another through the real PBX (in-process, on loopback),
// both phones scripted. Audio flows through the PBX's relay, either side can hang up, the
// call leaves one record and a recording, and the live view sees it and can end it.
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sdpMedia, sleep, type PhoneCall, type SipPhone } from '../support/sip-phone.ts';
import { settleCalls, startTestPbx, waitForCalls, waitForRecord, type TestPbx } from '../support/test-pbx.ts';


describe('a call between two extensions', () => {
  let t: TestPbx;
  beforeAll(async () => {
    t = await startTestPbx({ extensions: [{ number: '2001' }, { number: '2002' }, { number: '2003' }, { number: '2004' }, { number: '2005' }, { number: '2006' }] });
  });
  afterEach(async () => {
    await settleCalls(t);
  });
  afterAll(async () => {
    await t?.stop();
  });

  /** A calls B, B answers at once; resolves with both sides' calls once A has its 200. */
  async function connect(a: SipPhone, b: SipPhone, number: string): Promise<{ out: PhoneCall; inc: PhoneCall }> {
    const out = await a.call(number);
    const inc = await b.incomingCall();
    const ok = await out.waitFinal();
    expect(ok.status).toBe(200);
    return { out, inc };
  }

  it('relays RTP both ways through the PBX, and a BYE from the caller ends both sides', async () => {
    const a = await t.phone('2001');
    const b = await t.phone('2002');
    const { out, inc } = await connect(a, b, '2002');
    await inc.waitRequest('ACK');

    // each phone sees only the PBX's media address
    const towardA = out.remoteMedia;
    const towardB = inc.remoteMedia;
    expect(towardA.address).toBe('127.0.0.1');
    expect(towardB.address).toBe('127.0.0.1');
    expect(towardA.port).not.toBe(b.rtp.port);
    expect(towardB.port).not.toBe(a.rtp.port);
    expect(sdpMedia(inc.invite!.body).port).toBe(towardB.port);

    await Promise.all([a.rtp.send(towardA, 25), b.rtp.send(towardB, 25)]);
    await b.rtp.waitFor(20, (p) => p.from === `127.0.0.1:${towardB.port}` && p.payloadType === 8);
    await a.rtp.waitFor(20, (p) => p.from === `127.0.0.1:${towardA.port}` && p.payloadType === 8);
    expect(a.rtp.count((p) => p.from !== `127.0.0.1:${towardA.port}`)).toBe(0);
    expect(b.rtp.count((p) => p.from !== `127.0.0.1:${towardB.port}`)).toBe(0);

    const live = t.pbx.calls.list();
    expect(live).toHaveLength(1);
    const id = live[0]!.id;
    await sleep(1100); // a billable second

    expect((await out.bye()).status).toBe(200);
    await inc.waitRequest('BYE');
    await waitForCalls(t, 0);

    const record = await waitForRecord(t, id, (r) => r.recordings.some((x) => x.status === 'complete'));
    expect(record).toMatchObject({ disposition: 'answered', hangupBy: 'caller', callerNumber: '2001', calleeNumber: '2002', direction: 'internal' });
    expect(record.billableS).toBeGreaterThanOrEqual(1);
    expect(record.answeredAt).not.toBeNull();
    const wav = readFileSync(record.recordings[0]!.path);
    expect(wav.subarray(0, 4).toString('latin1')).toBe('RIFF');
    expect(wav.subarray(8, 12).toString('latin1')).toBe('WAVE');
    expect(wav.readUInt32LE(4)).toBe(wav.length - 8);
    expect(wav.length).toBeGreaterThan(44 + 8000); // the half second of audio is in it
  });

  it('keeps two calls’ audio apart', async () => {
    const a = await t.phone('2001');
    const b = await t.phone('2002');
    const c = await t.phone('2003');
    const d = await t.phone('2004');
    const first = await connect(a, b, '2002');
    const second = await connect(c, d, '2004');
    await Promise.all([a.rtp.send(first.out.remoteMedia, 10), c.rtp.send(second.out.remoteMedia, 20)]);
    await b.rtp.waitFor(10);
    await d.rtp.waitFor(20);
    await sleep(100);
    expect(b.rtp.count()).toBe(10);
    expect(d.rtp.count()).toBe(20);
    await first.out.bye();
    await second.inc.bye();
    await first.inc.waitRequest('BYE');
    await second.out.waitRequest('BYE');
  });

  it('ends both sides when the callee hangs up', async () => {
    const a = await t.phone('2003');
    const b = await t.phone('2004');
    const { out, inc } = await connect(a, b, '2004');
    await inc.waitRequest('ACK');
    const id = t.pbx.calls.list()[0]!.id;
    expect((await inc.bye()).status).toBe(200);
    await out.waitRequest('BYE');
    await waitForCalls(t, 0);
    const record = await waitForRecord(t, id);
    expect(record).toMatchObject({ disposition: 'answered', hangupBy: 'callee', callerNumber: '2003', calleeNumber: '2004' });
  });

  it('shows the call in the live view, and hanging it up there sends BYE to both phones', async () => {
    const a = await t.phone('2005');
    const b = await t.phone('2006');
    const { out, inc } = await connect(a, b, '2006');
    await inc.waitRequest('ACK');
    const live = t.pbx.calls.list();
    expect(live).toHaveLength(1);
    expect(live[0]).toMatchObject({ state: 'answered', caller: { number: '2005' }, callee: { number: '2006' }, legs: 2 });
    expect(t.pbx.calls.hangup(live[0]!.id)).toBe(true);
    await out.waitRequest('BYE');
    await inc.waitRequest('BYE');
    await waitForCalls(t, 0);
    const record = await waitForRecord(t, live[0]!.id);
    expect(record).toMatchObject({ disposition: 'answered', hangupBy: 'system' });
    expect(t.pbx.calls.hangup(live[0]!.id)).toBe(false);
  });

  it('ends a ringing call from the live view: CANCEL to the callee, a final answer to the caller', async () => {
    const a = await t.phone('2005');
    const b = await t.phone('2006');
    b.answerMode = { kind: 'ring' };
    const out = await a.call('2006');
    const inc = await b.incomingCall();
    await out.waitStatus(180);
    const live = t.pbx.calls.list();
    expect(live).toHaveLength(1);
    expect(live[0]).toMatchObject({ state: 'ringing', legs: 2 });
    expect(t.pbx.calls.hangup(live[0]!.id)).toBe(true);
    await inc.waitRequest('CANCEL');
    expect((await out.waitFinal()).status).toBe(480);
    await waitForCalls(t, 0);
  });
});
