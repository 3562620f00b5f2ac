// A fresh o= session id for a leg (RFC 8866 §5.2: numeric, unique; RFC 3264 §8: it then stays
// the same for the whole session while the version goes up). The random source is injectable.
import { randomBytes } from 'node:crypto';

/** A random decimal session id below 2^48 (exact as a JS number, short on the wire). */
export function newSessionId(random: (bytes: number) => Uint8Array = randomBytes): string {
  const b = random(6);
  let n = 0;
  for (let i = 0; i < 6; i++) n = n * 256 + (b[i] ?? 0);
  return String(n);
}
