import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CallRecorder } from '../../src/media/call-recorder.ts';
import { ALAW_TO_LINEAR, ULAW_TO_LINEAR } from '../../src/media/g711.ts';
import { writeRtpHeader } from '../../src/media/rtp-packet.ts';
import { readWav } from '../../src/media/wav-reader.ts';

const dir = mkdtempSync(join(tmpdir(), 'call-recorder-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Deterministic PRNG (mulberry32) so a failing run can be replayed. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Discontinuity {
  atSec: number; // sender wall time of the first packet affected
  ssrc?: number; // new SSRC (and a random new timestamp base)
  tsJump?: number; // samples added to all later timestamps
}

interface SideSpec {
  pt: 0 | 8;
  startMs: number; // wall time of the sender's first sample
  ppm: number; // sender RTP clock error
  ts0: number;
  seq0: number;
  ssrc: number;
  discontinuities?: Discontinuity[];
}

interface Sim {
  seconds: number;
  jitterMs: number; // each packet is delayed by uniform [0, jitterMs): delivery order is shuffled within it
  loss: number;
  markerEverySec: number;
  left: SideSpec;
  right: SideSpec;
  seed?: number;
}

const LOUD = { 8: 0xaa, 0: 0x80 } as const; // full scale positive
const QUIET = { 8: 0xd5, 0: 0xfe } as const; // ±8: not zero, so silence from loss is visible
const MARKER_LEN = 8;

/**
 * Drives a recorder with two synthetic G.711 streams. Marker bursts sit at the same wall time on
 * both sides every `markerEverySec`; each sender's sample clock runs `ppm` fast, so its sample
 * index for wall time W is (W − start)·8000·(1+ppm). Marker packets are never lost.
 */
function simulate(sim: Sim, path: string) {
  const random = rng(sim.seed ?? 42);
  const specs = [sim.left, sim.right];
  const counts = specs.map((s) => Math.floor(((sim.seconds * 1000 - s.startMs) / 20) * (1 + s.ppm * 1e-6)));
  const total = counts[0]! + counts[1]!;
  const arrival = new Float64Array(total);
  const lost = new Uint8Array(total);
  const order = new Uint32Array(total);
  for (let side = 0, e = 0; side < 2; side++) {
    const s = specs[side]!;
    for (let k = 0; k < counts[side]!; k++, e++) {
      // A packet leaves when its last sample has been taken.
      const sent = s.startMs + ((k + 1) * 20) / (1 + s.ppm * 1e-6);
      arrival[e] = sent + random() * sim.jitterMs;
      lost[e] = random() < sim.loss ? 1 : 0;
      order[e] = e;
    }
  }
  order.sort((a, b) => arrival[a]! - arrival[b]!);

  let now = 0;
  const rec = new CallRecorder(path, { clock: () => now, dtmfPayloadType: 101 });
  const packet = Buffer.alloc(12 + 160);
  const markerIdx = (s: SideSpec, m: number) => Math.round((m * sim.markerEverySec * 1000 - s.startMs) * 8 * (1 + s.ppm * 1e-6));
  let nextTick = 1000;
  for (const e of order) {
    const side = e < counts[0]! ? 0 : 1;
    const k = side === 0 ? e : e - counts[0]!;
    const s = specs[side]!;
    now = arrival[e]!;
    while (now >= nextTick) nextTick += 1000;
    if (now >= nextTick - 20 && now < nextTick - 19) rec.tick();
    // Fill the payload: quiet everywhere, loud where a marker burst overlaps this packet.
    const first = k * 160;
    const payload = packet.subarray(12);
    payload.fill(QUIET[s.pt]);
    let marked = false;
    const m0 = Math.max(1, Math.floor((s.startMs + first / 8) / 1000 / sim.markerEverySec));
    for (let m = m0; m <= m0 + 1; m++) {
      const idx = markerIdx(s, m);
      for (let j = Math.max(idx, first); j < Math.min(idx + MARKER_LEN, first + 160); j++) {
        payload[j - first] = LOUD[s.pt];
        marked = true;
      }
    }
    if (lost[e] && !marked) continue;
    let ssrc = s.ssrc;
    let ts = s.ts0 + first;
    for (const d of s.discontinuities ?? []) {
      if (first / 8 + s.startMs >= d.atSec * 1000) {
        if (d.ssrc !== undefined) {
          ssrc = d.ssrc;
          ts += d.ssrc * 7919; // a new stream starts at its own random-looking base
        }
        ts += d.tsJump ?? 0;
      }
    }
    writeRtpHeader(packet, { marker: false, payloadType: s.pt, sequence: (s.seq0 + k) & 0xffff, timestamp: ts >>> 0, ssrc });
    rec.feed(side === 0 ? 'left' : 'right', packet);
  }
  now += 100;
  rec.close();
  const wav = readWav(path);
  expect(wav).toMatchObject({ format: 'pcm16', sampleRate: 8000, channels: 2 });
  const pcm = new Int16Array(wav.data.buffer, wav.data.byteOffset, wav.data.length / 2);
  return { pcm, rec, markerIdx };
}

/** First sample position (in frames) of a marker burst on a channel, searching from `from`. */
function findMarker(pcm: Int16Array, channel: 0 | 1, from: number, to: number): number {
  for (let f = Math.max(0, from); f < Math.min(to, pcm.length / 2); f++) if (pcm[2 * f + channel]! > 10000) return f;
  return -1;
}

function markerSkew(pcm: Int16Array, sim: Sim, fromMinute = 1) {
  const skews: number[] = [];
  for (let m = fromMinute; m * sim.markerEverySec < sim.seconds - 1; m++) {
    const expected = m * sim.markerEverySec * 8000;
    const l = findMarker(pcm, 0, expected - 4000, expected + 8000);
    const r = findMarker(pcm, 1, expected - 4000, expected + 8000);
    expect(l, `left marker ${m}`).toBeGreaterThan(0);
    expect(r, `right marker ${m}`).toBeGreaterThan(0);
    skews.push(l - r);
  }
  return skews;
}

const side = (over: Partial<SideSpec>): SideSpec => ({ pt: 8, startMs: 100, ppm: 0, ts0: 0, seq0: 0, ssrc: 1, ...over });

describe('CallRecorder', () => {
  it('keeps an hour of jittery, lossy, drifting streams in sync (markers < 20 ms apart)', () => {
    const sim: Sim = {
      seconds: 3600,
      jitterMs: 60,
      loss: 0.02,
      markerEverySec: 60,
      left: side({ pt: 8, startMs: 100, ts0: 0xfffff000, seq0: 65500, ssrc: 0x1111 }),
      right: side({ pt: 0, startMs: 137, ppm: 50, ts0: 0x7fffff00, seq0: 65000, ssrc: 0x2222 }),
    };
    const { pcm, rec } = simulate(sim, join(dir, 'hour.wav'));
    expect(pcm.length / 2 / 8000).toBeGreaterThan(3599);
    const skews = markerSkew(pcm, sim);
    expect(skews.length).toBe(59);
    if (process.env.RECORDER_DEBUG) console.log('hour skews', skews.join(' '), rec.stats('left'), rec.stats('right'));
    for (const s of skews) expect(Math.abs(s)).toBeLessThan(160);
    // The fast sender's 180 ms of drift over the hour was absorbed by one-sample slews.
    expect(rec.stats('right').slews).toBeGreaterThan(1000);
    expect(rec.stats('left').reanchors).toBeLessThanOrEqual(2);
    expect(rec.stats('right').reanchors).toBeLessThanOrEqual(2);
    // Markers also sit at their wall-clock time (plus the 20 ms packetisation and minimum delay).
    const last = findMarker(pcm, 0, 59 * 60 * 8000 - 4000, 59 * 60 * 8000 + 8000);
    expect(Math.abs(last - 59 * 60 * 8000 - 160)).toBeLessThan(160);
  }, 60_000);

  it('writes silence where packets are missing and the decoded audio elsewhere', () => {
    let now = 0;
    const path = join(dir, 'loss.wav');
    const rec = new CallRecorder(path, { clock: () => now });
    const payload = Buffer.alloc(160, 0x9d); // A-law: a steady non-zero level
    const lostPackets = new Set([50, 51, 120]);
    for (let k = 0; k < 200; k++) {
      now = 20 * (k + 1);
      if (!lostPackets.has(k)) rec.feedPayload('left', 8, 1000 + k * 160, 7, payload);
      rec.feedPayload('right', 0, 5000 + k * 160, 8, Buffer.alloc(160, 0x10));
    }
    rec.close();
    const wav = readWav(path);
    const pcm = new Int16Array(wav.data.buffer, wav.data.byteOffset, wav.data.length / 2);
    const anchor = 160; // first packet arrived at 20 ms
    const level = ALAW_TO_LINEAR[0x9d]!;
    for (let k = 0; k < 200; k++) {
      for (const j of [0, 80, 159]) {
        const f = anchor + k * 160 + j;
        expect(pcm[2 * f]).toBe(lostPackets.has(k) ? 0 : level);
        expect(pcm[2 * f + 1]).toBe(ULAW_TO_LINEAR[0x10]);
      }
    }
    expect(Array.from(pcm.subarray(0, 2 * anchor)).every((v) => v === 0)).toBe(true); // before media: silence
  });

  it('re-anchors on SSRC change and on timestamp jumps forward and back, staying in sync', () => {
    const sim: Sim = {
      seconds: 240,
      jitterMs: 40,
      loss: 0.02,
      markerEverySec: 20,
      left: side({ pt: 8, ts0: 0xffffff00, seq0: 65530, discontinuities: [{ atSec: 70, tsJump: 80000 }, { atSec: 150, tsJump: -400000 }] }),
      right: side({ pt: 0, startMs: 250, ppm: -30, discontinuities: [{ atSec: 50, ssrc: 99 }, { atSec: 110, ssrc: 1234 }] }),
    };
    const { pcm, rec } = simulate(sim, join(dir, 'jumps.wav'));
    const skews = markerSkew(pcm, sim);
    for (const s of skews) expect(Math.abs(s)).toBeLessThan(160);
    expect(rec.stats('right').reanchors).toBeGreaterThanOrEqual(3);
    expect(rec.stats('left').reanchors).toBeGreaterThanOrEqual(3);
  }, 30_000);

  it('drops packets later than the window without touching committed audio; duplicates and reordering are harmless', () => {
    let now = 0;
    const path = join(dir, 'late.wav');
    const rec = new CallRecorder(path, { clock: () => now, windowMs: 100 });
    const audio = Buffer.alloc(160, 0x9d);
    const loud = Buffer.alloc(160, 0xaa);
    const feed = (k: number, p: Buffer) => rec.feedPayload('left', 8, k * 160, 1, p);
    for (let k = 0; k < 100; k++) {
      now = 20 * (k + 1);
      if (k === 30) continue; // lost for now
      feed(k, audio);
      if (k === 60) feed(59, audio); // duplicate
      if (k === 70) {
        feed(72, audio); // early (reordered), then its predecessors
        feed(71, audio);
      }
      if (k === 72) continue;
      if (k === 71) continue;
    }
    now += 1;
    feed(30, loud); // 1.4 s late: its place is long committed
    rec.close();
    expect(rec.stats('left').lateSamples).toBe(160);
    const wav = readWav(path);
    const pcm = new Int16Array(wav.data.buffer, wav.data.byteOffset, wav.data.length / 2);
    const at = (k: number, j = 0) => pcm[2 * (160 + k * 160 + j)];
    expect(at(30)).toBe(0);
    expect(at(30, 159)).toBe(0);
    for (const k of [29, 31, 59, 60, 70, 71, 72, 73, 99]) expect(at(k, 5)).toBe(ALAW_TO_LINEAR[0x9d]);
  });

  it('skips telephone-event, comfort noise and unknown payload types', () => {
    let now = 0;
    const path = join(dir, 'dtmf.wav');
    const rec = new CallRecorder(path, { clock: () => now, dtmfPayloadType: { left: 101, right: 96 } });
    for (let k = 0; k < 50; k++) {
      now = 20 * (k + 1);
      const pt = k >= 10 && k < 20 ? 101 : k === 30 ? 13 : k === 31 ? 18 : 8;
      rec.feedPayload('left', pt, k * 160, 1, Buffer.alloc(160, 0xaa));
    }
    rec.feed('right', Buffer.from([1, 2, 3])); // not RTP
    rec.close();
    expect(rec.stats('left')).toMatchObject({ packets: 38, skipped: 12 });
    expect(rec.stats('right').skipped).toBe(1);
    const wav = readWav(path);
    const pcm = new Int16Array(wav.data.buffer, wav.data.byteOffset, wav.data.length / 2);
    const at = (k: number) => pcm[2 * (160 + k * 160 + 80)];
    expect(at(5)).toBe(32256);
    expect(at(15)).toBe(0);
    expect(at(30)).toBe(0);
    expect(at(40)).toBe(32256);
  });

  it('tick() grows the file through silence and keeps it playable while recording', () => {
    let now = 0;
    const path = join(dir, 'tick.wav');
    const rec = new CallRecorder(path, { clock: () => now, refreshMs: 500 });
    rec.feedPayload('right', 0, 0, 5, Buffer.alloc(160, 0x80));
    for (now = 0; now <= 3000; now += 100) rec.tick();
    expect(readWav(path).data.length).toBe((3000 - 200) * 8 * 4);
    expect(rec.seconds).toBeCloseTo(2.8);
    rec.close();
    expect(readWav(path).data.length).toBe(3100 * 8 * 4); // close() writes up to the clock
  });
});

