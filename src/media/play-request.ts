// Turns a `play` command's arguments (prompt ids, WAV paths, tones) into what a Player plays,
// in the worker. Everything the caller can get wrong — an unknown prompt id, a missing or
// unplayable file, a silly tone — becomes a MediaCommandError that says what was wrong.
import { MediaCommandError, type PlayArgs, type ToneSpec } from './media-protocol.ts';
import type { PlayItem } from './player.ts';
import { PromptError, decodePromptFile, promptItem, type PromptLibrary } from './prompt-library.ts';
import { dbm0ToAmplitude } from './dtmf-tone-generator.ts';

const MAX_TONE_MS = 10 * 60 * 1000;

function toneItem(t: ToneSpec, i: number): PlayItem {
  if (t === null || typeof t !== 'object' || !Array.isArray(t.hz)) throw new MediaCommandError(`play: tones[${i}] needs hz: number[] and ms`);
  if (typeof t.ms !== 'number' || !(t.ms > 0) || t.ms > MAX_TONE_MS) throw new MediaCommandError(`play: tones[${i}].ms must be between 0 and ${MAX_TONE_MS}`);
  for (const f of t.hz) if (typeof f !== 'number' || !(f > 0) || f >= 4000) throw new MediaCommandError(`play: tones[${i}] frequency ${f} is not within 0–4000 Hz`);
  if (t.hz.length === 0) return { format: 'silence', ms: t.ms };
  const dbm0 = t.dbm0 ?? -13;
  if (typeof dbm0 !== 'number' || dbm0 > 3) throw new MediaCommandError(`play: tones[${i}].dbm0 must be at most 3`);
  const amp = dbm0ToAmplitude(dbm0);
  const samples = new Int16Array(Math.round(t.ms * 8));
  const w = t.hz.map((f) => (2 * Math.PI * f) / 8000);
  for (let n = 0; n < samples.length; n++) {
    let v = 0;
    for (const k of w) v += amp * Math.sin(k * n);
    samples[n] = v > 32767 ? 32767 : v < -32768 ? -32768 : Math.round(v);
  }
  return { format: 'pcm16', samples };
}

/** The items of one play, in order: prompts, files, tones. */
export function playItems(args: PlayArgs, library: PromptLibrary): PlayItem[] {
  if (args === null || typeof args !== 'object') throw new MediaCommandError('play: arguments missing');
  const items: PlayItem[] = [];
  try {
    for (const p of args.prompts ?? []) {
      if (p === null || typeof p !== 'object' || typeof p.id !== 'string') throw new MediaCommandError('play: each prompt needs an id');
      items.push(promptItem(library.load(p.id, p.language ?? library.fallbackLanguage)));
    }
    for (const f of args.files ?? []) {
      if (typeof f !== 'string' || f === '') throw new MediaCommandError('play: files must be paths');
      items.push({ format: 'pcm16', samples: decodePromptFile(f, f) });
    }
  } catch (e) {
    if (e instanceof PromptError) throw new MediaCommandError(`play: ${e.message}`);
    throw e;
  }
  (args.tones ?? []).forEach((t, i) => items.push(toneItem(t, i)));
  if (items.length === 0) throw new MediaCommandError('play: nothing to play (give prompts, files or tones)');
  return items;
}
