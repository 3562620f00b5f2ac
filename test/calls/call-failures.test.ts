// Integration: calls that do not connect — unknown or unreachable extensions, busy callees
// (the concurrency limit and a phone's own 486), no answer, the caller giving up — and calls
// that are not allowed to start (no credentials, wrong password, not an extension).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { settleCalls, startTestPbx, waitForCalls, waitForRecord, type TestPbx } from '../support/test-pbx.ts';

describe('calls that do not connect', () => {
  let t: TestPbx;
  beforeAll(async () => {
    t = await startTestPbx({
      extensions: [
        { number: '3001' },
        { number: '3002' },
        { number: '3003', max_concurrent_calls: 1 },
        { number: '3004' },
        { number: '3005', ring_timeout_s: 5 },
        { number: '3006' },
        { number: '3007' },
        { number: '3008' },
        { number: '3009' }, // never registered
      ],
    });
  });
  afterEach(async () => {
    await settleCalls(t);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('answers 404 for a number that is no extension', async () => {
    const a = await t.phone('3001');
    const out = await a.call('3999');
    expect((await out.waitFinal()).status).toBe(404);
  });

  it('answers 480 for an extension with no registered phone', async () => {
    const a = await t.phone('3001');
    const out = await a.call('3009');
    expect((await out.waitFinal()).status).toBe(480);
  });

  it('answers 486 when the callee is at its maximum of concurrent calls', async () => {
    const a = await t.phone('3001');
    const b = await t.phone('3003');
    const c = await t.phone('3002');
    const first = await a.call('3003');
    const inc = await b.incomingCall();
    expect((await first.waitFinal()).status).toBe(200);
    const second = await c.call('3003');
    expect((await second.waitFinal()).status).toBe(486);
    expect(b.incoming).toHaveLength(1); // the phone never rang for the second call
    await first.bye();
    await inc.waitRequest('BYE');
  });

  it('passes the callee phone’s 486 on to the caller', async () => {
    const a = await t.phone('3001');
    const b = await t.phone('3004');
    b.answerMode = { kind: 'busy' };
    const out = await a.call('3004');
    expect((await out.waitFinal()).status).toBe(486);
    const inc = await b.incomingCall();
    await inc.waitRequest('ACK'); // the PBX ACKed the phone's 486
    await waitForCalls(t, 0);
  });

  it('gives up after the ring timeout: the callee gets CANCEL, the caller 480', async () => {
    const a = await t.phone('3001');
    const b = await t.phone('3005');
    b.answerMode = { kind: 'ring' };
    const out = await a.call('3005');
    const inc = await b.incomingCall();
    await out.waitStatus(180);
    const cancel = await inc.waitRequest('CANCEL', 7000);
    expect(cancel.header('reason')).toBeUndefined();
    expect((await out.waitFinal(2000)).status).toBe(480);
    const id = (await waitForAnyRecord(t, '3005')).id;
    expect(await waitForRecord(t, id)).toMatchObject({ disposition: 'no-answer', answeredAt: null, billableS: 0 });
  });

  it('passes the caller’s CANCEL on to the ringing callee; the caller gets 487', async () => {
    const a = await t.phone('3001');
    const b = await t.phone('3006');
    b.answerMode = { kind: 'ring' };
    const out = await a.call('3006');
    const inc = await b.incomingCall();
    await out.waitStatus(180);
    expect((await out.cancel()).status).toBe(200);
    expect((await out.waitFinal()).status).toBe(487);
    await inc.waitRequest('CANCEL');
    await inc.waitRequest('ACK'); // for the phone's 487
    const id = (await waitForAnyRecord(t, '3006')).id;
    expect(await waitForRecord(t, id)).toMatchObject({ disposition: 'cancelled', hangupBy: 'caller' });
  });

  it('answers 488 to an INVITE without an SDP offer', async () => {
    const a = await t.phone('3001');
    const b = await t.phone('3008');
    const out = await a.call('3008', { body: '' });
    const r = await out.waitFinal();
    expect(r.status).toBe(488);
    expect(r.header('warning')).toMatch(/SDP/);
    expect(b.incoming).toHaveLength(0);
  });

  it('answers 488 to an offer without a codec the PBX takes', async () => {
    const a = await t.phone('3001', { payloadTypes: [18], telephoneEvent: false });
    const b = await t.phone('3008');
    const out = await a.call('3008');
    const r = await out.waitFinal();
    expect(r.status).toBe(488);
    expect(r.header('warning')).toMatch(/codec/);
    expect(b.incoming).toHaveLength(0);
  });

  it('ends both sides when the callee answers with SDP the PBX cannot use', async () => {
    const a = await t.phone('3001');
    const b = await t.phone('3008', { payloadTypes: [18], telephoneEvent: false });
    const out = await a.call('3008');
    const inc = await b.incomingCall();
    expect((await out.waitFinal()).status).toBe(488);
    await inc.waitRequest('ACK');
    const bye = await inc.waitRequest('BYE');
    expect(bye.header('reason')).toMatch(/cause=488/);
    await waitForCalls(t, 0);
  });

  it('leaves no phone ringing when the caller cancels at once, whenever the CANCEL lands', async () => {
    const a = await t.phone('3001');
    const b = await t.phone('3006');
    b.answerMode = { kind: 'ring' };
    for (const delayMs of [0, 1, 3, 10, 30]) {
      const out = await a.call('3006');
      await new Promise((r) => setTimeout(r, delayMs));
      const cancelled = await out.cancel();
      expect([200, 481]).toContain(cancelled.status);
      expect((await out.waitFinal()).status).toBe(487);
      await waitForCalls(t, 0);
    }
    // every INVITE that reached the phone was CANCELled, and none was answered
    await Promise.all(b.incoming.map((c) => c.waitRequest('CANCEL')));
  });

  it('ends the callee’s side whichever wins when the caller’s CANCEL crosses the callee’s answer', async () => {
    const a = await t.phone('3001');
    const b = await t.phone('3006');
    b.answerMode = { kind: 'answer', afterMs: 10 };
    for (let i = 0; i < 8; i++) {
      const out = await a.call('3006');
      const inc = await b.incomingCall(i);
      await new Promise((r) => setTimeout(r, 4 + i * 2));
      await out.cancel();
      const final = await out.waitFinal();
      if (final.status === 200) await out.bye();
      else expect(final.status).toBe(487);
      // the callee is let go of: a CANCEL before it answered, a BYE after
      if (inc.finalStatus === 200) await inc.waitRequest('BYE');
      else await inc.waitRequest('CANCEL');
      await waitForCalls(t, 0);
    }
  });

  it('challenges an INVITE without credentials with 407', async () => {
    const a = await t.phone('3001');
    const b = await t.phone('3007');
    const out = await a.call('3007', { authenticate: false });
    const r = await out.waitFinal();
    expect(r.status).toBe(407);
    expect(r.header('proxy-authenticate')).toMatch(/^Digest .*nonce=/);
    expect(b.incoming).toHaveLength(0);
  });

  it('challenges again when the password is wrong, and the callee never rings', async () => {
    const a = await t.phone('3001');
    const b = await t.phone('3007');
    const out = await a.call('3007', { password: 'not-the-password' });
    const r = await out.waitFinal();
    expect(r.status).toBe(407);
    expect(out.responses().filter((m) => m.status === 407)).toHaveLength(2);
    expect(b.incoming).toHaveLength(0);
  });

  it('does not let a user that is no extension call', async () => {
    const a = await t.phone('3001');
    const b = await t.phone('3007');
    const out = await a.call('3007', { user: '9999', password: 'anything-at-all' });
    expect((await out.waitFinal()).status).toBe(407);
    expect(b.incoming).toHaveLength(0);
    expect(t.pbx.calls.size).toBe(0);
  });
});

/** The newest call record whose callee is `number`. */
async function waitForAnyRecord(t: TestPbx, number: string): Promise<{ id: string }> {
  const deadline = Date.now() + 3000;
  for (;;) {
    const found = t.pbx.services.cdrs.list({ extension: number }).items[0];
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`no call record for ${number}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
