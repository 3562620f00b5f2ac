import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MediaFormatError, parseWav, readPromptWav, readWav } from '../../src/media/wav-reader.ts';

const dir = mkdtempSync(join(tmpdir(), 'wav-reader-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function chunk(id: string, body: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.write(id, 0, 'latin1');
  h.writeUInt32LE(body.length, 4);
  return Buffer.concat([h, body, body.length & 1 ? Buffer.alloc(1) : Buffer.alloc(0)]);
}

function fmt(tag: number, channels: number, rate: number, bits: number, extra = Buffer.alloc(0)): Buffer {
  const b = Buffer.alloc(16);
  const align = (channels * bits) / 8;
  b.writeUInt16LE(tag, 0);
  b.writeUInt16LE(channels, 2);
  b.writeUInt32LE(rate, 4);
  b.writeUInt32LE(rate * align, 8);
  b.writeUInt16LE(align, 12);
  b.writeUInt16LE(bits, 14);
  return chunk('fmt ', Buffer.concat([b, extra]));
}

function riff(...chunks: Buffer[]): Buffer {
  const body = Buffer.concat([Buffer.from('WAVE', 'latin1'), ...chunks]);
  const h = Buffer.alloc(8);
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(body.length, 4);
  return Buffer.concat([h, body]);
}

function file(name: string, content: Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

function errorOf(f: () => unknown): MediaFormatError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(MediaFormatError);
    return err as MediaFormatError;
  }
  throw new Error('did not throw');
}

const pcm = Buffer.alloc(320);
for (let i = 0; i < 160; i++) pcm.writeInt16LE(i * 100 - 8000, i * 2);

describe('WAV reader', () => {
  it('reads 8 kHz mono PCM16, A-law and µ-law prompts', () => {
    const p = readPromptWav(file('pcm.wav', riff(fmt(1, 1, 8000, 16), chunk('data', pcm))));
    expect(p).toMatchObject({ format: 'pcm16', sampleRate: 8000, channels: 1 });
    expect(p.data.equals(pcm)).toBe(true);
    const a = readPromptWav(file('a.wav', riff(fmt(6, 1, 8000, 8, Buffer.alloc(2)), chunk('fact', Buffer.alloc(4)), chunk('data', Buffer.alloc(160, 0xd5)))));
    expect(a).toMatchObject({ format: 'alaw', sampleRate: 8000, channels: 1 });
    expect(a.data.length).toBe(160);
    const u = readPromptWav(file('u.wav', riff(fmt(7, 1, 8000, 8), chunk('data', Buffer.alloc(161, 0xff)))));
    expect(u.format).toBe('ulaw');
    expect(u.data.length).toBe(161); // odd data chunk with its pad byte
  });

  it('accepts chunks in any order, skipping unknown and odd-sized ones', () => {
    const w = riff(chunk('LIST', Buffer.from('INFOisft\x03\x00\x00\x00ab\x00', 'latin1')), chunk('data', pcm), chunk('junk', Buffer.alloc(7)), fmt(1, 1, 8000, 16));
    const p = readPromptWav(file('order.wav', w));
    expect(p.data.equals(pcm)).toBe(true);
  });

  it('reads WAVE_FORMAT_EXTENSIBLE PCM', () => {
    const ext = Buffer.alloc(24);
    ext.writeUInt16LE(22, 0); // cbSize
    ext.writeUInt16LE(16, 2);
    ext.writeUInt16LE(1, 8); // sub-format GUID starts with the format tag
    expect(parseWav(riff(fmt(0xfffe, 1, 8000, 16, ext), chunk('data', pcm))).format).toBe('pcm16');
  });

  it('readWav takes other rates and channel counts; prompts reject them naming file and format', () => {
    const stereo = file('greeting.wav', riff(fmt(1, 2, 44100, 16), chunk('data', pcm)));
    expect(readWav(stereo)).toMatchObject({ sampleRate: 44100, channels: 2 });
    expect(errorOf(() => readPromptWav(stereo)).message).toBe('greeting.wav: 44100 Hz stereo PCM 16-bit; prompts must be 8 kHz mono PCM16, A-law or µ-law');
    const wide = file('wide.wav', riff(fmt(1, 1, 16000, 16), chunk('data', pcm)));
    expect(errorOf(() => readPromptWav(wide)).message).toMatch(/^wide\.wav: 16000 Hz mono PCM 16-bit; prompts must be/);
    const st8 = file('st8.wav', riff(fmt(6, 2, 8000, 8), chunk('data', pcm)));
    expect(errorOf(() => readPromptWav(st8)).message).toMatch(/^st8\.wav: 8000 Hz stereo A-law; prompts/);
  });

  it('rejects float, MP3-in-RIFF and 8-bit PCM naming the format', () => {
    const float = file('float.wav', riff(fmt(3, 1, 8000, 32), chunk('data', Buffer.alloc(64))));
    expect(errorOf(() => readPromptWav(float)).message).toMatch(/^float\.wav: 8000 Hz mono IEEE float 32-bit; prompts must/);
    expect(errorOf(() => readWav(float)).message).toMatch(/^float\.wav: 8000 Hz mono IEEE float 32-bit is not supported/);
    const mp3 = Buffer.alloc(16);
    mp3.writeUInt16LE(0x55, 0);
    mp3.writeUInt16LE(2, 2);
    mp3.writeUInt32LE(44100, 4);
    mp3.writeUInt16LE(1, 12);
    const m = file('music.wav', riff(chunk('fmt ', mp3), chunk('data', Buffer.alloc(417))));
    expect(errorOf(() => readPromptWav(m)).message).toMatch(/^music\.wav: 44100 Hz stereo MP3; /);
    const u8 = file('u8.wav', riff(fmt(1, 1, 8000, 8), chunk('data', Buffer.alloc(10))));
    expect(errorOf(() => readPromptWav(u8)).message).toMatch(/^u8\.wav: 8000 Hz mono PCM 8-bit/);
  });

  it('rejects truncated, corrupt and non-RIFF files with the typed error, never a crash', () => {
    const good = riff(fmt(1, 1, 8000, 16), chunk('data', pcm));
    const cut = file('cut.wav', good.subarray(0, good.length - 100));
    expect(errorOf(() => readWav(cut)).message).toMatch(/^cut\.wav: truncated/);
    for (let n = 0; n < 44; n++) {
      const e = errorOf(() => readWav(file('short.wav', good.subarray(0, n))));
      expect(e.message.startsWith('short.wav: ')).toBe(true);
    }
    expect(errorOf(() => readWav(file('text.wav', Buffer.from('hello world, not audio')))).message).toBe('text.wav: not a RIFF/WAVE file');
    expect(errorOf(() => readWav(file('id3.wav', Buffer.from('ID3\x04\x00rest', 'latin1')))).message).toBe('id3.wav: an MP3 file, not WAV');
    expect(errorOf(() => readWav(file('nofmt.wav', riff(chunk('data', pcm))))).message).toMatch(/no fmt chunk/);
    expect(errorOf(() => readWav(join(dir, 'missing.wav'))).message).toBe('missing.wav: cannot be read (ENOENT)');
    const badAlign = Buffer.from(good);
    badAlign.writeUInt16LE(4, 32);
    expect(errorOf(() => parseWav(badAlign, 'x.wav')).message).toMatch(/inconsistent fmt/);
    // Random garbage after a valid RIFF header never throws anything but MediaFormatError.
    let seed = 1;
    for (let i = 0; i < 500; i++) {
      const junk = Buffer.from(good);
      for (let k = 0; k < 6; k++) {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        junk[12 + (seed % 40)] = seed >> 8;
      }
      try {
        parseWav(junk, 'fuzz.wav');
      } catch (err) {
        expect(err).toBeInstanceOf(MediaFormatError);
      }
    }
  });

  it('drops a trailing partial frame', () => {
    const w = parseWav(riff(fmt(1, 2, 8000, 16), chunk('data', Buffer.alloc(11))));
    expect(w.data.length).toBe(8);
  });
});
