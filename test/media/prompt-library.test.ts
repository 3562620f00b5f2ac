import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ALAW_TO_LINEAR, LINEAR_TO_ALAW } from '../../src/media/g711.ts';
import { type Clock, PlayoutClock } from '../../src/media/playout-clock.ts';
import { Player } from '../../src/media/player.ts';
import { readRtpHeader } from '../../src/media/rtp-packet.ts';
import {
  DEFAULT_PROMPT_DIR,
  DEFAULT_PROMPT_IDS,
  defaultPromptTexts,
  InvalidPromptIdError,
  PromptError,
  PromptFileError,
  PromptLibrary,
  PromptNotFoundError,
  promptItem,
} from '../../src/media/prompt-library.ts';
import { readPromptWav } from '../../src/media/wav-reader.ts';

/** A minimal WAV file: tag 1 = PCM16, 6 = A-law. */
function wav(data: Buffer, { tag = 1, rate = 8000, channels = 1 } = {}): Buffer {
  const bits = tag === 1 ? 16 : 8;
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVEfmt ', 8, 'latin1');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(tag, 20);
  h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE((rate * channels * bits) / 8, 28);
  h.writeUInt16LE((channels * bits) / 8, 32);
  h.writeUInt16LE(bits, 34);
  h.write('data', 36, 'latin1');
  h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}

function pcmBytes(samples: number[]): Buffer {
  const b = Buffer.alloc(samples.length * 2);
  samples.forEach((s, i) => b.writeInt16LE(s, i * 2));
  return b;
}

const tmp = mkdtempSync(join(tmpdir(), 'prompts-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function tenantDir(files: Record<string, Buffer>): string {
  const dir = mkdtempSync(join(tmp, 'tenant-'));
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), content);
  }
  return dir;
}

describe('shipped prompt set', () => {
  it('has every prompt id in en and zh as 8 kHz mono PCM16 with sound in it', () => {
    for (const lang of ['en', 'zh']) {
      for (const id of DEFAULT_PROMPT_IDS) {
        const w = readPromptWav(join(DEFAULT_PROMPT_DIR, lang, `${id}.wav`));
        expect({ id, lang, format: w.format, rate: w.sampleRate, channels: w.channels }).toEqual({ id, lang, format: 'pcm16', rate: 8000, channels: 1 });
        const seconds = w.data.length / 2 / 8000;
        expect(seconds, `${lang}/${id}`).toBeGreaterThan(0.2);
        expect(seconds, `${lang}/${id}`).toBeLessThan(10);
        let sum = 0;
        let peak = 0;
        for (let i = 0; i < w.data.length; i += 2) {
          const s = w.data.readInt16LE(i);
          sum += s * s;
          peak = Math.max(peak, Math.abs(s));
        }
        const rms = Math.sqrt(sum / (w.data.length / 2)) / 32768;
        expect(rms, `${lang}/${id} RMS`).toBeGreaterThan(0.03); // not silence
        expect(peak / 32768, `${lang}/${id} peak`).toBeGreaterThan(0.5); // normalised to about -3 dBFS
        expect(peak).toBeLessThan(32767); // and not clipped
      }
    }
  });

  it('indexes the same ids, with a text per language, in prompts.json', () => {
    const texts = defaultPromptTexts();
    expect(Object.keys(texts).sort()).toEqual([...DEFAULT_PROMPT_IDS].sort());
    for (const [id, t] of Object.entries(texts)) {
      if (id === 'beep') continue;
      expect(t.en, id).toMatch(/[a-z]/i);
      expect(t.zh, id).toMatch(/[\u4e00-\u9fff]/);
    }
  });

  it('has a 400 ms 1 kHz beep, the same in both languages', () => {
    const lib = new PromptLibrary();
    const en = lib.load('beep', 'en');
    const zh = lib.load('beep', 'zh');
    expect(en.durationMs).toBe(400);
    expect(Buffer.from(zh.samples.buffer).equals(Buffer.from(en.samples.buffer))).toBe(true);
    let crossings = 0;
    for (let i = 1; i < en.samples.length; i++) if (en.samples[i - 1]! < 0 !== en.samples[i]! < 0) crossings++;
    expect(crossings / 2 / 0.4).toBeGreaterThan(980); // ≈ 1000 Hz
    expect(crossings / 2 / 0.4).toBeLessThan(1020);
  });
});

describe('PromptLibrary', () => {
  it('loads a prompt in the requested language as 8 kHz PCM16', () => {
    const lib = new PromptLibrary();
    const p = lib.load('welcome', 'zh');
    expect(p.language).toBe('zh');
    expect(p.path).toBe(join(DEFAULT_PROMPT_DIR, 'zh', 'welcome.wav'));
    expect(p.samples).toBeInstanceOf(Int16Array);
    expect(p.durationMs).toBe(p.samples.length / 8);
    expect(promptItem(p)).toEqual({ format: 'pcm16', samples: p.samples });
  });

  it('falls back to en for a language it does not have', () => {
    const lib = new PromptLibrary();
    const p = lib.load('goodbye', 'fr');
    expect(p.language).toBe('en');
    expect(p.path).toBe(join(DEFAULT_PROMPT_DIR, 'en', 'goodbye.wav'));
  });

  it('throws a typed error for an unknown id, listing where it looked', () => {
    const lib = new PromptLibrary();
    let err: unknown;
    try {
      lib.load('no-such-prompt', 'zh');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PromptNotFoundError);
    expect(err).toBeInstanceOf(PromptError);
    expect(err).toMatchObject({ code: 'unknown-prompt', id: 'no-such-prompt', language: 'zh' });
    expect((err as PromptNotFoundError).searched).toContain(join(DEFAULT_PROMPT_DIR, 'en', 'no-such-prompt.wav'));
    expect(lib.has('no-such-prompt', 'en')).toBe(false);
    expect(lib.has('busy', 'en')).toBe(true);
  });

  it('rejects ids and languages that could leave the prompt directories', () => {
    const lib = new PromptLibrary();
    for (const [id, lang] of [['../../etc/passwd', 'en'], ['a/b', 'en'], ['', 'en'], ['welcome', '../en'], ['welcome', 'en/..']]) {
      expect(() => lib.load(id!, lang!)).toThrow(InvalidPromptIdError);
    }
  });

  it('prefers tenant directories, in the requested language first, then the shipped set', () => {
    const tone = pcmBytes(Array.from({ length: 800 }, (_, i) => (i % 20 < 10 ? 1000 : -1000)));
    const tenant = tenantDir({ 'zh/welcome.wav': wav(tone), 'en/busy.wav': wav(tone), 'greeting.wav': wav(tone) });
    const lib = new PromptLibrary([tenant, DEFAULT_PROMPT_DIR]);
    expect(lib.load('welcome', 'zh').path).toBe(join(tenant, 'zh', 'welcome.wav'));
    expect(lib.load('welcome', 'en').path).toBe(join(DEFAULT_PROMPT_DIR, 'en', 'welcome.wav'));
    // the shipped zh prompt beats the tenant's en one for a zh caller
    expect(lib.load('busy', 'zh').path).toBe(join(DEFAULT_PROMPT_DIR, 'zh', 'busy.wav'));
    expect(lib.load('busy', 'fr').path).toBe(join(tenant, 'en', 'busy.wav'));
    // a language-neutral upload serves every language
    expect(lib.load('greeting', 'zh')).toMatchObject({ path: join(tenant, 'greeting.wav'), language: 'zh', durationMs: 100 });
  });

  it('decodes A-law files to PCM16', () => {
    const src = Array.from({ length: 160 }, (_, i) => Math.round(6000 * Math.sin(i / 5)));
    const alaw = Buffer.from(src.map((s) => LINEAR_TO_ALAW[s & 0xffff]!));
    const dir = tenantDir({ 'en/a.wav': wav(alaw, { tag: 6 }) });
    const p = new PromptLibrary([dir]).load('a', 'en');
    expect(p.samples.length).toBe(160);
    for (let i = 0; i < 160; i++) expect(Math.abs(p.samples[i]! - src[i]!)).toBeLessThanOrEqual(Math.max(16, Math.abs(src[i]!) * 0.07));
  });

  it('throws PromptFileError naming the file and its format for an unplayable file', () => {
    const dir = tenantDir({
      'en/wide.wav': wav(pcmBytes([1, 2, 3, 4]), { rate: 16000 }),
      'en/stereo.wav': wav(pcmBytes([1, 2, 3, 4]), { channels: 2 }),
      'en/junk.wav': Buffer.from('ID3 this is an mp3'),
    });
    const lib = new PromptLibrary([dir]);
    expect(() => lib.load('wide', 'en')).toThrow(PromptFileError);
    expect(() => lib.load('wide', 'en')).toThrow(/wide\.wav.*16000 Hz/);
    expect(() => lib.load('stereo', 'en')).toThrow(/stereo/);
    try {
      lib.load('junk', 'en');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(PromptFileError);
      expect(err).toMatchObject({ code: 'bad-prompt-file', id: 'junk', path: join(dir, 'en', 'junk.wav') });
      expect(String(err)).toMatch(/MP3/);
    }
  });

  it('caches decoded audio, evicts beyond its budget and forgets on invalidate()', () => {
    const lib = new PromptLibrary(undefined, { maxCacheBytes: 100_000 });
    const a = lib.load('digit-1', 'en');
    expect(lib.load('digit-1', 'en')).toBe(a);
    expect(lib.cachedBytes).toBe(a.samples.byteLength);
    lib.invalidate(join(DEFAULT_PROMPT_DIR, 'en'));
    expect(lib.cachedBytes).toBe(0);
    expect(lib.load('digit-1', 'en')).not.toBe(a);
    lib.preload(['en', 'zh']);
    expect(lib.cachedBytes).toBeLessThanOrEqual(100_000);
    expect(lib.cachedBytes).toBeGreaterThan(50_000);
  });
});

describe('prompts through the player', () => {
  it('reads out digits in Chinese as one A-law stream of 20 ms packets', () => {
    const lib = new PromptLibrary();
    const prompts = lib.loadAll(['digit-8', 'digit-0', 'digit-1'], 'zh');
    const total = prompts.reduce((n, p) => n + p.samples.length, 0);
    let now = 0;
    const timers: { at: number; fn: () => void }[] = [];
    const clock: Clock = {
      now: () => now,
      schedule: (fn, ms) => {
        const t = { at: now + ms, fn };
        timers.push(t);
        return () => timers.splice(timers.indexOf(t), 1);
      },
    };
    const packets: Buffer[] = [];
    const player = new Player({ codec: 'PCMA', stream: { ssrc: 7, sequence: 0, timestamp: 0 }, send: (p) => packets.push(p), clock: new PlayoutClock(clock) });
    let reason = '';
    player.play(prompts.map(promptItem), { onDone: (r) => (reason = r.reason) });
    while (timers.length > 0) {
      timers.sort((a, b) => a.at - b.at);
      const t = timers.shift()!;
      now = t.at;
      t.fn();
    }
    expect(reason).toBe('finished');
    expect(packets.length).toBe(Math.ceil(total / 160));
    const h = readRtpHeader(packets.at(-1)!)!;
    expect(h).toMatchObject({ payloadType: 8, sequence: packets.length - 1, timestamp: (packets.length - 1) * 160 });
    // the first packet is the start of "八", decoded back within G.711 precision
    const first = readRtpHeader(packets[0]!)!;
    for (let i = 0; i < 160; i++) {
      const back = ALAW_TO_LINEAR[packets[0]![first.payloadOffset + i]!]!;
      expect(Math.abs(back - prompts[0]!.samples[i]!)).toBeLessThanOrEqual(Math.max(16, Math.abs(prompts[0]!.samples[i]!) * 0.07));
    }
  });
});
