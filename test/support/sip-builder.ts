// Hand-built SIP requests and a fake server transaction for unit tests (no sockets).
import { createHash } from 'node:crypto';
import type { AuthHeader, NameAddr, Peer, SipRequest } from '../../src/sip/message.ts';
import type { IncomingRequest, ResponseExtras } from '../../src/sip/stack-api.ts';

export interface RegisterSpec {
  user: string;
  domain?: string;
  contacts?: Array<string | { uri: string; expires?: string }> | '*';
  expires?: string;
  callId?: string;
  cseq?: number;
  userAgent?: string;
  authorization?: AuthHeader[];
}

export function register(spec: RegisterSpec): SipRequest {
  const domain = spec.domain ?? 'pbx.example.com';
  let contact: NameAddr[] | '*' | undefined;
  if (spec.contacts === '*') contact = '*';
  else if (spec.contacts) {
    contact = spec.contacts.map((c): NameAddr => {
      if (typeof c === 'string') return { uri: c, params: {} };
      return { uri: c.uri, params: c.expires === undefined ? {} : { expires: c.expires } };
    });
  }
  const req: SipRequest = {
    method: 'REGISTER',
    uri: `sip:${domain}`,
    version: '2.0',
    headers: {
      via: [{ version: '2.0', protocol: 'UDP', host: '192.0.2.10', port: 5060, params: { branch: 'z9hG4bK' + Math.random().toString(36).slice(2) } }],
      to: { uri: `sip:${spec.user}@${domain}`, params: {} },
      from: { uri: `sip:${spec.user}@${domain}`, params: { tag: 'ft1' } },
      'call-id': spec.callId ?? 'call-1@test',
      cseq: { seq: spec.cseq ?? 1, method: 'REGISTER' },
    },
    content: '',
  };
  if (contact !== undefined) req.headers.contact = contact;
  if (spec.expires !== undefined) req.headers.expires = spec.expires;
  if (spec.userAgent !== undefined) req.headers['user-agent'] = spec.userAgent;
  if (spec.authorization) req.headers.authorization = spec.authorization;
  return req;
}

export interface Captured {
  status: number;
  reason?: string;
  extra?: ResponseExtras;
}

export class FakeIncoming implements IncomingRequest {
  readonly responses: Captured[] = [];
  constructor(
    readonly request: SipRequest,
    readonly source: Peer = { transport: 'udp', address: '192.0.2.10', port: 5060 },
  ) {}
  respond(status: number, reason?: string, extra?: ResponseExtras): void {
    this.responses.push({ status, reason, extra });
  }
  get last(): Captured | undefined {
    return this.responses[this.responses.length - 1];
  }
  header(name: string): string[] {
    const v = this.last?.extra?.headers?.[name];
    return v === undefined ? [] : Array.isArray(v) ? v : [v];
  }
}

/** Parses a challenge value `Digest realm="r", nonce="n", algorithm=X, …` (test-side, independent of src). */
export function parseChallenge(value: string): Record<string, string> {
  const out: Record<string, string> = {};
  const body = value.replace(/^Digest\s+/i, '');
  const re = /([a-zA-Z-]+)=("([^"]*)"|[^,\s]+)/g;
  for (let m = re.exec(body); m; m = re.exec(body)) out[m[1].toLowerCase()] = m[3] ?? m[2];
  return out;
}

export interface ClientAuth {
  username: string;
  password: string;
  realm: string;
  nonce: string;
  algorithm?: string; // as sent in the header; default 'MD5'
  uri: string;
  method?: string;
  nc?: string;
  cnonce?: string;
  /** Hash name for node:crypto; default from algorithm. */
}

/** The client side of RFC 7616 (qop=auth), computed independently of src/sip/digest.ts. */
export function authorize(a: ClientAuth): AuthHeader {
  const algorithm = a.algorithm ?? 'MD5';
  const node = algorithm.toUpperCase().startsWith('SHA-256') ? 'sha256' : algorithm.toUpperCase().startsWith('SHA-512-256') ? 'sha512-256' : 'md5';
  const h = (s: string): string => createHash(node).update(s).digest('hex');
  const nc = a.nc ?? '00000001';
  const cnonce = a.cnonce ?? 'c0ffee42';
  let ha1 = h(`${a.username}:${a.realm}:${a.password}`);
  if (algorithm.toLowerCase().endsWith('-sess')) ha1 = h(`${ha1}:${a.nonce}:${cnonce}`);
  const ha2 = h(`${a.method ?? 'REGISTER'}:${a.uri}`);
  const response = h(`${ha1}:${a.nonce}:${nc}:${cnonce}:auth:${ha2}`);
  return {
    scheme: 'Digest',
    username: `"${a.username}"`,
    realm: `"${a.realm}"`,
    nonce: `"${a.nonce}"`,
    uri: `"${a.uri}"`,
    response: `"${response}"`,
    algorithm,
    qop: 'auth',
    nc,
    cnonce: `"${cnonce}"`,
  };
}
