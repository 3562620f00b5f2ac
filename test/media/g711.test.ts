import { describe, expect, it } from 'vitest';
import {
  ALAW_TO_LINEAR, ULAW_TO_LINEAR, LINEAR_TO_ALAW, LINEAR_TO_ULAW, ALAW_TO_ULAW, ULAW_TO_ALAW,
  decodeAlaw, decodeUlaw, encodeAlaw, encodeUlaw, alawToUlaw, ulawToAlaw,
} from '../../src/media/g711.ts';

const enc = (table: Uint8Array, s: number) => table[s & 0xffff]!;

describe('G.711 tables', () => {
  it('decodes the reference values (G.191 scaling)', () => {
    expect(ALAW_TO_LINEAR[0xd5]).toBe(8); // A-law "zero": the smallest positive step
    expect(ALAW_TO_LINEAR[0x55]).toBe(-8);
    expect(ALAW_TO_LINEAR[0xaa]).toBe(32256); // full scale
    expect(ALAW_TO_LINEAR[0x2a]).toBe(-32256);
    expect(ULAW_TO_LINEAR[0xff]).toBe(0);
    expect(ULAW_TO_LINEAR[0x7f]).toBe(0);
    expect(ULAW_TO_LINEAR[0x80]).toBe(32124);
    expect(ULAW_TO_LINEAR[0x00]).toBe(-32124);
    expect(ULAW_TO_LINEAR[0xfe]).toBe(8);
    expect(ULAW_TO_LINEAR[0x7e]).toBe(-8);
  });

  it('encodes the reference values, saturating at full scale', () => {
    expect(enc(LINEAR_TO_ALAW, 0)).toBe(0xd5);
    expect(enc(LINEAR_TO_ALAW, -1)).toBe(0x55);
    expect(enc(LINEAR_TO_ALAW, 32767)).toBe(0xaa);
    expect(enc(LINEAR_TO_ALAW, -32768)).toBe(0x2a);
    expect(enc(LINEAR_TO_ULAW, 0)).toBe(0xff);
    expect(enc(LINEAR_TO_ULAW, -1)).toBe(0x7f);
    expect(enc(LINEAR_TO_ULAW, 32767)).toBe(0x80);
    expect(enc(LINEAR_TO_ULAW, -32768)).toBe(0x00);
  });

  it('round-trips all 256 codes of each law (code → linear → code)', () => {
    for (let c = 0; c < 256; c++) {
      expect(enc(LINEAR_TO_ALAW, ALAW_TO_LINEAR[c]!)).toBe(c);
      const u = enc(LINEAR_TO_ULAW, ULAW_TO_LINEAR[c]!);
      // µ-law has two codes for zero (0xFF and 0x7F): both decode to 0, which encodes as 0xFF.
      expect(u).toBe(c === 0x7f ? 0xff : c);
    }
  });

  it('is monotonic: decoded values sorted by magnitude and encoding never goes backwards', () => {
    // Positive A-law codes in magnitude order are (i ^ 0xD5) for i = 0..127.
    for (let i = 1; i < 128; i++) {
      expect(ALAW_TO_LINEAR[i ^ 0xd5]!).toBeGreaterThan(ALAW_TO_LINEAR[(i - 1) ^ 0xd5]!);
      expect(ULAW_TO_LINEAR[0xff - i]!).toBeGreaterThan(ULAW_TO_LINEAR[0xff - i + 1]!);
    }
    let prevA = -Infinity;
    let prevU = -Infinity;
    for (let s = -32768; s < 32768; s++) {
      const a = ALAW_TO_LINEAR[enc(LINEAR_TO_ALAW, s)]!;
      const u = ULAW_TO_LINEAR[enc(LINEAR_TO_ULAW, s)]!;
      expect(a >= prevA && u >= prevU).toBe(true);
      prevA = a;
      prevU = u;
    }
  });

  it('quantises every sample to the nearest-below decision interval (error bounded by the step)', () => {
    for (let s = -32768; s < 32768; s++) {
      const a = ALAW_TO_LINEAR[enc(LINEAR_TO_ALAW, s)]!;
      const u = ULAW_TO_LINEAR[enc(LINEAR_TO_ULAW, s)]!;
      // Largest step is 1024 for A-law (segment 7) and 1024 for µ-law (segment 7): error ≤ half a step,
      // except at clipping.
      if (Math.abs(s) <= 32000) {
        expect(Math.abs(a - s)).toBeLessThanOrEqual(516);
        expect(Math.abs(u - s)).toBeLessThanOrEqual(516);
      }
    }
  });

  it('transcoding tables equal decode → encode', () => {
    for (let c = 0; c < 256; c++) {
      expect(ALAW_TO_ULAW[c]).toBe(enc(LINEAR_TO_ULAW, ALAW_TO_LINEAR[c]!));
      expect(ULAW_TO_ALAW[c]).toBe(enc(LINEAR_TO_ALAW, ULAW_TO_LINEAR[c]!));
    }
    expect(ALAW_TO_ULAW[0xd5]).toBe(0xfe); // +8 is exact in µ-law
    expect(ULAW_TO_ALAW[0xff]).toBe(0xd5); // silence stays silence
  });
});

describe('G.711 buffer functions', () => {
  it('decode, encode and transcode whole buffers, in place where the types allow', () => {
    const codes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const lin = new Int16Array(256);
    expect(decodeAlaw(codes, lin)).toBe(256);
    expect(Array.from(lin)).toEqual(Array.from(ALAW_TO_LINEAR));
    const back = new Uint8Array(256);
    encodeAlaw(lin, back);
    expect(Array.from(back)).toEqual(Array.from(codes));
    decodeUlaw(codes, lin);
    encodeUlaw(lin, back);
    expect(back[0x7f]).toBe(0xff);
    const t = Uint8Array.from(codes);
    alawToUlaw(t, t);
    expect(Array.from(t)).toEqual(Array.from(ALAW_TO_ULAW));
    ulawToAlaw(codes, t);
    expect(Array.from(t)).toEqual(Array.from(ULAW_TO_ALAW));
  });

  it('converts only as many samples as the shorter buffer holds', () => {
    expect(decodeAlaw(new Uint8Array(160), new Int16Array(80))).toBe(80);
    expect(alawToUlaw(new Uint8Array(10), new Uint8Array(160))).toBe(10);
  });
});
