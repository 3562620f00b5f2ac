// Our own serialisation (the package's loses falsy params, writes "200 undefined" and counts
// Content-Length in UTF-16 units). Output is a Buffer: strings holding only code points
// ≤ 0xFF are written as latin1 (received text is kept that way, byte-exact); a string with
// wider characters (built by our code) is written as UTF-8. Content-Length counts bytes.
import type {
  AuthHeader, CSeq, NameAddr, Params, SipHeaders, SipMessage, SipRequest, SipResponse, SipUri, Via,
} from './message.ts';
import type { ResponseExtras } from './stack-api.ts';
import { newTag } from './random-id.ts';
import { formatHost, formatParams, formatUri } from './uri.ts';

export const REASON_PHRASES: Readonly<Record<number, string>> = {
  100: 'Trying', 180: 'Ringing', 181: 'Call Is Being Forwarded', 182: 'Queued', 183: 'Session Progress',
  199: 'Early Dialog Terminated',
  200: 'OK', 202: 'Accepted', 204: 'No Notification',
  300: 'Multiple Choices', 301: 'Moved Permanently', 302: 'Moved Temporarily', 305: 'Use Proxy', 380: 'Alternative Service',
  400: 'Bad Request', 401: 'Unauthorized', 402: 'Payment Required', 403: 'Forbidden', 404: 'Not Found',
  405: 'Method Not Allowed', 406: 'Not Acceptable', 407: 'Proxy Authentication Required', 408: 'Request Timeout',
  410: 'Gone', 412: 'Conditional Request Failed', 413: 'Request Entity Too Large', 414: 'Request-URI Too Long',
  415: 'Unsupported Media Type', 416: 'Unsupported URI Scheme', 417: 'Unknown Resource-Priority',
  420: 'Bad Extension', 421: 'Extension Required', 422: 'Session Interval Too Small', 423: 'Interval Too Brief',
  428: 'Use Identity Header', 429: 'Provide Referrer Identity', 433: 'Anonymity Disallowed',
  439: 'First Hop Lacks Outbound Support', 440: 'Max-Breadth Exceeded', 470: 'Consent Needed',
  480: 'Temporarily Unavailable', 481: 'Call/Transaction Does Not Exist', 482: 'Loop Detected',
  483: 'Too Many Hops', 484: 'Address Incomplete', 485: 'Ambiguous', 486: 'Busy Here', 487: 'Request Terminated',
  488: 'Not Acceptable Here', 489: 'Bad Event', 491: 'Request Pending', 493: 'Undecipherable',
  494: 'Security Agreement Required',
  500: 'Server Internal Error', 501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Unavailable',
  504: 'Server Time-out', 505: 'Version Not Supported', 513: 'Message Too Large', 555: 'Push Notification Service Not Supported',
  580: 'Precondition Failure',
  600: 'Busy Everywhere', 603: 'Decline', 604: 'Does Not Exist Anywhere', 606: 'Not Acceptable', 607: 'Unwanted',
  608: 'Rejected',
};

/** The standard phrase for a status, or a generic one for its class. */
export function reasonPhrase(status: number): string {
  const known = REASON_PHRASES[status];
  if (known !== undefined) return known;
  const generic = ['', 'Provisional', 'Success', 'Redirection', 'Client Error', 'Server Error', 'Global Failure'];
  return generic[Math.floor(status / 100)] ?? 'Unknown';
}

const CANONICAL: Record<string, string> = {
  'call-id': 'Call-ID', cseq: 'CSeq', 'www-authenticate': 'WWW-Authenticate', 'mime-version': 'MIME-Version',
  'rack': 'RAck', 'rseq': 'RSeq', 'sip-etag': 'SIP-ETag', 'sip-if-match': 'SIP-If-Match', 'p-asserted-identity': 'P-Asserted-Identity',
  'p-preferred-identity': 'P-Preferred-Identity', 'content-id': 'Content-ID',
};

const canonicalCache = new Map<string, string>();

/** `record-route` → `Record-Route`, `call-id` → `Call-ID`. */
export function canonicalName(name: string): string {
  const lower = name.toLowerCase();
  const special = CANONICAL[lower];
  if (special) return special;
  let cached = canonicalCache.get(lower);
  if (cached === undefined) {
    cached = lower.replace(/(^|-)([a-z])/g, (_m, dash: string, ch: string) => dash + ch.toUpperCase());
    if (canonicalCache.size < 1000) canonicalCache.set(lower, cached);
  }
  return cached;
}

export function formatVia(v: Via): string {
  let s = 'SIP/' + (v.version || '2.0') + '/' + v.protocol + ' ' + formatHost(v.host);
  if (v.port !== undefined && !Number.isNaN(v.port)) s += ':' + v.port;
  return s + formatParams(v.params);
}

/** Name-addr, always with angle brackets (safe whatever the URI carries). */
export function formatNameAddr(na: NameAddr | { name?: string; uri: SipUri | string; params: Params }): string {
  const uri = typeof na.uri === 'string' ? na.uri : formatUri(na.uri);
  const s = na.name ? na.name + ' <' + uri + '>' : '<' + uri + '>';
  return s + formatParams(na.params);
}

function formatAuth(a: AuthHeader): string {
  let s = a.scheme + ' ';
  let first = true;
  for (const k in a) {
    if (k === 'scheme') continue;
    s += (first ? '' : ', ') + k + '=' + a[k];
    first = false;
  }
  return s;
}

function headerLines(name: string, value: unknown): string {
  if (value === undefined || value === null) return '';
  const display = canonicalName(name);
  // Values already in text form (a TU's extra headers): one line each, whatever the header.
  if (typeof value === 'string' && name !== 'cseq') return display + ': ' + value + '\r\n';
  if (Array.isArray(value) && typeof value[0] === 'string') return value.map((v) => display + ': ' + v + '\r\n').join('');
  switch (name) {
    case 'via':
      return (value as Via[]).map((v) => 'Via: ' + formatVia(v) + '\r\n').join('');
    case 'to':
    case 'from':
    case 'refer-to':
      return typeof value === 'string' ? display + ': ' + value + '\r\n' : display + ': ' + formatNameAddr(value as NameAddr) + '\r\n';
    case 'contact':
      if (value === '*') return 'Contact: *\r\n';
      if (typeof value === 'string') return 'Contact: ' + value + '\r\n';
      return (value as NameAddr[]).length === 0 ? '' : 'Contact: ' + (value as NameAddr[]).map(formatNameAddr).join(', ') + '\r\n';
    case 'route':
    case 'record-route':
    case 'path':
      if (typeof value === 'string') return display + ': ' + value + '\r\n';
      return (value as NameAddr[]).length === 0 ? '' : display + ': ' + (value as NameAddr[]).map(formatNameAddr).join(', ') + '\r\n';
    case 'cseq': {
      const c = value as CSeq;
      return typeof value === 'string' ? 'CSeq: ' + value + '\r\n' : 'CSeq: ' + c.seq + ' ' + c.method + '\r\n';
    }
    case 'content-length':
      return ''; // always computed
    case 'authorization':
    case 'proxy-authorization':
    case 'www-authenticate':
    case 'proxy-authenticate':
      if (Array.isArray(value)) {
        return value.map((a) => display + ': ' + (typeof a === 'string' ? a : formatAuth(a as AuthHeader)) + '\r\n').join('');
      }
      break;
  }
  if (Array.isArray(value)) return value.map((v) => display + ': ' + String(v) + '\r\n').join('');
  if (typeof value === 'object') return ''; // an unknown structured value: we would only write garbage
  return display + ': ' + String(value) + '\r\n';
}

function hasWide(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0xff) return true;
  return false;
}

function encode(s: string): Buffer {
  return Buffer.from(s, hasWide(s) ? 'utf8' : 'latin1');
}

/** The head (start line + headers, without Content-Length) as text. */
export function formatHead(m: SipMessage): string {
  let s =
    (m as SipRequest).method !== undefined
      ? (m as SipRequest).method + ' ' + (m as SipRequest).uri + ' SIP/' + (m.version || '2.0') + '\r\n'
      : 'SIP/' + (m.version || '2.0') + ' ' + (m as SipResponse).status + ' ' + ((m as SipResponse).reason ?? reasonPhrase((m as SipResponse).status)) + '\r\n';
  const h = m.headers as SipHeaders;
  // Via first (RFC 3261 §7.3.1 recommends it; proxies read it first), then the rest in order.
  s += headerLines('via', h.via);
  for (const name in h) {
    if (name === 'via') continue;
    s += headerLines(name, h[name]);
  }
  return s;
}

/** Serialises a message; Content-Length is the body's byte length. */
export function serialize(m: SipMessage): Buffer {
  const body = m.content ? encode(m.content) : undefined;
  const head = encode(formatHead(m) + 'Content-Length: ' + (body ? body.length : 0) + '\r\n\r\n');
  return body ? Buffer.concat([head, body], head.length + body.length) : head;
}

/** A response to `request` (RFC 3261 §8.2.6): Via, From, To (+tag), Call-ID, CSeq copied. */
export function buildResponse(request: SipRequest, status: number, reason?: string, extras?: ResponseExtras): SipResponse {
  const rh = request.headers;
  let to = rh.to;
  if (status > 100 && to && to.params.tag === undefined) {
    to = { ...to, params: { ...to.params, tag: extras?.toTag ?? newTag() } };
  }
  const headers: SipHeaders = {
    via: rh.via,
    from: rh.from,
    to,
    'call-id': rh['call-id'],
    cseq: rh.cseq,
  };
  if (extras?.headers) {
    for (const name in extras.headers) headers[name.toLowerCase()] = extras.headers[name];
  }
  let content = '';
  if (extras?.body !== undefined && extras.body.length > 0) {
    content = extras.body;
    if (extras.contentType) headers['content-type'] = extras.contentType;
  }
  return { status, reason: reason ?? reasonPhrase(status), version: '2.0', headers, content };
}
