import dgram from 'node:dgram';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.ts';
import { SipStack } from '../../src/sip/stack.ts';
import type { IncomingRequest } from '../../src/sip/stack-api.ts';
import { TransportError } from '../../src/sip/transport/transport.ts';
import { finalStatusOf, judgeTorture, type TortureReaction } from '../support/rfc4475.ts';

const logger = createLogger('silent');

/** A deliberately simple UAS, enough to give RFC 4475's expected answers. */
function tortureHandler(inc: IncomingRequest): void {
  const r = inc.request;
  const h = r.headers;
  if (r.method === 'ACK') return;
  if (!['INVITE', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER'].includes(r.method)) return inc.respond(501);
  if (h.require !== undefined || h['proxy-require'] !== undefined) return inc.respond(420);
  const ct = typeof h['content-type'] === 'string' ? h['content-type'].toLowerCase() : undefined;
  if (r.method === 'INVITE' && r.content.length > 0 && ct !== undefined && !ct.startsWith('application/sdp')) return inc.respond(415);
  const accept = h.accept;
  if (typeof accept === 'string' && !accept.toLowerCase().includes('application/sdp')) return inc.respond(406);
  if (r.method === 'REGISTER' && h.authorization !== undefined) return inc.respond(401);
  inc.respond(200);
}

function udpExchange(port: number, data: Buffer, waitMs = 400): Promise<TortureReaction> {
  return new Promise((resolve) => {
    const sock = dgram.createSocket('udp4');
    const timer = setTimeout(() => finish('drop'), waitMs);
    function finish(r: TortureReaction) {
      clearTimeout(timer);
      sock.close();
      resolve(r);
    }
    sock.on('message', (msg) => {
      const s = finalStatusOf(msg.toString('latin1'));
      if (s !== undefined) finish(s);
    });
    sock.bind(0, '127.0.0.1', () => sock.send(data, port, '127.0.0.1'));
  });
}

function tcpExchange(port: number, data: Buffer, waitMs = 400): Promise<{ reaction: TortureReaction; text: string }> {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1', () => sock.write(data));
    let text = '';
    let done = false;
    const timer = setTimeout(() => finish('drop'), waitMs);
    function finish(r: TortureReaction) {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ reaction: r, text });
    }
    sock.on('data', (chunk) => {
      text += chunk.toString('latin1');
      // Only whole responses count; look at each one's start line.
      for (const part of text.split('\r\n\r\n')) {
        const i = part.indexOf('SIP/2.0 ');
        if (i >= 0) {
          const s = finalStatusOf(part.slice(i));
          if (s !== undefined) return finish(s);
        }
      }
    });
    sock.on('error', () => finish('drop'));
    sock.on('close', () => finish('drop'));
  });
}

const OPTIONS = (branch: string, transport = 'UDP') =>
  Buffer.from(
    `OPTIONS sip:pbx@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/${transport} 127.0.0.1:9;branch=z9hG4bK${branch};rport\r\n` +
      `Max-Forwards: 70\r\nTo: <sip:pbx@127.0.0.1>\r\nFrom: <sip:t@127.0.0.1>;tag=1\r\nCall-ID: ${branch}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`,
  );

describe('SipStack over loopback', () => {
  let stack: SipStack;
  let udpPort: number;
  let tcpPort: number;

  beforeAll(async () => {
    stack = await SipStack.start({ udp: [{ host: '127.0.0.1', port: 0 }], tcp: [{ host: '127.0.0.1', port: 0 }], logger });
    stack.onRequest(tortureHandler);
    ({ udp: [udpPort], tcp: [tcpPort] } = stack.boundPorts() as { udp: number[]; tcp: number[] });
  });
  afterAll(async () => {
    await stack.close();
  });

  it('answers OPTIONS over UDP and TCP', async () => {
    expect(await udpExchange(udpPort, OPTIONS('u1'))).toBe(200);
    const tcp = await tcpExchange(tcpPort, OPTIONS('t1', 'TCP'));
    expect(tcp.reaction).toBe(200);
    expect(tcp.text).toContain('Via: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKt1;rport=');
    expect(tcp.text).toContain(';received=127.0.0.1');
    expect(tcp.text).toMatch(/To: <sip:pbx@127\.0\.0\.1>;tag=[0-9a-f]+/);
  });

  it('absorbs a retransmitted request by resending the same response', async () => {
    let calls = 0;
    stack.onRequest((inc) => {
      calls++;
      inc.respond(200);
    });
    try {
      const sock = dgram.createSocket('udp4');
      const got: string[] = [];
      await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
      sock.on('message', (m) => got.push(m.toString()));
      const msg = OPTIONS('retx');
      sock.send(msg, udpPort, '127.0.0.1');
      for (let i = 0; i < 50 && got.length < 1; i++) await new Promise((r) => setTimeout(r, 10));
      sock.send(msg, udpPort, '127.0.0.1');
      for (let i = 0; i < 50 && got.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
      sock.close();
      expect(calls).toBe(1);
      expect(got.length).toBe(2);
      expect(got[1]).toBe(got[0]);
    } finally {
      stack.onRequest(tortureHandler);
    }
  });

  it('answers Content-Length: abc with 400 over TCP and closes the connection', async () => {
    const bad = Buffer.from(OPTIONS('cl', 'TCP').toString().replace('Content-Length: 0', 'Content-Length: abc'));
    const r = await tcpExchange(tcpPort, bad, 2000);
    expect(r.reaction).toBe(400);
    // the server closed: a second read finds the socket ended (tcpExchange resolved on the 400 already)
  });

  it('a handler that throws gives 500, never a crash', async () => {
    stack.onRequest(() => {
      throw new Error('boom');
    });
    try {
      expect(await udpExchange(udpPort, OPTIONS('throw'))).toBe(500);
    } finally {
      stack.onRequest(tortureHandler);
    }
  });

  it('CANCEL without a matching INVITE → 481', async () => {
    const cancel = Buffer.from(OPTIONS('nocancel').toString().replace(/OPTIONS/g, 'CANCEL'));
    expect(await udpExchange(udpPort, cancel)).toBe(481);
  });

  it('CANCEL of a pending INVITE → 200 for the CANCEL, onCancel runs, 487 for the INVITE', async () => {
    let cancelled = false;
    stack.onRequest((inc) => {
      if (inc.request.method === 'INVITE') (inc as unknown as { onCancel(fn: () => void): void }).onCancel(() => (cancelled = true));
    });
    try {
      const sock = dgram.createSocket('udp4');
      const got: string[] = [];
      await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
      sock.on('message', (m) => got.push(m.toString()));
      sock.send(Buffer.from(OPTIONS('inv1').toString().replace(/OPTIONS/g, 'INVITE')), udpPort, '127.0.0.1');
      for (let i = 0; i < 50 && got.length < 1; i++) await new Promise((r) => setTimeout(r, 10));
      sock.send(Buffer.from(OPTIONS('inv1').toString().replace(/OPTIONS/g, 'CANCEL')), udpPort, '127.0.0.1');
      for (let i = 0; i < 50 && got.length < 3; i++) await new Promise((r) => setTimeout(r, 10));
      sock.close();
      const firstLines = got.map((g) => g.slice(0, g.indexOf('\r\n')) + ' ' + /CSeq: (.*)/.exec(g)![1]);
      expect(firstLines).toContain('SIP/2.0 100 Trying 1 INVITE');
      expect(firstLines).toContain('SIP/2.0 200 OK 1 CANCEL');
      expect(firstLines).toContain('SIP/2.0 487 Request Terminated 1 INVITE');
      expect(cancelled).toBe(true);
    } finally {
      stack.onRequest(tortureHandler);
    }
  });

  it('client transaction: request() gets the final response over UDP and TCP', async () => {
    const server = await SipStack.start({ udp: [{ host: '127.0.0.1', port: 0 }], tcp: [{ host: '127.0.0.1', port: 0 }], logger });
    server.onRequest((inc) => inc.respond(200, undefined, { headers: { 'X-Seen': inc.request.method } }));
    try {
      const ports = server.boundPorts();
      for (const [transport, port] of [['udp', ports.udp[0]], ['tcp', ports.tcp[0]]] as const) {
        const res = await stack.request(
          {
            method: 'OPTIONS', uri: `sip:x@127.0.0.1:${port}`, content: '',
            headers: { to: { uri: 'sip:x@127.0.0.1', params: {} }, from: { uri: 'sip:pbx@127.0.0.1', params: { tag: 'f' } }, 'call-id': 'ka-' + transport, cseq: { seq: 1, method: 'OPTIONS' }, via: [] },
          },
          { target: { transport, address: '127.0.0.1', port: port! } },
        );
        expect(res.status).toBe(200);
        expect(res.headers['x-seen']).toBe('OPTIONS');
      }
    } finally {
      await server.close();
    }
  });

  it('every RFC 4475 vector over UDP gets a reaction the MANIFEST accepts', async () => {
    const verdicts = await judgeTorture((v) => udpExchange(udpPort, v.data));
    expect(verdicts.filter((v) => !v.ok)).toEqual([]);
    expect(verdicts.length).toBeGreaterThan(40);
  });

  it('every RFC 4475 vector over TCP gets a reaction the MANIFEST accepts', async () => {
    const verdicts = await judgeTorture(async (v) => (await tcpExchange(tcpPort, v.data)).reaction);
    expect(verdicts.filter((v) => !v.ok)).toEqual([]);
  });

  it('no transaction is left behind once timers ran (reliable ones end at once)', async () => {
    for (let i = 0; i < 20 && stack.transactionCount() > 0; i++) {
      // UDP server transactions wait Timer J (64*T1) — this stack uses the defaults, so only TCP ones are gone.
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(stack.transactionCount()).toBeLessThan(200);
  });
});

describe('SipStack start-up errors', () => {
  it('a port in use is a TransportError naming transport, host and port', async () => {
    const a = await SipStack.start({ udp: [{ host: '127.0.0.1', port: 0 }], tcp: [{ host: '127.0.0.1', port: 0 }], logger });
    try {
      const { udp, tcp } = a.boundPorts();
      const err = await SipStack.start({ udp: [{ host: '127.0.0.1', port: udp[0]! }], logger }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TransportError);
      expect((err as Error).message).toContain(`UDP 127.0.0.1:${udp[0]}`);
      expect((err as TransportError).code).toBe('EADDRINUSE');
      const err2 = await SipStack.start({ udp: [{ host: '127.0.0.1', port: 0 }], tcp: [{ host: '127.0.0.1', port: tcp[0]! }], logger }).catch((e: unknown) => e);
      expect((err2 as Error).message).toContain(`TCP 127.0.0.1:${tcp[0]}`);
    } finally {
      await a.close();
    }
  });
});
