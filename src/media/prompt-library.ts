// Prompts by id and language (R-MEDIA-5). A library searches a list of directories, each laid out
// as <dir>/<language>/<id>.wav (with <dir>/<id>.wav as a language-neutral fallback): tenant
// greeting directories first, the shipped set (media/prompts/, see generate.sh there) last.
// The requested language is tried in every directory before the fallback language (en).
//
// Audio is decoded once to 8 kHz mono PCM16 and cached (least recently used out once the cache
// holds more than `maxCacheBytes`); invalidate() drops entries when a greeting is replaced.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ALAW_TO_LINEAR, ULAW_TO_LINEAR } from './g711.ts';
import type { PlayItem } from './player.ts';
import { MediaFormatError, readPromptWav } from './wav-reader.ts';

/** The shipped prompt set: <repo>/media/prompts. */
export const DEFAULT_PROMPT_DIR = fileURLToPath(new URL('../../media/prompts/', import.meta.url));

export const FALLBACK_LANGUAGE = 'en';

/** The ids of the shipped prompt set (each exists in en and zh). */
export const DEFAULT_PROMPT_IDS = [
  'welcome',
  'dial-extension',
  'operator-zero',
  'please-hold',
  'transferring',
  'busy',
  'no-answer',
  'leave-message',
  'beep',
  'outside-hours',
  'invalid-extension',
  'goodbye',
  'not-available',
  'vm-enter-pin',
  'vm-wrong-pin',
  'vm-new-messages',
  'vm-menu',
  'vm-deleted',
  'vm-saved',
  'vm-no-more',
  'digit-0',
  'digit-1',
  'digit-2',
  'digit-3',
  'digit-4',
  'digit-5',
  'digit-6',
  'digit-7',
  'digit-8',
  'digit-9',
  'minutes-ago',
  'is-your-account-manager',
  'called-you',
] as const;

export type DefaultPromptId = (typeof DEFAULT_PROMPT_IDS)[number];

/** A decoded prompt. */
export interface Prompt {
  id: string;
  /** The language of the file found (the fallback language when the requested one is missing). */
  language: string;
  path: string;
  /** 8 kHz mono PCM16. */
  samples: Int16Array;
  durationMs: number;
}

/** Base class of the library's errors; `code` tells them apart. */
export class PromptError extends Error {
  override name = 'PromptError';
  constructor(
    readonly code: 'unknown-prompt' | 'bad-prompt-file' | 'invalid-prompt-id',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** No file for the id in the requested or the fallback language, in any directory. */
export class PromptNotFoundError extends PromptError {
  override name = 'PromptNotFoundError';
  constructor(
    readonly id: string,
    readonly language: string,
    readonly searched: string[],
  ) {
    super('unknown-prompt', `unknown prompt "${id}" (language ${language}); looked for ${searched.join(', ')}`);
  }
}

/** The file exists but cannot be played (unreadable, malformed, or not 8 kHz mono G.711/PCM16). */
export class PromptFileError extends PromptError {
  override name = 'PromptFileError';
  constructor(
    readonly id: string,
    readonly path: string,
    readonly detail: string,
    cause?: unknown,
  ) {
    super('bad-prompt-file', `prompt "${id}" (${path}): ${detail}`, { cause });
  }
}

/** An id or language that could escape the prompt directories ("../x", "a/b", ""). */
export class InvalidPromptIdError extends PromptError {
  override name = 'InvalidPromptIdError';
  constructor(readonly value: string) {
    super('invalid-prompt-id', `invalid prompt id or language "${value}"`);
  }
}

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const LANG_RE = /^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$/;

export interface PromptLibraryOptions {
  /** Language used when a prompt is missing in the requested one (default 'en'). */
  fallbackLanguage?: string;
  /** Decoded audio kept in memory, in bytes (default 64 MiB; the shipped set is ~0.9 MiB). */
  maxCacheBytes?: number;
}

export class PromptLibrary {
  readonly dirs: readonly string[];
  readonly fallbackLanguage: string;
  private readonly maxCacheBytes: number;
  private readonly cache = new Map<string, Prompt>(); // by path, in least-recently-used order
  private cacheBytes = 0;

  /** `dirs`: searched in order (tenant greetings first); default: the shipped set only. */
  constructor(dirs: readonly string[] = [DEFAULT_PROMPT_DIR], options: PromptLibraryOptions = {}) {
    this.dirs = [...dirs];
    this.fallbackLanguage = options.fallbackLanguage ?? FALLBACK_LANGUAGE;
    this.maxCacheBytes = options.maxCacheBytes ?? 64 * 1024 * 1024;
  }

  /** The candidate files for id in language, in search order, with the language each serves. */
  candidates(id: string, language: string): { path: string; language: string }[] {
    if (!ID_RE.test(id) || id.includes('..')) throw new InvalidPromptIdError(id);
    if (!LANG_RE.test(language)) throw new InvalidPromptIdError(language);
    const langs = language === this.fallbackLanguage ? [language] : [language, this.fallbackLanguage];
    const out: { path: string; language: string }[] = [];
    for (const lang of langs) for (const dir of this.dirs) out.push({ path: join(dir, lang, `${id}.wav`), language: lang });
    // a language-neutral file (a tenant's own greeting) serves any language
    for (const dir of this.dirs) out.push({ path: join(dir, `${id}.wav`), language });
    return out;
  }

  /** The file that plays for id in language; throws PromptNotFoundError. */
  resolve(id: string, language: string): { path: string; language: string } {
    const candidates = this.candidates(id, language);
    for (const c of candidates) if (existsSync(c.path)) return c;
    throw new PromptNotFoundError(id, language, candidates.map((c) => c.path));
  }

  /** Whether a prompt exists for id (in language or the fallback). */
  has(id: string, language: string): boolean {
    try {
      this.resolve(id, language);
      return true;
    } catch (err) {
      if (err instanceof PromptError) return false;
      throw err;
    }
  }

  /**
   * Loads (or takes from the cache) the prompt id in language as 8 kHz mono PCM16. Throws
   * PromptNotFoundError, PromptFileError or InvalidPromptIdError. Synchronous: prompt files are
   * small and read once.
   */
  load(id: string, language: string): Prompt {
    const { path, language: found } = this.resolve(id, language);
    const cached = this.cache.get(path);
    if (cached) {
      this.cache.delete(path);
      this.cache.set(path, cached);
      return cached;
    }
    const samples = decodePromptFile(id, path);
    const prompt: Prompt = { id, language: found, path, samples, durationMs: samples.length / 8 };
    this.remember(prompt);
    return prompt;
  }

  /** Loads several prompts (e.g. the digits of a number); fails on the first missing one. */
  loadAll(ids: readonly string[], language: string): Prompt[] {
    return ids.map((id) => this.load(id, language));
  }

  /** Loads the shipped prompts in these languages into the cache (at start-up, off the call path). */
  preload(languages: readonly string[] = ['en', 'zh'], ids: readonly string[] = DEFAULT_PROMPT_IDS): void {
    for (const language of languages) for (const id of ids) this.load(id, language);
  }

  /** Drops cached audio: everything, or the files under a directory / one file (by path prefix). */
  invalidate(pathPrefix?: string): void {
    for (const [path, prompt] of this.cache) {
      if (pathPrefix === undefined || path.startsWith(pathPrefix)) {
        this.cache.delete(path);
        this.cacheBytes -= prompt.samples.byteLength;
      }
    }
  }

  get cachedBytes(): number {
    return this.cacheBytes;
  }

  private remember(prompt: Prompt): void {
    const bytes = prompt.samples.byteLength;
    if (bytes > this.maxCacheBytes) return;
    this.cache.set(prompt.path, prompt);
    this.cacheBytes += bytes;
    for (const [path, old] of this.cache) {
      if (this.cacheBytes <= this.maxCacheBytes) break;
      this.cache.delete(path);
      this.cacheBytes -= old.samples.byteLength;
    }
  }
}

/** A prompt as something a Player plays. */
export function promptItem(prompt: Prompt): PlayItem {
  return { format: 'pcm16', samples: prompt.samples };
}

/** Reads a prompt WAV and decodes it to PCM16 (A-law and µ-law through the G.711 tables). */
export function decodePromptFile(id: string, path: string): Int16Array {
  let wav;
  try {
    wav = readPromptWav(path);
  } catch (err) {
    if (err instanceof MediaFormatError) throw new PromptFileError(id, path, err.detail, err);
    throw new PromptFileError(id, path, String(err), err);
  }
  if (wav.sampleRate !== 8000 || wav.channels !== 1) {
    throw new PromptFileError(id, path, `${wav.sampleRate} Hz ${wav.channels}-channel; prompts must be 8 kHz mono`);
  }
  const data = wav.data;
  if (wav.format === 'pcm16') {
    const out = new Int16Array(data.length >> 1);
    for (let i = 0; i < out.length; i++) out[i] = data.readInt16LE(i * 2);
    return out;
  }
  const table = wav.format === 'alaw' ? ALAW_TO_LINEAR : ULAW_TO_LINEAR;
  const out = new Int16Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = table[data[i]!]!;
  return out;
}

/** The texts of the shipped prompts (media/prompts/prompts.json): id → { en, zh }. */
export function defaultPromptTexts(): Record<string, { en: string | null; zh: string | null }> {
  return JSON.parse(readFileSync(join(DEFAULT_PROMPT_DIR, 'prompts.json'), 'utf8'));
}
