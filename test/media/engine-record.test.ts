// record / stopRecord through the media facade, in-thread and in worker threads: two phones
// talk through the relay with distinct tones; the WAV has A on the left and B on the right.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaEngine, MediaCommandError, type RecordDoneEvent } from '../../src/media/engine.ts';
import { LINEAR_TO_ULAW } from '../../src/media/g711.ts';
import { readWav } from '../../src/media/wav-reader.ts';
import { sleep, useTestEngine } from './relay-fixtures.ts';

function tone(hz: number, samples: number, from: number): Buffer {
  const b = Buffer.alloc(samples);
  for (let i = 0; i < samples; i++) b[i] = LINEAR_TO_ULAW[Math.round(8000 * Math.sin((2 * Math.PI * hz * (from + i)) / 8000)) & 0xffff]!;
  return b;
}

/** Goertzel power of `hz` in one channel of interleaved stereo PCM16. */
function power(data: Buffer, channel: number, hz: number): number {
  const frames = data.length / 4;
  const k = 2 * Math.cos((2 * Math.PI * hz) / 8000);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < frames; i++) {
    const s0 = data.readInt16LE(i * 4 + channel * 2) + k * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return (s1 * s1 + s2 * s2 - k * s1 * s2) / frames;
}

describe.each([
  { mode: 'in-thread', inThread: true },
  { mode: 'worker threads', inThread: false },
])('engine record ($mode)', ({ inThread }) => {
  let engine: MediaEngine;
  let dir: string;
  const done: RecordDoneEvent[] = [];
  const suite = useTestEngine(inThread);
  const open = suite.open;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pbx-rec-'));
    engine = suite.engine;
    engine.on('recordDone', (e) => done.push(e));
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
  });

  it.each([{ symmetric: true }, { symmetric: false }])('records both sides to a stereo WAV without changing the relay (symmetric $symmetric)', async ({ symmetric }) => {
    const [a, b] = [await open(), await open()];
    const s = await engine.createSession({
      a: { remote: { address: '127.0.0.1', port: a.port }, symmetric },
      b: { remote: { address: '127.0.0.1', port: b.port }, symmetric },
    });
    const path = join(dir, `call-${symmetric}.wav`);
    expect(await engine.record(s.sessionId, { path })).toEqual({ path });
    const toA: Buffer[] = [];
    const toB: Buffer[] = [];
    a.socket.on('message', (m) => toA.push(m));
    b.socket.on('message', (m) => toB.push(m));
    const sentA: Buffer[] = [];
    const sentB: Buffer[] = [];
    const t0 = performance.now();
    for (let i = 0; i < 50; i++) {
      sentA.push(a.rtp(s.a.port, 0, tone(600, 160, i * 160)));
      sentB.push(b.rtp(s.b.port, 0, tone(1400, 160, i * 160)));
      const due = t0 + (i + 1) * 20;
      await sleep(Math.max(0, due - performance.now()));
    }
    await sleep(100);
    const r = await engine.stopRecord(s.sessionId);
    expect(r?.path).toBe(path);
    const ev = done.find((e) => e.sessionId === s.sessionId);
    expect(ev).toMatchObject({ sessionId: s.sessionId, path });
    expect(ev!.error).toBeUndefined();

    // relaying unaffected: every packet arrived byte for byte
    expect(toB.length).toBe(50);
    expect(toA.length).toBe(50);
    expect(toB.every((m, i) => m.equals(sentA[i]!))).toBe(true);
    expect(toA.every((m, i) => m.equals(sentB[i]!))).toBe(true);

    const wav = readWav(path);
    expect(wav.channels).toBe(2);
    expect(wav.sampleRate).toBe(8000);
    expect(wav.format).toBe('pcm16');
    const seconds = wav.data.length / 4 / 8000;
    expect(seconds).toBeGreaterThan(0.9);
    expect(seconds).toBeLessThan(1.5);
    expect(Math.abs(r!.seconds - seconds)).toBeLessThan(0.01);
    // left has A's 600 Hz, right has B's 1400 Hz
    expect(power(wav.data, 0, 600)).toBeGreaterThan(100 * power(wav.data, 0, 1400));
    expect(power(wav.data, 1, 1400)).toBeGreaterThan(100 * power(wav.data, 1, 600));
    // the relay still works after the recording stopped
    a.rtp(s.a.port);
    await sleep(50);
    expect(toB.length).toBe(51);
    await engine.destroy(s.sessionId);
  });

  it('destroy finalises a running recording (recordDone); errors are command errors', async () => {
    const s = await engine.createSession();
    const path = join(dir, 'destroyed.wav');
    await engine.record(s.sessionId, { path });
    await expect(engine.record(s.sessionId, { path })).rejects.toThrow(/already recording/);
    await sleep(300);
    await engine.destroy(s.sessionId);
    for (let i = 0; i < 50 && !done.some((e) => e.sessionId === s.sessionId); i++) await sleep(10);
    const ev = done.find((e) => e.sessionId === s.sessionId);
    expect(ev?.path).toBe(path);
    const wav = readWav(path); // silence, but a valid file that grew through it
    expect(wav.channels).toBe(2);
    expect(wav.data.length / 4 / 8000).toBeGreaterThan(0.1);

    const s2 = await engine.createSession();
    await expect(engine.record(s2.sessionId, { path: join(dir, 'no/such/dir/x.wav') })).rejects.toThrow(MediaCommandError);
    expect(await engine.stopRecord(s2.sessionId)).toBeNull();
    await engine.destroy(s2.sessionId);
  });
});
