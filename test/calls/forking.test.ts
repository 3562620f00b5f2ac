// Integration: an extension with three registered phones, rung all at once or one after the
// other (R-SW-5), through the real PBX on loopback.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { settleCalls, startTestPbx, waitForCalls, waitForRecord, type TestPbx } from '../support/test-pbx.ts';

describe('ringing an extension’s terminals', () => {
  let t: TestPbx;
  beforeAll(async () => {
    t = await startTestPbx({
      extensions: [
        { number: '4001' },
        { number: '4002', max_terminals: 3, ring_strategy: 'simultaneous', ring_timeout_s: 20 },
        { number: '4003', max_terminals: 3, ring_strategy: 'sequential', ring_timeout_s: 5 },
        { number: '4004', max_terminals: 3, ring_strategy: 'simultaneous', ring_timeout_s: 20 },
      ],
    });
  });
  afterEach(async () => {
    await settleCalls(t);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('rings all three at once; when the second answers the others get CANCEL "completed elsewhere"', async () => {
    const a = await t.phone('4001');
    const terminals = [await t.phone('4002'), await t.phone('4002'), await t.phone('4002')];
    for (const p of terminals) p.answerMode = { kind: 'ring' };
    const out = await a.call('4002');
    const rung = await Promise.all(terminals.map((p) => p.incomingCall()));
    await out.waitStatus(180);
    rung[1]!.answer();
    expect((await out.waitFinal()).status).toBe(200);
    for (const i of [0, 2]) {
      const cancel = await rung[i]!.waitRequest('CANCEL');
      expect(cancel.header('reason')).toBe('SIP;cause=200;text="Call completed elsewhere"');
    }
    await rung[1]!.waitRequest('ACK');
    expect(rung[1]!.requests('CANCEL')).toHaveLength(0);
    const id = t.pbx.calls.list()[0]!.id;
    expect((await out.bye()).status).toBe(200);
    await rung[1]!.waitRequest('BYE');
    await waitForCalls(t, 0);
    const record = await waitForRecord(t, id);
    expect(record.disposition).toBe('answered');
    // the caller's leg and three to the terminals
    expect(record.legs).toHaveLength(4);
    expect(record.legs.filter((l) => l.disposition === 'cancelled')).toHaveLength(2);
  });

  it('keeps one of two terminals that answer at the same time and hangs up the other', async () => {
    const a = await t.phone('4001');
    const terminals = [await t.phone('4004'), await t.phone('4004')];
    for (const p of terminals) p.answerMode = { kind: 'ring' };
    const out = await a.call('4004');
    const rung = await Promise.all(terminals.map((p) => p.incomingCall()));
    await out.waitStatus(180);
    for (const c of rung) c.answer();
    expect((await out.waitFinal()).status).toBe(200);
    await Promise.all(rung.map((c) => c.waitRequest('ACK')));
    // one of them gets a BYE at once, "completed elsewhere"
    const loser = await Promise.any(rung.map((c) => c.waitRequest('BYE').then(() => c)));
    expect(loser.requests('BYE')[0]!.header('reason')).toBe('SIP;cause=200;text="Call completed elsewhere"');
    const winner = rung.find((c) => c !== loser)!;
    // the caller is connected to the other one
    await a.rtp.send(out.remoteMedia, 5);
    await winner.phone.rtp.waitFor(3);
    expect(loser.phone.rtp.count()).toBe(0);
    expect((await out.bye()).status).toBe(200);
    await winner.waitRequest('BYE');
  });

  it('answers busy when every terminal is busy', async () => {
    const a = await t.phone('4001');
    const terminals = [await t.phone('4004'), await t.phone('4004')];
    for (const p of terminals) p.answerMode = { kind: 'busy' };
    const out = await a.call('4004');
    expect((await out.waitFinal()).status).toBe(486);
    for (const p of terminals) await (await p.incomingCall()).waitRequest('ACK');
  });

  it('rings them in order: the first for its timeout, then the second, which answers', async () => {
    const a = await t.phone('4001');
    const terminals = [await t.phone('4003'), await t.phone('4003'), await t.phone('4003')];
    terminals[0]!.answerMode = { kind: 'ring' };
    terminals[1]!.answerMode = { kind: 'answer', afterMs: 100 };
    const out = await a.call('4003');
    const first = await terminals[0]!.incomingCall();
    await out.waitStatus(180);
    expect(terminals[1]!.incoming).toHaveLength(0);
    const cancel = await first.waitRequest('CANCEL', 7000);
    expect(cancel).toBeDefined();
    const second = await terminals[1]!.incomingCall();
    expect((await out.waitFinal()).status).toBe(200);
    await second.waitRequest('ACK');
    expect(terminals[2]!.incoming).toHaveLength(0);
    expect((await out.bye()).status).toBe(200);
    await second.waitRequest('BYE');
  });
});
