// recordMessage / stopMessage through the media facade (voicemail): a test phone sends the
// caller's RTP in real time; the message ends by itself (silence, length, '#') or when stopped,
// and its mono WAV holds that leg's audio alone.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaEngine, MediaCommandError, type Codec, type DtmfEvent, type MessageDoneEvent, type RecordDoneEvent } from '../../src/media/engine.ts';
import { buildDtmfEvent } from '../../src/media/dtmf-sender.ts';
import { DtmfToneGenerator } from '../../src/media/dtmf-tone-generator.ts';
import { ALAW_TO_LINEAR, LINEAR_TO_ALAW, LINEAR_TO_ULAW, ULAW_TO_LINEAR } from '../../src/media/g711.ts';
import { buildRtpPacket } from '../../src/media/rtp-packet.ts';
import { readWav } from '../../src/media/wav-reader.ts';
import { type Phone, sleep, testPortRange, useTestEngine } from './relay-fixtures.ts';

const PCMU: Codec[] = [
  { pt: 0, name: 'PCMU' },
  { pt: 101, name: 'telephone-event' },
];
const PCMA: Codec[] = [
  { pt: 8, name: 'PCMA' },
  { pt: 101, name: 'telephone-event' },
];

type Law = 'ulaw' | 'alaw';
const encode = (law: Law, pcm: Int16Array): Buffer => {
  const table = law === 'alaw' ? LINEAR_TO_ALAW : LINEAR_TO_ULAW;
  const b = Buffer.alloc(pcm.length);
  for (let i = 0; i < pcm.length; i++) b[i] = table[pcm[i]! & 0xffff]!;
  return b;
};

/** 20 ms (packet k) of a sine at about -15 dBov. */
function sine(hz: number, k: number): Int16Array {
  const s = new Int16Array(160);
  for (let i = 0; i < 160; i++) s[i] = Math.round(8000 * Math.sin((2 * Math.PI * hz * (k * 160 + i)) / 8000));
  return s;
}
const QUIET = new Int16Array(160);

/** Goertzel power of `hz` in mono PCM16 samples. */
function power(pcm: Int16Array, hz: number): number {
  const k = 2 * Math.cos((2 * Math.PI * hz) / 8000);
  let s1 = 0;
  let s2 = 0;
  for (const x of pcm) {
    const s0 = x + k * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return (s1 * s1 + s2 * s2 - k * s1 * s2) / Math.max(1, pcm.length);
}

function monoPcm(path: string): Int16Array {
  const wav = readWav(path);
  expect(wav).toMatchObject({ format: 'pcm16', sampleRate: 8000, channels: 1 });
  return new Int16Array(wav.data.buffer, wav.data.byteOffset, wav.data.length / 2);
}

interface Stream {
  /** Packets sent so far (audio). */
  sent: number;
  done: Promise<void>;
  stop(): void;
}

/**
 * Sends a phone's RTP in real time: packet k every 20 ms (timestamp 160·k), whatever `make`
 * returns for it (audio PCM in `law`, or extra raw packets), until `count` or stop().
 */
function stream(phone: Phone, port: number, law: Law, count: number, make: (k: number) => { pcm?: Int16Array; extra?: Buffer[] }): Stream {
  let stopped = false;
  const s: Stream = {
    sent: 0,
    stop: () => {
      stopped = true;
    },
    done: Promise.resolve(),
  };
  s.done = (async () => {
    const t0 = performance.now();
    for (let k = 0; k < count && !stopped; k++) {
      const { pcm, extra } = make(k);
      if (pcm !== undefined) {
        const p = buildRtpPacket({ marker: k === 0, payloadType: law === 'alaw' ? 8 : 0, sequence: k, timestamp: k * 160, ssrc: phone.ssrc }, encode(law, pcm));
        phone.raw(port, p);
        s.sent++;
      }
      for (const e of extra ?? []) phone.raw(port, e);
      await sleep(Math.max(0, t0 + (k + 1) * 20 - performance.now()));
    }
  })();
  return s;
}

describe('engine recordMessage (in-thread)', () => {
  let engine: MediaEngine;
  let dir: string;
  const done: MessageDoneEvent[] = [];
  const recorded: RecordDoneEvent[] = [];
  const digits: DtmfEvent[] = [];
  const suite = useTestEngine(true, { portRange: testPortRange(80) });
  const open = suite.open;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pbx-msg-'));
    engine = suite.engine;
    engine.on('messageDone', (e) => done.push(e));
    engine.on('recordDone', (e) => recorded.push(e));
    engine.on('dtmf', (e) => digits.push(e));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A voicemail-like session: leg A is the caller, leg B has nobody (not connected). */
  const callerSession = async (a: Phone, codecs = PCMU) => engine.createSession({ connect: false, a: { remote: { address: '127.0.0.1', port: a.port }, codecs }, b: { codecs } });

  const doneFor = async (sessionId: string, ms = 6000): Promise<MessageDoneEvent> => {
    for (let t = 0; t < ms; t += 10) {
      const e = done.find((d) => d.sessionId === sessionId);
      if (e) return e;
      await sleep(10);
    }
    throw new Error(`no messageDone for ${sessionId}`);
  };

  it('speech then silence ends with reason silence; the file is trimmed to 0.5 s after the speech', async () => {
    const a = await open();
    const s = await callerSession(a);
    const path = join(dir, 'silence.wav');
    expect(await engine.recordMessage(s.sessionId, 'a', { path, maxSeconds: 20, silenceSeconds: 0.8 })).toEqual({ path });
    const started = performance.now();
    const st = stream(a, s.a.port, 'ulaw', 250, (k) => ({ pcm: k < 50 ? sine(600, k) : QUIET }));
    const e = await doneFor(s.sessionId);
    const tookMs = performance.now() - started;
    st.stop();
    await st.done;
    expect(e).toMatchObject({ sessionId: s.sessionId, leg: 'a', path, reason: 'silence' });
    expect(e.digit).toBeUndefined();
    expect(e.error).toBeUndefined();
    // 1 s of speech + 0.8 s of silence, seen 500 ms behind the clock, within a 200 ms tick
    expect(tookMs).toBeGreaterThan(2200);
    expect(tookMs).toBeLessThan(3300);
    const pcm = monoPcm(path);
    expect(pcm.length / 8000).toBeCloseTo(e.seconds, 6);
    expect(e.seconds).toBeGreaterThan(1.45);
    expect(e.seconds).toBeLessThan(1.65);
    const voice = pcm.subarray(800, 7200);
    expect(power(voice, 600)).toBeGreaterThan(1e6);
    expect(power(pcm.subarray(pcm.length - 3000), 600)).toBeLessThan(1); // the kept tail is the silence after the speech
    await engine.destroy(s.sessionId);
  });

  it('ends at maxSeconds; when nothing is said, at most maxSeconds and trimmed to 0.5 s', async () => {
    const [a1, a2] = [await open(), await open()];
    const [s1, s2] = [await callerSession(a1), await callerSession(a2)];
    const [p1, p2] = [join(dir, 'max.wav'), join(dir, 'nothing.wav')];
    await engine.recordMessage(s1.sessionId, 'a', { path: p1, maxSeconds: 1, silenceSeconds: 0.5 });
    // nothing said ends after twice the silence time (1.6 s) — here the 1 s limit comes first
    await engine.recordMessage(s2.sessionId, 'a', { path: p2, maxSeconds: 1, silenceSeconds: 0.8 });
    const st1 = stream(a1, s1.a.port, 'ulaw', 150, (k) => ({ pcm: sine(600, k) }));
    const st2 = stream(a2, s2.a.port, 'ulaw', 150, () => ({ pcm: QUIET }));
    const [e1, e2] = [await doneFor(s1.sessionId), await doneFor(s2.sessionId)];
    st1.stop();
    st2.stop();
    await Promise.all([st1.done, st2.done]);
    expect(e1).toMatchObject({ reason: 'max-length', seconds: 1 });
    expect(monoPcm(p1).length).toBe(8000);
    expect(e2).toMatchObject({ reason: 'max-length', seconds: 0.5 });
    expect(monoPcm(p2).length).toBe(4000);
    await engine.destroy(s1.sessionId);
    await engine.destroy(s2.sessionId);
  });

  it("'#' as RFC 4733 events ends it (digit detection off); the key's tone is not in the file", async () => {
    const a = await open();
    const s = await callerSession(a);
    const path = join(dir, 'hash.wav');
    await engine.recordMessage(s.sessionId, 'a', { path, maxSeconds: 20, silenceSeconds: 3, stopOnDigits: '#' });
    const mk = (digit: string, k0: number) =>
      buildDtmfEvent(digit, { payloadType: 101, ssrc: a.ssrc, sequence: 5000 + k0 * 3, timestamp: k0 * 160, durationMs: 160 }).packets.map((p) => ({ at: k0 * 20 + p.at, data: p.data }));
    const events = [...mk('5', 20), ...mk('#', 40)]; // '5' is not a stop key
    const tone = new DtmfToneGenerator('#');
    const pcm = new Int16Array(160);
    const st = stream(a, s.a.port, 'ulaw', 200, (k) => {
      const extra = events.filter((p) => p.at >= k * 20 && p.at < (k + 1) * 20).map((p) => p.data);
      if (k >= 40) {
        tone.fill(pcm); // this phone also leaves the tone in its audio while it sends events
        return { pcm: Int16Array.from(pcm), extra };
      }
      return { pcm: sine(600, k), extra };
    });
    const e = await doneFor(s.sessionId);
    st.stop();
    await st.done;
    expect(e).toMatchObject({ reason: 'digit', digit: '#', path });
    expect(digits.some((d) => d.sessionId === s.sessionId)).toBe(false); // collectDigits was not asked for
    const out = monoPcm(path);
    expect(out.length / 8000).toBeCloseTo(e.seconds, 6);
    // cut back to the tone's start: 0.8 s of speech (plus where the first packet landed)
    expect(e.seconds).toBeGreaterThan(0.79);
    expect(e.seconds).toBeLessThan(0.86);
    const tail = out.subarray(out.length - 800);
    expect(power(tail, 1477)).toBeLessThan(power(tail, 600) / 1000);
    expect(power(tail, 941)).toBeLessThan(power(tail, 600) / 1000);
    await engine.destroy(s.sessionId);
  });

  it("an in-band '#' ends it when the leg detects in-band digits; the tone is cut off", async () => {
    const a = await open();
    const s = await callerSession(a, [{ pt: 8, name: 'PCMA' }]);
    await engine.collectDigits(s.sessionId, 'a', { inband: true });
    const path = join(dir, 'inband.wav');
    await engine.recordMessage(s.sessionId, 'a', { path, maxSeconds: 20, silenceSeconds: 3, stopOnDigits: '#' });
    const tone = new DtmfToneGenerator('#');
    const st = stream(a, s.a.port, 'alaw', 200, (k) => {
      if (k < 30) return { pcm: sine(600, k) };
      if (k < 36) {
        const pcm = new Int16Array(160);
        tone.fill(pcm);
        return { pcm };
      }
      return { pcm: QUIET };
    });
    const e = await doneFor(s.sessionId);
    st.stop();
    await st.done;
    expect(e).toMatchObject({ reason: 'digit', digit: '#' });
    expect(digits.find((d) => d.sessionId === s.sessionId)).toMatchObject({ digit: '#', source: 'inband' });
    const out = monoPcm(path);
    // cut back to the tone's start, less a detector block's uncertainty: 0.6 s of speech
    expect(e.seconds).toBeGreaterThan(0.56);
    expect(e.seconds).toBeLessThan(0.65);
    const tail = out.subarray(out.length - 800);
    expect(power(tail, 1477)).toBeLessThan(power(tail, 600) / 1000);
    await engine.destroy(s.sessionId);
  });

  it('stopMessage ends it (stopped); the WAV header is valid while it records; destroy also ends one', async () => {
    const a = await open();
    const s = await callerSession(a);
    const path = join(dir, 'stopped.wav');
    await engine.recordMessage(s.sessionId, 'a', { path, maxSeconds: 20, silenceSeconds: 5 });
    const st = stream(a, s.a.port, 'ulaw', 500, (k) => ({ pcm: sine(600, k) }));
    await sleep(1700);
    // mid-recording: a playable mono file holding at least the first second (refreshed every second)
    const mid = monoPcm(path);
    expect(mid.length).toBeGreaterThanOrEqual(8000);
    expect(power(mid.subarray(800, 7200), 600)).toBeGreaterThan(1e6);
    expect(done.some((d) => d.sessionId === s.sessionId)).toBe(false);
    const r = await engine.stopMessage(s.sessionId, 'a');
    st.stop();
    await st.done;
    expect(r).toMatchObject({ path, reason: 'stopped' });
    expect(r!.seconds).toBeGreaterThan(1.5);
    expect(r!.seconds).toBeLessThan(2.1);
    expect(monoPcm(path).length / 8000).toBeCloseTo(r!.seconds, 6);
    expect(await doneFor(s.sessionId)).toMatchObject({ leg: 'a', path, reason: 'stopped', seconds: r!.seconds });
    expect(await engine.stopMessage(s.sessionId, 'a')).toBeNull();

    // destroy while a message records: it is closed and reported
    const path2 = join(dir, 'destroyed.wav');
    await engine.recordMessage(s.sessionId, 'b', { path: path2, maxSeconds: 20, silenceSeconds: 5 });
    await sleep(300);
    await engine.destroy(s.sessionId);
    const e2 = done.filter((d) => d.sessionId === s.sessionId);
    expect(e2.map((d) => [d.leg, d.reason])).toEqual([
      ['a', 'stopped'],
      ['b', 'stopped'],
    ]);
    expect(e2[1]!.seconds).toBeLessThanOrEqual(0.5); // nobody on leg B: silence, trimmed
    expect(monoPcm(path2).length).toBe(Math.round(e2[1]!.seconds * 8000));
  });

  it('decodes A-law and µ-law input', async () => {
    const [a1, a2] = [await open(), await open()];
    const [s1, s2] = [await callerSession(a1, PCMA), await callerSession(a2, PCMU)];
    const [p1, p2] = [join(dir, 'alaw.wav'), join(dir, 'ulaw.wav')];
    await engine.recordMessage(s1.sessionId, 'a', { path: p1, maxSeconds: 20, silenceSeconds: 0 });
    await engine.recordMessage(s2.sessionId, 'a', { path: p2, maxSeconds: 20, silenceSeconds: 0 });
    const send = (phone: Phone, port: number, pt: number, code: number) => {
      const t0 = performance.now();
      return (async () => {
        for (let k = 0; k < 40; k++) {
          phone.raw(port, buildRtpPacket({ marker: false, payloadType: pt, sequence: k, timestamp: k * 160, ssrc: phone.ssrc }, Buffer.alloc(160, code)));
          await sleep(Math.max(0, t0 + (k + 1) * 20 - performance.now()));
        }
      })();
    };
    // codes of a steady level well above the threshold (about -20 dBov)
    await Promise.all([send(a1, s1.a.port, 8, 0xa9), send(a2, s2.a.port, 0, 0x9b)]);
    await sleep(50);
    const [r1, r2] = [await engine.stopMessage(s1.sessionId, 'a'), await engine.stopMessage(s2.sessionId, 'a')];
    expect(r1?.reason).toBe('stopped');
    expect(r2?.reason).toBe('stopped');
    const [pcm1, pcm2] = [monoPcm(p1), monoPcm(p2)];
    expect(pcm1[Math.floor(pcm1.length / 2)]).toBe(ALAW_TO_LINEAR[0xa9]);
    expect(pcm2[Math.floor(pcm2.length / 2)]).toBe(ULAW_TO_LINEAR[0x9b]);
    expect(Math.abs(ALAW_TO_LINEAR[0xa9]!)).toBeGreaterThan(1000);
    expect(Math.abs(ULAW_TO_LINEAR[0x9b]!)).toBeGreaterThan(1000);
    await engine.destroy(s1.sessionId);
    await engine.destroy(s2.sessionId);
  });

  it('runs beside the two-channel call recording of the same session', async () => {
    const [a, b] = [await open(), await open()];
    const s = await engine.createSession({ a: { remote: { address: '127.0.0.1', port: a.port }, codecs: PCMU }, b: { remote: { address: '127.0.0.1', port: b.port }, codecs: PCMU } });
    const callPath = join(dir, 'call.wav');
    const msgPath = join(dir, 'beside.wav');
    await engine.record(s.sessionId, { path: callPath });
    await engine.recordMessage(s.sessionId, 'a', { path: msgPath, maxSeconds: 20, silenceSeconds: 0.6 });
    let relayed = 0;
    b.socket.on('message', () => relayed++);
    const stA = stream(a, s.a.port, 'ulaw', 150, (k) => ({ pcm: k < 40 ? sine(600, k) : QUIET }));
    const stB = stream(b, s.b.port, 'ulaw', 150, (k) => ({ pcm: sine(1400, k) }));
    const e = await doneFor(s.sessionId);
    expect(e).toMatchObject({ reason: 'silence', path: msgPath });
    await sleep(300);
    expect(recorded.some((r) => r.sessionId === s.sessionId)).toBe(false); // the call recording goes on
    stA.stop();
    stB.stop();
    await Promise.all([stA.done, stB.done]);
    await sleep(50);
    const rec = await engine.stopRecord(s.sessionId);
    expect(rec?.path).toBe(callPath);
    expect(relayed).toBe(stA.sent); // relaying unaffected

    const msg = monoPcm(msgPath);
    expect(e.seconds).toBeGreaterThan(1.25);
    expect(e.seconds).toBeLessThan(1.45);
    expect(power(msg.subarray(800, 6000), 600)).toBeGreaterThan(1e6);
    expect(power(msg, 1400)).toBeLessThan(power(msg, 600) / 1e4); // leg B is not in the message (what is there is the 600 Hz tone's leakage)
    const call = readWav(callPath);
    expect(call.channels).toBe(2);
    const frames = call.data.length / 4;
    expect(frames / 8000).toBeGreaterThan(1.8);
    const left = new Int16Array(frames);
    const right = new Int16Array(frames);
    for (let i = 0; i < frames; i++) {
      left[i] = call.data.readInt16LE(4 * i);
      right[i] = call.data.readInt16LE(4 * i + 2);
    }
    expect(power(left, 600)).toBeGreaterThan(100 * power(left, 1400));
    expect(power(right, 1400)).toBeGreaterThan(100 * power(right, 600));
    await engine.destroy(s.sessionId);
  });

  it('refuses bad arguments, a second message on the leg and an unwritable path', async () => {
    const s = await engine.createSession();
    const path = join(dir, 'errors.wav');
    await expect(engine.recordMessage(s.sessionId, 'a', { path, maxSeconds: 0, silenceSeconds: 1 })).rejects.toThrow(MediaCommandError);
    await expect(engine.recordMessage(s.sessionId, 'a', { path, maxSeconds: 5, silenceSeconds: 1, stopOnDigits: '#?' })).rejects.toThrow(/stopOnDigits/);
    await expect(engine.recordMessage(s.sessionId, 'c' as 'a', { path, maxSeconds: 5, silenceSeconds: 1 })).rejects.toThrow(MediaCommandError);
    await expect(engine.recordMessage(s.sessionId, 'a', { path: join(dir, 'no/such/dir/x.wav'), maxSeconds: 5, silenceSeconds: 1 })).rejects.toThrow(MediaCommandError);
    expect(await engine.stopMessage(s.sessionId, 'a')).toBeNull();
    await engine.recordMessage(s.sessionId, 'a', { path, maxSeconds: 5, silenceSeconds: 1 });
    await expect(engine.recordMessage(s.sessionId, 'a', { path: join(dir, 'errors2.wav'), maxSeconds: 5, silenceSeconds: 1 })).rejects.toThrow(/already recording a message/);
    await expect(engine.recordMessage('nope', 'a', { path, maxSeconds: 5, silenceSeconds: 1 })).rejects.toThrow(MediaCommandError);
    await engine.destroy(s.sessionId);
    expect(done.filter((d) => d.sessionId === s.sessionId).map((d) => d.reason)).toEqual(['stopped']);
  });
});

describe('engine recordMessage (worker threads)', () => {
  const suite = useTestEngine(false);

  it('messageDone crosses from the worker', async () => {
    const engine = suite.engine;
    const dir = mkdtempSync(join(tmpdir(), 'pbx-msg-w-'));
    try {
      const a = await suite.open();
      const s = await engine.createSession({ connect: false, a: { remote: { address: '127.0.0.1', port: a.port }, codecs: PCMU } });
      const path = join(dir, 'worker.wav');
      const got = new Promise<MessageDoneEvent>((resolve) => engine.once('messageDone', resolve));
      await engine.recordMessage(s.sessionId, 'a', { path, maxSeconds: 0.6, silenceSeconds: 2 });
      const st = stream(a, s.a.port, 'ulaw', 100, (k) => ({ pcm: sine(600, k) }));
      const e = await got;
      st.stop();
      await st.done;
      expect(e).toEqual({ sessionId: s.sessionId, leg: 'a', path, seconds: 0.6, reason: 'max-length' });
      expect(monoPcm(path).length).toBe(4800);
      await engine.destroy(s.sessionId);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
