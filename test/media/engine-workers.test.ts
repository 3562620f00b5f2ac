import { afterEach, describe, expect, it } from 'vitest';
import { MediaEngine, type SessionEndedEvent, type WorkerExitEvent } from '../../src/media/engine.ts';
import { Phone, sleep, testPortRange } from './relay-fixtures.ts';

describe('media workers', () => {
  let engine: MediaEngine | undefined;
  const phones: Phone[] = [];
  afterEach(async () => {
    await engine?.close();
    for (const p of phones.splice(0)) p.close();
  });

  it('spreads sessions over workers; a dead worker ends its sessions while the other keeps relaying', async () => {
    engine = await MediaEngine.start({ workers: 2, portRange: testPortRange(100), host: '127.0.0.1' });
    const pairs = [];
    for (let i = 0; i < 4; i++) {
      const a = await Phone.open();
      const b = await Phone.open();
      phones.push(a, b);
      const s = await engine.createSession({ a: { remote: { address: '127.0.0.1', port: a.port } }, b: { remote: { address: '127.0.0.1', port: b.port } } });
      pairs.push({ s, a, b });
    }
    expect(pairs.map((p) => p.s.worker).sort()).toEqual([0, 0, 1, 1]); // least-loaded placement
    const ended: SessionEndedEvent[] = [];
    const exits: WorkerExitEvent[] = [];
    engine.on('sessionEnded', (e) => ended.push(e));
    engine.on('workerExit', (e) => exits.push(e));

    await engine.crashWorker(0);
    for (let i = 0; i < 100 && ended.length < 2; i++) await sleep(10);
    const dead = pairs.filter((p) => p.s.worker === 0).map((p) => p.s.sessionId);
    expect(ended.map((e) => e.sessionId).sort()).toEqual(dead.sort());
    expect(ended.every((e) => e.reason === 'worker-died')).toBe(true);
    expect(exits).toEqual([{ worker: 0, code: 70, respawned: true }]);

    for (const p of pairs.filter((p) => p.s.worker === 1)) {
      p.a.rtp(p.s.a.port);
      expect(await p.b.next()).toBeDefined();
      p.b.rtp(p.s.b.port);
      expect(await p.a.next()).toBeDefined();
    }
    for (const p of pairs.filter((p) => p.s.worker === 0)) {
      p.a.rtp(p.s.a.port);
      expect(await p.b.next(100)).toBeUndefined();
      await engine.destroy(p.s.sessionId); // harmless after the worker died
    }

    // the replacement takes over worker 0's port slice
    await engine.whenAllRunning();
    const again = await engine.createSession();
    expect(again.worker).toBe(0);
    const st = await engine.stats();
    expect(st.workers.map((w) => w.sessions).sort()).toEqual([1, 2]);
  });

  it('reports worker stats periodically without being asked', async () => {
    engine = await MediaEngine.start({ workers: 2, portRange: testPortRange(40), host: '127.0.0.1', statsIntervalMs: 50 });
    await engine.createSession();
    const seen = new Set<number>();
    engine.on('stats', (w) => seen.add(w.worker));
    for (let i = 0; i < 100 && seen.size < 2; i++) await sleep(10);
    expect([...seen].sort()).toEqual([0, 1]);
  });

  it('asymmetric legs send to the signalled address and accept any source', async () => {
    engine = await MediaEngine.start({ workers: 1, inThread: true, portRange: testPortRange(40), host: '127.0.0.1' });
    const [gen, a, b] = [await Phone.open(), await Phone.open(), await Phone.open()];
    phones.push(gen, a, b);
    const s = await engine.createSession({
      a: { remote: { address: '127.0.0.1', port: a.port }, symmetric: false },
      b: { remote: { address: '127.0.0.1', port: b.port }, symmetric: false },
    });
    gen.rtp(s.a.port);
    expect(await b.next()).toBeDefined();
    gen.rtp(s.b.port);
    expect((await a.next())?.from.port).toBe(s.a.port); // not back to gen
    expect(await gen.next(100)).toBeUndefined();
  });
});
