// SIP/SIPS (and tel) URI parsing and formatting. Hand-written single pass (no regex) so it
// is linear in the input, handles IPv6 hosts in brackets, and keeps params with empty or
// falsy values. Escapes (%XX) are kept as received: formatting round-trips byte for byte;
// compare users with `unescapeUser` when escaping may differ.
import type { Params, SipUri } from './message.ts';

const MAX_URI_LENGTH = 4096;

/** Parses `sip:user:pw@host:port;params?headers` (also `sips:`, and `tel:` into `user`). */
export function parseUri(text: string): SipUri | undefined {
  if (typeof text !== 'string' || text.length === 0 || text.length > MAX_URI_LENGTH) return undefined;
  const colon = text.indexOf(':');
  if (colon <= 0) return undefined;
  const scheme = text.slice(0, colon).toLowerCase();
  if (scheme === 'tel') return parseTel(text, colon + 1);
  if (scheme !== 'sip' && scheme !== 'sips') return undefined;
  for (let i = colon + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f || c === 0x3c /* < */ || c === 0x3e /* > */ || c === 0x22 /* " */) return undefined;
  }

  let pos = colon + 1;
  let user: string | undefined;
  let password: string | undefined;
  // userinfo ends at the first '@' (user, password, params and headers may not hold a raw '@').
  const at = text.indexOf('@', pos);
  if (at >= 0) {
    const userinfo = text.slice(pos, at);
    const pc = userinfo.indexOf(':');
    if (pc >= 0) {
      user = userinfo.slice(0, pc);
      password = userinfo.slice(pc + 1);
    } else {
      user = userinfo;
    }
    if (user.length === 0) return undefined;
    pos = at + 1;
  }

  let host: string;
  if (text.charCodeAt(pos) === 0x5b /* [ */) {
    const close = text.indexOf(']', pos);
    if (close < 0) return undefined;
    host = text.slice(pos, close + 1);
    if (!isIpv6Reference(host)) return undefined;
    pos = close + 1;
  } else {
    const start = pos;
    while (pos < text.length) {
      const c = text.charCodeAt(pos);
      if (c === 0x3a || c === 0x3b || c === 0x3f) break; // : ; ?
      if (!isHostChar(c)) return undefined;
      pos++;
    }
    host = text.slice(start, pos);
    if (host.length === 0) return undefined;
  }

  let port: number | undefined;
  if (text.charCodeAt(pos) === 0x3a /* : */) {
    pos++;
    const start = pos;
    let value = 0;
    while (pos < text.length) {
      const c = text.charCodeAt(pos);
      if (c < 0x30 || c > 0x39) break;
      value = value * 10 + (c - 0x30);
      pos++;
    }
    if (pos === start || pos - start > 5 || value > 65535) return undefined;
    port = value;
  }

  const params: Params = {};
  const headers: Record<string, string> = {};
  const q = text.indexOf('?', pos);
  const paramEnd = q >= 0 ? q : text.length;
  if (pos < paramEnd) {
    if (text.charCodeAt(pos) !== 0x3b /* ; */) return undefined;
    if (!parseParamList(text.slice(pos + 1, paramEnd), params)) return undefined;
  }
  if (q >= 0) {
    const hs = text.slice(q + 1);
    if (hs.length === 0) return undefined;
    for (const part of hs.split('&')) {
      const eq = part.indexOf('=');
      if (eq <= 0) return undefined;
      headers[part.slice(0, eq)] = part.slice(eq + 1);
    }
  }

  const uri: SipUri = { scheme, host, params, headers };
  if (user !== undefined) uri.user = user;
  if (password !== undefined) uri.password = password;
  if (port !== undefined) uri.port = port;
  return uri;
}

function parseTel(text: string, pos: number): SipUri | undefined {
  const semi = text.indexOf(';', pos);
  const number = text.slice(pos, semi >= 0 ? semi : text.length);
  if (number.length === 0) return undefined;
  for (let i = 0; i < number.length; i++) {
    const c = number.charCodeAt(i);
    if (c <= 0x20 || c === 0x40 /* @ */ || c === 0x3c || c === 0x3e) return undefined;
  }
  const params: Params = {};
  if (semi >= 0 && !parseParamList(text.slice(semi + 1), params)) return undefined;
  return { scheme: 'tel', user: number, host: '', params, headers: {} };
}

/** `a=1;lr;b=` → { a: '1', lr: null, b: '' }. Names are case-insensitive: stored lower-case. */
function parseParamList(s: string, into: Params): boolean {
  for (const part of s.split(';')) {
    if (part.length === 0) return false;
    const eq = part.indexOf('=');
    if (eq === 0) return false;
    if (eq < 0) into[part.toLowerCase()] = null;
    else into[part.slice(0, eq).toLowerCase()] = part.slice(eq + 1);
  }
  return true;
}

function isHostChar(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) || // a-z
    (c >= 0x41 && c <= 0x5a) || // A-Z
    (c >= 0x30 && c <= 0x39) || // 0-9
    c === 0x2d || // -
    c === 0x2e || // .
    c === 0x5f // _ (seen in the wild in hostnames)
  );
}

function isIpv6Reference(h: string): boolean {
  if (h.length < 4) return false; // "[::]"
  for (let i = 1; i < h.length - 1; i++) {
    const c = h.charCodeAt(i);
    const ok = (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46) || c === 0x3a || c === 0x2e;
    if (!ok) return false;
  }
  return true;
}

/** Formats a URI; IPv6 hosts given without brackets get them. Params with null value → `;name`. */
export function formatUri(uri: SipUri): string {
  let s = uri.scheme + ':';
  if (uri.scheme === 'tel') {
    s += uri.user ?? '';
  } else {
    if (uri.user !== undefined) {
      s += uri.user;
      if (uri.password !== undefined) s += ':' + uri.password;
      s += '@';
    }
    s += formatHost(uri.host);
    if (uri.port !== undefined) s += ':' + uri.port;
  }
  s += formatParams(uri.params);
  let first = true;
  for (const name in uri.headers) {
    s += (first ? '?' : '&') + name + '=' + uri.headers[name];
    first = false;
  }
  return s;
}

/** `;a=1;lr` — values '' and '0' are kept (only null means "no value"). */
export function formatParams(params: Params | undefined): string {
  let s = '';
  if (!params) return s;
  for (const name in params) {
    const v = params[name];
    s += v === null || v === undefined ? ';' + name : ';' + name + '=' + v;
  }
  return s;
}

/** An IPv6 literal gets brackets; anything else is returned as is. */
export function formatHost(host: string): string {
  return host.indexOf(':') >= 0 && host.charCodeAt(0) !== 0x5b ? '[' + host + ']' : host;
}

/** Strips IPv6 brackets: the form node:net / dgram want. */
export function bareHost(host: string): string {
  return host.charCodeAt(0) === 0x5b && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** Decodes %XX escapes (for comparing users); invalid escapes are left as they are. */
export function unescapeUser(s: string): string {
  if (s.indexOf('%') < 0) return s;
  return s.replace(/%([0-9a-fA-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
}
