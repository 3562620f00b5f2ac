// Streaming WAV writer for recordings. The header is written first with zero sizes and refreshed
// in place (positioned writes on the fd) every `refreshBytes` of audio, so a process killed
// mid-call leaves a file that plays up to the last refresh; repairWav() recovers the rest at
// start-up from the file length.

import { closeSync, fstatSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { endianness } from 'node:os';
import { join } from 'node:path';
import { MediaFormatError, WAVE_FORMAT_ALAW, WAVE_FORMAT_MULAW, WAVE_FORMAT_PCM, type WavSampleFormat } from './wav-reader.ts';

export interface WavWriterOptions {
  format?: WavSampleFormat; // default pcm16
  sampleRate?: number; // default 8000
  channels?: number; // default 1
  /** Refresh the header after this many bytes of audio; default one second's worth. */
  refreshBytes?: number;
}

const LITTLE_ENDIAN = endianness() === 'LE';

interface Layout {
  headerSize: number;
  dataSizeAt: number;
  factAt: number; // offset of the fact chunk's sample count, or -1
  blockAlign: number;
}

/** The header for `dataBytes` of audio. Non-PCM (G.711) gets the cbSize field and the fact chunk the spec asks for. */
export function wavHeader(format: WavSampleFormat, sampleRate: number, channels: number, dataBytes: number): Buffer {
  const pcm = format === 'pcm16';
  const bytesPerSample = pcm ? 2 : 1;
  const blockAlign = channels * bytesPerSample;
  const fmtSize = pcm ? 16 : 18;
  const l = layout(format, channels);
  const h = Buffer.alloc(l.headerSize);
  h.write('RIFF', 0, 'latin1');
  h.write('WAVE', 8, 'latin1');
  h.write('fmt ', 12, 'latin1');
  h.writeUInt32LE(fmtSize, 16);
  h.writeUInt16LE(pcm ? WAVE_FORMAT_PCM : format === 'alaw' ? WAVE_FORMAT_ALAW : WAVE_FORMAT_MULAW, 20);
  h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * blockAlign, 28);
  h.writeUInt16LE(blockAlign, 32);
  h.writeUInt16LE(bytesPerSample * 8, 34);
  let off = 20 + fmtSize; // cbSize (when present) is already zero
  if (!pcm) {
    h.write('fact', off, 'latin1');
    h.writeUInt32LE(4, off + 4);
    off += 12;
  }
  h.write('data', off, 'latin1');
  setSizes(h, 0, l, dataBytes);
  return h;
}

function layout(format: WavSampleFormat, channels: number): Layout {
  const pcm = format === 'pcm16';
  const headerSize = pcm ? 44 : 58;
  return { headerSize, dataSizeAt: headerSize - 4, factAt: pcm ? -1 : 46, blockAlign: channels * (pcm ? 2 : 1) };
}

// Writes the RIFF, data and fact sizes into `buf` (holding the header at `base`).
function setSizes(buf: Buffer, base: number, l: Layout, dataBytes: number): void {
  buf.writeUInt32LE(Math.min(0xffffffff, l.headerSize - 8 + dataBytes + (dataBytes & 1)), base + 4);
  buf.writeUInt32LE(Math.min(0xffffffff, dataBytes), base + l.dataSizeAt);
  if (l.factAt >= 0) buf.writeUInt32LE(Math.floor(dataBytes / l.blockAlign), base + l.factAt);
}

export class WavWriter {
  readonly format: WavSampleFormat;
  readonly sampleRate: number;
  readonly channels: number;
  private fd: number;
  private readonly layout: Layout;
  private readonly refreshBytes: number;
  private readonly pending: Buffer; // audio not yet on disk: written at each refresh
  private pendingBytes = 0;
  private onDisk = 0; // data bytes written to the file (and described by the header after a refresh)
  private readonly sizes = Buffer.alloc(4);

  /** Creates (truncating) `path` and writes a header for an empty file. Throws on I/O errors. */
  constructor(
    readonly path: string,
    options: WavWriterOptions = {},
  ) {
    this.format = options.format ?? 'pcm16';
    this.sampleRate = options.sampleRate ?? 8000;
    this.channels = options.channels ?? 1;
    this.layout = layout(this.format, this.channels);
    const perSecond = this.sampleRate * this.layout.blockAlign;
    this.refreshBytes = Math.max(this.layout.blockAlign, options.refreshBytes ?? perSecond);
    this.pending = Buffer.allocUnsafe(this.refreshBytes);
    this.fd = openSync(path, 'w');
    writeSync(this.fd, wavHeader(this.format, this.sampleRate, this.channels, 0), 0, this.layout.headerSize, 0);
  }

  /** Bytes of audio accepted so far (on disk or pending). */
  get dataBytes(): number {
    return this.onDisk + this.pendingBytes;
  }

  get closed(): boolean {
    return this.fd < 0;
  }

  /** Appends raw sample bytes [start, end) (interleaved frames in the file's format). */
  write(bytes: Uint8Array, start = 0, end = bytes.length): void {
    if (this.fd < 0) throw new Error(`${this.path}: write after close`);
    let from = start;
    while (from < end) {
      const n = Math.min(end - from, this.refreshBytes - this.pendingBytes);
      this.pending.set(bytes.subarray(from, from + n), this.pendingBytes);
      this.pendingBytes += n;
      from += n;
      if (this.pendingBytes === this.refreshBytes) this.refresh();
    }
  }

  /** Appends PCM16 samples (interleaved when stereo); written little-endian whatever the host. */
  writeSamples(samples: Int16Array): void {
    if (this.format !== 'pcm16') throw new Error(`${this.path}: writeSamples needs a pcm16 writer`);
    const bytes = new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength);
    if (LITTLE_ENDIAN) return this.write(bytes);
    const swapped = Buffer.from(bytes); // big-endian hosts only: not on any platform we ship
    swapped.swap16();
    this.write(swapped);
  }

  /** Puts pending audio on disk, then rewrites the header sizes to cover it. */
  refresh(): void {
    if (this.fd < 0) return;
    if (this.pendingBytes > 0) {
      writeSync(this.fd, this.pending, 0, this.pendingBytes, this.layout.headerSize + this.onDisk);
      this.onDisk += this.pendingBytes;
      this.pendingBytes = 0;
    }
    this.writeSizes(this.onDisk);
  }

  /**
   * Cuts the audio back to its first `dataBytes` (rounded down to whole frames; never grows it):
   * pending audio past the cut is dropped, audio on disk is cut off the file, and the header is
   * rewritten at once. Used to take trailing silence or a key's tone off a voice message.
   */
  truncate(dataBytes: number): void {
    if (this.fd < 0) throw new Error(`${this.path}: truncate after close`);
    const align = this.layout.blockAlign;
    const keep = Math.max(0, Math.min(this.dataBytes, Math.floor(dataBytes / align) * align));
    if (keep >= this.onDisk) {
      this.pendingBytes = keep - this.onDisk;
    } else {
      this.pendingBytes = 0;
      this.onDisk = keep;
      ftruncateSync(this.fd, this.layout.headerSize + keep);
    }
    this.refresh();
  }

  /** Writes what is pending, pads an odd data chunk, finalises the header and closes the file. */
  close(): void {
    if (this.fd < 0) return;
    const fd = this.fd;
    try {
      this.refresh();
      if (this.onDisk & 1) writeSync(fd, Buffer.alloc(1), 0, 1, this.layout.headerSize + this.onDisk);
    } finally {
      // a failed write (disk full) still releases the descriptor; the error goes to the caller
      this.fd = -1;
      closeSync(fd);
    }
  }

  private writeSizes(dataBytes: number): void {
    const l = this.layout;
    const b = this.sizes;
    b.writeUInt32LE(Math.min(0xffffffff, l.headerSize - 8 + dataBytes + (dataBytes & 1)), 0);
    writeSync(this.fd, b, 0, 4, 4);
    b.writeUInt32LE(Math.min(0xffffffff, dataBytes), 0);
    writeSync(this.fd, b, 0, 4, l.dataSizeAt);
    if (l.factAt >= 0) {
      b.writeUInt32LE(Math.floor(dataBytes / l.blockAlign), 0);
      writeSync(this.fd, b, 0, 4, l.factAt);
    }
  }
}

export interface WavRepair {
  path: string;
  /** 'ok': sizes already right; 'repaired': sizes rewritten; 'failed': not a WAV we can fix (see error). */
  status: 'ok' | 'repaired' | 'failed';
  dataBytes: number;
  seconds: number;
  error?: string;
}

/**
 * Fixes the RIFF, data (and fact) sizes of a WAV file from its length, as a crash leaves them
 * stale. The data chunk is taken to run to the end of the file; a trailing partial frame is cut.
 * Throws MediaFormatError when the file is not a RIFF/WAVE file with fmt and data chunks.
 */
export function repairWav(path: string): WavRepair {
  const fd = openSync(path, 'r+');
  try {
    const length = fstatSync(fd).size;
    const head = Buffer.alloc(Math.min(length, 4096));
    readSync(fd, head, 0, head.length, 0);
    if (head.length < 12 || head.toString('latin1', 0, 4) !== 'RIFF' || head.toString('latin1', 8, 12) !== 'WAVE') {
      throw new MediaFormatError(path, 'not a RIFF/WAVE file');
    }
    let off = 12;
    let blockAlign = 0;
    let byteRate = 0;
    let factAt = -1;
    let dataAt = -1;
    // The walk ignores the stale RIFF size: it stops at the data chunk, which is last in our files.
    while (off + 8 <= head.length) {
      const id = head.toString('latin1', off, off + 4);
      const size = head.readUInt32LE(off + 4);
      if (id === 'data') {
        dataAt = off + 8;
        break;
      }
      if (id === 'fmt ' && off + 8 + 16 <= head.length) {
        byteRate = head.readUInt32LE(off + 8 + 8);
        blockAlign = head.readUInt16LE(off + 8 + 12);
      }
      if (id === 'fact') factAt = off + 8;
      off += 8 + size + (size & 1);
    }
    if (dataAt < 0 || blockAlign === 0) throw new MediaFormatError(path, 'no fmt and data chunk header to repair');
    const oldRiff = head.readUInt32LE(4);
    const oldData = head.readUInt32LE(dataAt - 4);
    const padded = (n: number) => n + (n & 1);
    // A closed file: sizes agree with the length (an odd data chunk is followed by its pad byte).
    const wasRight = oldData % blockAlign === 0 && dataAt + padded(oldData) === length && oldRiff === dataAt - 8 + padded(oldData);
    const dataBytes = wasRight ? oldData : Math.floor((length - dataAt) / blockAlign) * blockAlign;
    if (!wasRight) {
      const fixed = Buffer.alloc(4);
      const riff = Math.min(0xffffffff, dataAt - 8 + padded(dataBytes));
      const targetLength = dataAt + padded(dataBytes);
      // A partial frame is cut; an odd data chunk keeps one byte as its pad (or gains a zero one).
      if (length !== targetLength) ftruncateSync(fd, targetLength);
      fixed.writeUInt32LE(riff, 0);
      writeSync(fd, fixed, 0, 4, 4);
      fixed.writeUInt32LE(Math.min(0xffffffff, dataBytes), 0);
      writeSync(fd, fixed, 0, 4, dataAt - 4);
      if (factAt >= 0) {
        fixed.writeUInt32LE(Math.floor(dataBytes / blockAlign), 0);
        writeSync(fd, fixed, 0, 4, factAt);
      }
    }
    return { path, status: wasRight ? 'ok' : 'repaired', dataBytes, seconds: byteRate > 0 ? dataBytes / byteRate : 0 };
  } finally {
    closeSync(fd);
  }
}

/**
 * Start-up pass over the recordings folder (recursively): every *.wav whose header does not
 * match its length is repaired. Files that cannot be repaired are reported, not thrown.
 */
export async function repairRecordings(dir: string): Promise<WavRepair[]> {
  let names: string[];
  try {
    names = await readdir(dir, { recursive: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const results: WavRepair[] = [];
  for (const name of names) {
    if (!name.toLowerCase().endsWith('.wav')) continue;
    const path = join(dir, name);
    try {
      results.push(repairWav(path));
    } catch (err) {
      results.push({ path, status: 'failed', dataBytes: 0, seconds: 0, error: err instanceof Error ? err.message : String(err) });
    }
  }
  return results;
}
