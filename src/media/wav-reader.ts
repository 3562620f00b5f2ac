// WAV (RIFF/WAVE) reader for prompts, greetings and recordings. Only the sample formats the
// media engine can play without a codec are accepted (PCM16, A-law, µ-law); anything else, and
// anything malformed, becomes a MediaFormatError naming the file, never an uncaught crash.

import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

export type WavSampleFormat = 'pcm16' | 'alaw' | 'ulaw';

export interface WavAudio {
  format: WavSampleFormat;
  sampleRate: number;
  channels: number;
  /** The sample bytes of the data chunk (little-endian PCM16, or one byte per G.711 sample). */
  data: Buffer;
}

/** A media file that cannot be used: unreadable, malformed, or in a format we do not play. */
export class MediaFormatError extends Error {
  override name = 'MediaFormatError';
  constructor(
    readonly file: string,
    readonly detail: string,
  ) {
    super(`${file}: ${detail}`);
  }
}

export const WAVE_FORMAT_PCM = 1;
export const WAVE_FORMAT_IEEE_FLOAT = 3;
export const WAVE_FORMAT_ALAW = 6;
export const WAVE_FORMAT_MULAW = 7;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

const FORMAT_NAMES: Record<number, string> = {
  [WAVE_FORMAT_PCM]: 'PCM',
  2: 'MS ADPCM',
  [WAVE_FORMAT_IEEE_FLOAT]: 'IEEE float',
  [WAVE_FORMAT_ALAW]: 'A-law',
  [WAVE_FORMAT_MULAW]: 'µ-law',
  0x11: 'IMA ADPCM',
  0x31: 'GSM 6.10',
  0x50: 'MPEG',
  0x55: 'MP3',
};

interface FmtInfo {
  tag: number;
  channels: number;
  sampleRate: number;
  blockAlign: number;
  bitsPerSample: number;
}

/** Human wording of a format, as used in error messages: "44100 Hz stereo PCM 16-bit". */
export function describeFormat(f: FmtInfo): string {
  const ch = f.channels === 1 ? 'mono' : f.channels === 2 ? 'stereo' : `${f.channels}-channel`;
  const name = FORMAT_NAMES[f.tag] ?? `format 0x${f.tag.toString(16).padStart(4, '0')}`;
  const bits = f.tag === WAVE_FORMAT_PCM || f.tag === WAVE_FORMAT_IEEE_FLOAT ? ` ${f.bitsPerSample}-bit` : '';
  return `${f.sampleRate} Hz ${ch} ${name}${bits}`;
}

function sampleFormatOf(f: FmtInfo): WavSampleFormat | undefined {
  if (f.tag === WAVE_FORMAT_PCM && f.bitsPerSample === 16) return 'pcm16';
  if (f.tag === WAVE_FORMAT_ALAW && f.bitsPerSample === 8) return 'alaw';
  if (f.tag === WAVE_FORMAT_MULAW && f.bitsPerSample === 8) return 'ulaw';
  return undefined;
}

function parseFmt(buf: Buffer, off: number, size: number, file: string): FmtInfo {
  if (size < 16) throw new MediaFormatError(file, `fmt chunk too short (${size} bytes)`);
  let tag = buf.readUInt16LE(off);
  // WAVE_FORMAT_EXTENSIBLE carries the real format in the first two bytes of its sub-format GUID.
  if (tag === WAVE_FORMAT_EXTENSIBLE && size >= 40) tag = buf.readUInt16LE(off + 24);
  return {
    tag,
    channels: buf.readUInt16LE(off + 2),
    sampleRate: buf.readUInt32LE(off + 4),
    blockAlign: buf.readUInt16LE(off + 12),
    bitsPerSample: buf.readUInt16LE(off + 14),
  };
}

/**
 * Parses a WAV file held in memory. `file` names it in errors. Chunks may come in any order;
 * unknown chunks are skipped (with their pad byte when odd-sized). A data chunk running past
 * the end of the buffer is an error (truncated file).
 */
export function parseWav(buf: Buffer, file = 'WAV data', forPrompt = false): WavAudio {
  if (buf.length < 12 || buf.toString('latin1', 0, 4) !== 'RIFF' || buf.toString('latin1', 8, 12) !== 'WAVE') {
    const mp3 = buf.length >= 3 && (buf.toString('latin1', 0, 3) === 'ID3' || (buf[0] === 0xff && (buf[1]! & 0xe0) === 0xe0));
    throw new MediaFormatError(file, mp3 ? 'an MP3 file, not WAV' : 'not a RIFF/WAVE file');
  }
  // The RIFF size bounds the chunk walk, so bytes appended after it (a file still being
  // written) are not mistaken for chunks; a size past the end of the file is trusted no further.
  const riffEnd = Math.min(buf.length, 8 + buf.readUInt32LE(4));
  let fmt: FmtInfo | undefined;
  let dataOff = -1;
  let dataSize = 0;
  let off = 12;
  while (off + 8 <= riffEnd && (fmt === undefined || dataOff < 0)) {
    const id = buf.toString('latin1', off, off + 4);
    const size = buf.readUInt32LE(off + 4);
    const body = off + 8;
    if (id === 'fmt ') {
      if (body + size > buf.length) throw new MediaFormatError(file, 'truncated (fmt chunk incomplete)');
      fmt = parseFmt(buf, body, size, file);
    } else if (id === 'data') {
      if (body + size > buf.length) throw new MediaFormatError(file, `truncated (data chunk declares ${size} bytes, ${buf.length - body} present)`);
      dataOff = body;
      dataSize = size;
    }
    off = body + size + (size & 1);
  }
  if (fmt === undefined) throw new MediaFormatError(file, 'no fmt chunk (corrupt or truncated)');
  if (dataOff < 0) throw new MediaFormatError(file, 'no data chunk (corrupt or truncated)');
  const format = sampleFormatOf(fmt);
  if (forPrompt && (format === undefined || fmt.sampleRate !== 8000 || fmt.channels !== 1)) {
    throw new MediaFormatError(file, `${describeFormat(fmt)}; prompts must be 8 kHz mono PCM16, A-law or µ-law`);
  }
  if (format === undefined) {
    throw new MediaFormatError(file, `${describeFormat(fmt)} is not supported; WAV files must be PCM16, A-law or µ-law`);
  }
  const frame = fmt.channels * (format === 'pcm16' ? 2 : 1);
  if (fmt.channels === 0 || fmt.sampleRate === 0 || fmt.blockAlign !== frame) {
    throw new MediaFormatError(file, `inconsistent fmt chunk (${describeFormat(fmt)}, block align ${fmt.blockAlign})`);
  }
  // A trailing partial frame (a recording cut mid-write) is dropped rather than rejected.
  const usable = dataSize - (dataSize % frame);
  return { format, sampleRate: fmt.sampleRate, channels: fmt.channels, data: buf.subarray(dataOff, dataOff + usable) };
}

/** Reads and parses a WAV file; I/O failures are MediaFormatErrors too, naming the file. */
export function readWav(path: string, forPrompt = false): WavAudio {
  const file = basename(path);
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (err) {
    throw new MediaFormatError(file, `cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  return parseWav(buf, file, forPrompt);
}

/** Reads a prompt: only 8 kHz mono PCM16, A-law or µ-law is played without resampling. */
export function readPromptWav(path: string): WavAudio {
  return readWav(path, true);
}
