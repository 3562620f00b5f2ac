import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { PortAllocator, PortsExhaustedError, splitPortRange } from '../../src/media/port-allocator.ts';
import { testPortRange } from './relay-fixtures.ts';

describe('PortAllocator', () => {
  it('hands out even ports in range, next-fit, and throws PortsExhaustedError when all are taken', () => {
    const a = new PortAllocator({ min: 10001, max: 10008 }); // pairs 10002, 10004, 10006
    expect(a.capacity).toBe(3);
    expect([a.acquire(), a.acquire(), a.acquire()]).toEqual([10002, 10004, 10006]);
    expect(() => a.acquire()).toThrow(PortsExhaustedError);
    a.release(10004);
    a.release(10004); // twice is harmless
    a.release(9999); // foreign port is ignored
    expect(a.allocated).toBe(2);
    expect(a.acquire()).toBe(10004);
  });

  it('splits a range into per-worker slices of whole pairs', () => {
    const slices = splitPortRange({ min: 20000, max: 20099 }, 3);
    expect(slices).toEqual([
      { min: 20000, max: 20031 },
      { min: 20032, max: 20063 },
      { min: 20064, max: 20099 },
    ]);
    const caps = slices.map((r) => new PortAllocator(r).capacity);
    expect(caps.reduce((x, y) => x + y)).toBe(50);
    expect(() => splitPortRange({ min: 10, max: 5 }, 2)).toThrow(RangeError);
  });

  it('skips a pair another program holds and binds the next one', async () => {
    const range = testPortRange(6);
    const squatter = createSocket('udp4');
    await new Promise<void>((res) => squatter.bind(range.min + 1, '127.0.0.1', () => res())); // RTCP port of the first pair
    try {
      const a = new PortAllocator(range);
      const tried: number[] = [];
      const bind = async (port: number): Promise<number> => {
        tried.push(port);
        for (const p of [port, port + 1]) {
          const s = createSocket('udp4');
          await new Promise<void>((res, rej) => {
            s.once('error', (e) => {
              s.close();
              rej(e);
            });
            s.bind(p, '127.0.0.1', () => {
              s.close();
              res();
            });
          });
        }
        return port;
      };
      const got = await a.allocate(bind);
      expect(tried[0]).toBe(range.min);
      expect(got.port).toBeGreaterThan(range.min);
      expect(a.allocated).toBe(1);
      await expect(a.allocate(async () => Promise.reject(new Error('EADDRINUSE')))).rejects.toBeInstanceOf(PortsExhaustedError);
      expect(a.allocated).toBe(1);
    } finally {
      squatter.close();
    }
  });
});
