// A number's greeting (R-SW-1 "enterprise ring-back"): a WAV the tenant supplies, played by the
// media engine as it is — so it must be 8 kHz mono PCM16, A-law or µ-law. A path given by the
// CLI or the config is checked where it lies; an upload (the API) is checked and stored under
// the data directory, written whole before it replaces the old one (a kill never leaves half).
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { MediaFormatError, parseWav, readWav } from '../media/wav-reader.ts';
import { InvalidError } from '../errors.ts';

/** Checks a greeting file; returns its absolute path. InvalidError says what is wrong and what is wanted. */
export function checkGreetingFile(path: string): string {
  const abs = isAbsolute(path) ? path : resolve(path);
  try {
    readWav(abs, true);
  } catch (e) {
    if (e instanceof MediaFormatError) throw new InvalidError(`greeting: ${e.message} (convert with: sox in.wav -r 8000 -c 1 -b 16 out.wav)`);
    throw e;
  }
  return abs;
}

/** Stores an uploaded greeting (a number's, or a voicemail box's) as `<dir>/<tenant>/<name>.wav`; returns its path. */
export function storeGreeting(dir: string, tenantId: number, name: string, wav: Buffer): string {
  try {
    parseWav(wav, 'the uploaded greeting', true);
  } catch (e) {
    if (e instanceof MediaFormatError) throw new InvalidError(`greeting: ${e.message} (convert with: sox in.wav -r 8000 -c 1 -b 16 out.wav)`);
    throw e;
  }
  const folder = join(dir, String(tenantId));
  mkdirSync(folder, { recursive: true });
  const path = join(folder, `${name.replace(/[^0-9A-Za-z+_-]/g, '')}.wav`);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, wav);
  renameSync(tmp, path);
  return path;
}
