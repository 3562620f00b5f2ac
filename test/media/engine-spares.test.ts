// Spare endpoints (MediaEngineOptions.spareEndpoints): socket pairs bound ahead so createSession
// does not wait for binds. They hold ports, sessions take them first, the pool refills in the
// background, and running out of ports still ends in PortsExhaustedError, never a crash.
import { describe, expect, it } from 'vitest';
import { MediaEngine, PortsExhaustedError } from '../../src/media/engine.ts';
import { Phone, sleep, testPortRange } from './relay-fixtures.ts';

const inUse = async (engine: MediaEngine): Promise<number> => (await engine.stats()).workers.reduce((n, w) => n + w.portPairsInUse, 0);

describe('spare endpoints', () => {
  it.each([{ inThread: true }, { inThread: false }])('are bound ahead, used first and refilled (inThread=$inThread)', async ({ inThread }) => {
    const engine = await MediaEngine.start({ inThread, workers: 1, portRange: testPortRange(40), host: '127.0.0.1', spareEndpoints: 4 });
    const phone = await Phone.open();
    try {
      for (let i = 0; i < 50 && (await inUse(engine)) < 4; i++) await sleep(10);
      expect(await inUse(engine)).toBe(4); // the pool, before any session
      const s = await engine.createSession({ a: { remote: { address: '127.0.0.1', port: phone.port } } });
      for (let i = 0; i < 50 && (await inUse(engine)) < 6; i++) await sleep(10);
      expect(await inUse(engine)).toBe(6); // 2 for the session, the pool full again
      // a session made from spares relays like any other
      const b = await Phone.open();
      await engine.update(s.sessionId, 'b', { remote: { address: '127.0.0.1', port: b.port } });
      b.rtp(s.b.port);
      const got = await phone.next(1000);
      expect(got?.from.port).toBe(s.a.port);
      await engine.destroy(s.sessionId);
      expect(await inUse(engine)).toBe(4);
      b.close();
    } finally {
      phone.close();
      await engine.close();
    }
  });

  it('a pool holding every port still gives one session, then PortsExhaustedError, and recovers', async () => {
    // 2 pairs in the range: the pool of 8 takes both
    const engine = await MediaEngine.start({ inThread: true, workers: 1, portRange: testPortRange(4), host: '127.0.0.1', spareEndpoints: 8 });
    try {
      await sleep(50);
      const first = await engine.createSession();
      await expect(engine.createSession()).rejects.toBeInstanceOf(PortsExhaustedError);
      await engine.destroy(first.sessionId);
      const again = await engine.createSession();
      await engine.destroy(again.sessionId);
    } finally {
      await engine.close();
    }
  });
});
