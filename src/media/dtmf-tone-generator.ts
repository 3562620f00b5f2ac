// Dual-tone (DTMF) PCM16 generation: for tests of the in-band detector and for sending in-band
// DTMF to legs without telephone-event. Levels are in dBm0 per tone: a 0 dBm0 sine is 3.14 dB
// below a full-scale sine (G.711, ITU-T G.168 convention), i.e. peak ≈ 22 700 in PCM16.

import { digitToEvent, type DtmfDigit } from './dtmf-digit.ts';

export const DTMF_ROW_HZ = [697, 770, 852, 941] as const;
export const DTMF_COL_HZ = [1209, 1336, 1477, 1633] as const;
/** Keypad layout: row r, column c → key. */
export const DTMF_KEYPAD: readonly (readonly DtmfDigit[])[] = [
  ['1', '2', '3', 'A'],
  ['4', '5', '6', 'B'],
  ['7', '8', '9', 'C'],
  ['*', '0', '#', 'D'],
];

const FULL_SCALE_DBM0 = 3.14;

/** Peak amplitude (PCM16) of a sine at `dbm0`. */
export function dbm0ToAmplitude(dbm0: number): number {
  return 32768 * 10 ** ((dbm0 - FULL_SCALE_DBM0) / 20);
}

/** Level in dBm0 of a sine with peak amplitude `amplitude` (PCM16). */
export function amplitudeToDbm0(amplitude: number): number {
  return 20 * Math.log10(amplitude / 32768) + FULL_SCALE_DBM0;
}

/** The [low, high] frequencies of a key, undefined for flash (no tone). */
export function dtmfFrequencies(digit: DtmfDigit | string): [number, number] | undefined {
  const e = digitToEvent(digit);
  if (e === undefined || e === 16) return undefined;
  for (let r = 0; r < 4; r++) {
    const c = DTMF_KEYPAD[r]!.indexOf(digit.toUpperCase() as DtmfDigit);
    if (c >= 0) return [DTMF_ROW_HZ[r]!, DTMF_COL_HZ[c]!];
  }
  return undefined;
}

export interface DtmfToneOptions {
  /** Low-group (row) tone level, dBm0. Default -7. */
  lowDbm0?: number;
  /** High-group (column) tone level, dBm0. Default -5 (high group 2 dB up, as phones send). */
  highDbm0?: number;
  sampleRate?: number;
  /** Frequency error applied to both tones, e.g. 0.015 for +1.5 %. Default 0. */
  frequencyError?: number;
}

/** Phase-continuous dual-tone source: fill() any number of times, any length. */
export class DtmfToneGenerator {
  private readonly wLow: number;
  private readonly wHigh: number;
  private readonly aLow: number;
  private readonly aHigh: number;
  private n = 0;

  constructor(digit: DtmfDigit | string, opts: DtmfToneOptions = {}) {
    const f = dtmfFrequencies(digit);
    if (f === undefined) throw new RangeError(`no tone for ${JSON.stringify(digit)}`);
    const rate = opts.sampleRate ?? 8000;
    const k = 1 + (opts.frequencyError ?? 0);
    this.wLow = (2 * Math.PI * f[0] * k) / rate;
    this.wHigh = (2 * Math.PI * f[1] * k) / rate;
    this.aLow = dbm0ToAmplitude(opts.lowDbm0 ?? -7);
    this.aHigh = dbm0ToAmplitude(opts.highDbm0 ?? -5);
  }

  /** Writes `length` samples at `offset` of `out` (added to what is there when `mix`), clipped to PCM16. */
  fill(out: Int16Array, offset = 0, length = out.length - offset, mix = false): void {
    for (let i = 0; i < length; i++, this.n++) {
      let v = this.aLow * Math.sin(this.wLow * this.n) + this.aHigh * Math.sin(this.wHigh * this.n);
      if (mix) v += out[offset + i]!;
      out[offset + i] = v > 32767 ? 32767 : v < -32768 ? -32768 : Math.round(v);
    }
  }
}

/** `durationMs` of the key's dual tone as a new buffer. */
export function generateDtmfTone(digit: DtmfDigit | string, durationMs: number, opts: DtmfToneOptions = {}): Int16Array {
  const out = new Int16Array(Math.round((durationMs * (opts.sampleRate ?? 8000)) / 1000));
  new DtmfToneGenerator(digit, opts).fill(out);
  return out;
}
