// MessageRecorder on an injected clock: where a voice message ends and how its file is cut.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildDtmfEvent } from '../../src/media/dtmf-sender.ts';
import { DtmfToneGenerator } from '../../src/media/dtmf-tone-generator.ts';
import { ALAW_TO_LINEAR, LINEAR_TO_ULAW, ULAW_TO_LINEAR } from '../../src/media/g711.ts';
import { MessageRecorder, checkMessageArgs, type MessageRecorderOptions } from '../../src/media/message-recorder.ts';
import { MediaCommandError } from '../../src/media/media-protocol.ts';
import { buildRtpPacket } from '../../src/media/rtp-packet.ts';
import { readWav } from '../../src/media/wav-reader.ts';

const dir = mkdtempSync(join(tmpdir(), 'message-recorder-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SSRC = 0x1234;

/** 20 ms of a 600 Hz tone at about -15 dBov, µ-law. */
function speech(k: number): Buffer {
  const b = Buffer.alloc(160);
  for (let i = 0; i < 160; i++) b[i] = LINEAR_TO_ULAW[Math.round(8000 * Math.sin((2 * Math.PI * 600 * (k * 160 + i)) / 8000)) & 0xffff]!;
  return b;
}
const SILENCE = Buffer.alloc(160, 0xff); // µ-law zero

function audio(k: number, payload: Buffer, pt = 0): Buffer {
  return buildRtpPacket({ marker: false, payloadType: pt, sequence: k & 0xffff, timestamp: (1000 + k * 160) >>> 0, ssrc: SSRC }, payload);
}

/** A recorder on a fake clock; packet k arrives at 20·(k+1) ms with timestamp 1000 + 160·k. */
function harness(name: string, options: Omit<MessageRecorderOptions, 'clock'>) {
  let now = 0;
  const path = join(dir, `${name}.wav`);
  const m = new MessageRecorder(path, { ...options, clock: () => now });
  return {
    path,
    m,
    at(ms: number) {
      now = ms;
    },
    /** Feeds packets k = from…to-1 made by `make` until the message ends; returns the k it ended at. */
    run(from: number, to: number, make: (k: number) => Buffer | Buffer[]): number {
      for (let k = from; k < to; k++) {
        now = 20 * (k + 1);
        const p = make(k);
        for (const x of Array.isArray(p) ? p : [p]) m.feed(x);
        if (k % 10 === 0) m.tick();
        if (m.ended) return k;
      }
      return -1;
    },
  };
}

function pcmOf(path: string): Int16Array {
  const wav = readWav(path);
  expect(wav).toMatchObject({ format: 'pcm16', sampleRate: 8000, channels: 1 });
  return new Int16Array(wav.data.buffer, wav.data.byteOffset, wav.data.length / 2);
}

const rms = (x: Int16Array) => Math.sqrt(x.reduce((a, v) => a + v * v, 0) / Math.max(1, x.length));

describe('MessageRecorder', () => {
  it('ends on silence after speech and trims the trailing silence to 0.5 s', () => {
    const h = harness('silence', { maxSeconds: 30, silenceSeconds: 1 });
    const ended = h.run(0, 500, (k) => audio(k, k < 50 ? speech(k) : SILENCE));
    // speech fills [160, 8160) (the first packet is placed at its arrival, 20 ms); one second of
    // silence after it is reached at 16160, committed 500 ms behind the clock
    expect(ended).toBeGreaterThan(120);
    expect(ended).toBeLessThan(130);
    const r = h.m.finish();
    expect(r).toEqual({ path: h.path, seconds: (8160 + 4000) / 8000, reason: 'silence' });
    const pcm = pcmOf(h.path);
    expect(pcm.length).toBe(8160 + 4000);
    expect(rms(pcm.subarray(0, 160))).toBe(0);
    expect(rms(pcm.subarray(200, 8100))).toBeGreaterThan(5000);
    expect(rms(pcm.subarray(8160))).toBe(0);
    expect(h.m.finish()).toBe(r); // idempotent
  });

  it('silence gaps inside speech do not end it; a click is not speech', () => {
    const h = harness('pauses', { maxSeconds: 3, silenceSeconds: 0.5 });
    // a click (one loud 20 ms packet) every 300 ms in silence is not speech: nothing said, so the
    // message ends after twice the silence time (1 s), not at the 3 s limit
    const ended = h.run(0, 400, (k) => audio(k, k % 15 === 0 ? speech(k) : SILENCE));
    expect(ended).toBeLessThan(100);
    const r = h.m.finish();
    expect(r.reason).toBe('silence');
    expect(r.seconds).toBe(0.5); // nothing said: trailing silence trimmed to 0.5 s

    const h2 = harness('pauses2', { maxSeconds: 3, silenceSeconds: 0.5 });
    // 400 ms pauses between words do not reach the 0.5 s silence
    const ended2 = h2.run(0, 400, (k) => audio(k, k % 40 < 20 ? speech(k) : SILENCE));
    const r2 = h2.m.finish();
    expect(r2.reason).toBe('max-length');
    expect(ended2).toBeGreaterThan(145);
    expect(r2.seconds).toBe(3); // the last word ended 0.18 s before the limit: nothing to trim
  });

  it('ends at maxSeconds with exactly that much audio', () => {
    const h = harness('max', { maxSeconds: 1.5, silenceSeconds: 1 });
    const ended = h.run(0, 500, (k) => audio(k, speech(k)));
    expect(ended).toBeGreaterThan(95);
    expect(ended).toBeLessThan(105);
    expect(h.m.finish()).toEqual({ path: h.path, seconds: 1.5, reason: 'max-length' });
    expect(pcmOf(h.path).length).toBe(12000);
  });

  it('a key in stopOnDigits (RFC 4733) ends it, cut back to where the tone started', () => {
    const h = harness('digit', { maxSeconds: 30, silenceSeconds: 5, stopOnDigits: '#*', dtmfPayloadType: 101 });
    const seqBase = 10_000;
    const eventPackets = (digit: string, k0: number) =>
      buildDtmfEvent(digit, { payloadType: 101, ssrc: SSRC, sequence: seqBase + k0, timestamp: 1000 + k0 * 160, durationMs: 120 }).packets.map((p) => p.data);
    const five = eventPackets('5', 30); // not a stop key
    const hash = eventPackets('#', 60);
    const tone = new DtmfToneGenerator('#');
    const pcm = new Int16Array(160);
    const ended = h.run(0, 200, (k) => {
      const out: Buffer[] = [];
      if (k >= 30 && k - 30 < five.length) out.push(five[k - 30]!);
      if (k >= 60) {
        // this phone also leaves the key's tone in its audio while it sends the events
        tone.fill(pcm);
        const payload = Buffer.alloc(160);
        for (let i = 0; i < 160; i++) payload[i] = LINEAR_TO_ULAW[pcm[i]! & 0xffff]!;
        out.push(audio(k, payload));
        if (k - 60 < hash.length) out.push(hash[k - 60]!);
      } else {
        out.push(audio(k, speech(k)));
      }
      return out;
    });
    expect(ended).toBeGreaterThan(60);
    expect(ended).toBeLessThan(70);
    const r = h.m.finish();
    // the '#' tone started at timestamp 1000 + 60·160: the first audio packet (1000) sits at 160
    expect(r).toEqual({ path: h.path, seconds: (160 + 60 * 160) / 8000, reason: 'digit', digit: '#' });
    const out = pcmOf(h.path);
    expect(out.length).toBe(160 + 60 * 160);
    expect(rms(out.subarray(out.length - 160))).toBeGreaterThan(4000); // speech up to the cut, no tone
  });

  it('stopped: the file keeps what was said, trailing silence trimmed', () => {
    const h = harness('stopped', { maxSeconds: 30, silenceSeconds: 0 });
    expect(h.run(0, 150, (k) => audio(k, k < 50 ? speech(k) : SILENCE))).toBe(-1); // silence 0: never ends on it
    h.at(3100);
    const r = h.m.finish();
    expect(r).toEqual({ path: h.path, seconds: (8160 + 4000) / 8000, reason: 'stopped' });
  });

  it('skips telephone-event and comfort noise, decodes A-law and µ-law', () => {
    const h = harness('codecs', { maxSeconds: 30, silenceSeconds: 0, dtmfPayloadType: 101 });
    h.run(0, 50, (k) => {
      if (k < 10) return audio(k, Buffer.alloc(160, 0x9d), 8);
      if (k < 20) return audio(k, Buffer.alloc(160, 0x10), 0);
      if (k < 30) return audio(k, Buffer.alloc(1, 40), 13); // CN
      if (k < 40) return audio(k, Buffer.from([11, 10, 0, 160]), 101); // an event nobody asked to stop on
      return audio(k, Buffer.alloc(160, 0x10), 0);
    });
    h.at(1100);
    h.m.finish();
    const pcm = pcmOf(h.path);
    expect(pcm[160 + 5 * 160]).toBe(ALAW_TO_LINEAR[0x9d]);
    expect(pcm[160 + 15 * 160]).toBe(ULAW_TO_LINEAR[0x10]);
    expect(pcm[160 + 25 * 160]).toBe(0);
    expect(pcm[160 + 35 * 160]).toBe(0);
    expect(pcm[160 + 45 * 160]).toBe(ULAW_TO_LINEAR[0x10]);
  });

  it('checks its arguments', () => {
    expect(checkMessageArgs({ path: '/x.wav', maxSeconds: 120, silenceSeconds: 3, stopOnDigits: '#a#' }).stopOnDigits).toBe('#A');
    for (const bad of [
      { path: '', maxSeconds: 1, silenceSeconds: 1 },
      { path: '/x', maxSeconds: 0, silenceSeconds: 1 },
      { path: '/x', maxSeconds: Number.NaN, silenceSeconds: 1 },
      { path: '/x', maxSeconds: 1, silenceSeconds: -1 },
      { path: '/x', maxSeconds: 1, silenceSeconds: 1, silenceThresholdDbov: 3 },
      { path: '/x', maxSeconds: 1, silenceSeconds: 1, stopOnDigits: '#x' },
    ]) {
      expect(() => checkMessageArgs(bad)).toThrow(MediaCommandError);
    }
  });
});
