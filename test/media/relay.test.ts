import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MediaEngine, PortsExhaustedError } from '../../src/media/engine.ts';
import { ALAW_TO_ULAW } from '../../src/media/g711.ts';
import { readRtpHeader } from '../../src/media/rtp-packet.ts';
import { Phone, rtcpRR, sleep, testPortRange } from './relay-fixtures.ts';

const remoteOf = (p: Phone) => ({ address: '127.0.0.1', port: p.port });

describe.each([
  { mode: 'in-thread', inThread: true },
  { mode: 'worker threads', inThread: false },
])('relay ($mode)', ({ inThread }) => {
  let engine: MediaEngine;
  const phones: Phone[] = [];
  const open = async (port = 0): Promise<Phone> => {
    const p = await Phone.open(port);
    phones.push(p);
    return p;
  };

  beforeAll(async () => {
    engine = await MediaEngine.start({
      inThread,
      workers: 2,
      portRange: testPortRange(200),
      host: '127.0.0.1',
      rtpTimeoutS: 0.4,
      relatchSilenceMs: 300,
    });
  });
  afterAll(async () => {
    await engine.close();
  });
  afterEach(() => {
    for (const p of phones.splice(0)) p.close();
  });

  it('relays RTP both ways between two phones', async () => {
    const [a, b] = [await open(), await open()];
    const s = await engine.createSession({ a: { remote: remoteOf(a) }, b: { remote: remoteOf(b) } });
    expect(s.address).toBe('127.0.0.1');
    expect(s.a.port % 2).toBe(0);
    expect(s.a.rtcpPort).toBe(s.a.port + 1);
    const sent = a.rtp(s.a.port);
    const got = await b.next();
    expect(got?.msg.equals(sent)).toBe(true);
    expect(got?.from.port).toBe(s.b.port); // leaves through B's endpoint
    const back = b.rtp(s.b.port);
    const got2 = await a.next();
    expect(got2?.msg.equals(back)).toBe(true);
    expect(got2?.from.port).toBe(s.a.port);
    const st = await engine.sessionStats(s.sessionId);
    expect(st.a.rtpIn).toBe(1);
    expect(st.b.rtpOut).toBe(1);
    await engine.destroy(s.sessionId);
  });

  it('latches: replies go to the address the phone really sends from, not the signalled one', async () => {
    const [signalled, natted, b] = [await open(), await open(), await open()];
    const s = await engine.createSession({ a: { remote: remoteOf(signalled) }, b: { remote: remoteOf(b) } });
    natted.rtp(s.a.port);
    expect(await b.next()).toBeDefined();
    b.rtp(s.b.port);
    const got = await natted.next();
    expect(got?.from.port).toBe(s.a.port);
    expect(await signalled.next(100)).toBeUndefined();
    const st = await engine.sessionStats(s.sessionId);
    expect(st.a.latched).toBe(true);
    expect(st.a.peer).toEqual({ address: '127.0.0.1', port: natted.port });
    await engine.destroy(s.sessionId);
  });

  it('drops a stranger while the latched phone talks; lets a new source take over after its silence', async () => {
    const [a, stranger, b] = [await open(), await open(), await open()];
    const s = await engine.createSession({ a: { remote: remoteOf(a), codecs: [{ pt: 0, name: 'PCMU' }] }, b: { remote: remoteOf(b) } });
    a.rtp(s.a.port);
    expect(await b.next()).toBeDefined();
    for (let i = 0; i < 5; i++) {
      stranger.rtp(s.a.port);
      a.rtp(s.a.port);
      await sleep(10);
    }
    await sleep(50);
    const fromA = await b.drain();
    expect(fromA).toBe(5); // only the latched phone's packets
    expect((await engine.sessionStats(s.sessionId)).a.droppedStranger).toBe(5);
    // an undeclared payload type never latches
    await sleep(400);
    stranger.rtp(s.a.port, 96);
    stranger.rtp(s.a.port, 96);
    stranger.rtp(s.a.port, 96);
    expect(await b.next(100)).toBeUndefined();
    // the latched phone is silent for longer than relatchSilenceMs: a consistent stream takes over
    for (let i = 0; i < 3; i++) stranger.rtp(s.a.port);
    const taken = await b.next();
    expect(taken).toBeDefined();
    b.rtp(s.b.port);
    expect((await stranger.next())?.from.port).toBe(s.a.port);
    const st = await engine.sessionStats(s.sessionId);
    expect(st.a.relatches).toBe(1);
    expect(st.a.peer?.port).toBe(stranger.port);
    await engine.destroy(s.sessionId);
  });

  it('a re-INVITE to a new address restarts latching: replies go to the new address until a packet arrives', async () => {
    const [a, moved, b] = [await open(), await open(), await open()];
    const s = await engine.createSession({ a: { remote: remoteOf(a) }, b: { remote: remoteOf(b) } });
    a.rtp(s.a.port);
    expect(await b.next()).toBeDefined();
    await engine.update(s.sessionId, 'a', { remote: remoteOf(moved) });
    let st = await engine.sessionStats(s.sessionId);
    expect(st.a.latched).toBe(false);
    expect(st.a.peer?.port).toBe(moved.port);
    b.rtp(s.b.port);
    expect((await moved.next())?.from.port).toBe(s.a.port);
    expect(await a.next(100)).toBeUndefined();
    moved.rtp(s.a.port); // the first packet latches again, at once
    expect(await b.next()).toBeDefined();
    st = await engine.sessionStats(s.sessionId);
    expect(st.a.latched).toBe(true);
    await engine.destroy(s.sessionId);
  });

  it('does not forward before connect (connect: false), relays after', async () => {
    const [a, b] = [await open(), await open()];
    const s = await engine.createSession({ a: { remote: remoteOf(a) }, b: { remote: remoteOf(b) }, connect: false });
    a.rtp(s.a.port);
    expect(await b.next(100)).toBeUndefined();
    await engine.connect(s.sessionId);
    a.rtp(s.a.port);
    expect(await b.next()).toBeDefined();
    await engine.disconnect(s.sessionId);
    a.rtp(s.a.port);
    expect(await b.next(100)).toBeUndefined();
    expect((await engine.sessionStats(s.sessionId)).a.droppedNoPeer).toBe(2);
    await engine.destroy(s.sessionId);
  });

  it('remaps payload types between legs (telephone-event 101 → 96 and back)', async () => {
    const [a, b] = [await open(), await open()];
    const s = await engine.createSession({
      a: { remote: remoteOf(a), codecs: [{ pt: 0, name: 'PCMU' }, { pt: 101, name: 'telephone-event' }] },
      b: { remote: remoteOf(b), codecs: [{ pt: 0, name: 'PCMU' }, { pt: 96, name: 'telephone-event' }] },
    });
    const ev = Buffer.from([1, 0x8a, 0, 160]);
    a.rtp(s.a.port, 101, ev);
    const got = (await b.next())!;
    const h = readRtpHeader(got.msg)!;
    expect(h.payloadType).toBe(96);
    expect(got.msg.subarray(h.payloadOffset, h.payloadOffset + h.payloadLength).equals(ev)).toBe(true);
    a.rtp(s.a.port, 0);
    expect(readRtpHeader((await b.next())!.msg)!.payloadType).toBe(0);
    b.rtp(s.b.port, 96, ev);
    expect(readRtpHeader((await a.next())!.msg)!.payloadType).toBe(101);
    await engine.destroy(s.sessionId);
  });

  it('transcodes A-law ↔ µ-law when the legs use different laws', async () => {
    const [a, b] = [await open(), await open()];
    const s = await engine.createSession({
      a: { remote: remoteOf(a), codecs: [{ pt: 8, name: 'PCMA' }] },
      b: { remote: remoteOf(b), codecs: [{ pt: 0, name: 'PCMU' }] },
    });
    const alaw = Buffer.alloc(160);
    for (let i = 0; i < 160; i++) alaw[i] = (i * 37) & 0xff;
    const sent = Buffer.from(a.rtp(s.a.port, 8, alaw));
    const got = (await b.next())!;
    const h = readRtpHeader(got.msg)!;
    expect(h.payloadType).toBe(0);
    expect(h.sequence).toBe(readRtpHeader(sent)!.sequence);
    const expected = Buffer.from(alaw.map((x) => ALAW_TO_ULAW[x]!));
    expect(got.msg.subarray(12).equals(expected)).toBe(true);
    // and back: µ → A
    b.rtp(s.b.port, 0, expected);
    const back = (await a.next())!;
    expect(readRtpHeader(back.msg)!.payloadType).toBe(8);
    expect(back.msg.subarray(12).length).toBe(160);
    await engine.destroy(s.sessionId);
  });

  it('relays RTCP on port+1, and over rtcp-mux to a leg that muxes', async () => {
    const [a, aRtcp, b] = [await open(), await open(), await open()];
    const s = await engine.createSession({
      a: { remote: { address: '127.0.0.1', port: a.port, rtcpPort: aRtcp.port } },
      b: { remote: remoteOf(b), rtcpMux: true },
    });
    // A → B: sent on A's RTCP port, arrives on B's RTP port (B muxes) from B's RTP port
    aRtcp.raw(s.a.rtcpPort, rtcpRR(1));
    const got = (await b.next())!;
    expect(got.msg.equals(rtcpRR(1))).toBe(true);
    expect(got.from.port).toBe(s.b.port);
    // B → A: muxed on B's RTP port, recognised as RTCP, leaves A's RTCP port to A's RTCP address
    b.raw(s.b.port, rtcpRR(2));
    const back = (await aRtcp.next())!;
    expect(back.msg.equals(rtcpRR(2))).toBe(true);
    expect(back.from.port).toBe(s.a.rtcpPort);
    expect(await a.next(100)).toBeUndefined();
    const st = await engine.sessionStats(s.sessionId);
    expect(st.a.rtcpIn).toBe(1);
    expect(st.b.rtcpIn).toBe(1);
    expect(st.b.rtpIn).toBe(0);
    await engine.destroy(s.sessionId);
  });

  it('reports rtpTimeout for a silent leg', async () => {
    const [a, b] = [await open(), await open()];
    const s = await engine.createSession({ a: { remote: remoteOf(a) }, b: { remote: remoteOf(b) } });
    const events: string[] = [];
    const on = (e: { sessionId: string; leg: string }): void => {
      if (e.sessionId === s.sessionId) events.push(e.leg);
    };
    engine.on('rtpTimeout', on);
    // A keeps talking; B is silent
    const t = setInterval(() => a.rtp(s.a.port), 20);
    await sleep(900);
    clearInterval(t);
    engine.off('rtpTimeout', on);
    // once for B, not once per sweep (A is not checked: a loaded test machine may stall its sender)
    expect(events.filter((leg) => leg === 'b')).toEqual(['b']);
    await engine.destroy(s.sessionId);
  });

  it('destroy frees the ports: a new session gets them again', async () => {
    const before = await engine.stats();
    const used = before.workers.reduce((n, w) => n + w.portPairsInUse, 0);
    const s = await engine.createSession();
    const during = await engine.stats();
    expect(during.workers.reduce((n, w) => n + w.portPairsInUse, 0)).toBe(used + 2);
    await engine.destroy(s.sessionId);
    const after = await engine.stats();
    expect(after.workers.reduce((n, w) => n + w.portPairsInUse, 0)).toBe(used);
    const p = await Phone.open(s.a.port).catch(() => undefined); // the socket is really closed
    expect(p).toBeDefined();
    p?.close();
  });
});

describe('port exhaustion', () => {
  it.each([{ inThread: true }, { inThread: false }])('throws PortsExhaustedError and leaks nothing (inThread=$inThread)', async ({ inThread }) => {
    // 2 workers × 4 pairs = 4 sessions
    const engine = await MediaEngine.start({ inThread, workers: 2, portRange: testPortRange(16), host: '127.0.0.1' });
    try {
      const ids: string[] = [];
      let error: unknown;
      for (let i = 0; i < 10 && error === undefined; i++) {
        try {
          ids.push((await engine.createSession()).sessionId);
        } catch (e) {
          error = e;
        }
      }
      expect(error).toBeInstanceOf(PortsExhaustedError);
      expect((error as PortsExhaustedError).sipStatus).toBe(503);
      expect(ids.length).toBeGreaterThan(0);
      expect(ids.length).toBeLessThanOrEqual(4);
      const st = await engine.stats();
      expect(st.workers.reduce((n, w) => n + w.portPairsInUse, 0)).toBe(ids.length * 2);
      for (const id of ids) await engine.destroy(id);
      expect((await engine.stats()).workers.reduce((n, w) => n + w.portPairsInUse, 0)).toBe(0);
      const again = await engine.createSession();
      expect(again.a.port).toBeGreaterThan(0);
    } finally {
      await engine.close();
    }
  });
});

describe('signalling input', () => {
  it('rejects a media address that is not an IPv4 literal, without leaking ports', async () => {
    const engine = await MediaEngine.start({ inThread: true, workers: 1, portRange: testPortRange(20), host: '127.0.0.1' });
    try {
      await expect(engine.createSession({ a: { remote: { address: 'phone.example', port: 4000 } } })).rejects.toThrow(/IPv4/);
      expect((await engine.stats()).workers[0]!.portPairsInUse).toBe(0);
      const s = await engine.createSession();
      await expect(engine.update(s.sessionId, 'b', { remote: { address: '127.0.0.1', port: 70000 } })).rejects.toThrow(/port/);
    } finally {
      await engine.close();
    }
  });
});
