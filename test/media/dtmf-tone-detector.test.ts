import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DtmfToneDetector, type DetectedDtmfEnd } from '../../src/media/dtmf-tone-detector.ts';
import { DtmfToneGenerator, amplitudeToDbm0, dbm0ToAmplitude, dtmfFrequencies, generateDtmfTone } from '../../src/media/dtmf-tone-generator.ts';
import { decodeAlaw, decodeUlaw, encodeAlaw, encodeUlaw } from '../../src/media/g711.ts';
import { readWav } from '../../src/media/wav-reader.ts';

const SPEECH_WAV = fileURLToPath(new URL('../fixtures/speech/speech-8k.wav', import.meta.url));
const KEYS = '0123456789*#ABCD';

/** Deterministic PRNG (mulberry32), so a failure can be reproduced. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const uniform = (lo: number, hi: number) => lo + (hi - lo) * next();
  const int = (lo: number, hi: number) => Math.floor(uniform(lo, hi + 1));
  const gauss = () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  return { next, uniform, int, gauss };
}

type Codec = 'alaw' | 'ulaw' | 'none';

function g711RoundTrip(pcm: Int16Array, codec: Codec): Int16Array {
  if (codec === 'none') return pcm;
  const bytes = new Uint8Array(pcm.length);
  const out = new Int16Array(pcm.length);
  if (codec === 'alaw') {
    encodeAlaw(pcm, bytes);
    decodeAlaw(bytes, out);
  } else {
    encodeUlaw(pcm, bytes);
    decodeUlaw(bytes, out);
  }
  return out;
}

interface Scenario {
  seed: number;
  keys: string;
  codec: Codec;
  levels?: [number, number]; // dBm0 per tone (low group), range
  twist?: [number, number]; // high minus low, dB
  snr?: [number, number]; // dB, noise against both tones' power
  toneMs?: [number, number];
  pauseMs?: [number, number];
  freqError?: number;
}

/** A key sequence as a line would carry it: tones and pauses, white noise at the given SNR, G.711. */
function keySignal(s: Scenario): Int16Array {
  const r = rng(s.seed);
  const [lvLo, lvHi] = s.levels ?? [-25, -10];
  const [twLo, twHi] = s.twist ?? [-7, 3];
  const [snrLo, snrHi] = s.snr ?? [15, 20];
  const [tLo, tHi] = s.toneMs ?? [40, 100];
  const [pLo, pHi] = s.pauseMs ?? [40, 100];
  const parts: Int16Array[] = [];
  const lead = new Int16Array(r.int(0, 400)); // random alignment against the detector's blocks
  parts.push(lead);
  let noiseSigma = dbm0ToAmplitude(-40) / Math.SQRT2;
  for (const key of s.keys) {
    const low = r.uniform(lvLo, lvHi);
    const high = low + r.uniform(twLo, twHi);
    const tone = generateDtmfTone(key, r.uniform(tLo, tHi), { lowDbm0: low, highDbm0: high, frequencyError: s.freqError ?? 0 });
    const power = dbm0ToAmplitude(low) ** 2 / 2 + dbm0ToAmplitude(high) ** 2 / 2;
    noiseSigma = Math.sqrt(power / 10 ** (r.uniform(snrLo, snrHi) / 10));
    const pause = new Int16Array(Math.round(r.uniform(pLo, pHi) * 8));
    for (const seg of [tone, pause]) {
      for (let i = 0; i < seg.length; i++) seg[i] = Math.max(-32768, Math.min(32767, Math.round(seg[i]! + noiseSigma * r.gauss())));
      parts.push(seg);
    }
  }
  const total = parts.reduce((n, p) => n + p.length, 0);
  const pcm = new Int16Array(total);
  let o = 0;
  for (const p of parts) {
    pcm.set(p, o);
    o += p.length;
  }
  return g711RoundTrip(pcm, s.codec);
}

function detect(pcm: Int16Array, seed = 1, opts: { chunks?: 'random' | number } = {}) {
  const r = rng(seed);
  const digits: string[] = [];
  const ends: DetectedDtmfEnd[] = [];
  const det = new DtmfToneDetector({ onDigit: (d) => digits.push(d.digit), onDigitEnd: (e) => ends.push(e) });
  for (let i = 0; i < pcm.length; ) {
    const n = opts.chunks === undefined || opts.chunks === 'random' ? r.int(1, 400) : opts.chunks;
    det.push(pcm.subarray(i, i + n));
    i += n;
  }
  det.flush();
  return { digits: digits.join(''), ends };
}

describe('DTMF tone generator', () => {
  it('puts the two tones at the asked levels', () => {
    expect(dtmfFrequencies('5')).toEqual([770, 1336]);
    expect(dtmfFrequencies('#')).toEqual([941, 1477]);
    expect(dtmfFrequencies('d')).toEqual([941, 1633]);
    expect(dtmfFrequencies('!')).toBeUndefined();
    expect(amplitudeToDbm0(dbm0ToAmplitude(-13))).toBeCloseTo(-13, 9);
    const t = generateDtmfTone('1', 1000, { lowDbm0: -10, highDbm0: -10 });
    let sumSq = 0;
    for (const v of t) sumSq += v * v;
    const rmsPerTone = Math.sqrt(sumSq / t.length / 2);
    expect(amplitudeToDbm0(rmsPerTone * Math.SQRT2)).toBeCloseTo(-10, 1);
    // Phase continuity: two fills equal one.
    const g = new DtmfToneGenerator('7');
    const a = new Int16Array(300);
    g.fill(a, 0, 120);
    g.fill(a, 120, 180);
    expect([...a]).toEqual([...generateDtmfTone('7', 37.5)]);
    expect(() => new DtmfToneGenerator('x')).toThrow(RangeError);
  });
});

describe('DTMF tone detector (Goertzel)', () => {
  it('finds every key once, in order, clean and at -10…-25 dBm0, in any chunk size', () => {
    const keys = KEYS + '1155500##';
    const clean = keySignal({ seed: 7, keys, codec: 'none', snr: [60, 60] });
    expect(detect(clean, 1, { chunks: 1 }).digits).toBe(keys);
    expect(detect(clean, 2, { chunks: 160 }).digits).toBe(keys);
    expect(detect(clean, 3, { chunks: clean.length }).digits).toBe(keys);
  });

  for (const codec of ['alaw', 'ulaw'] as const) {
    it(`finds every key exactly once in 15–20 dB SNR white noise through G.711 ${codec}, 40–100 ms tones and pauses, random chunks`, () => {
      let total = 0;
      for (let seed = 1; seed <= 12; seed++) {
        const r = rng(seed * 101);
        // Every key three times in random order, with runs of repeated keys.
        const keys = [...KEYS, ...KEYS, ...KEYS].sort(() => r.next() - 0.5).join('') + '7777';
        const pcm = keySignal({ seed, keys, codec });
        expect({ seed, digits: detect(pcm, seed).digits }).toEqual({ seed, digits: keys });
        total += keys.length;
      }
      expect(total).toBe(12 * 52);
    });
  }

  it('accepts the twist limits (high +4 dB, low +8 dB) and ±1.5 % frequency error; reports the tone length', () => {
    const keys = KEYS;
    expect(detect(keySignal({ seed: 3, keys, codec: 'alaw', twist: [3.5, 4], snr: [20, 20] })).digits).toBe(keys);
    expect(detect(keySignal({ seed: 4, keys, codec: 'alaw', twist: [-8, -7.5], levels: [-20, -10], snr: [20, 20] })).digits).toBe(keys);
    expect(detect(keySignal({ seed: 5, keys, codec: 'ulaw', freqError: 0.015, snr: [20, 25] })).digits).toBe(keys);
    expect(detect(keySignal({ seed: 6, keys, codec: 'ulaw', freqError: -0.015, snr: [20, 25] })).digits).toBe(keys);
    const { ends } = detect(keySignal({ seed: 8, keys: '5', codec: 'none', toneMs: [200, 200], snr: [40, 40] }));
    expect(ends).toHaveLength(1);
    expect(ends[0]!.durationMs).toBeGreaterThanOrEqual(170);
    expect(ends[0]!.durationMs).toBeLessThanOrEqual(230);
  });

  it('rejects what is not a key press: excess twist, too quiet, one tone, too short, noise, silence', () => {
    const none = (pcm: Int16Array) => expect(detect(pcm).digits).toBe('');
    none(keySignal({ seed: 1, keys: KEYS, codec: 'alaw', twist: [8, 9], snr: [30, 30] })); // high group 8–9 dB up
    none(keySignal({ seed: 2, keys: KEYS, codec: 'alaw', twist: [-14, -13], levels: [-12, -10], snr: [30, 30] }));
    none(keySignal({ seed: 3, keys: KEYS, codec: 'alaw', levels: [-50, -45], twist: [0, 0], snr: [30, 30] }));
    none(keySignal({ seed: 4, keys: KEYS, codec: 'alaw', toneMs: [15, 20] }));
    const single = new Int16Array(8000);
    for (let i = 0; i < single.length; i++) single[i] = Math.round(3000 * Math.sin((2 * Math.PI * 697 * i) / 8000));
    none(single);
    const r = rng(9);
    const noise = new Int16Array(8000 * 10);
    for (let i = 0; i < noise.length; i++) noise[i] = Math.round(4000 * r.gauss());
    none(g711RoundTrip(noise, 'alaw'));
    none(new Int16Array(8000));
  });

  it('finds zero keys in speech (espeak-ng English and Mandarin/Cantonese, committed WAV), also through G.711', () => {
    const wav = readWav(SPEECH_WAV);
    expect(wav).toMatchObject({ format: 'pcm16', sampleRate: 8000, channels: 1 });
    const pcm = new Int16Array(wav.data.length / 2);
    for (let i = 0; i < pcm.length; i++) pcm[i] = wav.data.readInt16LE(i * 2);
    expect(pcm.length / 8000).toBeGreaterThan(20);
    for (const codec of ['none', 'alaw', 'ulaw'] as const) {
      for (const gainDb of [0, -10, -20]) {
        const g = 10 ** (gainDb / 20);
        const scaled = pcm.map((v) => Math.round(v * g));
        expect({ codec, gainDb, digits: detect(g711RoundTrip(scaled, codec)).digits }).toEqual({ codec, gainDb, digits: '' });
      }
    }
  });

  it('runs well under real time (many legs per worker)', () => {
    const pcm = keySignal({ seed: 11, keys: KEYS.repeat(20), codec: 'alaw' });
    const det = new DtmfToneDetector({ onDigit: () => {} });
    const t0 = performance.now();
    for (let i = 0; i < pcm.length; i += 160) det.push(pcm.subarray(i, i + 160));
    const ms = performance.now() - t0;
    const audioMs = (pcm.length / 8000) * 1000;
    expect(ms / audioMs).toBeLessThan(0.05); // < 5 % of one core per leg even on a slow CI machine
  });
});
