// A RandomBytes source that draws from the crypto generator 64 KiB at a time: generating a SIP
// password per extension for a million rows would otherwise be a million small system calls.
import { randomBytes } from 'node:crypto';
import type { RandomBytes } from '../sip-password.ts';

export function pooledRandom(source: RandomBytes = randomBytes, poolSize = 64 * 1024): RandomBytes {
  let pool: Buffer = Buffer.alloc(0);
  let at = 0;
  return (n: number): Buffer => {
    if (n > poolSize) return source(n);
    if (at + n > pool.length) {
      pool = source(poolSize);
      at = 0;
    }
    const out = pool.subarray(at, at + n);
    at += n;
    return out;
  };
}
