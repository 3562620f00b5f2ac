// A scripted phone for MWI tests: one UDP socket on 127.0.0.1. It registers (digest), subscribes
// to message-summary (407 → SUBSCRIBE again with Proxy-Authorization), refreshes and ends the
// subscription inside its dialog, answers every NOTIFY (200 unless told otherwise) and OPTIONS,
// and keeps every message it receives so tests can look at them.
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { digestHash, digestParams, parseReply, register, type Reply } from '../support/sip-client.ts';
import { parseSipMessage, responseTo, type SipMessage } from '../support/sip-phone.ts';

const HOST = '127.0.0.1';

export interface MwiPhoneOptions {
  user: string;
  password: string;
  pbxPort: number;
  domain?: string;
}

export interface Summary {
  waiting: string | undefined;
  account: string | undefined;
  voice: string | undefined;
}

/** The fields of an application/simple-message-summary body. */
export function summaryOf(m: SipMessage): Summary {
  const field = (name: string) => new RegExp(`^${name}:\\s*(.*?)\\s*$`, 'mi').exec(m.body)?.[1];
  return { waiting: field('Messages-Waiting'), account: field('Message-Account'), voice: field('Voice-Message') };
}

export class MwiPhone {
  readonly received: SipMessage[] = [];
  /** What NOTIFYs are answered with. */
  notifyStatus = 200;
  readonly callId = `${randomBytes(8).toString('hex')}@${HOST}`;
  readonly fromTag = randomBytes(5).toString('hex');
  /** The PBX's tag of the subscription dialog, once it answered 200. */
  remoteTag: string | undefined;
  private cseq = 0;
  private readonly waiters = new Set<() => void>();

  private constructor(
    private readonly socket: dgram.Socket,
    readonly o: MwiPhoneOptions,
  ) {
    socket.on('message', (data, rinfo) => {
      const m = parseSipMessage(data.toString('latin1'), { address: rinfo.address, port: rinfo.port });
      this.received.push(m);
      if (m.method === 'NOTIFY') this.sendTo(responseTo(m, this.notifyStatus, this.notifyStatus === 200 ? 'OK' : undefined), m.source);
      else if (m.method === 'OPTIONS') this.sendTo(responseTo(m, 200, 'OK'), m.source);
      for (const w of [...this.waiters]) w();
    });
  }

  static async open(o: MwiPhoneOptions): Promise<MwiPhone> {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, HOST, resolve));
    return new MwiPhone(socket, o);
  }

  get port(): number {
    return this.socket.address().port;
  }

  get domain(): string {
    return this.o.domain ?? HOST;
  }

  get contact(): string {
    return `sip:${this.o.user}@${HOST}:${this.port}`;
  }

  async register(expires = 600): Promise<number> {
    const reply = await register(
      { port: this.o.pbxPort, user: this.o.user, password: this.o.password, domain: this.domain, contactPort: this.port, expires },
      async (data): Promise<Reply | 'drop'> => {
        const callId = /^Call-ID: (.*)$/m.exec(data)?.[1] ?? '';
        const cseq = Number(/^CSeq: (\d+)/m.exec(data)?.[1] ?? 0);
        this.sendTo(data, { address: HOST, port: this.o.pbxPort });
        const m = await this.waitFor((x) => x.status !== undefined && x.status >= 200 && x.callId === callId && x.cseq.seq === cseq, 2000, 'REGISTER reply').catch(() => undefined);
        return m ? parseReply(m.raw) : 'drop';
      },
    );
    return reply === 'drop' ? 0 : reply.status;
  }

  /**
   * A new subscription (no To tag): answers one 407 with credentials (`password`, default the
   * phone's). Resolves with the final response; on 200 the dialog's tag is kept.
   */
  async subscribe(o: { expires?: number; event?: string; accept?: string; password?: string } = {}): Promise<SipMessage> {
    const extra = [
      `Event: ${o.event ?? 'message-summary'}`,
      ...(o.accept === undefined ? ['Accept: application/simple-message-summary'] : o.accept === '' ? [] : [`Accept: ${o.accept}`]),
      ...(o.expires === undefined ? [] : [`Expires: ${o.expires}`]),
    ];
    let r = await this.send(extra);
    if (r.status === 407) {
      const c = digestParams(r.header('proxy-authenticate') ?? '');
      r = await this.send([...extra, `Proxy-Authorization: ${this.authorization(c, o.password ?? this.o.password)}`]);
    }
    if (r.status === 200) this.remoteTag = r.toTag;
    return r;
  }

  /** A SUBSCRIBE inside the subscription dialog (refresh; 0 ends it). */
  refresh(expires: number, o: { toTag?: string } = {}): Promise<SipMessage> {
    return this.send(['Event: message-summary', 'Accept: application/simple-message-summary', `Expires: ${expires}`], o.toTag ?? this.remoteTag);
  }

  /** NOTIFYs received, in order. */
  notifies(match: (m: SipMessage) => boolean = () => true): SipMessage[] {
    return this.received.filter((m) => m.method === 'NOTIFY' && match(m));
  }

  /** Waits until `n` NOTIFYs (matching) have come; resolves with the nth. */
  async waitNotify(n: number, match: (m: SipMessage) => boolean = () => true, timeoutMs = 3000): Promise<SipMessage> {
    await this.waitFor(() => this.notifies(match).length >= n, timeoutMs, `NOTIFY #${n}`);
    return this.notifies(match)[n - 1]!;
  }

  waitFor(match: (m: SipMessage) => boolean, timeoutMs = 3000, what = 'a message'): Promise<SipMessage> {
    const found = () => this.received.find(match);
    const hit = found();
    if (hit) return Promise.resolve(hit);
    return new Promise((resolve, reject) => {
      const check = () => {
        const m = found();
        if (!m) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(m);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`${this.o.user}: timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }

  private get uri(): string {
    return `sip:${this.o.user}@${this.domain}`;
  }

  private async send(extra: string[], toTag?: string): Promise<SipMessage> {
    const seq = ++this.cseq;
    const lines = [
      `SUBSCRIBE ${this.uri} SIP/2.0`,
      `Via: SIP/2.0/UDP ${HOST}:${this.port};branch=z9hG4bK${randomBytes(8).toString('hex')};rport`,
      'Max-Forwards: 70',
      `From: <${this.uri}>;tag=${this.fromTag}`,
      `To: <${this.uri}>${toTag ? `;tag=${toTag}` : ''}`,
      `Call-ID: ${this.callId}`,
      `CSeq: ${seq} SUBSCRIBE`,
      `Contact: <${this.contact}>`,
      ...extra,
      'Content-Length: 0',
      '',
      '',
    ];
    this.sendTo(lines.join('\r\n'), { address: HOST, port: this.o.pbxPort });
    return this.waitFor((m) => m.status !== undefined && m.status >= 200 && m.callId === this.callId && m.cseq.seq === seq && m.cseq.method === 'SUBSCRIBE', 3000, `response to SUBSCRIBE ${seq}`);
  }

  private authorization(c: Record<string, string>, password: string): string {
    const algorithm = (c.algorithm ?? 'MD5').toUpperCase();
    const uri = this.uri;
    const cnonce = randomBytes(8).toString('hex');
    const nc = '00000001';
    const ha1 = digestHash(algorithm, `${this.o.user}:${c.realm}:${password}`);
    const ha2 = digestHash(algorithm, `SUBSCRIBE:${uri}`);
    const response = digestHash(algorithm, `${ha1}:${c.nonce}:${nc}:${cnonce}:auth:${ha2}`);
    return `Digest username="${this.o.user}", realm="${c.realm}", nonce="${c.nonce}", uri="${uri}", response="${response}", algorithm=${algorithm}, cnonce="${cnonce}", qop=auth, nc=${nc}`;
  }

  private sendTo(text: string, to: { address: string; port: number }): void {
    this.socket.send(Buffer.from(text, 'latin1'), to.port, to.address);
  }
}
