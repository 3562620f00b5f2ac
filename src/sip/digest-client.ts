// SIP digest authentication, client side (RFC 3261 §22, RFC 2617, RFC 7616, RFC 8760): what we
// send when a carrier challenges our REGISTER (401/WWW-Authenticate) or INVITE
// (407/Proxy-Authenticate). The server side is digest.ts.
//
// Which challenge: a server may offer several (one header each, or comma-joined in one). We
// answer the strongest algorithm we support (SHA-512-256, then SHA-256, then MD5, each before
// its -sess variant) rather than the first listed: digest.ts lists MD5 first for old phones
// (see its comment), and a client that can do better should. No algorithm means MD5 (RFC 2617).
//
// qop: `auth` when offered (cnonce, and nc counted per nonce so a nonce reused for a refresh
// is not a replay); with no qop at all, the RFC 2069 form (no cnonce, nc or qop). A challenge
// offering only auth-int is skipped: we would have to hash the body, and carriers do not ask.
import { createHash } from 'node:crypto';
import { computeResponse, digestAlgorithm, type DigestAlgorithm } from './digest.ts';
import { splitList } from './header-values.ts';
import type { AuthHeader, SipResponse } from './message.ts';
import { randomHex } from './random-id.ts';

/** One Digest challenge we are able to answer. */
export interface DigestChallenge {
  realm: string;
  nonce: string;
  algorithm: DigestAlgorithm;
  /** The challenge named its algorithm: we name it back (an RFC 2069 server may not know the parameter). */
  algorithmGiven: boolean;
  /** 'auth' when offered; undefined for the RFC 2069 form. */
  qop: 'auth' | undefined;
  opaque?: string;
  /** stale=true: our credentials were right, only the nonce was old (answer again, RFC 7616 §3.3). */
  stale: boolean;
}

export interface DigestCredentials {
  username: string;
  password: string;
}

// Strongest first (RFC 8760 §3: SHA-512-256 > SHA-256 > MD5).
const STRENGTH: readonly DigestAlgorithm[] = ['SHA-512-256', 'SHA-512-256-sess', 'SHA-256', 'SHA-256-sess', 'MD5', 'MD5-sess'];

const NODE_HASH: Record<string, string> = { MD5: 'md5', 'SHA-256': 'sha256', 'SHA-512-256': 'sha512-256' };

/**
 * The Digest challenges of WWW-Authenticate / Proxy-Authenticate values (parsed headers, or raw
 * text holding one or several comma-joined challenges) that we can answer, in the order given.
 */
export function parseChallenges(values: ReadonlyArray<AuthHeader | string> | undefined): DigestChallenge[] {
  const out: DigestChallenge[] = [];
  for (const v of values ?? []) {
    const raws = typeof v === 'string' ? splitChallengeText(v) : [fromAuthHeader(v)];
    for (const raw of raws) {
      if (raw.scheme.toLowerCase() !== 'digest') continue;
      const c = toChallenge(raw.params);
      if (c) out.push(c);
    }
  }
  return out;
}

/** The challenge to answer: the strongest algorithm we support; undefined when none is usable. */
export function pickChallenge(values: ReadonlyArray<AuthHeader | string> | undefined): DigestChallenge | undefined {
  let best: DigestChallenge | undefined;
  for (const c of parseChallenges(values)) {
    if (!best || STRENGTH.indexOf(c.algorithm) < STRENGTH.indexOf(best.algorithm)) best = c;
  }
  return best;
}

/** A 401/407's challenge and the header that answers it; undefined for other responses or no usable challenge. */
export function challengeOf(res: SipResponse): { challenge: DigestChallenge; header: 'authorization' | 'proxy-authorization' } | undefined {
  if (res.status !== 401 && res.status !== 407) return undefined;
  const challenge = pickChallenge(res.status === 401 ? res.headers['www-authenticate'] : res.headers['proxy-authenticate']);
  if (!challenge) return undefined;
  return { challenge, header: res.status === 401 ? 'authorization' : 'proxy-authorization' };
}

export interface DigestClientOptions {
  /** The cnonce source (tests pin it). Default: 16 random hex digits. */
  cnonce?: () => string;
}

/** Computes Authorization values; counts nc per nonce, so keep one per peer we talk to. */
export class DigestClient {
  private readonly cnonce: () => string;
  /** nc last used per nonce (a few nonces only: a peer has one current nonce). */
  private readonly counts = new Map<string, number>();

  constructor(options: DigestClientOptions = {}) {
    this.cnonce = options.cnonce ?? (() => randomHex(8));
  }

  /** The Authorization / Proxy-Authorization value answering `challenge` for one request. */
  authorize(challenge: DigestChallenge, credentials: DigestCredentials, method: string, uri: string): string {
    const { realm, nonce, algorithm, qop } = challenge;
    const { username, password } = credentials;
    const sess = algorithm.endsWith('-sess');
    const cnonce = qop !== undefined || sess ? this.cnonce() : undefined;
    let nc: string | undefined;
    let response: string;
    if (qop !== undefined) {
      nc = this.nextCount(nonce).toString(16).padStart(8, '0');
      response = computeResponse({ algorithm, username, realm, password, method, uri, nonce, nc, cnonce: cnonce!, qop });
    } else {
      response = rfc2069Response(algorithm, username, realm, password, method, uri, nonce, cnonce);
    }
    let s = `Digest username="${quote(username)}", realm="${quote(realm)}", nonce="${quote(nonce)}", uri="${quote(uri)}", response="${response}"`;
    if (challenge.algorithmGiven) s += `, algorithm=${algorithm}`;
    if (cnonce !== undefined) s += `, cnonce="${quote(cnonce)}"`;
    if (qop !== undefined) s += `, qop=${qop}, nc=${nc}`;
    if (challenge.opaque !== undefined) s += `, opaque="${quote(challenge.opaque)}"`;
    return s;
  }

  private nextCount(nonce: string): number {
    const n = (this.counts.get(nonce) ?? 0) + 1;
    this.counts.delete(nonce);
    this.counts.set(nonce, n);
    if (this.counts.size > 8) this.counts.delete(this.counts.keys().next().value!);
    return n;
  }
}

/** RFC 2069 (no qop): KD(H(A1), nonce ":" H(A2)); -sess still folds the cnonce into A1 (RFC 2617 §3.2.2.2). */
function rfc2069Response(algorithm: DigestAlgorithm, username: string, realm: string, password: string, method: string, uri: string, nonce: string, cnonce: string | undefined): string {
  const alg = NODE_HASH[algorithm.replace(/-sess$/, '')]!;
  let ha1 = hash(alg, `${username}:${realm}:${password}`);
  if (cnonce !== undefined) ha1 = hash(alg, `${ha1}:${nonce}:${cnonce}`);
  return hash(alg, `${ha1}:${nonce}:${hash(alg, `${method}:${uri}`)}`);
}

function hash(alg: string, s: string): string {
  return createHash(alg).update(s, 'utf8').digest('hex');
}

function toChallenge(p: Record<string, string>): DigestChallenge | undefined {
  const { realm, nonce } = p;
  if (realm === undefined || !nonce) return undefined;
  const algorithm = p.algorithm === undefined ? 'MD5' : digestAlgorithm(p.algorithm);
  if (algorithm === undefined) return undefined;
  let qop: 'auth' | undefined;
  if (p.qop !== undefined) {
    const offered = p.qop.split(',').map((q) => q.trim().toLowerCase());
    if (!offered.includes('auth')) return undefined; // auth-int only
    qop = 'auth';
  }
  const c: DigestChallenge = { realm, nonce, algorithm, algorithmGiven: p.algorithm !== undefined, qop, stale: p.stale?.toLowerCase() === 'true' };
  if (p.opaque !== undefined) c.opaque = p.opaque;
  return c;
}

interface RawChallenge {
  scheme: string;
  params: Record<string, string>;
}

function fromAuthHeader(h: AuthHeader): RawChallenge {
  const params: Record<string, string> = {};
  for (const name of Object.keys(h)) {
    if (name !== 'scheme' && typeof h[name] === 'string') params[name.toLowerCase()] = unquote(h[name]);
  }
  return { scheme: typeof h.scheme === 'string' ? h.scheme : '', params };
}

/** `Digest a="x", b=y, Digest c=…`: a new challenge starts at an item `scheme param=…`. */
function splitChallengeText(text: string): RawChallenge[] {
  const out: RawChallenge[] = [];
  let current: RawChallenge | undefined;
  for (const item of splitList(text)) {
    let rest = item.trim();
    if (rest === '') continue;
    const m = /^([A-Za-z0-9!#$%&'*+.^_`|~-]+)(?:\s+|$)(.*)$/s.exec(rest);
    if (m && !/^\s*=/.test(rest.slice(m[1]!.length))) {
      current = { scheme: m[1]!, params: {} };
      out.push(current);
      rest = m[2]!.trim();
      if (rest === '') continue;
    }
    const eq = rest.indexOf('=');
    if (!current || eq <= 0) continue;
    current.params[rest.slice(0, eq).trim().toLowerCase()] = unquote(rest.slice(eq + 1).trim());
  }
  return out;
}

function unquote(v: string): string {
  if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) return v.slice(1, -1).replace(/\\(.)/g, '$1');
  return v;
}

/** RFC 7616 §3.4 quoted-string: escape the quote and the backslash. */
function quote(v: string): string {
  return v.replace(/(["\\])/g, '\\$1');
}
