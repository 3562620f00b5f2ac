// ITU-T G.711 A-law and µ-law by table lookup. The tables are computed once at load with the
// reference segment algorithms (the G.191 / Sun g711.c ones), so every per-packet conversion is
// a single indexed read per sample. Encode tables are indexed by the 16-bit sample as unsigned
// (sample & 0xffff): 64 KiB each, cheaper per sample than a segment search.

/** A-law code → linear PCM16 (G.711 decision values scaled to 16 bits). */
export const ALAW_TO_LINEAR = new Int16Array(256);
/** µ-law code → linear PCM16. */
export const ULAW_TO_LINEAR = new Int16Array(256);
/** Linear PCM16 (as unsigned 16-bit index) → A-law code. */
export const LINEAR_TO_ALAW = new Uint8Array(65536);
/** Linear PCM16 (as unsigned 16-bit index) → µ-law code. */
export const LINEAR_TO_ULAW = new Uint8Array(65536);
/** A-law code → µ-law code, for transcoding without going through linear per sample. */
export const ALAW_TO_ULAW = new Uint8Array(256);
/** µ-law code → A-law code. */
export const ULAW_TO_ALAW = new Uint8Array(256);

/** The code of digital silence: what to send or write when there is nothing to play. */
export const ALAW_SILENCE = 0xd5;
export const ULAW_SILENCE = 0xff;

function alawToLinearRef(code: number): number {
  const a = code ^ 0x55;
  let t = (a & 0x0f) << 4;
  const seg = (a & 0x70) >> 4;
  if (seg === 0) t += 8;
  else t = (t + 0x108) << (seg - 1);
  return a & 0x80 ? t : -t;
}

function ulawToLinearRef(code: number): number {
  const u = ~code & 0xff;
  const t = (((u & 0x0f) << 3) + 0x84) << ((u & 0x70) >> 4);
  return u & 0x80 ? 0x84 - t : t - 0x84;
}

const A_SEG_END = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff];
const U_SEG_END = [0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff, 0x1fff];

function segment(v: number, ends: number[]): number {
  let s = 0;
  while (s < 8 && v > ends[s]!) s++;
  return s;
}

// A-law quantises 13 bits: the three low bits of a PCM16 sample are dropped (arithmetic shift).
function linearToAlawRef(sample: number): number {
  let v = sample >> 3;
  let mask: number;
  if (v >= 0) mask = 0xd5;
  else {
    mask = 0x55;
    v = -v - 1;
  }
  const seg = segment(v, A_SEG_END);
  if (seg >= 8) return 0x7f ^ mask;
  const a = (seg << 4) | ((seg < 2 ? v >> 1 : v >> seg) & 0x0f);
  return a ^ mask;
}

// µ-law quantises 14 bits with a bias of 33. Negative samples take the ones' complement as in
// G.191 (so -1 encodes as negative zero 0x7F, symmetric with +0 → 0xFF), clipped at 0x1FFF.
function linearToUlawRef(sample: number): number {
  let v = (sample < 0 ? ~sample >> 2 : sample >> 2) + 33;
  if (v > 0x1fff) v = 0x1fff;
  const mask = sample < 0 ? 0x7f : 0xff;
  const seg = segment(v, U_SEG_END);
  return ((seg << 4) | ((v >> (seg + 1)) & 0x0f)) ^ mask;
}

for (let c = 0; c < 256; c++) {
  ALAW_TO_LINEAR[c] = alawToLinearRef(c);
  ULAW_TO_LINEAR[c] = ulawToLinearRef(c);
}
for (let i = 0; i < 65536; i++) {
  const s = (i << 16) >> 16;
  LINEAR_TO_ALAW[i] = linearToAlawRef(s);
  LINEAR_TO_ULAW[i] = linearToUlawRef(s);
}
// Transcoding tables: decode with one law, re-encode with the other. Composing the two table
// steps here keeps transcoding at one lookup per sample and identical to decode→encode.
for (let c = 0; c < 256; c++) {
  ALAW_TO_ULAW[c] = LINEAR_TO_ULAW[ALAW_TO_LINEAR[c]! & 0xffff]!;
  ULAW_TO_ALAW[c] = LINEAR_TO_ALAW[ULAW_TO_LINEAR[c]! & 0xffff]!;
}

// The functions convert src.length samples (bounded by dst) and return how many were written,
// so callers can pass a subarray of a reused buffer without allocating.

export function decodeAlaw(src: Uint8Array, dst: Int16Array): number {
  const n = Math.min(src.length, dst.length);
  for (let i = 0; i < n; i++) dst[i] = ALAW_TO_LINEAR[src[i]!]!;
  return n;
}

export function decodeUlaw(src: Uint8Array, dst: Int16Array): number {
  const n = Math.min(src.length, dst.length);
  for (let i = 0; i < n; i++) dst[i] = ULAW_TO_LINEAR[src[i]!]!;
  return n;
}

export function encodeAlaw(src: Int16Array, dst: Uint8Array): number {
  const n = Math.min(src.length, dst.length);
  for (let i = 0; i < n; i++) dst[i] = LINEAR_TO_ALAW[src[i]! & 0xffff]!;
  return n;
}

export function encodeUlaw(src: Int16Array, dst: Uint8Array): number {
  const n = Math.min(src.length, dst.length);
  for (let i = 0; i < n; i++) dst[i] = LINEAR_TO_ULAW[src[i]! & 0xffff]!;
  return n;
}

/** Transcodes A-law bytes to µ-law; src and dst may be the same buffer (in place). */
export function alawToUlaw(src: Uint8Array, dst: Uint8Array): number {
  const n = Math.min(src.length, dst.length);
  for (let i = 0; i < n; i++) dst[i] = ALAW_TO_ULAW[src[i]!]!;
  return n;
}

/** Transcodes µ-law bytes to A-law; src and dst may be the same buffer (in place). */
export function ulawToAlaw(src: Uint8Array, dst: Uint8Array): number {
  const n = Math.min(src.length, dst.length);
  for (let i = 0; i < n; i++) dst[i] = ULAW_TO_ALAW[src[i]!]!;
  return n;
}
