import { describe, expect, it } from 'vitest';
import { JitterBuffer, type JitterBufferOptions, type JitterFrame } from '../../src/media/jitter-buffer.ts';
import { buildRtpPacket, timestampDelta } from '../../src/media/rtp-packet.ts';

// A simulated sender, network and playout clock. Each packet carries its sender index in the
// first four payload bytes, so the output can be checked against the input.

interface SimPacket {
  index: number;
  seq: number;
  ts: number;
  ssrc: number;
  marker: boolean;
  sendMs: number;
  arrivalMs: number;
}

interface Out {
  t: number;
  kind: JitterFrame['kind'];
  index: number; // sender index for audio and concealed frames, -1 otherwise
  samples: number;
  timestamp: number;
}

interface StreamOptions {
  count: number;
  seq0?: number;
  ts0?: number;
  ssrc?: number;
  frameMs?: number;
  startMs?: number;
  networkMs?: number;
  firstIndex?: number;
}

function stream(o: StreamOptions): SimPacket[] {
  const frameMs = o.frameMs ?? 20;
  const out: SimPacket[] = [];
  for (let i = 0; i < o.count; i++) {
    const sendMs = (o.startMs ?? 0) + i * frameMs;
    out.push({
      index: (o.firstIndex ?? 0) + i,
      seq: ((o.seq0 ?? 1000) + i) & 0xffff,
      ts: ((o.ts0 ?? 50_000) + i * frameMs * 8) >>> 0,
      ssrc: o.ssrc ?? 0x1234,
      marker: i === 0,
      sendMs,
      arrivalMs: sendMs + (o.networkMs ?? 30),
    });
  }
  return out;
}

function encode(p: SimPacket): Buffer {
  const payload = Buffer.alloc(160, 0xd5);
  payload.writeUInt32BE(p.index, 0);
  return buildRtpPacket({ marker: p.marker, payloadType: 8, sequence: p.seq, timestamp: p.ts, ssrc: p.ssrc }, payload);
}

interface SimResult {
  out: Out[];
  delays: number[];
  /** Frames returned per tick, from the first tick that returned one. */
  perTick: number[];
}

function simulate(jb: JitterBuffer, packets: SimPacket[], endMs: number, tickPhaseMs = 0): SimResult {
  const order = packets.map((p, i) => ({ p, i })).sort((a, b) => a.p.arrivalMs - b.p.arrivalMs || a.i - b.i);
  const wire = order.map(({ p }) => ({ p, bytes: encode(p) }));
  const out: Out[] = [];
  const delays: number[] = [];
  const perTick: number[] = [];
  let next = 0;
  for (let t = tickPhaseMs; t <= endMs; t += 20) {
    while (next < wire.length && wire[next]!.p.arrivalMs <= t) {
      const { p, bytes } = wire[next++]!;
      expect(jb.pushPacket(bytes, p.arrivalMs)).toBeDefined();
    }
    let n = 0;
    for (let f = jb.pull(t); f.kind !== 'empty'; f = jb.pull(t)) {
      n++;
      out.push({
        t,
        kind: f.kind,
        index: f.kind === 'audio' || f.kind === 'concealed' ? Buffer.from(f.payload).readUInt32BE(0) : -1,
        samples: f.samples,
        timestamp: f.timestamp,
      });
    }
    if (n > 0 || perTick.length > 0) perTick.push(n);
    if (out.length > 0) delays.push(jb.delayMs);
  }
  return { out, delays, perTick };
}

function audioIndexes(out: Out[]): number[] {
  return out.filter((o) => o.kind === 'audio').map((o) => o.index);
}

/** The output up to the last audio frame (what follows is concealment of the stream's end). */
function untilLastAudio(out: Out[]): Out[] {
  let last = out.length - 1;
  while (last >= 0 && out[last]!.kind !== 'audio') last--;
  return out.slice(0, last + 1);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function expectStatsAddUp(jb: JitterBuffer): void {
  const s = jb.stats();
  expect(s.received).toBe(s.played + s.duplicates + s.late + s.discarded + s.buffered);
}

/** Kinds of the frames between the audio frames of two sender indexes. */
function between(out: Out[], a: number, b: number): string[] {
  const i = out.findIndex((o) => o.kind === 'audio' && o.index === a);
  const j = out.findIndex((o) => o.kind === 'audio' && o.index === b);
  expect(i).toBeGreaterThanOrEqual(0);
  expect(j).toBeGreaterThan(i);
  return out.slice(i + 1, j).map((o) => o.kind);
}

const newBuffer = (o: JitterBufferOptions = {}) => new JitterBuffer(o);

describe('JitterBuffer', () => {
  it('is empty before the first packet', () => {
    const jb = newBuffer();
    expect(jb.pull(0).kind).toBe('empty');
    expect(jb.pull(20).kind).toBe('empty');
    expect(jb.stats()).toMatchObject({ received: 0, played: 0, concealed: 0, silence: 0 });
  });

  it('plays an in-order stream unchanged, one frame per tick, at the minimum delay', () => {
    const jb = newBuffer();
    const packets = stream({ count: 500, networkMs: 30 });
    const { out, delays, perTick } = simulate(jb, packets, 10_500, 10);
    expect(audioIndexes(out)).toEqual(range(0, 500));
    expect(out.slice(0, 500).every((o) => o.kind === 'audio' && o.samples === 160)).toBe(true);
    expect(perTick.slice(0, 500).every((n) => n === 1)).toBe(true);
    expect(out[0]!.t).toBe(50); // arrival 30 + 20 ms
    expect(delays.slice(0, 500).every((d) => d === 20)).toBe(true);
    const s = jb.stats();
    expect(s).toMatchObject({ received: 500, played: 500, late: 0, duplicates: 0, discarded: 0, buffered: 0, resyncs: 0, targetDelayMs: 20 });
  });

  it('keeps within one tick of the minimum when the caller ticks out of phase', () => {
    const jb = newBuffer();
    const { out, delays } = simulate(jb, stream({ count: 200, networkMs: 37 }), 5000, 0);
    expect(audioIndexes(out)).toEqual(range(0, 200));
    for (const d of delays.slice(0, 200)) {
      expect(d).toBeGreaterThanOrEqual(20);
      expect(d).toBeLessThan(40);
    }
  });

  it('puts reordered packets back in sequence and drops duplicates once counted', () => {
    const jb = newBuffer({ minDelayMs: 60 });
    const packets = stream({ count: 300 });
    for (const p of packets) if (p.index % 10 === 5) p.arrivalMs += 35; // arrives after its successor
    const dupEarly = { ...packets[7]!, arrivalMs: packets[7]!.arrivalMs + 5 };
    const dupLate = { ...packets[100]!, arrivalMs: packets[100]!.arrivalMs + 300 };
    const { out } = simulate(jb, [...packets, dupEarly, dupLate], 7000);
    expect(audioIndexes(out)).toEqual(range(0, 300));
    expect(out.slice(0, 300).every((o) => o.kind === 'audio')).toBe(true);
    const s = jb.stats();
    expect(s.duplicates).toBe(2);
    expect(s.late).toBe(0);
    expect(s.played).toBe(300);
    expectStatsAddUp(jb);
  });

  it('conceals a lost packet with a repeat, a longer gap with repeats then silence, and goes on', () => {
    const jb = newBuffer();
    const packets = stream({ count: 200 }).filter((p) => p.index !== 10 && !(p.index >= 50 && p.index < 60));
    const { out } = simulate(jb, packets, 4030, 10); // up to the last packet's turn
    expect(between(out, 9, 11)).toEqual(['concealed']);
    const c = out.find((o) => o.kind === 'concealed')!;
    expect(c.index).toBe(9); // the last frame, repeated
    expect(between(out, 49, 60)).toEqual(['concealed', 'concealed', ...Array(8).fill('silence')]);
    expect(audioIndexes(out)).toEqual(range(0, 200).filter((i) => i !== 10 && !(i >= 50 && i < 60)));
    // The timeline has no hole: every frame is 20 ms and timestamps follow each other.
    for (let i = 1; i < 200; i++) expect((out[i]!.timestamp - out[i - 1]!.timestamp) >>> 0).toBe(160);
    expect(jb.stats()).toMatchObject({ played: 189, concealed: 3, silence: 8, late: 0 });
    expectStatsAddUp(jb);
  });

  it('crosses the 16-bit sequence and 32-bit timestamp wrap without a glitch', () => {
    const jb = newBuffer();
    const packets = stream({ count: 200, seq0: 65_500, ts0: 0xffffffff - 160 * 60 + 1 });
    for (const p of packets) if (p.index % 7 === 3) p.arrivalMs += 15; // some jitter across the wrap
    const { out } = simulate(jb, packets, 5000);
    expect(audioIndexes(out)).toEqual(range(0, 200));
    expect(out.slice(0, 200).every((o) => o.kind === 'audio')).toBe(true);
    expect(out.some((o) => o.timestamp < 1000)).toBe(true); // it did wrap
    for (let i = 1; i < 200; i++) expect((out[i]!.timestamp - out[i - 1]!.timestamp) >>> 0).toBe(160);
    expect(jb.stats()).toMatchObject({ resyncs: 0, timestampJumps: 0, late: 0 });
  });

  it('re-bases a sender clock jump (forward with marker, or backward) without silence', () => {
    for (const jump of [12_345_678, -5_000_000, 0x80000000]) {
      const jb = newBuffer();
      const packets = stream({ count: 200 });
      for (const p of packets.slice(100)) p.ts = (p.ts + jump) >>> 0;
      packets[100]!.marker = true;
      const { out } = simulate(jb, packets, 5000, 10);
      expect(audioIndexes(out)).toEqual(range(0, 200));
      expect(out.slice(0, 200).every((o) => o.kind === 'audio')).toBe(true);
      expect(jb.stats()).toMatchObject({ timestampJumps: 1, late: 0, resyncs: 0 });
    }
  });

  it('plays a talk spurt after silence suppression at the target delay', () => {
    const jb = newBuffer();
    const first = stream({ count: 50 });
    // Two seconds without packets, then the next talk spurt: sequence continues, timestamp and
    // time jump by the pause, marker set.
    const second = stream({ count: 50, seq0: 1050, ts0: 50_000 + 50 * 160 + 16_000, startMs: 1000 + 2000, firstIndex: 50 });
    const { out } = simulate(jb, [...first, ...second], 5000, 10);
    expect(audioIndexes(out)).toEqual(range(0, 100));
    const gap = between(out, 49, 50);
    expect(gap.slice(0, 2)).toEqual(['concealed', 'concealed']);
    expect(gap.slice(2).every((k) => k === 'silence')).toBe(true);
    expect(gap.length).toBe(100); // exactly the 2 s pause: no extra wait, no stall
    const at50 = out.find((o) => o.kind === 'audio' && o.index === 50)!;
    expect(at50.t).toBe(second[0]!.arrivalMs + 20);
    expect(jb.stats()).toMatchObject({ timestampJumps: 0, late: 0, resyncs: 0 });
  });

  it('re-syncs on a new SSRC without a long silence, and ignores stragglers of the old one', () => {
    const jb = newBuffer();
    const a = stream({ count: 100, ssrc: 0xaaaa });
    const b = stream({ count: 100, ssrc: 0xbbbb, seq0: 40_000, ts0: 0x7fff0000, startMs: 2000, firstIndex: 100 });
    const straggler = { ...a[99]!, index: 99, arrivalMs: b[3]!.arrivalMs + 1 };
    const { out } = simulate(jb, [...a, ...b, straggler], 5000, 10);
    expect(audioIndexes(out)).toEqual(range(0, 200));
    expect(between(out, 99, 100).length).toBeLessThanOrEqual(1);
    expect(jb.stats()).toMatchObject({ resyncs: 1, late: 1, played: 200 });
    expectStatsAddUp(jb);
  });

  it('re-syncs when the sequence number jumps far (confirmed by the next packet)', () => {
    const jb = newBuffer();
    const a = stream({ count: 100 });
    const b = stream({ count: 100, seq0: 30_000, ts0: 50_000 + 100 * 160, startMs: 2000, firstIndex: 100 });
    const stray = { ...a[50]!, seq: 9000, index: 9999, arrivalMs: a[50]!.arrivalMs + 1 };
    const { out } = simulate(jb, [...a, ...b, stray], 5000, 10);
    // The stray packet is held in probation and forgotten; the real jump costs one packet.
    expect(audioIndexes(out)).toEqual([...range(0, 100), ...range(101, 200)]);
    expect(between(out, 99, 101).length).toBeLessThanOrEqual(2);
    expect(jb.stats()).toMatchObject({ resyncs: 1, discarded: 2 });
    expectStatsAddUp(jb);
  });

  it('plays a burst (5 packets at once after 100 ms) smoothly and adapts to it', () => {
    const jb = newBuffer();
    const packets = stream({ count: 500 });
    for (const p of packets.slice(100, 105)) p.arrivalMs = packets[100]!.arrivalMs + 100;
    const { out, perTick, delays } = simulate(jb, packets, 11_000, 10);
    // Nothing is late: the burst is played in full, after the concealment it caused.
    expect(audioIndexes(out).slice(0, 105)).toEqual(range(0, 105));
    expect(between(out, 99, 100)).toEqual(['concealed', 'concealed', 'silence', 'silence']);
    expect(perTick.slice(0, 500).every((n) => n === 1)).toBe(true);
    const s = jb.stats();
    expect(s.late).toBe(0);
    const after = delays[106]!;
    expect(after).toBeGreaterThanOrEqual(100);
    // Later the delay shrinks again, one dropped frame at a time, at most one per 500 ms.
    expect(delays[499]!).toBeLessThan(after);
    const skipped = range(0, 500).filter((i) => !audioIndexes(out).includes(i));
    expect(skipped.length).toBe(s.discarded);
    for (let k = 1; k < skipped.length; k++) expect(skipped[k]! - skipped[k - 1]!).toBeGreaterThanOrEqual(25);
  });

  it('plays a stream that arrives in regular bursts of 5 without loss once adapted', () => {
    const jb = newBuffer();
    const packets = stream({ count: 1000 });
    for (const p of packets) p.arrivalMs = packets[Math.floor(p.index / 5) * 5 + 4]!.arrivalMs + 1;
    const { out } = simulate(jb, packets, 21_000, 10);
    const later = out.slice(100, 990);
    expect(later.every((o) => o.kind === 'audio')).toBe(true);
    expect(audioIndexes(out).slice(-900)).toEqual(range(100, 1000));
    expect(jb.stats().delayMs).toBeLessThanOrEqual(120);
  });

  it('adapts to a jitter spike within [min, max], then decays', () => {
    const jb = newBuffer();
    const random = rng(7);
    const packets = stream({ count: 3000 }); // 60 s
    for (const p of packets) {
      const spike = p.sendMs >= 5000 && p.sendMs < 10_000;
      p.arrivalMs += spike ? random() * 150 : random() * 5;
    }
    const { out, delays } = simulate(jb, packets, 61_000, 10);
    for (const d of delays) {
      // The delay is measured against the least-delayed packet of the last ~16 s; when that
      // one ages out the reading moves by a fraction of a millisecond without playout moving.
      expect(d).toBeGreaterThanOrEqual(19.5);
      expect(d).toBeLessThanOrEqual(200);
    }
    const tickOf = (ms: number) => Math.floor(ms / 20);
    expect(Math.max(...delays.slice(tickOf(5000), tickOf(10_000)))).toBeGreaterThanOrEqual(140);
    expect(delays[tickOf(4900)]!).toBeLessThan(40);
    // Slow decay: still high 3 s after the spike, back at the minimum ~20 s after it.
    expect(delays[tickOf(13_000)]!).toBeGreaterThanOrEqual(100);
    expect(delays[tickOf(35_000)]!).toBeLessThan(21);
    expect(delays[tickOf(59_000)]!).toBeLessThan(21);
    // Late packets cluster at the start of the spike; once adapted they are rare.
    const lost = new Set(range(0, 3000));
    for (const i of audioIndexes(out)) lost.delete(i);
    const lostInSpike = [...lost].filter((i) => i >= 250 && i < 500);
    const lostAfterAdapting = lostInSpike.filter((i) => i >= 300);
    expect(lostAfterAdapting.length).toBeLessThanOrEqual(8); // ≤ 4 % of 200 packets
    // Outside the spike nothing is late; what is missing there are the frames dropped, one at
    // a time, to bring the delay back down.
    const outside = [...lost].filter((i) => i < 250 || i >= 520);
    for (let k = 1; k < outside.length; k++) expect(outside[k]! - outside[k - 1]!).toBeGreaterThanOrEqual(25);
    expect(outside.length).toBeLessThanOrEqual(jb.stats().discarded);
    expectStatsAddUp(jb);
  });

  it('never goes above the maximum delay, even when jitter does', () => {
    const jb = newBuffer({ maxDelayMs: 120 });
    const random = rng(3);
    const packets = stream({ count: 1500 });
    for (const p of packets) p.arrivalMs += random() * 400;
    const { delays, perTick } = simulate(jb, packets, 31_000, 10);
    expect(Math.max(...delays)).toBeLessThanOrEqual(120);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(20);
    expect(perTick.slice(0, 1400).every((n) => n === 1)).toBe(true);
    expectStatsAddUp(jb);
  });

  it('handles 10, 30 and 40 ms packets, one output frame per packet', () => {
    for (const frameMs of [10, 30, 40]) {
      // Told the packet time (SDP a=ptime): seamless from the first frame.
      let jb = newBuffer({ defaultFrameMs: frameMs });
      const packets = stream({ count: 300, frameMs });
      const end = 299 * frameMs + 30 + 20 + 20;
      let out = untilLastAudio(simulate(jb, packets, end, 10).out);
      expect(audioIndexes(out)).toEqual(range(0, 300));
      expect(out.every((o) => o.kind === 'audio' && o.samples === frameMs * 8)).toBe(true);
      // Output time equals input time (to the caller's 20 ms tick).
      expect(Math.abs(out.at(-1)!.t - out[0]!.t - 299 * frameMs)).toBeLessThan(20);
      // Not told: learnt from the timestamps after two packets; at most two frames of
      // concealment at the start.
      jb = newBuffer();
      out = untilLastAudio(simulate(jb, packets, end, 10).out);
      expect(audioIndexes(out)).toEqual(range(0, 300));
      expect(out.filter((o) => o.kind !== 'audio').length).toBeLessThanOrEqual(2);
      expect(out.slice(4).every((o) => o.kind === 'audio' && o.samples === frameMs * 8)).toBe(true);
      expect(jb.stats().late).toBe(0);
    }
  });

  it('10 minutes of jitter 0–80 ms, 1 % loss, duplicates, reordering: an unbroken timeline and stats that add up', () => {
    const jb = newBuffer();
    const random = rng(42);
    const all = stream({ count: 30_000 });
    const sent: SimPacket[] = [];
    for (const p of all) {
      if (random() < 0.01) continue; // lost
      p.arrivalMs += random() * 80;
      sent.push(p);
      if (random() < 0.005) sent.push({ ...p, arrivalMs: p.arrivalMs + random() * 100 });
    }
    const { out, delays, perTick } = simulate(jb, sent, 600_500, 10);

    // The cadence never breaks: one 20 ms frame on every tick from the first to the end.
    expect(perTick.every((n) => n === 1)).toBe(true);
    expect(out.every((o) => o.samples === 160)).toBe(true);
    // Audio in order, each sender frame at most once, timestamps increasing with it.
    const audio = audioIndexes(out);
    for (let i = 1; i < audio.length; i++) expect(audio[i]!).toBeGreaterThan(audio[i - 1]!);
    const audioTs = out.filter((o) => o.kind === 'audio').map((o) => o.timestamp);
    for (let i = 1; i < audioTs.length; i++) expect(timestampDelta(audioTs[i - 1]!, audioTs[i]!)).toBeGreaterThan(0);

    const s = jb.stats();
    expect(s.received).toBe(sent.length);
    expectStatsAddUp(jb);
    expect(s.played + s.concealed + s.silence).toBe(out.length);
    expect(s.played).toBe(audio.length);
    expect(s.played).toBeGreaterThan(0.97 * all.length);
    expect(s.late).toBeLessThan(0.02 * all.length);
    expect(s.duplicates).toBeGreaterThan(100);
    expect(s.resyncs).toBe(0);
    for (const d of delays) {
      expect(d).toBeGreaterThanOrEqual(20);
      expect(d).toBeLessThanOrEqual(200);
    }
    expect(s.targetDelayMs).toBeGreaterThanOrEqual(60);
    expect(s.targetDelayMs).toBeLessThanOrEqual(100);
  });
});
