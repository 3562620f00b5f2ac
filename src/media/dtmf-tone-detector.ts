// In-band DTMF detection (Goertzel) on 8 kHz linear PCM16, for legs without telephone-event.
//
// The signal is cut into blocks of N samples (default 102 = 12.75 ms, the block Asterisk and
// spandsp use). For each block the energy at the 8 DTMF frequencies is computed with the
// Goertzel recurrence (coefficients precomputed; no allocation per block) and the block is a
// "hit" for a key when all of these hold:
//   - level: both tones above `minLevelDbm0` (default -36 dBm0 per tone);
//   - twist: the nominal limits (Bellcore, Asterisk/spandsp) are high group up to 4 dB above the
//     low one ("reverse twist") and low group up to 8 dB above the high one ("normal twist").
//     A 102-sample Goertzel measures twist only to ±1.5–2 dB (a strong tone leaks through the
//     rectangular window's sidelobes into a weak tone's bin; ±1.5 % frequency error costs up to
//     0.8 dB of scalloping), so the check is at +6 / -10 dB: every key within the nominal limits
//     is accepted (tested at the edges), and twist well beyond them is still rejected;
//   - relative peak: the strongest row and column at least 8 dB above every other row/column,
//     plus what the other group's tone leaks into that bin (with 8 dB twist the row tone's
//     sidelobes reach -13 dB re the column; without the allowance such keys were missed);
//   - purity: the two tones carry at least `minToneFraction` (0.7) of the block's energy —
//     speech, music and noise spread their energy, DTMF does not. spandsp uses 0.82, but a key
//     at +1.5 % frequency error in 15 dB SNR measures 0.8–0.9; the espeak speech sample never
//     exceeds ~0.6 on blocks that pass the other checks;
//   - 2nd harmonics (evaluated only for a candidate): each tone at least 10 dB (row) / 15 dB
//     (column) above the energy at twice its frequency, after allowing for the leakage of the
//     other DTMF tone into that bin (1336 Hz sits 58 Hz from 2 × 697 Hz at N = 102): voiced
//     speech has a full harmonic series, a DTMF generator has none.
// A key is reported when two consecutive blocks hit the same key (25.5 ms; any 40 ms tone
// contains two whole blocks of 102), and released after two consecutive blocks that do not hit
// it (any 40 ms pause contains two whole blocks), so one key press gives exactly one digit, a
// one-block dropout in noise does not split a digit, and repeated keys need a pause.
//
// Incremental: push() takes any chunk size and carries the partial block over. Cost: 8
// Goertzel filters per sample (+ 2 on candidate blocks): ~36 ns/sample in V8, about 3 500 legs
// per core for detection alone. The first detector built for a block size spends ~15 ms on the
// leakage table (cached for the process).

import { DTMF_COL_HZ, DTMF_KEYPAD, DTMF_ROW_HZ, dbm0ToAmplitude } from './dtmf-tone-generator.ts';
import type { DtmfDigit } from './dtmf-digit.ts';

export interface DetectedDtmf {
  digit: DtmfDigit;
  /** Stream position (samples since the detector started) of the first block that hit. */
  startSample: number;
}

export interface DetectedDtmfEnd extends DetectedDtmf {
  /** Samples from the first to the last hit block (a block-resolution estimate of the tone length). */
  durationSamples: number;
  durationMs: number;
}

export interface DtmfToneDetectorOptions {
  onDigit: (d: DetectedDtmf) => void;
  /** Called when a reported key is released. */
  onDigitEnd?: (d: DetectedDtmfEnd) => void;
  sampleRate?: number;
  /** Goertzel block, 102–205 samples at 8 kHz. Default 102. */
  blockSize?: number;
  /** Minimum level per tone, dBm0. Default -36. */
  minLevelDbm0?: number;
  /** High group above low group, max dB ("reverse twist"). Default 6: accepts the nominal 4 dB despite measurement error. */
  maxHighOverLowDb?: number;
  /** Low group above high group, max dB ("normal twist"). Default 10: accepts the nominal 8 dB despite measurement error. */
  maxLowOverHighDb?: number;
  /** Strongest row/column over the others, min dB. Default 8. */
  relativePeakDb?: number;
  /** Fraction of the block's energy in the two tones. Default 0.7. */
  minToneFraction?: number;
  /** Row / column tone over its 2nd harmonic, min dB. Defaults 10 / 15. */
  rowHarmonicDb?: number;
  colHarmonicDb?: number;
}

const db = (x: number): number => 10 ** (x / 10);

export class DtmfToneDetector {
  private readonly n: number;
  private readonly rate: number;
  private readonly onDigit: (d: DetectedDtmf) => void;
  private readonly onDigitEnd: ((d: DetectedDtmfEnd) => void) | undefined;
  private readonly coef = new Float64Array(8); // rows 0–3, columns 4–7
  private readonly coef2 = new Float64Array(8); // at twice the frequency
  /**
   * Leakage (see leakageTable): [r*4+c] column tone c into row r's harmonic bin; [16+c*4+r] row
   * tone r into column c's harmonic bin; [32+c*4+r] column tone c into row bin r; [48+r*4+c] row
   * tone r into column bin c.
   */
  private readonly leak: Float64Array;
  private readonly power = new Float64Array(8);
  private readonly block: Float64Array;
  private readonly threshold: number;
  private readonly highOverLow: number;
  private readonly lowOverHigh: number;
  private readonly relPeak: number;
  private readonly toneFraction: number;
  private readonly rowHarm: number;
  private readonly colHarm: number;

  private fill = 0;
  private blockStart = 0; // stream position of the block being filled
  private lastHit = -1; // key index (row*4+col) hit by the previous block, -1 none
  private current = -1; // key being held (reported), -1 none
  private currentStart = 0;
  private currentLastHitEnd = 0;
  private misses = 0;
  private candidateStart = 0;

  constructor(opts: DtmfToneDetectorOptions) {
    this.rate = opts.sampleRate ?? 8000;
    this.n = Math.round(opts.blockSize ?? (102 * this.rate) / 8000);
    if (this.n < 32 || this.n > 1024) throw new RangeError(`block size ${this.n}`);
    this.onDigit = opts.onDigit;
    this.onDigitEnd = opts.onDigitEnd;
    this.block = new Float64Array(this.n);
    const freqs = [...DTMF_ROW_HZ, ...DTMF_COL_HZ];
    for (let k = 0; k < 8; k++) {
      this.coef[k] = 2 * Math.cos((2 * Math.PI * freqs[k]!) / this.rate);
      this.coef2[k] = 2 * Math.cos((2 * Math.PI * 2 * freqs[k]!) / this.rate);
    }
    this.leak = leakageTable(this.n, this.rate, this.coef, this.coef2);
    const amp = dbm0ToAmplitude(opts.minLevelDbm0 ?? -36);
    this.threshold = ((amp * this.n) / 2) ** 2;
    this.highOverLow = db(opts.maxHighOverLowDb ?? 6);
    this.lowOverHigh = db(opts.maxLowOverHighDb ?? 10);
    this.relPeak = db(opts.relativePeakDb ?? 8);
    // A pure tone at its bin frequency gives |X|² = (A·N/2)² against Σx² = A²·N/2: ratio N/2.
    this.toneFraction = (opts.minToneFraction ?? 0.7) * (this.n / 2);
    this.rowHarm = db(opts.rowHarmonicDb ?? 10);
    this.colHarm = db(opts.colHarmonicDb ?? 15);
  }

  /** Feeds samples (any count). Digits are reported through the callbacks as they are found. */
  push(samples: Int16Array): void {
    const n = this.n;
    const block = this.block;
    let fill = this.fill;
    for (let i = 0; i < samples.length; i++) {
      block[fill++] = samples[i]!;
      if (fill === n) {
        this.fill = 0;
        this.processBlock();
        this.blockStart += n;
        fill = 0;
      }
    }
    this.fill = fill;
  }

  /** Releases a key still held (end of stream). The partial block is dropped. */
  flush(): void {
    this.release();
    this.lastHit = -1;
    this.misses = 0;
  }

  /** Samples consumed so far (stream position). */
  get position(): number {
    return this.blockStart + this.fill;
  }

  private goertzel(coef: number): number {
    return goertzel(this.block, coef);
  }

  private processBlock(): void {
    const hit = this.classify();
    if (hit >= 0 && hit === this.current) {
      this.misses = 0;
      this.currentLastHitEnd = this.blockStart + this.n;
    } else {
      if (this.current >= 0 && ++this.misses >= 2) this.release();
      if (hit >= 0 && hit === this.lastHit && this.current < 0) {
        this.current = hit;
        this.currentStart = this.candidateStart;
        this.currentLastHitEnd = this.blockStart + this.n;
        this.misses = 0;
        this.onDigit({ digit: keyDigit(hit), startSample: this.currentStart });
      }
      // A different key straight after another (no pause) is reported once the old one is
      // released, i.e. after two blocks of the new key.
    }
    if (hit >= 0 && hit !== this.lastHit) this.candidateStart = this.blockStart;
    this.lastHit = hit;
  }

  private release(): void {
    if (this.current < 0) return;
    const key = this.current;
    this.current = -1;
    this.misses = 0;
    if (this.onDigitEnd) {
      const durationSamples = this.currentLastHitEnd - this.currentStart;
      this.onDigitEnd({
        digit: keyDigit(key),
        startSample: this.currentStart,
        durationSamples,
        durationMs: Math.round((durationSamples * 1000) / this.rate),
      });
    }
  }

  /** The key this block is a hit for, or -1. */
  private classify(): number {
    const x = this.block;
    const n = this.n;
    let energy = 0;
    for (let i = 0; i < n; i++) energy += x[i]! * x[i]!;
    const p = this.power;
    for (let k = 0; k < 8; k++) p[k] = this.goertzel(this.coef[k]!);

    let r = 0;
    for (let k = 1; k < 4; k++) if (p[k]! > p[r]!) r = k;
    let c = 4;
    for (let k = 5; k < 8; k++) if (p[k]! > p[c]!) c = k;
    const rowE = p[r]!;
    const colE = p[c]!;
    if (rowE < this.threshold || colE < this.threshold) return -1;
    if (colE > rowE * this.highOverLow || rowE > colE * this.lowOverHigh) return -1;
    // Relative peak, allowing for the other group's tone leaking into this group's bins (a row
    // tone 8 dB above the column leaks into the other column bins at about -13 dB re the column).
    const ci = c - 4;
    const leak = this.leak;
    const rowFloor = Math.sqrt(rowE / this.relPeak);
    const colFloor = Math.sqrt(colE / this.relPeak);
    for (let k = 0; k < 4; k++) if (k !== r && Math.sqrt(p[k]!) > rowFloor + Math.sqrt(colE * leak[32 + ci * 4 + k]!)) return -1;
    for (let k = 0; k < 4; k++) if (k !== ci && Math.sqrt(p[4 + k]!) > colFloor + Math.sqrt(rowE * leak[48 + r * 4 + k]!)) return -1;
    if (rowE + colE < this.toneFraction * energy) return -1;

    // 2nd harmonics: |h| ≤ |own/ratio| + |leak of the other tone|, amplitudes adding in phase at worst.
    const rowH = this.goertzel(this.coef2[r]!);
    if (Math.sqrt(rowH) > Math.sqrt(rowE / this.rowHarm) + Math.sqrt(colE * this.leak[r * 4 + ci]!)) return -1;
    const colH = this.goertzel(this.coef2[c]!);
    if (Math.sqrt(colH) > Math.sqrt(colE / this.colHarm) + Math.sqrt(rowE * this.leak[16 + ci * 4 + r]!)) return -1;
    return r * 4 + ci;
  }
}

function goertzel(x: Float64Array, coef: number): number {
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < x.length; i++) {
    const s0 = x[i]! + coef * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return s1 * s1 + s2 * s2 - coef * s1 * s2;
}

const leakageTables = new Map<string, Float64Array>();

/**
 * How much of each tone's energy (relative to what its own bin sees) appears in the other
 * group's bins and 2nd-harmonic bins, worst case over phase and over ±2 % frequency error (a 1633 Hz tone
 * 1.5 % high sits 46 Hz from 2 × 852 Hz). Computed once per block size and rate.
 */
function leakageTable(n: number, rate: number, coef: Float64Array, coef2: Float64Array): Float64Array {
  const key = `${n}/${rate}`;
  const cached = leakageTables.get(key);
  if (cached) return cached;
  const freqs = [...DTMF_ROW_HZ, ...DTMF_COL_HZ];
  const x = new Float64Array(n);
  const worst = (freq: number, ownCoef: number, binCoef: number): number => {
    let w = 0;
    for (let e = -0.02; e <= 0.0201; e += 0.005) {
      for (let p = 0; p < 8; p++) {
        for (let i = 0; i < n; i++) x[i] = Math.sin((2 * Math.PI * freq * (1 + e) * i) / rate + (p * Math.PI) / 8);
        const own = goertzel(x, ownCoef);
        if (own > 0) w = Math.max(w, goertzel(x, binCoef) / own);
      }
    }
    return w;
  };
  const leak = new Float64Array(64);
  for (let r = 0; r < 4; r++) {
    for (let c = 0; c < 4; c++) {
      leak[r * 4 + c] = worst(freqs[4 + c]!, coef[4 + c]!, coef2[r]!);
      leak[16 + c * 4 + r] = worst(freqs[r]!, coef[r]!, coef2[4 + c]!);
      leak[32 + c * 4 + r] = worst(freqs[4 + c]!, coef[4 + c]!, coef[r]!);
      leak[48 + r * 4 + c] = worst(freqs[r]!, coef[r]!, coef[4 + c]!);
    }
  }
  leakageTables.set(key, leak);
  return leak;
}

function keyDigit(key: number): DtmfDigit {
  return DTMF_KEYPAD[key >> 2]![key & 3]!;
}
