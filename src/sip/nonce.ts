// Digest nonces without per-nonce storage, and the nonce-count replay guard.
//
// A nonce is base64url( issuedAt[6 bytes, ms] | counter[4] | HMAC-SHA256(secret, realm | first 10 bytes)[16] ):
// the server learns its age and that it issued it (for this realm) from the nonce alone.
// The secret is drawn per process start, so nonces from before a restart read as invalid —
// a client with the right password then gets `stale=true` and retries without a prompt.
//
// Nonce counts (RFC 7616 §3.4: nc is the client's count of requests sent with one nonce) are
// remembered only for nonces that passed a full digest check, and only while the nonce lives.
// Memory is capped: when the cap forces out a live nonce, a watermark remembers the newest
// issue time forced out, and any unknown nonce issued at or before it is treated as stale
// (the client re-authenticates with a fresh nonce) instead of as first use — so eviction can
// cost a round trip but never opens a replay.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const TS_BYTES = 6;
const COUNTER_BYTES = 4;
const HEAD_BYTES = TS_BYTES + COUNTER_BYTES;
const MAC_BYTES = 16;
const NONCE_BYTES = HEAD_BYTES + MAC_BYTES;
const NONCE_CHARS = Math.ceil((NONCE_BYTES * 4) / 3); // base64url without padding
/** Clock skew tolerated for a nonce that claims to come from the future. */
const FUTURE_SKEW_MS = 5_000;

export interface NonceIssuerOptions {
  /** HMAC key; default 32 crypto-random bytes drawn at construction (one per process start). */
  secret?: Buffer;
  /** How long a nonce is accepted, ms. Default 300 000 (5 min). */
  lifetimeMs?: number;
  /** Clock, ms since epoch. Default Date.now. */
  now?: () => number;
}

export type NonceState =
  | { state: 'valid'; issuedAt: number; expiresAt: number }
  | { state: 'expired'; issuedAt: number }
  | { state: 'invalid' };

export class NonceIssuer {
  readonly lifetimeMs: number;
  private readonly secret: Buffer;
  private readonly now: () => number;
  private counter: number;
  private readonly head = Buffer.alloc(HEAD_BYTES);

  constructor(options: NonceIssuerOptions = {}) {
    this.secret = options.secret ?? randomBytes(32);
    this.lifetimeMs = options.lifetimeMs ?? 300_000;
    this.now = options.now ?? Date.now;
    this.counter = randomBytes(4).readUInt32BE(0);
  }

  /** A fresh nonce for a realm. */
  issue(realm: string): string {
    const head = this.head;
    head.writeUIntBE(Math.max(0, Math.floor(this.now())), 0, TS_BYTES);
    this.counter = (this.counter + 1) >>> 0;
    head.writeUInt32BE(this.counter, TS_BYTES);
    const mac = this.mac(realm, head);
    return Buffer.concat([head, mac], NONCE_BYTES).toString('base64url');
  }

  /** Whether we issued this nonce for this realm, and whether it is still within its lifetime. */
  check(nonce: string, realm: string): NonceState {
    if (nonce.length !== NONCE_CHARS) return { state: 'invalid' };
    const raw = Buffer.from(nonce, 'base64url');
    if (raw.length !== NONCE_BYTES) return { state: 'invalid' };
    const head = raw.subarray(0, HEAD_BYTES);
    const given = raw.subarray(HEAD_BYTES);
    if (!timingSafeEqual(given, this.mac(realm, head))) return { state: 'invalid' };
    const issuedAt = head.readUIntBE(0, TS_BYTES);
    const now = this.now();
    if (issuedAt > now + FUTURE_SKEW_MS) return { state: 'invalid' };
    const expiresAt = issuedAt + this.lifetimeMs;
    if (now >= expiresAt) return { state: 'expired', issuedAt };
    return { state: 'valid', issuedAt, expiresAt };
  }

  private mac(realm: string, head: Buffer): Buffer {
    return createHmac('sha256', this.secret).update(realm).update('\0').update(head).digest().subarray(0, MAC_BYTES);
  }
}

interface CountEntry {
  nc: number;
  issuedAt: number;
  expiresAt: number;
}

export interface NonceCountTrackerOptions {
  /** Most nonces remembered at once. Default 100 000 (≈16 MB). */
  maxEntries?: number;
}

/** Highest nonce-count seen per live nonce; a repeated or lower count is a replay. */
export class NonceCountTracker {
  private readonly entries = new Map<string, CountEntry>();
  private readonly maxEntries: number;
  /** Newest issue time of a live nonce forced out by the cap (see file comment). */
  private evictedIssuedUpTo = -Infinity;

  constructor(options: NonceCountTrackerOptions = {}) {
    this.maxEntries = Math.max(1, options.maxEntries ?? 100_000);
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * Records `nc` for a valid nonce. Returns false when the count is not higher than the
   * highest seen (replay), or when the nonce may have been forgotten under memory pressure.
   */
  accept(nonce: string, nc: number, issuedAt: number, expiresAt: number, now: number): boolean {
    this.prune(now, 8);
    const entry = this.entries.get(nonce);
    if (entry) {
      if (nc <= entry.nc) return false;
      entry.nc = nc;
      return true;
    }
    if (issuedAt <= this.evictedIssuedUpTo) return false;
    if (this.entries.size >= this.maxEntries) this.evictOldest(now);
    this.entries.set(nonce, { nc, issuedAt, expiresAt });
    return true;
  }

  /** Drops every expired entry. */
  sweep(now: number): void {
    for (const [nonce, e] of this.entries) {
      if (e.expiresAt <= now) this.entries.delete(nonce);
    }
  }

  /** Drops up to `limit` expired entries from the head (entries are roughly in expiry order). */
  private prune(now: number, limit: number): void {
    let n = 0;
    for (const [nonce, e] of this.entries) {
      if (n++ >= limit || e.expiresAt > now) return;
      this.entries.delete(nonce);
    }
  }

  private evictOldest(now: number): void {
    const first = this.entries.entries().next();
    if (first.done) return;
    const [nonce, e] = first.value;
    this.entries.delete(nonce);
    if (e.expiresAt > now && e.issuedAt > this.evictedIssuedUpTo) this.evictedIssuedUpTo = e.issuedAt;
  }
}
