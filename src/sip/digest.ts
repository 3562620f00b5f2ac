// SIP digest authentication, server side (RFC 3261 §22, RFC 7616, RFC 8760): MD5, SHA-256 and
// SHA-512-256 (and their -sess variants), qop=auth only, stateless expiring nonces, nonce-count
// replay guard, constant-time comparison.
//
// CHALLENGE ORDER — default MD5 first, then SHA-256.
// RFC 8760 §2.4 asks a server offering several algorithms to list them most preferred first and
// a client to use the topmost one it supports; by that rule SHA-256 would go first. In the field
// many desk phones, IADs and older softphones read only the first WWW-Authenticate, know only MD5,
// and fail (or loop) when that first challenge says algorithm=SHA-256 — Asterisk's chan_sip, for
// one, had to be fixed to pick MD5 out of a multi-algorithm challenge, and Kamailio and Asterisk
// still challenge with MD5 alone by default. An office PBX that locks out its existing phones is
// worse than one that offers SHA-256 second, so the default is ['MD5', 'SHA-256']: old phones
// keep working, clients that scan all challenges may still answer the SHA-256 one. Operators
// with a modern fleet set `algorithms: ['SHA-256', 'MD5']` (or SHA-256 alone).
//
// WRONG PASSWORD vs UNKNOWN USER — both come back as `failed` and the caller answers both with a
// fresh 401 challenge of the same shape. For an unknown user the response is still computed
// (against a throw-away password) so the two paths cost the same.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AuthHeader } from './message.ts';
import { NonceCountTracker, NonceIssuer } from './nonce.ts';
import { parseUri } from './uri.ts';

export type DigestAlgorithm = 'MD5' | 'MD5-sess' | 'SHA-256' | 'SHA-256-sess' | 'SHA-512-256' | 'SHA-512-256-sess';

const NODE_HASH: Record<DigestAlgorithm, string> = {
  MD5: 'md5',
  'MD5-sess': 'md5',
  'SHA-256': 'sha256',
  'SHA-256-sess': 'sha256',
  'SHA-512-256': 'sha512-256',
  'SHA-512-256-sess': 'sha512-256',
};

/** Canonical spelling of an algorithm token (case-insensitive on input), or undefined. */
export function digestAlgorithm(token: string): DigestAlgorithm | undefined {
  switch (token.toUpperCase()) {
    case 'MD5': return 'MD5';
    case 'MD5-SESS': return 'MD5-sess';
    case 'SHA-256': return 'SHA-256';
    case 'SHA-256-SESS': return 'SHA-256-sess';
    case 'SHA-512-256': return 'SHA-512-256';
    case 'SHA-512-256-SESS': return 'SHA-512-256-sess';
    default: return undefined;
  }
}

export interface DigestOptions {
  /** Algorithms offered, one WWW-Authenticate each, in this order. Default ['MD5', 'SHA-256'] (see file comment). */
  algorithms?: readonly DigestAlgorithm[];
  /** Nonce lifetime, ms. Default 300 000. An older nonce with a right response gets stale=true. */
  nonceLifetimeMs?: number;
  /** Clock, ms since epoch. Default Date.now. */
  now?: () => number;
  /** Nonce HMAC key. Default: 32 random bytes per process start. */
  secret?: Buffer;
  /** Optional opaque value echoed in every challenge. */
  opaque?: string;
  /** Cap on nonces whose count is tracked. Default 100 000. */
  maxTrackedNonces?: number;
}

/** What the caller needs from an account: its password (plain; HA1 is derived per algorithm). */
export interface DigestSecret {
  password: string;
}

export type DigestResult<T> =
  | { kind: 'ok'; account: T; username: string; algorithm: DigestAlgorithm }
  /** No credentials for this realm, or right credentials on an old/unknown/replayed nonce: challenge (not a failure). */
  | { kind: 'challenge'; stale: boolean }
  /** Wrong password, unknown user, or malformed/unsupported credentials: a failure to count. */
  | { kind: 'failed'; reason: string; username?: string };

export interface DigestRequest {
  method: string;
  /** The Request-URI as received. */
  uri: string;
  /** Authorization (or Proxy-Authorization) header values: parsed objects or raw text. */
  authorization?: ReadonlyArray<AuthHeader | string>;
}

export class DigestAuthenticator {
  readonly algorithms: readonly DigestAlgorithm[];
  private readonly offered: ReadonlySet<DigestAlgorithm>;
  private readonly nonces: NonceIssuer;
  private readonly counts: NonceCountTracker;
  private readonly now: () => number;
  private readonly opaque: string | undefined;
  /** Password used for unknown users so that their check costs what a real one costs. */
  private readonly decoyPassword = randomBytes(12).toString('base64url');

  constructor(options: DigestOptions = {}) {
    const algorithms = options.algorithms ?? ['MD5', 'SHA-256'];
    if (algorithms.length === 0) throw new Error('digest: configure at least one algorithm (e.g. MD5, SHA-256)');
    for (const a of algorithms) {
      if (digestAlgorithm(a) !== a) throw new Error(`digest: unsupported algorithm "${a}" (use MD5, SHA-256, SHA-512-256 or a -sess variant)`);
    }
    this.algorithms = [...algorithms];
    this.offered = new Set(algorithms);
    this.now = options.now ?? Date.now;
    this.nonces = new NonceIssuer({ secret: options.secret, lifetimeMs: options.nonceLifetimeMs, now: this.now });
    this.counts = new NonceCountTracker({ maxEntries: options.maxTrackedNonces });
    this.opaque = options.opaque;
  }

  /**
   * WWW-Authenticate values, one per algorithm in the configured order, sharing one fresh
   * nonce. `firstOnly`: just the first (for clients that reject a challenge list holding an
   * algorithm they do not know).
   */
  challenge(realm: string, stale = false, firstOnly = false): string[] {
    const nonce = this.nonces.issue(realm);
    const common = `Digest realm="${quote(realm)}", nonce="${nonce}"`;
    const tail = (this.opaque !== undefined ? `, opaque="${quote(this.opaque)}"` : '') + (stale ? ', stale=true' : '');
    const count = firstOnly ? 1 : this.algorithms.length;
    const out: string[] = new Array(count);
    for (let i = 0; i < count; i++) {
      out[i] = `${common}, algorithm=${this.algorithms[i]}, qop="auth"${tail}`;
    }
    return out;
  }

  /**
   * Checks the credentials for `realm`. `lookup` finds the account for a username (undefined:
   * unknown). Only one response hash is computed per call.
   */
  verify<T extends DigestSecret>(req: DigestRequest, realm: string, lookup: (username: string) => T | undefined): DigestResult<T> {
    const creds = pickCredentials(req.authorization, realm);
    if (creds === undefined) return { kind: 'challenge', stale: false };

    const username = creds.username;
    const nonce = creds.nonce;
    const digestUri = creds.uri;
    const response = creds.response;
    if (!username || !nonce || !digestUri || !response) return { kind: 'failed', reason: 'incomplete credentials', username };
    const algorithm = creds.algorithm === undefined ? 'MD5' : digestAlgorithm(creds.algorithm);
    if (algorithm === undefined || !this.offered.has(algorithm)) {
      return { kind: 'failed', reason: `algorithm not offered: ${creds.algorithm}`, username };
    }
    if (creds.qop === undefined || creds.qop.toLowerCase() !== 'auth') return { kind: 'failed', reason: 'qop=auth required', username };
    const ncText = creds.nc;
    const cnonce = creds.cnonce;
    if (ncText === undefined || !/^[0-9a-fA-F]{8}$/.test(ncText) || !cnonce) return { kind: 'failed', reason: 'bad nc or cnonce', username };
    if (!sameRequestUri(digestUri, req.uri)) return { kind: 'failed', reason: 'digest uri does not match Request-URI', username };

    const account = lookup(username);
    const password = account ? account.password : this.decoyPassword;
    const expected = computeResponse({
      algorithm, username, realm, password, method: req.method, uri: digestUri, nonce, nc: ncText, cnonce, qop: 'auth',
    });
    const given = response.toLowerCase();
    const match = given.length === expected.length && timingSafeEqual(Buffer.from(given, 'latin1'), Buffer.from(expected, 'latin1'));
    if (!account) return { kind: 'failed', reason: 'unknown user', username };
    if (!match) return { kind: 'failed', reason: 'wrong password', username };

    const state = this.nonces.check(nonce, realm);
    if (state.state !== 'valid') return { kind: 'challenge', stale: true };
    const now = this.now();
    if (!this.counts.accept(nonce, parseInt(ncText, 16), state.issuedAt, state.expiresAt, now)) {
      return { kind: 'challenge', stale: true };
    }
    return { kind: 'ok', account, username, algorithm };
  }

  /** Drops nonce counts of expired nonces (the tracker also prunes as it goes). */
  sweep(): void {
    this.counts.sweep(this.now());
  }
}

export interface ResponseInput {
  algorithm: DigestAlgorithm;
  username: string;
  realm: string;
  password: string;
  method: string;
  uri: string;
  nonce: string;
  nc: string;
  cnonce: string;
  qop: string;
}

/** The request-digest of RFC 7616 §3.4.1 (qop=auth), lower-case hex. */
export function computeResponse(i: ResponseInput): string {
  const alg = NODE_HASH[i.algorithm];
  let ha1 = hash(alg, `${i.username}:${i.realm}:${i.password}`);
  if (i.algorithm.endsWith('-sess')) ha1 = hash(alg, `${ha1}:${i.nonce}:${i.cnonce}`);
  const ha2 = hash(alg, `${i.method}:${i.uri}`);
  return hash(alg, `${ha1}:${i.nonce}:${i.nc}:${i.cnonce}:${i.qop}:${ha2}`);
}

function hash(alg: string, s: string): string {
  return createHash(alg).update(s, 'utf8').digest('hex');
}

/** Digest credential parameters, names lower-cased, values unquoted. */
export type DigestParams = Record<string, string | undefined>;

/** The first Digest credentials whose realm is `realm`, or undefined if none. */
export function pickCredentials(headers: ReadonlyArray<AuthHeader | string> | undefined, realm: string): DigestParams | undefined {
  if (!headers) return undefined;
  for (const h of headers) {
    const params = typeof h === 'string' ? parseDigestText(h) : fromAuthHeader(h);
    if (params && params.realm === realm) return params;
  }
  return undefined;
}

function fromAuthHeader(h: AuthHeader): DigestParams | undefined {
  if (typeof h.scheme !== 'string' || h.scheme.toLowerCase() !== 'digest') return undefined;
  const out: DigestParams = {};
  for (const name of Object.keys(h)) {
    if (name === 'scheme') continue;
    const v = h[name];
    if (typeof v === 'string') out[name.toLowerCase()] = unquote(v);
  }
  return out;
}

/** Parses `Digest a="x", b=y` header text; undefined when the scheme is not Digest. */
export function parseDigestText(text: string): DigestParams | undefined {
  let i = 0;
  const n = text.length;
  while (i < n && text.charCodeAt(i) <= 0x20) i++;
  const start = i;
  while (i < n && text.charCodeAt(i) > 0x20) i++;
  if (text.slice(start, i).toLowerCase() !== 'digest') return undefined;
  const out: DigestParams = {};
  while (i < n) {
    while (i < n && (text.charCodeAt(i) <= 0x20 || text[i] === ',')) i++;
    const ns = i;
    while (i < n && text[i] !== '=' && text[i] !== ',' && text.charCodeAt(i) > 0x20) i++;
    const name = text.slice(ns, i).toLowerCase();
    while (i < n && text.charCodeAt(i) <= 0x20) i++;
    if (text[i] !== '=') {
      if (name) out[name] = '';
      continue;
    }
    i++;
    while (i < n && text.charCodeAt(i) <= 0x20) i++;
    let value = '';
    if (text[i] === '"') {
      i++;
      while (i < n && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < n) i++;
        value += text[i++];
      }
      i++;
    } else {
      const vs = i;
      while (i < n && text[i] !== ',' && text.charCodeAt(i) > 0x20) i++;
      value = text.slice(vs, i);
    }
    if (name) out[name] = value;
  }
  return out;
}

function unquote(v: string): string {
  if (v.length >= 2 && v.charCodeAt(0) === 0x22 && v.charCodeAt(v.length - 1) === 0x22) {
    const inner = v.slice(1, -1);
    return inner.indexOf('\\') < 0 ? inner : inner.replace(/\\(.)/g, '$1');
  }
  return v;
}

function quote(v: string): string {
  return v.indexOf('"') < 0 && v.indexOf('\\') < 0 ? v : v.replace(/(["\\])/g, '\\$1');
}

/** The digest-uri must name the Request-URI: equal text, or the same scheme/user/host/port. */
function sameRequestUri(digestUri: string, requestUri: string): boolean {
  if (digestUri === requestUri) return true;
  const a = parseUri(digestUri);
  const b = parseUri(requestUri);
  if (!a || !b) return false;
  return (
    a.scheme === b.scheme &&
    a.user === b.user &&
    a.host.toLowerCase() === b.host.toLowerCase() &&
    (a.port ?? defaultPort(a.scheme)) === (b.port ?? defaultPort(b.scheme))
  );
}

function defaultPort(scheme: string): number {
  return scheme === 'sips' ? 5061 : 5060;
}
