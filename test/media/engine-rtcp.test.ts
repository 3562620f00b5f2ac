// RTCP the engine generates where it terminates media (session not connected), in-thread and in
// worker threads, over loopback. The report interval is shortened for the test (default 5 s).
import { beforeAll, describe, expect, it } from 'vitest';
import { MediaEngine, type PlayDoneEvent } from '../../src/media/engine.ts';
import { buildRtcpReport, ntpMiddle32, parseRtcpCompound, type ParsedRtcp } from '../../src/media/rtcp-report.ts';
import { readRtpHeader, type RtpHeader } from '../../src/media/rtp-packet.ts';
import { type Phone, rtcpRR, sleep, useTestEngine } from './relay-fixtures.ts';

const INTERVAL = 250; // reports every 125–375 ms, the first 62–188 ms after the leg has a destination
const PCMU = [
  { pt: 0, name: 'PCMU' },
  { pt: 101, name: 'telephone-event' },
];

const isRtcp = (msg: Buffer): boolean => msg.length >= 8 && msg[1]! >= 200 && msg[1]! <= 204;

interface Got {
  rtp: RtpHeader[];
  rtcp: { p: ParsedRtcp; raw: Buffer; at: number }[];
}

/** Everything a phone socket receives, RTP and RTCP apart. */
function record(p: Phone): Got {
  const got: Got = { rtp: [], rtcp: [] };
  p.socket.on('message', (msg: Buffer) => {
    if (isRtcp(msg)) {
      const parsed = parseRtcpCompound(msg);
      if (parsed !== undefined) got.rtcp.push({ p: parsed, raw: msg, at: Date.now() });
      return;
    }
    const h = readRtpHeader(msg);
    if (h !== undefined) got.rtp.push({ ...h });
  });
  return got;
}

async function until(pred: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) return false;
    await sleep(10);
  }
  return true;
}

/** The phone sends 20 ms RTP until stopped; sequence numbers in `skip` are never sent (lost). */
function talk(p: Phone, port: number, skip: number[] = []): { stop(): Promise<void> } {
  let on = true;
  const run = (async () => {
    while (on) {
      while (skip.includes(p.seq)) p.seq++;
      p.rtp(port, 0);
      await sleep(20);
    }
  })();
  return {
    async stop() {
      on = false;
      await run;
    },
  };
}

describe.each([
  { mode: 'in-thread', inThread: true },
  { mode: 'worker threads', inThread: false },
])('engine RTCP where media is terminated ($mode)', ({ inThread }) => {
  let engine: MediaEngine;
  const done: PlayDoneEvent[] = [];
  const suite = useTestEngine(inThread, { rtcpIntervalMs: INTERVAL });
  const open = suite.open;

  beforeAll(() => {
    engine = suite.engine;
    engine.on('playDone', (e) => done.push(e));
  });

  it('sends SR while a prompt plays (counts = what the phone got), RR after; report blocks about the phone; LSR echoed', async () => {
    const [a, aRtcp] = [await open(), await open()];
    const s = await engine.createSession({ a: { remote: { address: '127.0.0.1', port: a.port, rtcpPort: aRtcp.port }, codecs: PCMU }, connect: false });
    const media = record(a);
    const control = record(aRtcp);
    const phone = talk(a, s.a.port, [5, 6, 7]);
    await sleep(60); // latched
    // the phone's SR from its RTCP port: the endpoint learns its RTCP address, and gets an LSR to echo
    const ntp = { seconds: 0xe1234567, fraction: 0x89abcdef };
    aRtcp.raw(s.a.rtcpPort, buildRtcpReport({ ssrc: a.ssrc, cname: 'phone', sender: { ntp, rtpTimestamp: 0, packets: a.seq, octets: 160 * a.seq } }));

    const { playId } = await engine.play(s.sessionId, 'a', { tones: [{ hz: [425], ms: 800 }] });
    expect(await until(() => media.rtp.length > 0, 1000)).toBe(true);
    // the phone reports on our stream too (shown in stats)
    aRtcp.raw(
      s.a.rtcpPort,
      buildRtcpReport({ ssrc: a.ssrc, cname: 'phone', block: { ssrc: media.rtp[0]!.ssrc, fractionLost: 64, cumulativeLost: 7, highestSeq: 1, jitter: 80, lsr: 0, dlsr: 0 } }),
    );
    expect(await until(() => done.some((e) => e.playId === playId), 3000)).toBe(true);
    const played = done.find((e) => e.playId === playId)!.packets;
    // the first report after the last packet is an SR with the final counts, later ones RRs
    const n = control.rtcp.length;
    expect(await until(() => control.rtcp.length >= n + 3, 8 * INTERVAL)).toBe(true);
    await phone.stop();

    const ours = media.rtp;
    expect(ours.length).toBe(played);
    const ssrc = ours[0]!.ssrc;
    expect(ours.every((h) => h.ssrc === ssrc)).toBe(true);
    const srs = control.rtcp.filter((r) => r.p.senderReport !== undefined);
    expect(srs.length).toBeGreaterThanOrEqual(1);
    const last = srs[srs.length - 1]!.p.senderReport!;
    expect(last.ssrc).toBe(ssrc);
    expect(last.packets).toBe(ours.length);
    expect(last.octets).toBe(ours.reduce((sum, h) => sum + h.payloadLength, 0));
    for (const r of srs) expect(r.p.senderReport!.packets).toBeLessThanOrEqual(ours.length);
    // NTP is wall-clock time; the RTP timestamp is at or after the last packet's
    expect(Math.abs(last.ntp.seconds - (Date.now() / 1000 + 2208988800))).toBeLessThan(30);
    const sinceLast = (last.rtpTimestamp - ours[ours.length - 1]!.timestamp) | 0;
    expect(sinceLast).toBeGreaterThanOrEqual(0);
    expect(sinceLast).toBeLessThan(8 * 5000);
    // after the play: RR from the same SSRC (nothing sent since)
    const lastSrAt = control.rtcp.lastIndexOf(srs[srs.length - 1]!);
    const after = control.rtcp.slice(lastSrAt + 1);
    expect(after.length).toBeGreaterThanOrEqual(1);
    expect(after.every((r) => r.raw[1] === 201 && r.raw.readUInt32BE(4) === ssrc)).toBe(true);
    expect(control.rtcp.every((r) => r.p.cname !== undefined && r.p.cname.length > 0)).toBe(true);

    // report blocks about the phone: 5, 6, 7 lost, the rest received, the phone's SR echoed
    const blocks = control.rtcp.flatMap((r) => r.p.blocks).filter((b) => b.ssrc === a.ssrc);
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    const b = blocks[blocks.length - 1]!;
    expect(b.cumulativeLost).toBe(3);
    expect(b.highestSeq).toBeGreaterThan(10);
    expect(b.highestSeq).toBeLessThanOrEqual(a.seq - 1);
    expect(b.jitter).toBeLessThan(8 * 1000);
    expect(b.lsr).toBe(ntpMiddle32(ntp));
    expect(b.dlsr).toBeGreaterThan(0);
    expect(b.dlsr).toBeLessThan(65536 * 30);

    const st = (await engine.sessionStats(s.sessionId)).a;
    expect(st.rtcpSent).toBeGreaterThanOrEqual(control.rtcp.length);
    expect(st.reception).toMatchObject({ ssrc: a.ssrc, lost: 3, remote: { fractionLost: 0.25, lost: 7, jitterMs: 10 } });
    expect(st.reception!.received).toBeGreaterThan(10);
    await engine.destroy(s.sessionId);
  });

  it('with nothing played sends RR (rtcp-mux: to the RTP address) from one SSRC, and BYE on destroy', async () => {
    const a = await open();
    const s = await engine.createSession({ a: { remote: { address: '127.0.0.1', port: a.port }, rtcpMux: true, codecs: PCMU }, connect: false });
    const got = record(a);
    const phone = talk(a, s.a.port);
    expect(await until(() => got.rtcp.filter((r) => r.p.blocks.length > 0).length >= 2, 10 * INTERVAL)).toBe(true);
    await phone.stop();
    expect(got.rtp).toEqual([]);
    expect(got.rtcp.every((r) => r.raw[1] === 201 && r.p.senderReport === undefined)).toBe(true);
    const ssrcs = new Set(got.rtcp.map((r) => r.raw.readUInt32BE(4)));
    expect(ssrcs.size).toBe(1);
    const [ssrc] = [...ssrcs];
    expect(ssrc).not.toBe(a.ssrc);
    const withBlock = got.rtcp.filter((r) => r.p.blocks.length > 0);
    expect(withBlock.every((r) => r.p.blocks.length === 1 && r.p.blocks[0]!.ssrc === a.ssrc && r.p.blocks[0]!.cumulativeLost === 0 && r.p.blocks[0]!.lsr === 0)).toBe(true);

    const n = got.rtcp.length;
    await engine.destroy(s.sessionId);
    expect(await until(() => got.rtcp.length > n, 1000)).toBe(true);
    const bye = got.rtcp[got.rtcp.length - 1]!;
    expect(bye.p.bye).toEqual([ssrc]);
    expect(bye.raw[1]).toBe(201); // a compound packet starts with a report
  });

  it('a connected session relays RTCP and generates none; after disconnect the PBX reports', async () => {
    const [a, b] = [await open(), await open()];
    const s = await engine.createSession({
      a: { remote: { address: '127.0.0.1', port: a.port }, rtcpMux: true, codecs: PCMU },
      b: { remote: { address: '127.0.0.1', port: b.port }, rtcpMux: true, codecs: PCMU },
    });
    const [gotA, gotB] = [record(a), record(b)];
    const [ta, tb] = [talk(a, s.a.port), talk(b, s.b.port)];
    await sleep(50);
    a.raw(s.a.port, rtcpRR(a.ssrc));
    await sleep(4 * INTERVAL);
    expect(gotA.rtcp).toEqual([]);
    expect(gotB.rtcp.map((r) => r.raw)).toEqual([rtcpRR(a.ssrc)]);
    expect((await engine.sessionStats(s.sessionId)).a.rtcpSent).toBe(0);
    expect(gotA.rtp.length).toBeGreaterThan(5); // relayed media all along

    await engine.disconnect(s.sessionId);
    expect(await until(() => gotA.rtcp.length > 0 && gotB.rtcp.length > 1, 10 * INTERVAL)).toBe(true);
    await Promise.all([ta.stop(), tb.stop()]);
    const report = gotA.rtcp[0]!;
    expect(report.raw[1]).toBe(201);
    expect([a.ssrc, b.ssrc]).not.toContain(report.raw.readUInt32BE(4));
    const st = await engine.sessionStats(s.sessionId);
    expect(st.a.rtcpSent).toBeGreaterThan(0);
    expect(st.b.rtcpSent).toBeGreaterThan(0);
    await engine.destroy(s.sessionId);
  });
});
