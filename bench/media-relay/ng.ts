// Minimal rtpengine ng-protocol client for the benchmark (bencode over UDP, loopback only):
// offer/answer/delete, with a cookie per request, retransmission on timeout (rtpengine caches
// replies by cookie, so a resend is safe) and any number of requests in flight.
import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';

export type BValue = number | string | Buffer | BValue[] | { [k: string]: BValue };

export function bencode(v: BValue): Buffer {
  if (typeof v === 'number') return Buffer.from(`i${Math.trunc(v)}e`);
  if (typeof v === 'string') v = Buffer.from(v);
  if (Buffer.isBuffer(v)) return Buffer.concat([Buffer.from(`${v.length}:`), v]);
  if (Array.isArray(v)) return Buffer.concat([Buffer.from('l'), ...v.map(bencode), Buffer.from('e')]);
  const keys = Object.keys(v).sort();
  return Buffer.concat([Buffer.from('d'), ...keys.flatMap((k) => [bencode(k), bencode(v[k]!)]), Buffer.from('e')]);
}

/** Decodes one value at `i`; byte strings come back as Buffers, dictionary keys as strings. */
export function bdecode(s: Buffer, i = 0): [BValue, number] {
  const c = s[i];
  if (c === 0x69 /* i */) {
    const j = s.indexOf(0x65, i);
    return [Number(s.subarray(i + 1, j).toString()), j + 1];
  }
  if (c === 0x6c /* l */) {
    const out: BValue[] = [];
    i++;
    while (s[i] !== 0x65) {
      const [v, n] = bdecode(s, i);
      out.push(v);
      i = n;
    }
    return [out, i + 1];
  }
  if (c === 0x64 /* d */) {
    const out: { [k: string]: BValue } = {};
    i++;
    while (s[i] !== 0x65) {
      const [k, n] = bdecode(s, i);
      const [v, m] = bdecode(s, n);
      out[(k as Buffer).toString()] = v;
      i = m;
    }
    return [out, i + 1];
  }
  const j = s.indexOf(0x3a /* : */, i);
  if (j < 0) throw new Error('bencode: bad string');
  const len = Number(s.subarray(i, j).toString());
  return [s.subarray(j + 1, j + 1 + len), j + 1 + len];
}

type Dict = { [k: string]: BValue };

export class NgClient {
  private readonly sock: Socket;
  private readonly pending = new Map<string, { resolve: (d: Dict) => void; reject: (e: Error) => void }>();
  private seq = 0;
  private readonly prefix = randomBytes(4).toString('hex');

  private constructor(private readonly port: number) {
    this.sock = createSocket('udp4');
    this.sock.on('message', (msg) => {
      const sp = msg.indexOf(0x20);
      if (sp < 0) return;
      const p = this.pending.get(msg.subarray(0, sp).toString());
      if (p === undefined) return;
      try {
        p.resolve(bdecode(msg, sp + 1)[0] as Dict);
      } catch (e) {
        p.reject(e as Error);
      }
    });
  }

  static async open(port: number): Promise<NgClient> {
    const c = new NgClient(port);
    await new Promise<void>((r) => c.sock.bind(0, '127.0.0.1', r));
    return c;
  }

  /** One command; resent every `retryMs` up to `tries` times; rejects unless result is ok/pong. */
  async cmd(d: Dict, retryMs = 1000, tries = 4): Promise<Dict> {
    const cookie = `${this.prefix}_${++this.seq}`;
    const pkt = Buffer.concat([Buffer.from(cookie + ' '), bencode(d)]);
    const reply = await new Promise<Dict>((resolve, reject) => {
      let n = 0;
      const sendOnce = (): void => {
        if (n++ >= tries) {
          this.pending.delete(cookie);
          reject(new Error(`ng ${String(d.command)}: no reply after ${tries} tries`));
          return;
        }
        this.sock.send(pkt, this.port, '127.0.0.1');
        timer = setTimeout(sendOnce, retryMs);
      };
      let timer: NodeJS.Timeout | undefined;
      this.pending.set(cookie, {
        resolve: (r) => {
          clearTimeout(timer);
          this.pending.delete(cookie);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          this.pending.delete(cookie);
          reject(e);
        },
      });
      sendOnce();
    });
    const result = String(reply.result);
    if (result !== 'ok' && result !== 'pong') throw new Error(`ng ${String(d.command)} failed: ${result} ${String(reply['error-reason'] ?? '')}`);
    return reply;
  }

  close(): void {
    this.sock.close();
  }
}

const sdp = (sess: number, port: number): string =>
  `v=0\r\no=- ${sess} 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n` +
  `m=audio ${port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n`;

const mediaPort = (d: Dict): number => {
  const m = /m=audio (\d+)/.exec(String(d.sdp));
  if (m === null) throw new Error('ng: no m=audio in reply SDP');
  return Number(m[1]);
};

// Both parties' SDP point at the sink: rtpengine forwards caller → callee (to the sink) and
// callee → caller (to the sink). The generator sends every stream from one socket and the sink
// never answers, so "asymmetric": rtpengine must not learn (latch onto) the generator's address.
const FLAGS = ['asymmetric'];

/** offer + answer for call i. Returns [port the caller sends to, port the callee sends to]. */
export async function setupCall(ng: NgClient, tag: string, i: number, sinkPort: number): Promise<[number, number]> {
  const base = { 'call-id': `bench-${tag}-${i}`, 'from-tag': `f${i}`, flags: FLAGS, replace: ['origin', 'session-connection'] };
  const offer = await ng.cmd({ command: 'offer', ...base, sdp: sdp(i, sinkPort) });
  const calleeTo = mediaPort(offer); // rtpengine's port advertised to the callee
  const answer = await ng.cmd({ command: 'answer', ...base, 'to-tag': `t${i}`, sdp: sdp(i + 1_000_000, sinkPort) });
  const callerTo = mediaPort(answer); // rtpengine's port advertised to the caller
  return [callerTo, calleeTo];
}

export async function deleteCall(ng: NgClient, tag: string, i: number): Promise<void> {
  await ng.cmd({ command: 'delete', 'call-id': `bench-${tag}-${i}`, 'from-tag': `f${i}` });
}

/** Runs fn(0..n-1) with at most `width` in flight; results in order. */
export async function pool<T>(n: number, width: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, n) }, async () => {
      while (next < n) {
        const i = next++;
        out[i] = await fn(i);
      }
    }),
  );
  return out;
}
