// Guarded parsing of one SIP message (a UDP datagram or one framed stream message).
// Order: size limit → cheap linear pre-scan of start line and header lines (things the `sip`
// package silently tolerates or drops) → `sip.parse` for the header values → validation of
// what a UAS needs (mandatory headers, CSeq, version, Request-URI scheme, Content-Length).
// A bad request is answered when we can build a response ("reject"); everything else drops.
// Nothing here throws: the result says what to do.
import sip from 'sip';
import type { CSeq, SipMessage, SipRequest, SipResponse } from './message.ts';
import { parseRouteEntry, parseVia, splitList } from './header-values.ts';
import { parseUri } from './uri.ts';

export type ParseResult =
  | { kind: 'message'; message: SipMessage }
  /** A request bad enough to refuse; `request` holds enough (Via, From, To, Call-ID, CSeq) to answer. */
  | { kind: 'reject'; status: number; reason: string; request: SipRequest }
  | { kind: 'drop'; why: string };

export interface ParseOptions {
  /** Largest message accepted, bytes (default 64 KiB). */
  maxMessageSize?: number;
  /** True for framed stream messages: the framer already cut the body by Content-Length. */
  stream?: boolean;
}

export const DEFAULT_MAX_MESSAGE_SIZE = 64 * 1024;

const COMPACT: Record<string, string> = {
  i: 'call-id', m: 'contact', e: 'content-encoding', l: 'content-length', c: 'content-type',
  f: 'from', s: 'subject', k: 'supported', t: 'to', v: 'via', o: 'event', r: 'refer-to',
  u: 'allow-events', x: 'session-expires',
};

// Headers that may appear once only (RFC 3261 §7.3.1, §20): a second one is a 400.
const SINGLE = new Set(['to', 'from', 'call-id', 'cseq', 'content-length', 'max-forwards']);

// Headers we parse ourselves (the package mangles IPv6 hosts in them).
const OWN_PARSED = new Set(['via', 'route', 'record-route', 'path']);

// Headers whose value the package parses into structures and may silently truncate.
const STRUCTURED = new Set(['via', 'contact', 'to', 'from', 'route', 'record-route']);

const MAX_CSEQ = 2 ** 31 - 1; // RFC 3261 §8.1.1.5

/** Canonical (lower-case, compact forms expanded) header name. */
export function canonicalHeaderName(raw: string): string {
  const lower = raw.toLowerCase();
  return lower.length === 1 ? (COMPACT[lower] ?? lower) : lower;
}

function isTokenChar(c: number): boolean {
  // RFC 3261 token: alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~"
  return (
    (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) ||
    c === 0x2d || c === 0x2e || c === 0x21 || c === 0x25 || c === 0x2a || c === 0x5f ||
    c === 0x2b || c === 0x60 || c === 0x27 || c === 0x7e
  );
}

function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!isTokenChar(s.charCodeAt(i))) return false;
  return true;
}

function isDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
}

interface StartLine {
  request: boolean;
  method?: string;
  uri?: string;
  version: string;
  status?: number;
  reason?: string;
  /** Why the start line is not acceptable (request: 400/505/416; response: drop). */
  problem?: { status: number; reason: string };
}

function parseStartLine(line: string): StartLine | undefined {
  if (line.startsWith('SIP/')) {
    // Response: SIP/2.0 SP 3DIGIT [SP reason]
    const sp = line.indexOf(' ');
    if (sp < 0) return undefined;
    const version = line.slice(4, sp);
    const code = line.slice(sp + 1, sp + 4);
    const after = line.charCodeAt(sp + 4);
    if (!isDigits(code) || (line.length > sp + 4 && after !== 0x20)) return undefined;
    const status = Number(code);
    if (status < 100 || status > 699 || version !== '2.0') return undefined;
    return { request: false, version, status, reason: line.slice(sp + 5) };
  }
  // Request: Method SP Request-URI SP SIP-Version, single spaces, nothing else.
  const sp1 = line.indexOf(' ');
  const sp2 = sp1 < 0 ? -1 : line.indexOf(' ', sp1 + 1);
  if (sp1 <= 0) return undefined;
  const method = line.slice(0, sp1);
  if (!isToken(method)) return undefined;
  const bad = (status: number, reason: string): StartLine => ({ request: true, method, version: '2.0', problem: { status, reason } });
  if (sp2 < 0 || line.indexOf(' ', sp2 + 1) >= 0) return bad(400, 'Bad Request-Line');
  const uri = line.slice(sp1 + 1, sp2);
  const versionText = line.slice(sp2 + 1);
  if (uri.length === 0 || !versionText.startsWith('SIP/')) return bad(400, 'Bad Request-Line');
  const version = versionText.slice(4);
  const start: StartLine = { request: true, method, uri, version };
  if (version !== '2.0') start.problem = { status: 505, reason: 'Version Not Supported' };
  else start.problem = checkRequestUri(uri);
  return start;
}

function checkRequestUri(uri: string): StartLine['problem'] {
  const colon = uri.indexOf(':');
  if (colon <= 0) return { status: 400, reason: 'Bad Request-URI' };
  const scheme = uri.slice(0, colon).toLowerCase();
  if (scheme !== 'sip' && scheme !== 'sips' && scheme !== 'tel') {
    // A well-formed but unknown scheme is 416; garbage is 400.
    for (let i = 0; i < colon; i++) {
      const c = scheme.charCodeAt(i);
      if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e)) {
        return { status: 400, reason: 'Bad Request-URI' };
      }
    }
    return { status: 416, reason: 'Unsupported URI Scheme' };
  }
  const parsed = parseUri(uri);
  if (!parsed) return { status: 400, reason: 'Bad Request-URI' };
  // Headers are not allowed in a Request-URI (RFC 3261 §19.1.5).
  if (Object.keys(parsed.headers).length > 0) return { status: 400, reason: 'Bad Request-URI' };
  return undefined;
}

/** Parses and validates one message. Never throws. */
export function parseMessage(data: Buffer, options: ParseOptions = {}): ParseResult {
  try {
    return parseUnsafe(data, options);
  } catch (err) {
    return { kind: 'drop', why: 'parser exception: ' + String(err) };
  }
}

function parseUnsafe(data: Buffer, options: ParseOptions): ParseResult {
  const max = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
  let tooLarge = false;
  if (data.length > max) {
    tooLarge = true;
    data = data.subarray(0, max); // still try to read the headers to answer 513
  }
  let text = data.toString('latin1');

  // Leading CRLFs / whitespace (keep-alives, sloppy senders): skipped in one linear pass.
  let start = 0;
  while (start < text.length && isWs(text.charCodeAt(start))) start++;
  if (start === text.length) return { kind: 'drop', why: 'empty' };

  let headerEnd = text.indexOf('\r\n\r\n', start);
  if (headerEnd < 0) {
    // A datagram is a whole message: tolerate a missing empty line after the last header.
    if (options.stream || tooLarge || !text.endsWith('\r\n')) return { kind: 'drop', why: tooLarge ? 'too large' : 'no end of headers' };
    text += '\r\n';
    headerEnd = text.length - 4;
  }
  const firstEol = text.indexOf('\r\n', start);
  const startLine = parseStartLine(text.slice(start, firstEol));
  if (!startLine) return { kind: 'drop', why: 'bad start line' };
  const isReq = startLine.request;

  let problem: { status: number; reason: string } | undefined = startLine.problem;
  const flag = (status: number, reason: string) => {
    if (!problem) problem = { status, reason };
  };
  if (tooLarge) problem = { status: 513, reason: 'Message Too Large' };

  // Pre-scan header lines: names are tokens, single-valued headers appear once, structured
  // headers have no empty elements (the package stops silently at `;;` or `,,`), and keep
  // the raw text of the scalar headers we validate ourselves. NULs are tolerated only inside
  // values (RFC 4475 3.1.1.2 has one in a quoted-pair); names are tokens so hold none.
  const headerText = text.slice(firstEol + 2, headerEnd);
  const seen: Record<string, number> = Object.create(null);
  const raw: Record<string, string> = Object.create(null);
  const lists: Record<string, string[]> = Object.create(null);
  let curName = '';
  let curValue = '';
  const finish = () => {
    if (curName === '') return;
    if (SINGLE.has(curName)) raw[curName] = curValue.trim();
    else if (OWN_PARSED.has(curName)) (lists[curName] ??= []).push(curValue);
    if (STRUCTURED.has(curName) && hasEmptyElement(curValue)) flag(400, 'Malformed ' + curName);
  };
  let pos = 0;
  while (pos <= headerText.length) {
    let eol = headerText.indexOf('\r\n', pos);
    if (eol < 0) eol = headerText.length;
    const c0 = headerText.charCodeAt(pos);
    if (c0 === 0x20 || c0 === 0x09) {
      // Continuation line (folding): belongs to the previous header.
      if (curName === '') flag(400, 'Continuation Before Any Header');
      else curValue += ' ' + headerText.slice(pos, eol);
    } else {
      finish();
      curName = '';
      const colon = headerText.indexOf(':', pos);
      if (colon < 0 || colon > eol) {
        flag(400, 'Malformed Header Line');
      } else {
        const rawName = headerText.slice(pos, colon).trimEnd();
        if (!isToken(rawName)) flag(400, 'Malformed Header Name');
        curName = canonicalHeaderName(rawName);
        curValue = headerText.slice(colon + 1, eol);
        const n = (seen[curName] = (seen[curName] ?? 0) + 1);
        if (n > 1 && SINGLE.has(curName)) flag(400, 'Multiple ' + curName + ' Headers');
      }
    }
    pos = eol + 2;
  }
  finish();

  // The package parser: feed it the head only (our own code cuts the body). If the start line
  // was refused, give it a neutral one so the headers we need to answer still get parsed.
  const head =
    startLine.problem && isReq ? 'OPTIONS sip:invalid SIP/2.0' + text.slice(firstEol, headerEnd + 4) : text.slice(start, headerEnd + 4);
  const parsed = sip.parse(head) as unknown as SipMessage | undefined;
  if (!parsed || typeof parsed !== 'object' || !parsed.headers) return { kind: 'drop', why: 'unparseable' };
  const h = parsed.headers;

  // Our own Via and Route-like parsing replaces the package's.
  let viaOk = true;
  for (const name of OWN_PARSED) {
    const values = lists[name];
    if (!values) {
      delete h[name];
      continue;
    }
    const out: unknown[] = [];
    for (const line of values) {
      for (const item of splitList(line)) {
        const v = name === 'via' ? parseVia(item) : parseRouteEntry(item);
        if (v) out.push(v);
        else if (name === 'via' && out.length === 0) viaOk = false; // the top Via is unusable
        else flag(400, 'Malformed ' + name);
      }
    }
    h[name] = out;
  }

  // What we need to answer at all: Via (with sent-by), From, To, Call-ID, CSeq.
  const via = h.via;
  const topVia = viaOk && Array.isArray(via) ? via[0] : undefined;
  const cseq = parseCSeq(raw.cseq);
  const callId = raw['call-id'];
  const answerable =
    topVia !== undefined && typeof topVia.host === 'string' && topVia.host.length > 0 &&
    typeof topVia.protocol === 'string' && h.from !== undefined && h.to !== undefined &&
    typeof h.from.uri === 'string' && typeof h.to.uri === 'string' &&
    callId !== undefined && callId.length > 0 && cseq !== undefined;

  if (!isReq) {
    if (problem || !answerable || topVia.version !== '2.0') return { kind: 'drop', why: problem?.reason ?? 'missing headers' };
    const res = parsed as SipResponse;
    res.version = '2.0';
    res.status = startLine.status!;
    res.reason = startLine.reason!;
    h.cseq = cseq;
    h['call-id'] = callId;
    const body = cutBody(text, headerEnd + 4, raw['content-length'], options.stream === true);
    if (typeof body !== 'string') return { kind: 'drop', why: body.reason };
    res.content = body;
    return { kind: 'message', message: res };
  }

  const req = parsed as SipRequest;
  req.method = startLine.method!; // the package unescapes %XX in the method: keep it raw
  req.uri = startLine.uri ?? 'sip:invalid';
  req.version = '2.0';
  if (!answerable) return { kind: 'drop', why: 'missing mandatory headers' };
  h.cseq = cseq;
  h['call-id'] = callId;

  if (!problem) {
    if (topVia.version !== '2.0') flag(400, 'Bad Via');
    // The package drops unparseable values silently; a name-addr must hold a usable URI.
    if (!isUsableUri(h.to.uri)) flag(400, 'Bad To');
    if (!isUsableUri(h.from.uri)) flag(400, 'Bad From');
    if (cseq.method !== req.method) flag(400, 'CSeq Method Mismatch');
    const mf = raw['max-forwards'];
    if (mf !== undefined && (!isDigits(mf) || mf.length > 10 || Number(mf) > 255)) flag(400, 'Bad Max-Forwards');
    if (seen.contact !== undefined && h.contact === undefined) flag(400, 'Bad Contact');
  }
  if (problem) {
    req.content = '';
    return { kind: 'reject', status: problem.status, reason: problem.reason, request: req };
  }
  const body = cutBody(text, headerEnd + 4, raw['content-length'], options.stream === true);
  if (typeof body !== 'string') {
    req.content = '';
    return { kind: 'reject', status: 400, reason: body.reason, request: req };
  }
  req.content = body;
  return { kind: 'message', message: req };
}

/** True when a list/param value has an empty element (`;;`, `,,`, trailing `;`), outside quotes and <>. */
function hasEmptyElement(value: string): boolean {
  let inQuote = false;
  let inAngle = false;
  let prevSep = 0; // last non-space char was ';' or ',' (its code), or 0
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (inQuote) {
      if (c === 0x5c) i++; // quoted-pair
      else if (c === 0x22) inQuote = false;
      continue;
    }
    if (inAngle) {
      if (c === 0x3e) inAngle = false;
      continue;
    }
    if (c === 0x3c) {
      inAngle = true;
      prevSep = 0;
      continue;
    }
    if (c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a) continue;
    if (c === 0x3b || c === 0x2c) {
      if (prevSep !== 0) return true;
      prevSep = c;
      continue;
    }
    if (c === 0x22) inQuote = true;
    prevSep = 0;
  }
  return prevSep !== 0;
}

function parseCSeq(value: string | undefined): CSeq | undefined {
  if (value === undefined) return undefined;
  let i = 0;
  while (i < value.length && value.charCodeAt(i) >= 0x30 && value.charCodeAt(i) <= 0x39) i++;
  if (i === 0 || i > 10) return undefined;
  const seq = Number(value.slice(0, i));
  if (seq > MAX_CSEQ) return undefined;
  let j = i;
  while (j < value.length && (value.charCodeAt(j) === 0x20 || value.charCodeAt(j) === 0x09)) j++;
  if (j === i) return undefined;
  const method = value.slice(j);
  if (!isToken(method)) return undefined;
  return { seq, method };
}

function isUsableUri(uri: string): boolean {
  return parseUri(uri) !== undefined;
}

/** The body per Content-Length. UDP: a shorter Content-Length cuts trailing octets, a longer one is an error. */
function cutBody(text: string, bodyStart: number, cl: string | undefined, stream: boolean): string | { reason: string } {
  const available = text.length - bodyStart;
  if (cl === undefined) {
    if (stream) return { reason: 'Content-Length Required' };
    return available > 0 ? text.slice(bodyStart) : '';
  }
  if (!isDigits(cl) || cl.length > 10) return { reason: 'Bad Content-Length' };
  const length = Number(cl);
  if (length > available) return { reason: 'Content-Length Larger Than Body' };
  return length === 0 ? '' : text.slice(bodyStart, bodyStart + length);
}
