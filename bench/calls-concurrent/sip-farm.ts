// A farm of scripted SIP phones on two UDP sockets, for benchmarks only: callers place calls
// (INVITE → 407 → INVITE with digest → 200 → ACK; BYE later), callees answer every INVITE
// with 200. Every SDP it sends points at one media address (the RTP sink), so the media the
// PBX relays lands where the load instruments measure it. Bounded: every request has a timeout.
import { createHash, randomBytes } from 'node:crypto';
import dgram from 'node:dgram';

export interface Msg {
  start: string;
  headers: Map<string, string[]>;
  body: string;
}

export function parse(text: string): Msg {
  const cut = text.indexOf('\r\n\r\n');
  const head = text.slice(0, cut < 0 ? text.length : cut).split('\r\n');
  const headers = new Map<string, string[]>();
  for (const line of head.slice(1)) {
    const i = line.indexOf(':');
    if (i < 0) continue;
    const k = line.slice(0, i).trim().toLowerCase();
    const list = headers.get(k) ?? [];
    list.push(line.slice(i + 1).trim());
    headers.set(k, list);
  }
  return { start: head[0]!, headers, body: cut < 0 ? '' : text.slice(cut + 4) };
}

const h = (m: Msg, k: string): string => m.headers.get(k)?.[0] ?? '';
const md5 = (s: string): string => createHash('md5').update(s).digest('hex');
const rnd = (n: number): string => randomBytes(n).toString('hex');

function sdp(mediaPort: number): string {
  return ['v=0', `o=farm ${Date.now()} 1 IN IP4 127.0.0.1`, 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', `m=audio ${mediaPort} RTP/AVP 8 101`, 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:101 telephone-event/8000', 'a=sendrecv', ''].join('\r\n');
}

function mediaPortOf(body: string): number {
  const m = /^m=audio (\d+)/m.exec(body);
  return m ? Number(m[1]) : 0;
}

interface Pending {
  resolve: (m: Msg) => void;
  timer: NodeJS.Timeout;
}

export interface PlacedCall {
  callId: string;
  /** The PBX port the caller's media goes to (leg A). */
  pbxPort: number;
  bye(): Promise<number>;
}

export class SipFarm {
  private readonly caller = dgram.createSocket('udp4');
  private readonly callee = dgram.createSocket('udp4');
  private readonly pending = new Map<string, Pending>();
  /** PBX ports offered to the callees (leg B), in arrival order. */
  readonly calleePorts: number[] = [];
  invitesAnswered = 0;

  constructor(
    private readonly pbxPort: number,
    private readonly mediaPort: number,
  ) {}

  async open(): Promise<void> {
    await Promise.all([this.caller, this.callee].map((s) => new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()))));
    this.caller.on('message', (b) => this.onCallerMessage(b.toString('latin1')));
    this.callee.on('message', (b) => this.onCalleeMessage(b.toString('latin1')));
  }

  close(): void {
    this.caller.close();
    this.callee.close();
  }

  private send(sock: dgram.Socket, text: string): void {
    sock.send(Buffer.from(text, 'latin1'), this.pbxPort, '127.0.0.1');
  }

  private request(sock: dgram.Socket, key: string, text: string, timeoutMs = 10_000): Promise<Msg> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(key);
        reject(new Error(`timeout waiting for ${key}`));
      }, timeoutMs);
      this.pending.set(key, { resolve, timer });
      this.send(sock, text);
    });
  }

  private settle(key: string, m: Msg): void {
    const p = this.pending.get(key);
    if (p === undefined) return;
    this.pending.delete(key);
    clearTimeout(p.timer);
    p.resolve(m);
  }

  private onCallerMessage(text: string): void {
    const m = parse(text);
    if (!m.start.startsWith('SIP/2.0 ')) {
      // a request from the PBX to a caller (BYE at shutdown, re-INVITE): answer 200
      this.send(this.caller, reply(m, 200, 'OK'));
      return;
    }
    const status = Number(m.start.split(' ')[1]);
    if (status < 200) return;
    this.settle(`${h(m, 'call-id')}|${h(m, 'cseq')}`, m);
  }

  private onCalleeMessage(text: string): void {
    const m = parse(text);
    if (m.start.startsWith('SIP/2.0 ')) {
      const status = Number(m.start.split(' ')[1]);
      if (status >= 200) this.settle(`${h(m, 'call-id')}|${h(m, 'cseq')}`, m);
      return;
    }
    const method = m.start.split(' ')[0];
    if (method === 'ACK') return;
    if (method === 'INVITE') {
      if (!/tag=/.test(h(m, 'to'))) {
        this.calleePorts.push(mediaPortOf(m.body));
        this.invitesAnswered++;
      }
      const tag = rnd(4);
      this.send(this.callee, reply(m, 200, 'OK', tag, sdp(this.mediaPort), `<sip:callee@127.0.0.1:${this.callee.address().port}>`));
      return;
    }
    this.send(this.callee, reply(m, 200, 'OK'));
  }

  /** Registers a callee extension at the callee socket. */
  async register(user: string, password: string): Promise<void> {
    const callId = rnd(8);
    const port = this.callee.address().port;
    const build = (cseq: number, auth?: string): string =>
      [
        `REGISTER sip:127.0.0.1 SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK${rnd(6)};rport`,
        'Max-Forwards: 70',
        `From: <sip:${user}@127.0.0.1>;tag=${rnd(4)}`,
        `To: <sip:${user}@127.0.0.1>`,
        `Call-ID: ${callId}`,
        `CSeq: ${cseq} REGISTER`,
        `Contact: <sip:${user}@127.0.0.1:${port}>`,
        'Expires: 3600',
        ...(auth ? [`Authorization: ${auth}`] : []),
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
    const first = await this.request(this.callee, `${callId}|1 REGISTER`, build(1));
    const auth = digest(first.headers.get('www-authenticate')?.[0] ?? '', user, password, 'REGISTER', 'sip:127.0.0.1');
    const second = await this.request(this.callee, `${callId}|2 REGISTER`, build(2, auth));
    if (!second.start.includes(' 200 ')) throw new Error(`register ${user}: ${second.start}`);
  }

  /** Places one call; resolves once it is answered and ACKed. */
  async call(from: string, password: string, to: string): Promise<PlacedCall> {
    const callId = rnd(10);
    const fromTag = rnd(4);
    const port = this.caller.address().port;
    const ruri = `sip:${to}@127.0.0.1:${this.pbxPort}`;
    const body = sdp(this.mediaPort);
    const invite = (cseq: number, branch: string, auth?: string): string =>
      [
        `INVITE ${ruri} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=${branch};rport`,
        'Max-Forwards: 70',
        `From: <sip:${from}@127.0.0.1>;tag=${fromTag}`,
        `To: <sip:${to}@127.0.0.1>`,
        `Call-ID: ${callId}`,
        `CSeq: ${cseq} INVITE`,
        `Contact: <sip:${from}@127.0.0.1:${port}>`,
        ...(auth ? [`Proxy-Authorization: ${auth}`] : []),
        'Content-Type: application/sdp',
        `Content-Length: ${body.length}`,
        '',
        body,
      ].join('\r\n');
    const b1 = `z9hG4bK${rnd(6)}`;
    const challenge = await this.request(this.caller, `${callId}|1 INVITE`, invite(1, b1));
    this.send(this.caller, ack(ruri, port, b1, from, fromTag, to, h(challenge, 'to'), callId, 1));
    const auth = digest(challenge.headers.get('proxy-authenticate')?.[0] ?? '', from, password, 'INVITE', ruri);
    const ok = await this.request(this.caller, `${callId}|2 INVITE`, invite(2, `z9hG4bK${rnd(6)}`, auth), 30_000);
    if (!ok.start.includes(' 200 ')) throw new Error(`call ${from} → ${to}: ${ok.start}`);
    const toHeader = h(ok, 'to');
    const contact = /<([^>]+)>/.exec(h(ok, 'contact'))?.[1] ?? ruri;
    this.send(this.caller, ack(contact, port, `z9hG4bK${rnd(6)}`, from, fromTag, to, toHeader, callId, 2));
    return {
      callId,
      pbxPort: mediaPortOf(ok.body),
      bye: async () => {
        const bye = [
          `BYE ${contact} SIP/2.0`,
          `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK${rnd(6)};rport`,
          'Max-Forwards: 70',
          `From: <sip:${from}@127.0.0.1>;tag=${fromTag}`,
          `To: ${toHeader}`,
          `Call-ID: ${callId}`,
          'CSeq: 3 BYE',
          'Content-Length: 0',
          '',
          '',
        ].join('\r\n');
        const r = await this.request(this.caller, `${callId}|3 BYE`, bye);
        return Number(r.start.split(' ')[1]);
      },
    };
  }
}

function ack(uri: string, port: number, branch: string, from: string, fromTag: string, to: string, toHeader: string, callId: string, cseq: number): string {
  return [
    `ACK ${uri} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=${branch};rport`,
    'Max-Forwards: 70',
    `From: <sip:${from}@127.0.0.1>;tag=${fromTag}`,
    `To: ${toHeader || `<sip:${to}@127.0.0.1>`}`,
    `Call-ID: ${callId}`,
    `CSeq: ${cseq} ACK`,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

function reply(m: Msg, status: number, reason: string, toTag?: string, body = '', contact?: string): string {
  const lines = [`SIP/2.0 ${status} ${reason}`];
  for (const v of m.headers.get('via') ?? []) lines.push(`Via: ${v}`);
  lines.push(`From: ${h(m, 'from')}`);
  const to = h(m, 'to');
  lines.push(`To: ${toTag && !/tag=/.test(to) ? `${to};tag=${toTag}` : to}`);
  lines.push(`Call-ID: ${h(m, 'call-id')}`, `CSeq: ${h(m, 'cseq')}`);
  if (contact) lines.push(`Contact: ${contact}`);
  if (body) lines.push('Content-Type: application/sdp');
  lines.push(`Content-Length: ${Buffer.byteLength(body, 'latin1')}`, '', body);
  return lines.join('\r\n');
}

function digest(challenge: string, user: string, password: string, method: string, uri: string): string {
  const p: Record<string, string> = {};
  for (const m of challenge.replace(/^Digest\s+/i, '').matchAll(/([a-zA-Z-]+)=("([^"]*)"|[^,\s]+)/g)) p[m[1]!.toLowerCase()] = m[3] ?? m[2]!;
  const cnonce = rnd(8);
  const nc = '00000001';
  const ha1 = md5(`${user}:${p.realm}:${password}`);
  const ha2 = md5(`${method}:${uri}`);
  const response = md5(`${ha1}:${p.nonce}:${nc}:${cnonce}:auth:${ha2}`);
  return `Digest username="${user}", realm="${p.realm}", nonce="${p.nonce}", uri="${uri}", response="${response}", algorithm=MD5, cnonce="${cnonce}", qop=auth, nc=${nc}`;
}
