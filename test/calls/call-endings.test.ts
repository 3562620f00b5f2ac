// Integration: calls the PBX ends on its own — a caller that never ACKs our 200, a call with
// no RTP, and calls in progress when the server shuts down.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { settleCalls, startTestPbx, waitForCalls, waitForRecord, type TestPbx } from '../support/test-pbx.ts';

describe('a caller that never ACKs', () => {
  let t: TestPbx;
  beforeAll(async () => {
    // 64*T1 = 1.6 s; no RTP timeout to get in the way
    t = await startTestPbx({ extensions: [{ number: '7001' }, { number: '7002' }], timers: { t1: 25, t2: 200 }, rtpTimeoutS: 0 });
  });
  afterEach(async () => {
    await settleCalls(t);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('gets the 200 again until the PBX gives up and hangs up the callee', async () => {
    const a = await t.phone('7001');
    const b = await t.phone('7002');
    const out = await a.call('7002', { autoAck: false });
    const inc = await b.incomingCall();
    await out.waitStatus(200);
    const id = t.pbx.calls.list()[0]!.id;
    await out.waitResponse((m) => m.status === 200 && out.responses().filter((r) => r.status === 200).length >= 2, 3000, 'a retransmitted 200');
    await inc.waitRequest('BYE', 4000);
    await waitForCalls(t, 0);
    expect(await waitForRecord(t, id)).toMatchObject({ disposition: 'failed', hangupBy: 'system' });
  });

  it('a hang-up before the ACK waits for it: no BYE to the caller until it ACKs (RFC 3261 §15)', async () => {
    const a = await t.phone('7001');
    const b = await t.phone('7002');
    const out = await a.call('7002', { autoAck: false });
    const inc = await b.incomingCall();
    const ok = await out.waitStatus(200);
    const id = t.pbx.calls.list()[0]!.id;
    expect(t.pbx.calls.hangup(id)).toBe(true);
    await inc.waitRequest('BYE'); // the callee had ACKed: it is hung up at once
    await new Promise((r) => setTimeout(r, 300));
    expect(out.requests('BYE')).toHaveLength(0); // the 200 is still unacknowledged
    out.ack(ok);
    await out.waitRequest('BYE', 2000);
    await waitForCalls(t, 0);
  });
});

describe('a call without RTP', () => {
  let t: TestPbx;
  beforeAll(async () => {
    t = await startTestPbx({ extensions: [{ number: '7101' }, { number: '7102' }], rtpTimeoutS: 1 });
  });
  afterEach(async () => {
    await settleCalls(t);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('is ended by the PBX with a BYE to both phones', async () => {
    const a = await t.phone('7101');
    const b = await t.phone('7102');
    const out = await a.call('7102');
    const inc = await b.incomingCall();
    expect((await out.waitFinal()).status).toBe(200);
    const id = t.pbx.calls.list()[0]!.id;
    await out.waitRequest('BYE', 4000);
    await inc.waitRequest('BYE', 1000);
    await waitForCalls(t, 0);
    expect(await waitForRecord(t, id)).toMatchObject({ disposition: 'answered', hangupBy: 'system', reason: 'RTP timeout' });
  });
});

describe('a shutdown with calls in progress', () => {
  let t: TestPbx;
  beforeAll(async () => {
    t = await startTestPbx({ extensions: [{ number: '7201' }, { number: '7202' }, { number: '7203' }, { number: '7204' }] });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('sends BYE to an answered call’s phones and CANCEL to a ringing one; the caller of that gets a final answer', async () => {
    const a = await t.phone('7201');
    const b = await t.phone('7202');
    const c = await t.phone('7203');
    const d = await t.phone('7204');
    d.answerMode = { kind: 'ring' };
    const up = await a.call('7202');
    const upIn = await b.incomingCall();
    expect((await up.waitFinal()).status).toBe(200);
    const ringing = await c.call('7204');
    const ringingIn = await d.incomingCall();
    await ringing.waitStatus(180);

    await t.pbx.calls.stop();
    await up.waitRequest('BYE');
    await upIn.waitRequest('BYE');
    await ringingIn.waitRequest('CANCEL');
    expect((await ringing.waitFinal()).status).toBeGreaterThanOrEqual(400);
    expect(t.pbx.calls.size).toBe(0);
    // and no new calls meanwhile
    const refused = await a.call('7202');
    expect((await refused.waitFinal()).status).toBe(503);
  });
});
