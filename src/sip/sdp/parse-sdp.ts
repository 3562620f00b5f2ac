// parseSdp: an SDP body (RFC 8866 / RFC 4566) into a SessionDescription. Hand-written, one
// pass over the lines, linear in the input. Tolerant where real phones differ from the RFC
// (LF or CRLF, trailing whitespace, blank lines, no s= or t=, session lines out of order);
// strict where a wrong reading would send media astray (ports, addresses, payload types,
// the attributes we interpret). Everything it cannot use is an SdpError naming the line.
import { isIPv4, isIPv6 } from 'node:net';
import { SdpError } from './sdp-error.ts';
import type { Connection, Direction, MediaDescription, RtpmapAttribute, SdpAttribute, SessionDescription, Timing } from './session-description.ts';

/** Bodies longer than this are refused (a real offer is well under 4 KiB; WebRTC ones under 8). */
export const MAX_SDP_BYTES = 16 * 1024;
/** More m= lines than this are refused. */
export const MAX_SDP_MEDIA = 64;

const DIRECTIONS: ReadonlySet<string> = new Set<Direction>(['sendrecv', 'sendonly', 'recvonly', 'inactive']);
/** Line types allowed in a media section (RFC 8866 §5: m= i= c= b= k= a=). */
const MEDIA_TYPES = 'icbka';
const KNOWN_TYPES = 'vosiuepcbtrzkam';
/** Session-level types that may appear once. */
const SINGLE_SESSION_TYPES = 'vosiuczk';

const TOKEN = /^[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+$/;
const RTPMAP = /^(\d{1,3}) +([^\s/]+)\/(\d{1,9})(?:\/(\d{1,3}))?$/;
const FMTP = /^(\S+)(?: +(.*))?$/;
const RTCP = /^(\d{1,5})(?: +(\S+) +(\S+) +(\S+))?$/;
const PTIME = /^\d{1,6}(?:\.\d{1,6})?$/;
const DIGITS = /^\d+$/;
const PORT = /^(\d{1,5})(?:\/(\d{1,5}))?$/;
const BANDWIDTH = /^[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+:\d+$/;
const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9.])?$/;

/** Parses an SDP body. Throws SdpError (and nothing else) for a body it cannot use. */
export function parseSdp(text: string): SessionDescription {
  if (typeof text !== 'string') throw new SdpError('SDP body is not text');
  if (text.length > MAX_SDP_BYTES) throw new SdpError(`SDP body is ${text.length} bytes; at most ${MAX_SDP_BYTES} are accepted`);
  return new Parser().run(text);
}

class Parser {
  private desc: SessionDescription | null = null;
  private media: MediaDescription | null = null;
  private seen = new Set<string>();
  /** A direction attribute already seen at the current level (session or this m= section). */
  private directionSeen = false;
  private rtpmapPts = new Set<number>();
  private lineNo = 0;
  /** Line of each m=, for checks made after the last line. */
  private mediaLines: number[] = [];
  private hasOrigin = false;

  run(text: string): SessionDescription {
    const lines = text.split('\n');
    const desc: SessionDescription = {
      version: 0,
      origin: { username: '-', sessionId: '0', sessionVersion: '0', netType: 'IN', addrType: 'IP4', address: '0.0.0.0' },
      name: '-',
      emails: [],
      phones: [],
      bandwidths: [],
      timings: [],
      attributes: [],
      media: [],
    };
    let first = true;
    for (let i = 0; i < lines.length; i++) {
      this.lineNo = i + 1;
      const line = trimEnd(lines[i]);
      if (line.length === 0) continue;
      checkCharacters(line, this.lineNo);
      if (line.length < 2 || line.charCodeAt(1) !== 0x3d /* = */) this.fail(`expected <type>=<value>, found "${clip(line)}"`);
      const type = line[0];
      const value = line.slice(2);
      if (first) {
        if (type !== 'v') this.fail(`an SDP body starts with v=0, found "${clip(line)}"`);
        this.desc = desc;
        first = false;
      }
      if (!KNOWN_TYPES.includes(type)) this.fail(`unknown line type "${clip(type)}="`);
      if (this.media === null) this.sessionLine(desc, type, value);
      else this.mediaLine(this.media, type, value);
    }
    if (this.desc === null) throw new SdpError('SDP body is empty');
    if (!this.hasOrigin) throw new SdpError('SDP body has no o= line');
    if (desc.timings.length === 0) desc.timings.push({ start: '0', stop: '0', repeats: [] });
    desc.media.forEach((m, i) => {
      if (m.port !== 0 && m.connection === undefined && desc.connection === undefined) {
        throw new SdpError(`m=${m.type} has no c= line and the session has none`, this.mediaLines[i]);
      }
    });
    return desc;
  }

  private fail(message: string): never {
    throw new SdpError(message, this.lineNo);
  }

  private sessionLine(desc: SessionDescription, type: string, value: string): void {
    if (SINGLE_SESSION_TYPES.includes(type)) {
      if (this.seen.has(type)) this.fail(`second ${type}= line in the session description`);
      this.seen.add(type);
    }
    switch (type) {
      case 'v':
        if (value !== '0') this.fail(`unsupported SDP version "${clip(value)}" (only v=0)`);
        return;
      case 'o': {
        const f = fields(value);
        if (f.length !== 6) this.fail(`o= needs 6 fields (username sess-id sess-version nettype addrtype address), found ${f.length}`);
        if (!DIGITS.test(f[1]) || !DIGITS.test(f[2])) this.fail(`o= session id and version must be numbers, found "${clip(f[1])}" and "${clip(f[2])}"`);
        desc.origin = { username: f[0], sessionId: f[1], sessionVersion: f[2], netType: f[3], addrType: f[4], address: f[5] };
        this.hasOrigin = true;
        return;
      }
      case 's':
        desc.name = value;
        return;
      case 'i':
        desc.info = value;
        return;
      case 'u':
        desc.uri = value;
        return;
      case 'e':
        desc.emails.push(value);
        return;
      case 'p':
        desc.phones.push(value);
        return;
      case 'c':
        desc.connection = this.connection(value);
        return;
      case 'b':
        desc.bandwidths.push(this.bandwidth(value));
        return;
      case 't': {
        const f = fields(value);
        if (f.length !== 2 || !DIGITS.test(f[0]) || !DIGITS.test(f[1])) this.fail(`t= needs "<start> <stop>" times, found "${clip(value)}"`);
        desc.timings.push({ start: f[0], stop: f[1], repeats: [] });
        return;
      }
      case 'r': {
        const last: Timing | undefined = desc.timings[desc.timings.length - 1];
        if (last === undefined) this.fail('r= must follow a t= line');
        last.repeats.push(value);
        return;
      }
      case 'z':
        desc.zone = value;
        return;
      case 'k':
        desc.key = value;
        return;
      case 'a':
        desc.attributes.push(this.attribute(value, false));
        return;
      case 'm':
        this.startMedia(desc, value);
        return;
    }
  }

  private mediaLine(media: MediaDescription, type: string, value: string): void {
    if (type === 'm') {
      this.startMedia(this.desc!, value);
      return;
    }
    if (!MEDIA_TYPES.includes(type)) this.fail(`${type}= belongs before the first m= line`);
    if (type !== 'b' && type !== 'a') {
      if (this.seen.has(type)) this.fail(`second ${type}= line in the m=${media.type} section`);
      this.seen.add(type);
    }
    switch (type) {
      case 'i':
        media.info = value;
        return;
      case 'c':
        media.connection = this.connection(value);
        return;
      case 'b':
        media.bandwidths.push(this.bandwidth(value));
        return;
      case 'k':
        media.key = value;
        return;
      case 'a':
        media.attributes.push(this.attribute(value, true));
        return;
    }
  }

  private startMedia(desc: SessionDescription, value: string): void {
    if (desc.media.length >= MAX_SDP_MEDIA) this.fail(`more than ${MAX_SDP_MEDIA} m= lines`);
    const f = fields(value);
    if (f.length < 3) this.fail(`m= needs "<media> <port> <proto> <format> …", found "${clip(value)}"`);
    const [type, portText, proto] = f;
    if (!TOKEN.test(type)) this.fail(`m= media type "${clip(type)}" is not a token`);
    const pm = PORT.exec(portText);
    const port = pm === null ? NaN : Number(pm[1]);
    if (pm === null || port > 65535) this.fail(`m= port "${clip(portText)}" is not a number 0-65535`);
    let portCount: number | undefined;
    if (pm[2] !== undefined) {
      portCount = Number(pm[2]);
      if (portCount < 1) this.fail(`m= port count "${clip(pm[2])}" must be at least 1`);
    }
    if (!/^[A-Za-z0-9/_.-]+$/.test(proto)) this.fail(`m= proto "${clip(proto)}" is not a protocol name`);
    const formats = f.slice(3);
    if (formats.length === 0 && port !== 0) this.fail(`m=${type} lists no formats`);
    if (isRtp(proto)) {
      for (const fmt of formats) {
        if (!DIGITS.test(fmt) || Number(fmt) > 127) this.fail(`m= format "${clip(fmt)}" is not an RTP payload type 0-127`);
      }
    }
    const media: MediaDescription = { type, port, proto, formats, bandwidths: [], attributes: [] };
    if (portCount !== undefined) media.portCount = portCount;
    desc.media.push(media);
    this.mediaLines.push(this.lineNo);
    this.media = media;
    this.seen = new Set();
    this.directionSeen = false;
    this.rtpmapPts = new Set();
  }

  private connection(value: string): Connection {
    const f = fields(value);
    if (f.length !== 3) this.fail(`c= needs "<nettype> <addrtype> <address>", found "${clip(value)}"`);
    const [netType, addrType, full] = f;
    const slash = full.indexOf('/');
    const address = slash < 0 ? full : full.slice(0, slash);
    if (!isAddress(addrType, address)) this.fail(`c= address "${clip(address)}" is not an ${addrType === 'IP6' ? 'IPv6' : 'IPv4'} address or host name`);
    const c: Connection = { netType, addrType, address };
    if (slash >= 0) {
      const suffix = full.slice(slash);
      if (!/^(\/\d{1,5}){1,2}$/.test(suffix)) this.fail(`c= multicast suffix "${clip(suffix)}" is not /<ttl>[/<count>]`);
      c.multicast = suffix;
    }
    return c;
  }

  private bandwidth(value: string): string {
    if (!BANDWIDTH.test(value)) this.fail(`b= needs "<type>:<kbit/s>", found "${clip(value)}"`);
    return value;
  }

  private attribute(text: string, mediaLevel: boolean): SdpAttribute {
    const colon = text.indexOf(':');
    const name = colon < 0 ? text : text.slice(0, colon);
    const value = colon < 0 ? undefined : text.slice(colon + 1);
    if (!TOKEN.test(name)) this.fail(`a= attribute name "${clip(name)}" is not a token`);
    const lower = name.toLowerCase();
    if (DIRECTIONS.has(lower)) {
      if (value !== undefined) this.fail(`a=${lower} takes no value`);
      if (this.directionSeen) this.fail(`second direction attribute (a=${lower}) in the same ${mediaLevel ? 'm= section' : 'session description'}`);
      this.directionSeen = true;
      return { kind: 'direction', direction: lower as Direction };
    }
    if (!mediaLevel) return value === undefined ? { kind: 'other', name } : { kind: 'other', name, value };
    switch (lower) {
      case 'rtpmap': {
        const m = RTPMAP.exec(value ?? '');
        if (m === null) this.fail(`a=rtpmap "${clip(value ?? '')}" is not "<payload type> <encoding>/<clock rate>[/<channels>]"`);
        const pt = Number(m[1]);
        const rate = Number(m[3]);
        if (pt > 127) this.fail(`a=rtpmap payload type ${pt} is not 0-127`);
        if (rate === 0) this.fail('a=rtpmap clock rate must not be 0');
        if (this.rtpmapPts.has(pt)) this.fail(`second a=rtpmap for payload type ${pt}`);
        this.rtpmapPts.add(pt);
        const attr: RtpmapAttribute = { kind: 'rtpmap', pt, name: m[2], rate };
        if (m[4] !== undefined) {
          const channels = Number(m[4]);
          if (channels === 0) this.fail('a=rtpmap channel count must not be 0');
          attr.channels = channels;
        }
        return attr;
      }
      case 'fmtp': {
        const m = FMTP.exec(value ?? '');
        if (m === null) this.fail('a=fmtp needs "<format> <parameters>"');
        return { kind: 'fmtp', format: m[1], params: m[2] ?? '' };
      }
      case 'ptime':
      case 'maxptime': {
        if (value === undefined || !PTIME.test(value) || Number(value) === 0) this.fail(`a=${lower} "${clip(value ?? '')}" is not a positive number of milliseconds`);
        return lower === 'ptime' ? { kind: 'ptime', ms: Number(value) } : { kind: 'maxptime', ms: Number(value) };
      }
      case 'rtcp': {
        const m = RTCP.exec(value ?? '');
        if (m === null || Number(m[1]) > 65535) this.fail(`a=rtcp "${clip(value ?? '')}" is not "<port> [<nettype> <addrtype> <address>]"`);
        if (m[2] === undefined) return { kind: 'rtcp', port: Number(m[1]) };
        if (!isAddress(m[3], m[4])) this.fail(`a=rtcp address "${clip(m[4])}" is not an address`);
        return { kind: 'rtcp', port: Number(m[1]), netType: m[2], addrType: m[3], address: m[4] };
      }
      case 'rtcp-mux':
        if (value !== undefined) this.fail('a=rtcp-mux takes no value');
        return { kind: 'rtcp-mux' };
      default:
        return value === undefined ? { kind: 'other', name } : { kind: 'other', name, value };
    }
  }
}

/** An RTP-based transport (RTP/AVP, RTP/SAVPF, UDP/TLS/RTP/SAVPF, …): its formats are payload types. */
export function isRtp(proto: string): boolean {
  return /(^|\/)RTP\//i.test(proto);
}

function isAddress(addrType: string, address: string): boolean {
  if (address.length === 0) return false;
  if (addrType === 'IP6') return isIPv6(address) || (HOSTNAME.test(address) && /[A-Za-z]/.test(address));
  // IP4 and anything else (RFC 8866 lets extensions define address types): a dotted quad or a name.
  if (/^[\d.]+$/.test(address)) return isIPv4(address);
  return HOSTNAME.test(address);
}

/** Fields separated by one or more spaces (the RFC says one; some stacks send two). */
function fields(value: string): string[] {
  return value.split(' ').filter((f) => f.length > 0);
}

function trimEnd(line: string): string {
  let end = line.length;
  while (end > 0) {
    const c = line.charCodeAt(end - 1);
    if (c !== 0x0d && c !== 0x20 && c !== 0x09) break;
    end--;
  }
  return end === line.length ? line : line.slice(0, end);
}

function checkCharacters(line: string, lineNo: number): void {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) {
      throw new SdpError(`control character 0x${c.toString(16).padStart(2, '0')} at column ${i + 1}`, lineNo);
    }
  }
}

/** At most 40 characters of untrusted text for a message. */
function clip(s: string): string {
  return s.length > 40 ? s.slice(0, 40) + '…' : s;
}
