// Random identifiers (branches, tags, Call-IDs) from crypto-random bytes, drawn from a pool
// refilled in batches: one randomBytes call per ~500 ids instead of one per id.
import { randomBytes } from 'node:crypto';

const POOL_SIZE = 4096;
let pool = randomBytes(POOL_SIZE);
let offset = 0;

/** `bytes` random bytes as lower-case hex (2*bytes characters). */
export function randomHex(bytes: number): string {
  if (offset + bytes > POOL_SIZE) {
    pool = randomBytes(POOL_SIZE);
    offset = 0;
  }
  const s = pool.toString('hex', offset, offset + bytes);
  offset += bytes;
  return s;
}

/** RFC 3261 branch: magic cookie + 64 random bits. */
export function newBranch(): string {
  return 'z9hG4bK' + randomHex(8);
}

export function newTag(): string {
  return randomHex(6);
}

export function newCallId(): string {
  return randomHex(12);
}
