// Test "phones" for the relay tests: UDP sockets on 127.0.0.1 that send RTP/RTCP and wait for
// what comes back, each wait bounded.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { buildRtpPacket } from '../../src/media/rtp-packet.ts';
import { MediaEngine, type MediaEngineOptions } from '../../src/media/engine.ts';

export interface Received {
  msg: Buffer;
  from: RemoteInfo;
}

export class Phone {
  readonly socket: Socket;
  private readonly queue: Received[] = [];
  private waiter: ((r: Received) => void) | null = null;
  seq = 0;
  readonly ssrc: number;

  private constructor(socket: Socket, ssrc: number) {
    this.socket = socket;
    this.ssrc = ssrc;
    socket.on('message', (msg, from) => {
      const r = { msg, from };
      if (this.waiter !== null) {
        const w = this.waiter;
        this.waiter = null;
        w(r);
      } else this.queue.push(r);
    });
  }

  static async open(port = 0, ssrc = Math.floor(Math.random() * 0xffffffff)): Promise<Phone> {
    const s = createSocket('udp4');
    await new Promise<void>((res, rej) => {
      s.once('error', rej);
      s.bind(port, '127.0.0.1', () => res());
    });
    return new Phone(s, ssrc);
  }

  get port(): number {
    return this.socket.address().port;
  }

  rtp(toPort: number, payloadType = 0, payload: Uint8Array = Buffer.alloc(160, 0x55), ssrc = this.ssrc): Buffer {
    const seq = this.seq++;
    const p = buildRtpPacket({ marker: false, payloadType, sequence: seq, timestamp: seq * 160, ssrc }, payload);
    this.socket.send(p, toPort, '127.0.0.1');
    return p;
  }

  raw(toPort: number, packet: Buffer): void {
    this.socket.send(packet, toPort, '127.0.0.1');
  }

  /** Next datagram, or undefined after `ms`. */
  next(ms = 1000): Promise<Received | undefined> {
    const q = this.queue.shift();
    if (q !== undefined) return Promise.resolve(q);
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.waiter = null;
        resolve(undefined);
      }, ms);
      this.waiter = (r) => {
        clearTimeout(t);
        resolve(r);
      };
    });
  }

  /** Drops anything queued, waiting `ms` for stragglers. */
  async drain(ms = 50): Promise<number> {
    await new Promise((r) => setTimeout(r, ms));
    const n = this.queue.length;
    this.queue.length = 0;
    return n;
  }

  close(): void {
    this.socket.close();
  }
}

/** An RTCP receiver report (PT 201) with no report blocks. */
export function rtcpRR(ssrc: number): Buffer {
  const b = Buffer.alloc(8);
  b[0] = 0x80;
  b[1] = 201;
  b.writeUInt16BE(1, 2);
  b.writeUInt32BE(ssrc >>> 0, 4);
  return b;
}

/**
 * A port range for one test file, away from the ephemeral range (32768+) and from 5060;
 * randomised so parallel test files rarely meet (the allocator skips taken pairs anyway).
 */
export function testPortRange(size: number): { min: number; max: number } {
  const min = 20000 + 2 * Math.floor(Math.random() * ((12000 - size) / 2));
  return { min, max: min + size - 1 };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Registers the hooks of an engine test suite: one engine (in-thread or one worker) for the
 * suite, phones closed after each test. Read `engine` in tests or later hooks, not at definition.
 */
export function useTestEngine(inThread: boolean, options: Partial<MediaEngineOptions> = {}): { readonly engine: MediaEngine; open(): Promise<Phone> } {
  const phones: Phone[] = [];
  let engine: MediaEngine | undefined;
  beforeAll(async () => {
    engine = await MediaEngine.start({ inThread, workers: 1, portRange: testPortRange(40), host: '127.0.0.1', rtpTimeoutS: 0, ...options });
  });
  afterAll(async () => {
    await engine?.close();
  });
  afterEach(() => {
    for (const p of phones.splice(0)) p.close();
  });
  return {
    get engine() {
      if (!engine) throw new Error('the engine starts in beforeAll');
      return engine;
    },
    async open() {
      const p = await Phone.open();
      phones.push(p);
      return p;
    },
  };
}
