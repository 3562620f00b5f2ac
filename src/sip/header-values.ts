// Parsers for header values the `sip` package gets wrong (Via and Route-like with IPv6 hosts,
// silent truncation). Single linear passes; `undefined` means malformed.
import type { Params, SipUri, Via } from './message.ts';
import { parseUri } from './uri.ts';

/** Splits a header value on commas outside quotes and angle brackets. */
export function splitList(value: string): string[] {
  const out: string[] = [];
  let inQuote = false;
  let inAngle = false;
  let from = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (inQuote) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inQuote = false;
    } else if (c === 0x22) inQuote = true;
    else if (c === 0x3c) inAngle = true;
    else if (c === 0x3e) inAngle = false;
    else if (c === 0x2c && !inAngle) {
      out.push(value.slice(from, i));
      from = i + 1;
    }
  }
  out.push(value.slice(from));
  return out;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
}

/** `;a=1 ; b ; c = "x"` from `pos` to the end into params (names lower-case). Returns false if malformed. */
export function parseParamsAt(s: string, pos: number, into: Params): boolean {
  const n = s.length;
  for (;;) {
    while (pos < n && isSpace(s.charCodeAt(pos))) pos++;
    if (pos >= n) return true;
    if (s.charCodeAt(pos) !== 0x3b) return false;
    pos++;
    while (pos < n && isSpace(s.charCodeAt(pos))) pos++;
    const nameStart = pos;
    while (pos < n) {
      const c = s.charCodeAt(pos);
      if (c === 0x3d || c === 0x3b || isSpace(c)) break;
      pos++;
    }
    if (pos === nameStart) return false;
    const name = s.slice(nameStart, pos).toLowerCase();
    while (pos < n && isSpace(s.charCodeAt(pos))) pos++;
    if (pos < n && s.charCodeAt(pos) === 0x3d) {
      pos++;
      while (pos < n && isSpace(s.charCodeAt(pos))) pos++;
      const vStart = pos;
      if (s.charCodeAt(pos) === 0x22) {
        pos++;
        while (pos < n && s.charCodeAt(pos) !== 0x22) pos += s.charCodeAt(pos) === 0x5c ? 2 : 1;
        if (pos >= n) return false;
        pos++;
      } else {
        while (pos < n) {
          const c = s.charCodeAt(pos);
          if (c === 0x3b || isSpace(c)) break;
          pos++;
        }
      }
      into[name] = s.slice(vStart, pos);
    } else {
      into[name] = null;
    }
  }
}

/** One via-parm: `SIP / 2.0 / UDP host[:port] *(;param)`; IPv6 sent-by in brackets. */
export function parseVia(value: string): Via | undefined {
  const s = value;
  const n = s.length;
  let pos = 0;
  const parts: string[] = [];
  for (let k = 0; k < 3; k++) {
    while (pos < n && isSpace(s.charCodeAt(pos))) pos++;
    const st = pos;
    while (pos < n) {
      const c = s.charCodeAt(pos);
      if (c === 0x2f || isSpace(c)) break;
      pos++;
    }
    if (pos === st) return undefined;
    parts.push(s.slice(st, pos));
    while (pos < n && isSpace(s.charCodeAt(pos))) pos++;
    if (k < 2) {
      if (s.charCodeAt(pos) !== 0x2f) return undefined;
      pos++;
    }
  }
  if (parts[0]!.toUpperCase() !== 'SIP') return undefined;
  let host: string;
  if (s.charCodeAt(pos) === 0x5b) {
    const close = s.indexOf(']', pos);
    if (close < 0) return undefined;
    host = s.slice(pos, close + 1);
    pos = close + 1;
  } else {
    const st = pos;
    while (pos < n) {
      const c = s.charCodeAt(pos);
      if (c === 0x3a || c === 0x3b || isSpace(c)) break;
      pos++;
    }
    host = s.slice(st, pos);
  }
  if (host.length === 0 || parseUri('sip:' + host) === undefined) return undefined;
  while (pos < n && isSpace(s.charCodeAt(pos))) pos++;
  let port: number | undefined;
  if (s.charCodeAt(pos) === 0x3a) {
    pos++;
    while (pos < n && isSpace(s.charCodeAt(pos))) pos++;
    const st = pos;
    while (pos < n && s.charCodeAt(pos) >= 0x30 && s.charCodeAt(pos) <= 0x39) pos++;
    if (pos === st || pos - st > 5) return undefined;
    port = Number(s.slice(st, pos));
    if (port > 65535) return undefined;
  }
  const params: Params = {};
  if (!parseParamsAt(s, pos, params)) return undefined;
  const via: Via = { version: parts[1]!, protocol: parts[2]!.toUpperCase(), host, params };
  if (port !== undefined) via.port = port;
  return via;
}

/** A Route / Record-Route / Path entry: `["name"] <uri> *(;param)`. */
export function parseRouteEntry(value: string): { name?: string; uri: SipUri; params: Params } | undefined {
  const lt = value.indexOf('<');
  const gt = value.indexOf('>', lt + 1);
  if (lt < 0 || gt < 0) return undefined;
  const uri = parseUri(value.slice(lt + 1, gt).trim());
  if (!uri) return undefined;
  const params: Params = {};
  if (!parseParamsAt(value, gt + 1, params)) return undefined;
  const name = value.slice(0, lt).trim();
  return name.length > 0 ? { name, uri, params } : { uri, params };
}

/** The option tags of a Supported / Require / Unsupported value (trimmed, empty ones dropped). */
export function optionTags(value: unknown): string[] {
  if (typeof value !== 'string' || value.length === 0) return [];
  return value
    .split(',')
    .map((tag) => tag.trim())
    .filter((tag) => tag.length > 0);
}
