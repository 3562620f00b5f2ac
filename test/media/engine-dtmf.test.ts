// DTMF through the media facade: collectDigits (RFC 4733 and in-band) and sendDtmf, over loopback.
import { beforeAll, describe, expect, it } from 'vitest';
import { MediaEngine, MediaCommandError, type DtmfEvent } from '../../src/media/engine.ts';
import { DtmfReceiver, type DtmfDigitEvent } from '../../src/media/dtmf-receiver.ts';
import { buildDtmfEvent } from '../../src/media/dtmf-sender.ts';
import { DtmfToneGenerator } from '../../src/media/dtmf-tone-generator.ts';
import { encodeAlaw } from '../../src/media/g711.ts';
import { readRtpHeader } from '../../src/media/rtp-packet.ts';
import { Phone, sleep, useTestEngine } from './relay-fixtures.ts';

const CODECS = [
  { pt: 8, name: 'PCMA' },
  { pt: 101, name: 'telephone-event' },
];

describe.each([
  { mode: 'in-thread', inThread: true },
  { mode: 'worker threads', inThread: false },
])('engine DTMF ($mode)', ({ inThread }) => {
  let engine: MediaEngine;
  const events: DtmfEvent[] = [];
  const suite = useTestEngine(inThread);
  const open = suite.open;
  const session = async (a: Phone, b: Phone) =>
    engine.createSession({ a: { remote: { address: '127.0.0.1', port: a.port }, codecs: CODECS }, b: { remote: { address: '127.0.0.1', port: b.port }, codecs: CODECS } });

  beforeAll(async () => {
    engine = suite.engine;
    engine.on('dtmf', (e) => events.push(e));
  });

  it('RFC 4733 digits from a phone arrive as one dtmf event each, and are still relayed', async () => {
    const [a, b] = [await open(), await open()];
    const s = await session(a, b);
    await engine.collectDigits(s.sessionId, 'a');
    let seq = 100;
    let ts = 16000;
    let relayed = 0;
    b.socket.on('message', () => relayed++);
    let sent = 0;
    for (const digit of ['1', '#', '9']) {
      const plan = buildDtmfEvent(digit, { payloadType: 101, ssrc: a.ssrc, sequence: seq, timestamp: ts, durationMs: 80 });
      const t0 = performance.now();
      for (const p of plan.packets) {
        await sleep(Math.max(0, t0 + p.at - performance.now()));
        a.raw(s.a.port, p.data);
        sent++;
      }
      expect(plan.packets.filter((p) => p.end).length).toBe(3);
      seq = plan.nextSequence;
      ts = (plan.nextTimestamp + 1600) >>> 0;
      await sleep(60);
    }
    await sleep(100);
    const mine = events.filter((e) => e.sessionId === s.sessionId);
    expect(mine.map((e) => e.digit)).toEqual(['1', '#', '9']);
    expect(mine.every((e) => e.leg === 'a' && e.source === 'rfc4733' && e.durationMs === 80)).toBe(true);
    expect(relayed).toBe(sent);
    await engine.stopDigits(s.sessionId, 'a');
    await engine.destroy(s.sessionId);
  });

  it('in-band: G.711 tone audio from a phone gives dtmf events', async () => {
    const [a, b] = [await open(), await open()];
    const s = await session(a, b);
    await engine.collectDigits(s.sessionId, 'b', { inband: true });
    const pcm = new Int16Array(160);
    const payload = new Uint8Array(160);
    const t0 = performance.now();
    let n = 0;
    const send = async (samples: Int16Array): Promise<void> => {
      encodeAlaw(samples, payload);
      b.rtp(s.b.port, 8, payload);
      n++;
      await sleep(Math.max(0, t0 + n * 20 - performance.now()));
    };
    for (const digit of ['4', '7']) {
      const gen = new DtmfToneGenerator(digit);
      for (let i = 0; i < 5; i++) {
        gen.fill(pcm);
        await send(pcm);
      }
      for (let i = 0; i < 5; i++) await send(new Int16Array(160));
    }
    await sleep(100);
    const mine = events.filter((e) => e.sessionId === s.sessionId);
    expect(mine.map((e) => e.digit)).toEqual(['4', '7']);
    expect(mine.every((e) => e.leg === 'b' && e.source === 'inband' && e.durationMs > 60 && e.durationMs < 140)).toBe(true);
    await engine.destroy(s.sessionId);
  });

  it('sendDtmf sends a valid telephone-event sequence to the phone, continuing the leg stream', async () => {
    const [a, b] = [await open(), await open()];
    const s = await session(a, b);
    const got: Buffer[] = [];
    a.socket.on('message', (m) => got.push(m));
    const digits: DtmfDigitEvent[] = [];
    const rx = new DtmfReceiver({ payloadType: 101, onDigit: (e) => digits.push(e) });
    const r = await engine.sendDtmf(s.sessionId, 'a', '7', { durationMs: 120 });
    expect(r.durationMs).toBe(120);
    await engine.sendDtmf(s.sessionId, 'a', '*');
    await sleep(50);
    for (const m of got) rx.pushPacket(m);
    expect(digits.map((d) => [d.digit, d.durationMs, d.ended])).toEqual([
      ['7', 120, true],
      ['*', 100, true],
    ]);
    const hs = got.map((m) => readRtpHeader(m)!);
    expect(hs.every((h) => h.payloadType === 101 && h.ssrc === hs[0]!.ssrc)).toBe(true);
    for (let i = 1; i < hs.length; i++) expect(hs[i]!.sequence).toBe((hs[i - 1]!.sequence + 1) & 0xffff);
    expect(hs.filter((h) => h.marker).length).toBe(2);
    expect(hs[hs.length - 1]!.timestamp).not.toBe(hs[0]!.timestamp);

    await expect(engine.sendDtmf(s.sessionId, 'a', 'x')).rejects.toThrow(MediaCommandError);
    await engine.destroy(s.sessionId);
  });
});
