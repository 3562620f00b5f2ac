// A tiny SIP phone for integration tests: raw UDP/TCP, REGISTER with digest auth (MD5 or
// SHA-256, qop=auth). Its hashing is written here from RFC 7616, independent of src/sip/,
// so a test that uses it checks our registrar against the RFC, not against itself.
import { createHash, randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';

export interface Reply {
  status: number;
  text: string;
  header(name: string): string[];
}

export function parseReply(text: string): Reply {
  const head = text.split('\r\n\r\n')[0]!;
  const lines = head.split('\r\n');
  const status = Number(/^SIP\/2\.0 (\d{3})/.exec(lines[0]!)?.[1] ?? 0);
  return {
    status,
    text,
    header: (name) =>
      lines
        .slice(1)
        .filter((l) => l.toLowerCase().startsWith(name.toLowerCase() + ':'))
        .map((l) => l.slice(l.indexOf(':') + 1).trim()),
  };
}

/** Sends one datagram from a fresh socket and resolves with the first final reply, or 'drop' after waitMs. */
export function udpExchange(port: number, data: Buffer | string, waitMs = 1000, host = '127.0.0.1'): Promise<Reply | 'drop'> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    const done = (r: Reply | 'drop') => {
      clearTimeout(timer);
      socket.close();
      resolve(r);
    };
    const timer = setTimeout(() => done('drop'), waitMs);
    socket.on('message', (msg) => {
      const reply = parseReply(msg.toString('latin1'));
      if (reply.status >= 200) done(reply);
    });
    socket.on('error', () => done('drop'));
    socket.send(typeof data === 'string' ? Buffer.from(data, 'latin1') : data, port, host);
  });
}

/** Writes bytes on a new TCP connection; the first final reply, or 'drop' if the connection closes or waitMs passes. */
export function tcpExchange(port: number, data: Buffer | string, waitMs = 1000, host = '127.0.0.1'): Promise<Reply | 'drop'> {
  return new Promise((resolve) => {
    const socket = net.connect(port, host);
    let buffer = '';
    let settled = false;
    const done = (r: Reply | 'drop') => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => done('drop'), waitMs);
    socket.on('data', (d) => {
      buffer += d.toString('latin1');
      // Skip complete provisional responses; answer with the first final one.
      for (;;) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        const reply = parseReply(buffer.slice(0, end + 4));
        const length = Number(reply.header('Content-Length')[0] ?? reply.header('l')[0] ?? 0);
        buffer = buffer.slice(end + 4 + length);
        if (reply.status >= 200) return done(reply);
      }
    });
    socket.on('error', () => done('drop'));
    socket.on('close', () => done('drop'));
    socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  });
}

export interface RegisterOptions {
  port: number;
  user: string;
  password: string;
  domain?: string;
  expires?: number;
  /** Which challenge to answer; the first offered when omitted. */
  algorithm?: 'MD5' | 'SHA-256';
  userAgent?: string;
  contactPort?: number;
}

export function digestParams(header: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of header.replace(/^Digest\s+/i, '').matchAll(/([a-zA-Z-]+)=("([^"]*)"|[^,\s]+)/g)) out[m[1]!.toLowerCase()] = m[3] ?? m[2]!;
  return out;
}

export function digestHash(algorithm: string, text: string): string {
  return createHash(algorithm === 'SHA-256' ? 'sha256' : 'md5').update(text).digest('hex');
}

export function registerRequest(o: RegisterOptions, cseq: number, callId: string, authorization?: string): string {
  const domain = o.domain ?? '127.0.0.1';
  const lines = [
    `REGISTER sip:${domain} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${o.contactPort ?? 5999};branch=z9hG4bK${randomBytes(6).toString('hex')};rport`,
    'Max-Forwards: 70',
    `From: <sip:${o.user}@${domain}>;tag=${randomBytes(4).toString('hex')}`,
    `To: <sip:${o.user}@${domain}>`,
    `Call-ID: ${callId}`,
    `CSeq: ${cseq} REGISTER`,
    `Contact: <sip:${o.user}@127.0.0.1:${o.contactPort ?? 5999}>`,
    `Expires: ${o.expires ?? 600}`,
    `User-Agent: ${o.userAgent ?? 'pbx-test-phone'}`,
  ];
  if (authorization) lines.push(`Authorization: ${authorization}`);
  return lines.join('\r\n') + '\r\nContent-Length: 0\r\n\r\n';
}

type Exchange = (data: string) => Promise<Reply | 'drop'>;

/** REGISTER → 401 → REGISTER with credentials; resolves with the last reply (or 'drop'). */
export async function register(o: RegisterOptions, exchange: Exchange = (data) => udpExchange(o.port, data)): Promise<Reply | 'drop'> {
  const callId = `${randomBytes(8).toString('hex')}@test`;
  const first = await exchange(registerRequest(o, 1, callId));
  if (first === 'drop' || first.status !== 401) return first;
  const challenges = first.header('WWW-Authenticate').map(digestParams);
  const c = o.algorithm ? challenges.find((p) => (p.algorithm ?? 'MD5').toUpperCase() === o.algorithm) : challenges[0];
  if (!c) throw new Error(`no ${o.algorithm} challenge in: ${first.header('WWW-Authenticate').join(' | ')}`);
  const algorithm = (c.algorithm ?? 'MD5').toUpperCase();
  const uri = `sip:${o.domain ?? '127.0.0.1'}`;
  const cnonce = randomBytes(8).toString('hex');
  const nc = '00000001';
  const ha1 = digestHash(algorithm, `${o.user}:${c.realm}:${o.password}`);
  const ha2 = digestHash(algorithm, `REGISTER:${uri}`);
  const response = digestHash(algorithm, `${ha1}:${c.nonce}:${nc}:${cnonce}:auth:${ha2}`);
  const auth =
    `Digest username="${o.user}", realm="${c.realm}", nonce="${c.nonce}", uri="${uri}", response="${response}", ` +
    `algorithm=${algorithm}, cnonce="${cnonce}", qop=auth, nc=${nc}`;
  return exchange(registerRequest(o, 2, callId, auth));
}

/**
 * A phone on one long-lived UDP socket (so the PBX can reach it at the address it registered
 * from). It answers OPTIONS keep-alives with 200 while `answering` is true.
 */
export class UdpPhone {
  answering = true;
  optionsReceived = 0;
  private readonly socket = dgram.createSocket('udp4');
  private waiter: ((reply: Reply) => void) | undefined;

  private constructor() {
    this.socket.on('message', (msg, from) => {
      const text = msg.toString('latin1');
      if (text.startsWith('OPTIONS ')) {
        this.optionsReceived++;
        if (this.answering) this.socket.send(Buffer.from(answer200(text), 'latin1'), from.port, from.address);
        return;
      }
      const reply = parseReply(text);
      if (reply.status >= 200) this.waiter?.(reply);
    });
  }

  static async open(): Promise<UdpPhone> {
    const phone = new UdpPhone();
    await new Promise<void>((resolve) => phone.socket.bind(0, '127.0.0.1', resolve));
    return phone;
  }

  get port(): number {
    return this.socket.address().port;
  }

  exchange(pbxPort: number, data: string, waitMs = 1000): Promise<Reply | 'drop'> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        resolve('drop');
      }, waitMs);
      this.waiter = (reply) => {
        clearTimeout(timer);
        this.waiter = undefined;
        resolve(reply);
      };
      this.socket.send(Buffer.from(data, 'latin1'), pbxPort, '127.0.0.1');
    });
  }

  register(o: RegisterOptions): Promise<Reply | 'drop'> {
    return register(o, (data) => this.exchange(o.port, data));
  }

  close(): void {
    this.socket.close();
  }
}

/** A 200 to a request: its Via, From, To (tagged), Call-ID and CSeq copied back. */
function answer200(request: string): string {
  const lines = request.split('\r\n\r\n')[0]!.split('\r\n').slice(1);
  const keep = lines.filter((l) => /^(via|v|from|f|call-id|i|cseq):/i.test(l));
  const to = lines.find((l) => /^(to|t):/i.test(l)) ?? 'To: <sip:phone@127.0.0.1>';
  return ['SIP/2.0 200 OK', ...keep, `${to};tag=phone`, 'Content-Length: 0', '', ''].join('\r\n');
}

export function optionsRequest(userAgent: string, port = 5998): string {
  return [
    'OPTIONS sip:127.0.0.1 SIP/2.0',
    `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK${randomBytes(6).toString('hex')};rport`,
    'Max-Forwards: 70',
    `From: <sip:probe@127.0.0.1>;tag=${randomBytes(4).toString('hex')}`,
    'To: <sip:127.0.0.1>',
    `Call-ID: ${randomBytes(8).toString('hex')}@test`,
    'CSeq: 1 OPTIONS',
    `User-Agent: ${userAgent}`,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}
