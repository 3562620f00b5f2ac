// Loads the RFC 4475 torture vectors and their MANIFEST (acceptable reactions per message).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// A byte-exact copy of shared/test-vectors/rfc4475 lives in the repo so a clean clone tests alone.
export const RFC4475_DIR = fileURLToPath(new URL('../fixtures/rfc4475/', import.meta.url));

export interface TortureVector {
  name: string;
  section: string;
  kind: 'request' | 'response';
  valid: boolean;
  /** Acceptable reactions: 'NNN', 'Nxx', 'drop', 'any', 'liberal'. */
  accept: string[];
  title: string;
  data: Buffer;
}

export function loadTortureVectors(dir: string = RFC4475_DIR): TortureVector[] {
  const out: TortureVector[] = [];
  for (const line of readFileSync(dir + 'MANIFEST.tsv', 'utf8').split('\n')) {
    if (line.length === 0 || line.startsWith('#')) continue;
    const [name, section, kind, cls, accept, title] = line.split('\t');
    out.push({
      name: name!, section: section!, kind: kind as 'request' | 'response', valid: cls === 'valid',
      accept: accept!.split(' ').filter(Boolean), title: title ?? '', data: readFileSync(dir + name + '.dat'),
    });
  }
  return out;
}

/** Does a reaction (a final status code, or 'drop' for none) satisfy the accept tokens? */
export function reactionAccepted(accept: string[], reaction: number | 'drop'): boolean {
  if (reaction === 500) return false;
  for (const token of accept) {
    if (token === 'drop') {
      if (reaction === 'drop') return true;
    } else if (token === 'any') {
      if (reaction !== 'drop' && reaction !== 400 && (reaction < 500 || reaction === 501 || reaction === 505)) return true;
    } else if (token === 'liberal') {
      if (reaction !== 'drop' && reaction < 500) return true;
    } else if (/^\dxx$/.test(token)) {
      if (reaction !== 'drop' && Math.floor(reaction / 100) === Number(token[0])) return true;
    } else if (reaction === Number(token)) return true;
  }
  return false;
}
