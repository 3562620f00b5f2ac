// A scripted SIP phone for call tests: one UDP socket on 127.0.0.1 for signalling and one for
// RTP. It registers (digest, through sip-client.ts), places calls (407 → ACK on the INVITE's
// branch → INVITE again with Proxy-Authorization and CSeq+1), answers calls the way a test
// tells it to (ring then answer, busy, ring forever, 183 with SDP first, reliable 18x), answers
// every in-dialog request with 200, and records every message it receives so tests can look at
// them. Every wait has a timeout. The phone is deliberately simple: loopback only, no
// retransmissions of its own (loopback does not lose datagrams), one message per datagram.
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { LINEAR_TO_ALAW } from '../../src/media/g711.ts';
import { digestHash, digestParams, parseReply, register, type Reply } from './sip-client.ts';

const HOST = '127.0.0.1';
const DEFAULT_WAIT_MS = 3000;

// ------------------------------------------------------------------ messages

export interface SipMessage {
  raw: string;
  /** Request method, or undefined for a response. */
  method: string | undefined;
  uri: string | undefined;
  status: number | undefined;
  reason: string | undefined;
  body: string;
  /** The first value of a header (long name, case-insensitive), or undefined. */
  header(name: string): string | undefined;
  /** Every header line of that name, in order. */
  headers(name: string): string[];
  callId: string;
  cseq: { seq: number; method: string };
  fromTag: string | undefined;
  toTag: string | undefined;
  /** Branch of the top Via. */
  branch: string | undefined;
  /** Where it came from. */
  source: { address: string; port: number };
}

/** A response: its status and reason are there. */
export type SipResponse = SipMessage & { status: number; reason: string };

const COMPACT: Record<string, string> = {
  i: 'call-id', m: 'contact', e: 'content-encoding', l: 'content-length', c: 'content-type', f: 'from',
  s: 'subject', k: 'supported', t: 'to', v: 'via', o: 'event', r: 'refer-to', x: 'session-expires',
};

export function parseSipMessage(text: string, source = { address: HOST, port: 0 }): SipMessage {
  const split = text.indexOf('\r\n\r\n');
  const head = split >= 0 ? text.slice(0, split) : text;
  const body = split >= 0 ? text.slice(split + 4) : '';
  const lines = head.split('\r\n');
  const start = lines.shift() ?? '';
  const fields: Array<[string, string]> = [];
  for (const line of lines) {
    if (/^[ \t]/.test(line) && fields.length > 0) {
      fields[fields.length - 1]![1] += ' ' + line.trim();
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    fields.push([COMPACT[name] ?? name, line.slice(colon + 1).trim()]);
  }
  const headers = (name: string): string[] => fields.filter(([n]) => n === name.toLowerCase()).map(([, v]) => v);
  const header = (name: string): string | undefined => headers(name)[0];
  const response = /^SIP\/2\.0 (\d{3}) ?(.*)$/.exec(start);
  const request = response ? null : /^([A-Z]+) (\S+) SIP\/2\.0$/.exec(start);
  const cseqMatch = /^(\d+)\s+(\S+)/.exec(header('cseq') ?? '');
  return {
    raw: text,
    method: request?.[1],
    uri: request?.[2],
    status: response ? Number(response[1]) : undefined,
    reason: response?.[2],
    body,
    header,
    headers,
    callId: header('call-id') ?? '',
    cseq: { seq: Number(cseqMatch?.[1] ?? 0), method: cseqMatch?.[2] ?? '' },
    fromTag: tagOf(header('from')),
    toTag: tagOf(header('to')),
    branch: /;\s*branch=([^;,\s]+)/i.exec(header('via') ?? '')?.[1],
    source,
  };
}

function tagOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const afterUri = value.includes('>') ? value.slice(value.lastIndexOf('>')) : value;
  return /;\s*tag=([^;\s]+)/i.exec(afterUri)?.[1];
}

/** The URI inside a name-addr (`"Bob" <sip:b@h>;tag=x` → `sip:b@h`). */
export function uriOf(nameAddr: string | undefined): string | undefined {
  if (nameAddr === undefined) return undefined;
  const m = /<([^>]*)>/.exec(nameAddr);
  return m ? m[1] : nameAddr.split(';')[0]!.trim();
}

/** True when a Require/Supported-style header value lists `tag`. */
export function hasTag(value: string | undefined, tag: string): boolean {
  return (value ?? '').split(',').some((t) => t.trim().toLowerCase() === tag.toLowerCase());
}

// ------------------------------------------------------------------ SDP

export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

export interface SdpOptions {
  port: number;
  direction?: Direction;
  /** Offer/answer telephone-event/8000 as payload type 101 (default true). */
  telephoneEvent?: boolean;
  address?: string;
  version?: number;
  /** Audio payload types (static ones: 0 PCMU, 8 PCMA, 9 G722, 18 G729); default [8, 0]. */
  payloadTypes?: number[];
}

const STATIC_RTPMAP: Record<number, string> = { 0: 'PCMU/8000', 8: 'PCMA/8000', 9: 'G722/8000', 18: 'G729/8000' };

export function buildSdp(o: SdpOptions): string {
  const te = o.telephoneEvent ?? true;
  const address = o.address ?? HOST;
  return [
    'v=0',
    `o=phone 1000 ${o.version ?? 1} IN IP4 ${address}`,
    's=-',
    `c=IN IP4 ${address}`,
    't=0 0',
    `m=audio ${o.port} RTP/AVP ${(o.payloadTypes ?? [8, 0]).join(' ')}${te ? ' 101' : ''}`,
    ...(o.payloadTypes ?? [8, 0]).map((pt) => `a=rtpmap:${pt} ${STATIC_RTPMAP[pt] ?? 'PCMA/8000'}`),
    ...(te ? ['a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16'] : []),
    'a=ptime:20',
    `a=${o.direction ?? 'sendrecv'}`,
    '',
  ].join('\r\n');
}

/** Where an SDP says to send audio, and its direction. */
export function sdpMedia(sdp: string): { address: string; port: number; direction: Direction; payloadTypes: number[] } {
  const address = /^c=IN IP4 (\S+)/m.exec(sdp)?.[1] ?? '';
  const m = /^m=audio (\d+) \S+((?: \d+)*)/m.exec(sdp);
  const direction = (/^a=(sendrecv|sendonly|recvonly|inactive)\s*$/m.exec(sdp)?.[1] ?? 'sendrecv') as Direction;
  return { address, port: Number(m?.[1] ?? 0), direction, payloadTypes: (m?.[2] ?? '').trim().split(/\s+/).filter(Boolean).map(Number) };
}

function answerDirection(offered: Direction): Direction {
  return offered === 'sendonly' ? 'recvonly' : offered === 'recvonly' ? 'sendonly' : offered;
}

// ------------------------------------------------------------------ RTP

export interface RtpPacket {
  payloadType: number;
  seq: number;
  marker: boolean;
  payload: Buffer;
  from: string; // address:port
}

/** One phone's RTP socket: sends G.711 A-law packets, keeps everything it receives. */
export class RtpEndpoint {
  readonly received: RtpPacket[] = [];
  private readonly listeners = new Set<() => void>();
  private readonly ssrc = randomBytes(4).readUInt32BE(0);
  private seq = Math.floor(Math.random() * 30000);
  private ts = Math.floor(Math.random() * 1e6);

  private constructor(private readonly socket: dgram.Socket) {
    socket.on('message', (msg, rinfo) => {
      if (msg.length < 12 || msg[0]! >> 6 !== 2) return;
      const pt = msg[1]! & 0x7f;
      if (pt >= 72 && pt <= 76) return; // RTCP (muxed)
      this.received.push({ payloadType: pt, marker: (msg[1]! & 0x80) !== 0, seq: msg.readUInt16BE(2), payload: msg.subarray(12), from: `${rinfo.address}:${rinfo.port}` });
      for (const l of [...this.listeners]) l();
    });
  }

  static async open(): Promise<RtpEndpoint> {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, HOST, resolve));
    return new RtpEndpoint(socket);
  }

  get port(): number {
    return this.socket.address().port;
  }

  /** Sends `count` 20 ms PCMA packets (160 bytes of silence, or a tone at `toneHz`) to `to`, one every 20 ms. */
  async send(to: { address: string; port: number }, count: number, payloadType = 8, toneHz?: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      const packet = Buffer.alloc(12 + 160, 0xd5);
      if (toneHz !== undefined) {
        // a loud sine (speech for the PBX's silence detection), A-law
        for (let k = 0; k < 160; k++) packet[12 + k] = LINEAR_TO_ALAW[Math.round(12000 * Math.sin((2 * Math.PI * toneHz * (i * 160 + k)) / 8000)) & 0xffff]!;
      }
      packet[0] = 0x80;
      packet[1] = payloadType & 0x7f;
      packet.writeUInt16BE(this.seq++ & 0xffff, 2);
      packet.writeUInt32BE(this.ts >>> 0, 4);
      packet.writeUInt32BE(this.ssrc, 8);
      this.ts += 160;
      this.socket.send(packet, to.port, to.address);
      await sleep(20);
    }
  }

  /** Packets received so far that match. */
  count(match: (p: RtpPacket) => boolean = () => true): number {
    return this.received.filter(match).length;
  }

  /** Waits until at least `n` matching packets arrived; resolves with how many there are. */
  async waitFor(n: number, match: (p: RtpPacket) => boolean = () => true, timeoutMs = DEFAULT_WAIT_MS): Promise<number> {
    await waitUntil(() => this.count(match) >= n, this.listeners, timeoutMs);
    return this.count(match);
  }

  close(): void {
    this.socket.close();
  }
}

// ------------------------------------------------------------------ the phone

export interface PhoneOptions {
  user: string;
  password: string;
  /** The PBX's UDP port on 127.0.0.1. */
  pbxPort: number;
  domain?: string;
  /** Whether our SDP has telephone-event (default true). */
  telephoneEvent?: boolean;
  /** Audio payload types in our SDP (default PCMA, PCMU). */
  payloadTypes?: number[];
  /** The loopback address the phone's SIP socket binds (default 127.0.0.1; a carrier: 127.0.0.2). */
  host?: string;
  /** The port it binds (default any free one). */
  port?: number;
}

/** How the phone treats a new incoming INVITE. */
export type AnswerMode =
  /** 180 (or 183 with SDP when `early`), then 200 with SDP after `afterMs` (default at once). `reliable`: 18x with 100rel. */
  | { kind: 'answer'; afterMs?: number; early?: boolean; reliable?: boolean }
  /** 180, then 486 Busy Here. */
  | { kind: 'busy' }
  /** A final error at once, without ringing (a carrier's 503). */
  | { kind: 'reject'; status: number }
  /** 180 (183 with SDP when `early`; reliable when `reliable`) and nothing more until the test calls `answer()`. */
  | { kind: 'ring'; early?: boolean; reliable?: boolean };

export interface CallOptions {
  /** Answer the 407 with credentials (default true). */
  authenticate?: boolean;
  /** The password to answer the challenge with (default the phone's). */
  password?: string;
  /** The user in From and in the credentials (default the phone's). */
  user?: string;
  /** Require: 100rel. */
  require100rel?: boolean;
  /** Session-Expires value, e.g. '60' or '1800;refresher=uac'. */
  sessionExpires?: string;
  /** Supported header (default '100rel, timer, replaces'). */
  supported?: string;
  /** PRACK reliable provisionals at once (default true). */
  autoPrack?: boolean;
  /** ACK a 2xx to the INVITE (default true; false plays a caller whose ACKs are lost). */
  autoAck?: boolean;
  direction?: Direction;
  /** The INVITE's body in place of our SDP ('' for an INVITE without an offer). */
  body?: string;
}

type Waiter = () => void;

export class SipPhone {
  readonly user: string;
  readonly rtp: RtpEndpoint;
  /** Every SIP message received, in order. */
  readonly received: SipMessage[] = [];
  /** Calls that came in (new INVITEs), in order. */
  readonly incoming: PhoneCall[] = [];
  answerMode: AnswerMode = { kind: 'answer' };
  readonly telephoneEvent: boolean;
  private readonly socket: dgram.Socket;
  private readonly options: PhoneOptions;
  private readonly calls = new Map<string, PhoneCall>();
  private readonly waiters = new Set<Waiter>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  private constructor(socket: dgram.Socket, rtp: RtpEndpoint, options: PhoneOptions) {
    this.socket = socket;
    this.rtp = rtp;
    this.options = options;
    this.user = options.user;
    this.telephoneEvent = options.telephoneEvent ?? true;
    socket.on('message', (msg, rinfo) => this.receive(parseSipMessage(msg.toString('latin1'), { address: rinfo.address, port: rinfo.port })));
  }

  static async open(options: PhoneOptions): Promise<SipPhone> {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(options.port ?? 0, options.host ?? HOST, resolve));
    return new SipPhone(socket, await RtpEndpoint.open(), options);
  }

  get port(): number {
    return this.socket.address().port;
  }

  /** The address the phone's SIP socket is bound to. */
  get host(): string {
    return this.options.host ?? HOST;
  }

  get domain(): string {
    return this.options.domain ?? HOST;
  }

  get contact(): string {
    return `sip:${this.user}@${this.host}:${this.port}`;
  }

  /** Our SDP (offer or answer). */
  sdp(direction: Direction = 'sendrecv', version = 1): string {
    return buildSdp({ port: this.rtp.port, direction, telephoneEvent: this.telephoneEvent, version, ...(this.options.payloadTypes ? { payloadTypes: this.options.payloadTypes } : {}) });
  }

  // ---------------------------------------------------------------- registration

  /** REGISTER with digest; resolves with the final status (0 when nothing came back). */
  async register(expires = 600): Promise<number> {
    const reply = await register(
      { port: this.options.pbxPort, user: this.user, password: this.options.password, domain: this.domain, contactPort: this.port, expires },
      (data) => this.exchange(data),
    );
    return reply === 'drop' ? 0 : reply.status;
  }

  private async exchange(data: string): Promise<Reply | 'drop'> {
    const callId = /^Call-ID: (.*)$/m.exec(data)?.[1] ?? '';
    const cseq = Number(/^CSeq: (\d+)/m.exec(data)?.[1] ?? 0);
    this.sendRaw(data);
    try {
      const m = await this.waitFor((x) => x.status !== undefined && x.status >= 200 && x.callId === callId && x.cseq.seq === cseq, 2000, 'REGISTER reply');
      return parseReply(m.raw);
    } catch {
      return 'drop';
    }
  }

  // ---------------------------------------------------------------- calling

  /**
   * Places a call to `number`: INVITE with our SDP; a 407 is ACKed and answered with
   * credentials (CSeq+1). Resolves once the INVITE that counts has been sent; look at the
   * returned call's responses.
   */
  async call(number: string, o: CallOptions = {}): Promise<PhoneCall> {
    const call = new PhoneCall(this, 'uac', `${randomBytes(8).toString('hex')}@${this.host}`, newTag());
    call.remoteUri = `sip:${number}@${this.domain}`;
    call.remoteTarget = call.remoteUri;
    call.localUri = `sip:${o.user ?? this.user}@${this.domain}`;
    call.autoPrack = o.autoPrack ?? true;
    call.autoAck = o.autoAck ?? true;
    call.localSdp = o.body ?? this.sdp(o.direction ?? 'sendrecv');
    this.calls.set(call.callId, call);
    const extra: string[] = [];
    if (o.require100rel) extra.push('Require: 100rel');
    if (o.sessionExpires !== undefined) extra.push(`Session-Expires: ${o.sessionExpires}`);
    extra.push(`Supported: ${o.supported ?? '100rel, timer, replaces'}`);
    call.inviteExtra = extra;
    const first = call.sendInvite();
    if (o.authenticate === false) return call;
    const r = await call.waitResponse((m) => m.cseq.seq === first && m.status !== undefined && m.status >= 200, DEFAULT_WAIT_MS, 'a final response to the first INVITE');
    if (r.status !== 407) return call;
    const challenge = digestParams(r.header('proxy-authenticate') ?? '');
    call.inviteExtra = [...extra, `Proxy-Authorization: ${authorization(challenge, o.user ?? this.user, o.password ?? this.options.password, 'INVITE', call.remoteUri)}`];
    call.sendInvite();
    return call;
  }

  // ---------------------------------------------------------------- waiting

  /** Waits for a received message (looking at what already arrived first). */
  waitFor(match: (m: SipMessage) => boolean, timeoutMs = DEFAULT_WAIT_MS, what = 'a SIP message'): Promise<SipMessage> {
    return waitForIn(this.received, match, this.waiters, timeoutMs, `${this.user}: ${what}`);
  }

  /** The `n`th call that came in (counting from 0), once it has. */
  async incomingCall(n = 0, timeoutMs = DEFAULT_WAIT_MS): Promise<PhoneCall> {
    await waitUntil(() => this.incoming.length > n, this.waiters, timeoutMs, `${this.user}: incoming call #${n + 1}`);
    return this.incoming[n]!;
  }

  /** Requests of a method received (in any dialog). */
  requests(method: string): SipMessage[] {
    return this.received.filter((m) => m.method === method);
  }

  // ---------------------------------------------------------------- sending

  sendRaw(text: string): void {
    if (this.closed) return;
    this.socket.send(Buffer.from(text, 'latin1'), this.options.pbxPort, HOST);
  }

  sendTo(text: string, to: { address: string; port: number }): void {
    if (this.closed) return;
    this.socket.send(Buffer.from(text, 'latin1'), to.port, to.address);
  }

  /** Runs `fn` after `ms` unless the phone closed first. */
  later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.closed) fn();
    }, ms);
    this.timers.add(t);
  }

  via(branch: string): string {
    return `Via: SIP/2.0/UDP ${this.host}:${this.port};branch=${branch};rport`;
  }

  // ---------------------------------------------------------------- receiving

  private receive(m: SipMessage): void {
    this.received.push(m);
    try {
      if (m.method === undefined) this.calls.get(m.callId)?.onResponse(m);
      else this.onRequest(m);
    } finally {
      for (const w of [...this.waiters]) w();
    }
  }

  private onRequest(m: SipMessage): void {
    const known = this.calls.get(m.callId);
    if (m.method === 'INVITE' && m.toTag === undefined) {
      if (known !== undefined) return known.onInviteRetransmission(m);
      const call = new PhoneCall(this, 'uas', m.callId, newTag());
      call.acceptInvite(m);
      this.calls.set(m.callId, call);
      this.incoming.push(call);
      call.startAnswering(this.answerMode);
      return;
    }
    if (known !== undefined) {
      known.onRequest(m);
      return;
    }
    if (m.method === 'ACK') return;
    // OPTIONS keep-alives and anything outside our calls
    this.sendTo(responseTo(m, m.method === 'OPTIONS' ? 200 : 481, m.method === 'OPTIONS' ? 'OK' : 'Call/Transaction Does Not Exist'), m.source);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.rtp.close();
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }
}

/** One call (one dialog, or an attempt at one) of a phone, placed or received. */
export class PhoneCall {
  readonly phone: SipPhone;
  readonly role: 'uac' | 'uas';
  readonly callId: string;
  readonly localTag: string;
  remoteTag: string | undefined;
  localUri = '';
  remoteUri = '';
  remoteTarget = '';
  localSeq = 0;
  /** The last SDP the other side sent (offer or answer). */
  remoteSdp: string | undefined;
  localSdp = '';
  /** Every message of this Call-ID the phone received. */
  readonly messages: SipMessage[] = [];
  /** The INVITE that started a received call. */
  invite: SipMessage | undefined;
  autoPrack = true;
  autoAck = true;
  /** How long the phone takes to answer a re-INVITE (default at once). */
  reinviteDelayMs = 0;
  /** Direction our next answer to a re-INVITE/UPDATE offer takes (default: mirrors the offer). */
  answerWith: Direction | undefined;
  ended = false;
  /** (uas) The final status we answered the INVITE with. */
  finalStatus: number | undefined;
  inviteExtra: string[] = [];
  /** The branch and CSeq of our current INVITE (uac). */
  private inviteBranch = '';
  private inviteSeq = 0;
  private inviteUri = '';
  private lastInviteResponse = '';
  private uasFinalSent = false;
  private uasRseq = 0;
  private readonly waiters = new Set<Waiter>();

  constructor(phone: SipPhone, role: 'uac' | 'uas', callId: string, localTag: string) {
    this.phone = phone;
    this.role = role;
    this.callId = callId;
    this.localTag = localTag;
  }

  // ---------------------------------------------------------------- what arrived

  /** Responses to requests of `method` (default INVITE), in order. */
  responses(method = 'INVITE'): SipMessage[] {
    return this.messages.filter((m) => m.status !== undefined && m.cseq.method === method);
  }

  requests(method: string): SipMessage[] {
    return this.messages.filter((m) => m.method === method);
  }

  async waitResponse(match: (m: SipResponse) => boolean, timeoutMs = DEFAULT_WAIT_MS, what = 'a response'): Promise<SipResponse> {
    const isMatch = (m: SipMessage): boolean => m.status !== undefined && match(m as SipResponse);
    return (await waitForIn(this.messages, isMatch, this.waiters, timeoutMs, `${this.phone.user}: ${what}`)) as SipResponse;
  }

  /** The final response to our current INVITE. */
  waitFinal(timeoutMs = DEFAULT_WAIT_MS): Promise<SipResponse> {
    const seq = this.inviteSeq;
    return this.waitResponse((m) => m.cseq.method === 'INVITE' && m.cseq.seq === seq && m.status! >= 200, timeoutMs, `final response to INVITE ${seq}`);
  }

  /** A response of the given status to our current INVITE. */
  waitStatus(status: number, timeoutMs = DEFAULT_WAIT_MS): Promise<SipResponse> {
    const seq = this.inviteSeq;
    return this.waitResponse((m) => m.cseq.method === 'INVITE' && m.cseq.seq === seq && m.status === status, timeoutMs, `${status} to INVITE ${seq}`);
  }

  waitRequest(method: string, timeoutMs = DEFAULT_WAIT_MS, match: (m: SipMessage) => boolean = () => true): Promise<SipMessage> {
    return waitForIn(this.messages, (m) => m.method === method && match(m), this.waiters, timeoutMs, `${this.phone.user}: ${method}`);
  }

  /** Where our RTP goes: the address in the other side's last SDP. */
  get remoteMedia(): { address: string; port: number } {
    if (this.remoteSdp === undefined) throw new Error(`${this.phone.user}: no SDP from the other side yet`);
    const m = sdpMedia(this.remoteSdp);
    return { address: m.address, port: m.port };
  }

  // ---------------------------------------------------------------- requests we send

  private headerLines(method: string, seq: number, branch: string, withRemoteTag: boolean): string[] {
    return [
      `${method} ${this.remoteTarget} SIP/2.0`,
      this.phone.via(branch),
      'Max-Forwards: 70',
      `From: <${this.localUri}>;tag=${this.localTag}`,
      `To: <${this.remoteUri}>${withRemoteTag && this.remoteTag ? `;tag=${this.remoteTag}` : ''}`,
      `Call-ID: ${this.callId}`,
      `CSeq: ${seq} ${method}`,
    ];
  }

  /** (uac) Sends the INVITE with a new branch and the next CSeq; returns the CSeq. */
  sendInvite(): number {
    this.inviteSeq = ++this.localSeq;
    this.inviteBranch = newBranch();
    this.inviteUri = this.remoteTarget;
    const lines = [...this.headerLines('INVITE', this.inviteSeq, this.inviteBranch, false), `Contact: <${this.phone.contact}>`, ...this.inviteExtra];
    this.phone.sendRaw(withBody(lines, this.localSdp, 'application/sdp'));
    return this.inviteSeq;
  }

  /** (uac) CANCEL of our INVITE (same branch and CSeq number). Resolves with the CANCEL's final response. */
  cancel(reason?: string): Promise<SipResponse> {
    const lines = [
      `CANCEL ${this.inviteUri} SIP/2.0`,
      this.phone.via(this.inviteBranch),
      'Max-Forwards: 70',
      `From: <${this.localUri}>;tag=${this.localTag}`,
      `To: <${this.remoteUri}>`,
      `Call-ID: ${this.callId}`,
      `CSeq: ${this.inviteSeq} CANCEL`,
      ...(reason ? [`Reason: ${reason}`] : []),
    ];
    this.phone.sendRaw(withBody(lines));
    return this.waitResponse((m) => m.cseq.method === 'CANCEL' && m.status! >= 200, DEFAULT_WAIT_MS, 'response to CANCEL');
  }

  /** A request inside the dialog; resolves with its final response (a 2xx to a re-INVITE is ACKed). */
  async request(method: string, opts: { body?: string; contentType?: string; headers?: string[] } = {}, timeoutMs = DEFAULT_WAIT_MS): Promise<SipResponse> {
    const seq = ++this.localSeq;
    const branch = newBranch();
    const lines = [...this.headerLines(method, seq, branch, true), ...(method === 'BYE' ? [] : [`Contact: <${this.phone.contact}>`]), ...(opts.headers ?? [])];
    if (method === 'INVITE') {
      this.inviteSeq = seq;
      this.inviteBranch = branch;
      this.inviteUri = this.remoteTarget;
    }
    this.phone.sendRaw(withBody(lines, opts.body, opts.contentType ?? 'application/sdp'));
    const r = await this.waitResponse((m) => m.cseq.seq === seq && m.cseq.method === method && m.status! >= 200, timeoutMs, `final response to ${method} ${seq}`);
    if (method === 'BYE' && r.status! < 300) this.ended = true;
    return r;
  }

  bye(headers: string[] = []): Promise<SipResponse> {
    return this.request('BYE', { headers });
  }

  /** re-INVITE with our SDP in `direction`. */
  reinvite(direction: Direction): Promise<SipResponse> {
    this.localSdp = this.phone.sdp(direction, this.localSeq + 2);
    return this.request('INVITE', { body: this.localSdp });
  }

  update(body?: string): Promise<SipResponse> {
    return this.request('UPDATE', body === undefined ? {} : { body });
  }

  info(contentType: string, body: string): Promise<SipResponse> {
    return this.request('INFO', { body, contentType });
  }

  /** PRACK for a reliable provisional (RFC 3262). */
  prack(provisional: SipMessage): Promise<SipResponse> {
    return this.request('PRACK', { headers: [`RAck: ${provisional.header('rseq')} ${provisional.cseq.seq} INVITE`] });
  }

  /** ACKs a final response to our INVITE (done by itself unless autoAck is off). */
  ack(response: SipMessage): void {
    if (response.status! >= 300) {
      // non-2xx: part of the INVITE transaction (same branch, RFC 3261 §17.1.1.3)
      const lines = [
        `ACK ${this.inviteUri} SIP/2.0`,
        this.phone.via(this.inviteBranch),
        'Max-Forwards: 70',
        `From: <${this.localUri}>;tag=${this.localTag}`,
        `To: ${response.header('to')}`,
        `Call-ID: ${this.callId}`,
        `CSeq: ${response.cseq.seq} ACK`,
      ];
      this.phone.sendRaw(withBody(lines));
      return;
    }
    this.phone.sendRaw(withBody(this.headerLines('ACK', response.cseq.seq, newBranch(), true)));
  }

  // ---------------------------------------------------------------- what the phone does on its own

  onResponse(m: SipMessage): void {
    this.messages.push(m);
    this.notify();
    if (m.cseq.method !== 'INVITE' || m.status! < 101) return;
    if (m.status! < 200) {
      if (m.toTag !== undefined && this.remoteTag === undefined) this.remoteTag = m.toTag;
      if (m.body) this.remoteSdp = m.body;
      if (this.autoPrack && hasTag(m.header('require'), '100rel') && m.header('rseq') !== undefined) void this.prack(m).catch(() => undefined);
      return;
    }
    if (m.status! < 300) {
      this.remoteTag = m.toTag;
      const target = uriOf(m.header('contact'));
      if (target) this.remoteTarget = target;
      if (m.body) this.remoteSdp = m.body;
      if (!this.autoAck) return;
    }
    this.ack(m);
  }

  // (uas) -------------------------------------------------------------

  acceptInvite(m: SipMessage): void {
    this.invite = m;
    this.messages.push(m);
    this.remoteTag = m.fromTag;
    this.remoteTarget = uriOf(m.header('contact')) ?? uriOf(m.header('from')) ?? '';
    this.remoteUri = uriOf(m.header('from')) ?? '';
    this.localUri = uriOf(m.header('to')) ?? '';
    this.remoteSdp = m.body || undefined;
    this.localSdp = this.phone.sdp(answerDirection(sdpMedia(m.body).direction));
    this.notify();
  }

  onInviteRetransmission(m: SipMessage): void {
    this.messages.push(m);
    if (this.lastInviteResponse) this.phone.sendTo(this.lastInviteResponse, m.source);
  }

  startAnswering(mode: AnswerMode): void {
    const invite = this.invite!;
    if (mode.kind === 'reject') {
      this.respondInvite(mode.status);
      return;
    }
    const reliable = mode.kind !== 'busy' && mode.reliable === true && hasTag(invite.header('supported'), '100rel');
    const early = mode.kind !== 'busy' && mode.early === true;
    this.respondInvite(early ? 183 : 180, early ? this.localSdp : undefined, reliable);
    if (mode.kind === 'busy') this.phone.later(50, () => this.respondInvite(486));
    if (mode.kind === 'answer') this.phone.later(mode.afterMs ?? 50, () => this.answer());
  }

  /** (uas) 200 OK with our SDP. */
  answer(): void {
    this.respondInvite(200, this.localSdp);
  }

  /** (uas) A final (or provisional) response to the INVITE. */
  respondInvite(status: number, sdp?: string, reliable = false): void {
    if (this.uasFinalSent || this.ended) return;
    if (status >= 200) {
      this.uasFinalSent = true;
      this.finalStatus = status;
    }
    const extra = [`Contact: <${this.phone.contact}>`];
    if (reliable) extra.push('Require: 100rel', `RSeq: ${++this.uasRseq}`);
    const text = responseTo(this.invite!, status, undefined, this.localTag, extra, sdp);
    this.lastInviteResponse = text;
    this.phone.sendTo(text, this.invite!.source);
  }

  onRequest(m: SipMessage): void {
    this.messages.push(m);
    this.notify();
    const method = m.method!;
    if (method === 'ACK') return;
    if (method === 'CANCEL') {
      this.phone.sendTo(responseTo(m, 200, 'OK'), m.source);
      if (!this.uasFinalSent) this.respondInvite(487);
      this.ended = true;
      return;
    }
    if (method === 'BYE') this.ended = true;
    let body: string | undefined;
    if ((method === 'INVITE' || method === 'UPDATE') && m.body) {
      this.remoteSdp = m.body;
      this.localSdp = this.phone.sdp(this.answerWith ?? answerDirection(sdpMedia(m.body).direction), m.cseq.seq + 1);
      body = this.localSdp;
    } else if (method === 'INVITE') {
      body = this.localSdp;
    }
    const extra = method === 'INVITE' || method === 'UPDATE' ? [`Contact: <${this.phone.contact}>`] : [];
    const response = responseTo(m, 200, 'OK', this.localTag, extra, body);
    if (method === 'INVITE' && this.reinviteDelayMs > 0) this.phone.later(this.reinviteDelayMs, () => this.phone.sendTo(response, m.source));
    else this.phone.sendTo(response, m.source);
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }
}

// ------------------------------------------------------------------ plumbing

function newTag(): string {
  return randomBytes(5).toString('hex');
}

function newBranch(): string {
  return 'z9hG4bK' + randomBytes(8).toString('hex');
}

function withBody(lines: string[], body?: string, contentType = 'application/sdp'): string {
  const b = body ?? '';
  const head = b ? [...lines, `Content-Type: ${contentType}`] : lines;
  return [...head, `Content-Length: ${Buffer.byteLength(b, 'latin1')}`, '', b].join('\r\n');
}

/** A response to `req`: Via, From, Call-ID, CSeq copied; To gets `toTag` unless it has one. */
export function responseTo(req: SipMessage, status: number, reason?: string, toTag?: string, extra: string[] = [], body?: string): string {
  const to = req.header('to') ?? '';
  const lines = [
    `SIP/2.0 ${status} ${reason ?? REASONS[status] ?? 'Whatever'}`,
    ...req.headers('via').map((v) => `Via: ${v}`),
    `From: ${req.header('from')}`,
    `To: ${req.toTag === undefined && toTag !== undefined && status > 100 ? `${to};tag=${toTag}` : to}`,
    `Call-ID: ${req.callId}`,
    `CSeq: ${req.cseq.seq} ${req.cseq.method}`,
    ...extra,
  ];
  return withBody(lines, body);
}

const REASONS: Record<number, string> = { 180: 'Ringing', 183: 'Session Progress', 200: 'OK', 481: 'Call/Transaction Does Not Exist', 486: 'Busy Here', 487: 'Request Terminated' };

function authorization(c: Record<string, string>, user: string, password: string, method: string, uri: string): string {
  const algorithm = (c.algorithm ?? 'MD5').toUpperCase();
  const ha1 = digestHash(algorithm, `${user}:${c.realm}:${password}`);
  const ha2 = digestHash(algorithm, `${method}:${uri}`);
  if (c.qop === undefined) {
    const response = digestHash(algorithm, `${ha1}:${c.nonce}:${ha2}`);
    return `Digest username="${user}", realm="${c.realm}", nonce="${c.nonce}", uri="${uri}", response="${response}", algorithm=${algorithm}`;
  }
  const cnonce = randomBytes(8).toString('hex');
  const nc = '00000001';
  const response = digestHash(algorithm, `${ha1}:${c.nonce}:${nc}:${cnonce}:auth:${ha2}`);
  return `Digest username="${user}", realm="${c.realm}", nonce="${c.nonce}", uri="${uri}", response="${response}", algorithm=${algorithm}, cnonce="${cnonce}", qop=auth, nc=${nc}`;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves when `ready()` holds, re-checked whenever a waiter in `waiters` is poked; rejects after `timeoutMs`. */
function waitUntil(ready: () => boolean, waiters: Set<Waiter>, timeoutMs: number, what = 'condition'): Promise<void> {
  if (ready()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const check: Waiter = () => {
      if (!ready()) return;
      clearTimeout(timer);
      waiters.delete(check);
      resolve();
    };
    const timer = setTimeout(() => {
      waiters.delete(check);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    waiters.add(check);
  });
}

async function waitForIn(list: SipMessage[], match: (m: SipMessage) => boolean, waiters: Set<Waiter>, timeoutMs: number, what: string): Promise<SipMessage> {
  await waitUntil(() => list.some(match), waiters, timeoutMs, what);
  return list.find(match)!;
}
