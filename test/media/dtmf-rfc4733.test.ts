import { describe, expect, it } from 'vitest';
import { buildRtpPacket, readRtpHeader } from '../../src/media/rtp-packet.ts';
import { DtmfReceiver, type DtmfDigitEvent } from '../../src/media/dtmf-receiver.ts';
import { buildDtmfEvent, setRtpSequence, type DtmfSendPlan } from '../../src/media/dtmf-sender.ts';
import { digitToEvent } from '../../src/media/dtmf-digit.ts';

const PT = 101;
const SSRC = 0x12345678;

function ev(opts: { seq: number; ts: number; event: number | string; dur: number; end?: boolean; marker?: boolean; volume?: number; ssrc?: number; pt?: number }): Buffer {
  const code = typeof opts.event === 'string' ? digitToEvent(opts.event)! : opts.event;
  const payload = Buffer.alloc(4);
  payload[0] = code;
  payload[1] = (opts.end ? 0x80 : 0) | (opts.volume ?? 10);
  payload.writeUInt16BE(opts.dur, 2);
  return buildRtpPacket({ marker: opts.marker ?? false, payloadType: opts.pt ?? PT, sequence: opts.seq & 0xffff, timestamp: opts.ts >>> 0, ssrc: opts.ssrc ?? SSRC }, payload);
}

/** The packets a well-behaved sender emits for one key: updates every 400 units, three end packets. */
function keyPackets(digit: string, seq: number, ts: number, dur: number): Buffer[] {
  const out: Buffer[] = [];
  let s = seq;
  for (let d = 400; d < dur; d += 400) out.push(ev({ seq: s++, ts, event: digit, dur: d, marker: d === 400 }));
  for (let i = 0; i < 3; i++) out.push(ev({ seq: s++, ts, event: digit, dur, end: true, marker: dur <= 400 && i === 0 }));
  return out;
}

function receiver(timeoutMs?: number) {
  const got: DtmfDigitEvent[] = [];
  const r = new DtmfReceiver({ payloadType: PT, onDigit: (e) => got.push(e), ...(timeoutMs ? { timeoutMs } : {}) });
  const feed = (packets: Buffer[], nowMs = 0) => packets.forEach((p) => r.pushPacket(p, nowMs));
  return { r, got, feed, digits: () => got.map((e) => e.digit).join('') };
}

describe('RFC 4733 receiver', () => {
  it('reports one digit per event, on the first end packet, with duration and volume', () => {
    const { got, feed } = receiver();
    const packets = keyPackets('5', 100, 8000, 1040);
    expect(packets).toHaveLength(5);
    feed(packets.slice(0, 2));
    expect(got).toHaveLength(0);
    feed(packets.slice(2, 3)); // first end packet
    expect(got).toEqual([{ digit: '5', event: 5, durationSamples: 1040, durationMs: 130, volume: 10, timestamp: 8000, ssrc: SSRC, ended: true }]);
    feed(packets.slice(3)); // the two redundant end packets
    expect(got).toHaveLength(1);
  });

  it('decodes every key, flash, and ignores non-key events and other payload types', () => {
    const { digits, feed, r } = receiver();
    let seq = 1;
    let ts = 0;
    for (const d of '0123456789*#ABCD!') {
      feed(keyPackets(d, seq, ts, 800));
      seq += 5;
      ts += 2000;
    }
    feed(keyPackets('5', seq, ts, 800).map((p) => { p[12] = 36; return p; })); // event 36: fax CNG-ish, not a key
    expect(r.pushPacket(ev({ seq: 999, ts: 99999, event: '1', dur: 800, end: true, pt: 0 }))).toBe(false);
    expect(digits()).toBe('0123456789*#ABCD!');
  });

  it('ignores duplicated and retransmitted packets', () => {
    const { got, feed } = receiver();
    const packets = keyPackets('7', 10, 160, 800);
    feed(packets.flatMap((p) => [p, p, p]));
    feed(packets); // a whole retransmission later
    expect(got.map((e) => [e.digit, e.durationSamples])).toEqual([['7', 800]]);
  });

  it('copes with reordering: an end packet before the last update, stragglers after the next event', () => {
    const { got, feed } = receiver();
    const a = keyPackets('1', 1, 1000, 1200); // updates 400, 800; ends
    const b = keyPackets('2', 6, 5000, 800);
    feed([a[0]!, a[2]!, a[1]!, b[0]!, a[3]!, b[1]!, a[4]!, b[2]!, b[3]!]);
    expect(got.map((e) => [e.digit, e.durationSamples, e.ended])).toEqual([
      ['1', 1200, true],
      ['2', 800, true],
    ]);
  });

  it('reports an event whose start packets were lost', () => {
    const { got, feed } = receiver();
    feed(keyPackets('9', 50, 3000, 1600).slice(2)); // first two updates (with the marker) lost
    expect(got.map((e) => [e.digit, e.durationMs, e.ended])).toEqual([['9', 200, true]]);
    const { got: got2, feed: feed2 } = receiver();
    feed2([ev({ seq: 7, ts: 100, event: '3', dur: 800, end: true })]); // only one end packet survived
    expect(got2.map((e) => e.digit)).toEqual(['3']);
  });

  it('reports an event whose end packets were all lost once: at the next event, or on timeout', () => {
    const { got, feed } = receiver();
    const a = keyPackets('4', 1, 1000, 1200).slice(0, 2); // updates only
    feed(a);
    feed(keyPackets('4', 10, 4000, 800)); // same key again
    expect(got.map((e) => [e.digit, e.durationSamples, e.ended])).toEqual([
      ['4', 800, false],
      ['4', 800, true],
    ]);

    const t = receiver(500);
    t.feed(keyPackets('8', 1, 1000, 1200).slice(0, 2), 1000);
    t.r.poll(1400);
    expect(t.got).toHaveLength(0);
    t.r.poll(1500);
    t.r.poll(2000);
    t.feed(keyPackets('8', 1, 1000, 1200).slice(0, 2), 2100); // late duplicates of the reported event
    t.r.poll(5000);
    expect(t.got.map((e) => [e.digit, e.ended])).toEqual([['8', false]]);

    const f = receiver();
    f.feed(keyPackets('6', 1, 1000, 1200).slice(0, 1));
    f.r.flush();
    f.r.flush();
    expect(f.got.map((e) => e.digit)).toEqual(['6']);
  });

  it('handles sequence number and timestamp wrap', () => {
    const { got, feed } = receiver();
    feed(keyPackets('1', 65533, 0xfffffe00, 1200)); // sequence 65533..65535,0,1; ts near wrap
    feed(keyPackets('2', 2, 0x00000500, 800));
    feed([ev({ seq: 65535, ts: 0xfffffe00, event: '1', dur: 1200, end: true })]); // straggler across both wraps
    expect(got.map((e) => [e.digit, e.durationSamples])).toEqual([
      ['1', 1200],
      ['2', 800],
    ]);
  });

  it('two identical digits in a row are two digits', () => {
    const { digits, feed } = receiver();
    feed(keyPackets('5', 1, 1000, 800));
    feed(keyPackets('5', 6, 2600, 800));
    feed(keyPackets('5', 11, 4200, 800));
    expect(digits()).toBe('555');
  });

  it('treats repeated marker packets of one event (senders that repeat the start) as one event', () => {
    const { got, feed } = receiver();
    feed([
      ev({ seq: 1, ts: 500, event: '#', dur: 0, marker: true }),
      ev({ seq: 2, ts: 500, event: '#', dur: 0, marker: true }),
      ev({ seq: 3, ts: 500, event: '#', dur: 0, marker: true }),
      ev({ seq: 4, ts: 500, event: '#', dur: 400 }),
      ev({ seq: 5, ts: 500, event: '#', dur: 640, end: true }),
      ev({ seq: 6, ts: 500, event: '#', dur: 640, end: true }),
    ]);
    expect(got.map((e) => [e.digit, e.durationMs])).toEqual([['#', 80]]);
  });

  it('follows long events: continuation segments (§2.5.1.3) and duration-field wrap', () => {
    const seg = receiver();
    seg.feed([
      ev({ seq: 1, ts: 1000, event: '0', dur: 400, marker: true }),
      ev({ seq: 2, ts: 1000, event: '0', dur: 60000 }),
      ev({ seq: 3, ts: 1000, event: '0', dur: 0xffff }),
      ev({ seq: 4, ts: 1000 + 0xffff, event: '0', dur: 400 }),
      ev({ seq: 5, ts: 1000 + 0xffff, event: '0', dur: 4000, end: true }),
      ev({ seq: 6, ts: 1000 + 0xffff, event: '0', dur: 4000, end: true }),
    ]);
    expect(seg.got.map((e) => [e.digit, e.durationSamples, e.timestamp])).toEqual([['0', 0xffff + 4000, 1000]]);

    // A sender that sets E on the 0xFFFF segment end: held until we know it is not continued.
    const segE = receiver();
    segE.feed([
      ev({ seq: 1, ts: 1000, event: '0', dur: 0xffff, end: true }),
      ev({ seq: 2, ts: 1000 + 0xffff, event: '0', dur: 800, end: true }),
    ]);
    expect(segE.got.map((e) => e.durationSamples)).toEqual([0xffff + 800]);

    const wrap = receiver();
    wrap.feed([
      ev({ seq: 1, ts: 1000, event: '*', dur: 64000 }),
      ev({ seq: 2, ts: 1000, event: '*', dur: 65400 }),
      ev({ seq: 4, ts: 1000, event: '*', dur: 1264 }), // wrapped (seq 3 lost)
      ev({ seq: 3, ts: 1000, event: '*', dur: 864 }), // late, older: not another wrap
      ev({ seq: 5, ts: 1000, event: '*', dur: 1664, end: true }),
    ]);
    expect(wrap.got.map((e) => [e.digit, e.durationSamples])).toEqual([['*', 65536 + 1664]]);
  });

  it('a new SSRC ends the pending event', () => {
    const { got, feed } = receiver();
    feed(keyPackets('1', 1, 1000, 1200).slice(0, 1));
    feed([ev({ seq: 900, ts: 77, event: '2', dur: 800, end: true, ssrc: 42 })]);
    expect(got.map((e) => [e.digit, e.ssrc])).toEqual([
      ['1', SSRC],
      ['2', 42],
    ]);
  });

  it('swallows short payloads without throwing', () => {
    const { got, r } = receiver();
    const p = buildRtpPacket({ marker: false, payloadType: PT, sequence: 1, timestamp: 1, ssrc: 1 }, Buffer.from([1, 2]));
    expect(r.pushPacket(p)).toBe(true);
    expect(r.pushPacket(Buffer.from([1, 2, 3]))).toBe(false);
    expect(got).toHaveLength(0);
  });
});

function payloadOf(p: Buffer) {
  const h = readRtpHeader(p)!;
  return { h, event: p[12]!, end: (p[13]! & 0x80) !== 0, volume: p[13]! & 0x3f, duration: p.readUInt16BE(14) };
}

describe('RFC 4733 sender', () => {
  it('builds updates every 50 ms with growing duration, constant timestamp, marker first, three end packets', () => {
    const plan = buildDtmfEvent('5', { payloadType: PT, ssrc: SSRC, sequence: 1000, timestamp: 160000, durationMs: 200 });
    const rows = plan.packets.map((p) => {
      const x = payloadOf(p.data);
      return [p.at, x.h.sequence, x.h.timestamp, x.h.marker, x.h.payloadType, x.h.ssrc, x.event, x.end, x.volume, x.duration];
    });
    expect(rows).toEqual([
      [0, 1000, 160000, true, PT, SSRC, 5, false, 10, 400],
      [50, 1001, 160000, false, PT, SSRC, 5, false, 10, 800],
      [100, 1002, 160000, false, PT, SSRC, 5, false, 10, 1200],
      [150, 1003, 160000, false, PT, SSRC, 5, true, 10, 1600],
      [200, 1004, 160000, false, PT, SSRC, 5, true, 10, 1600],
      [250, 1005, 160000, false, PT, SSRC, 5, true, 10, 1600],
    ]);
    expect(plan).toMatchObject({ nextSequence: 1006, nextTimestamp: 161600, durationSamples: 1600, endsAt: 200 });
  });

  it('defaults to 100 ms, volume 10; clamps to 40 ms; honours interval, volume, end count; wraps sequence and timestamp', () => {
    const d = buildDtmfEvent('#', { payloadType: 96, ssrc: 1, sequence: 0, timestamp: 0 });
    expect(d.packets.map((p) => [p.at, payloadOf(p.data).duration, p.end])).toEqual([
      [0, 400, false],
      [50, 800, true],
      [100, 800, true],
      [150, 800, true],
    ]);
    const short = buildDtmfEvent('1', { payloadType: 96, ssrc: 1, sequence: 65535, timestamp: 0xffffff00, durationMs: 10 });
    expect(short.packets.map((p) => [payloadOf(p.data).h.sequence, payloadOf(p.data).h.marker, payloadOf(p.data).duration, p.end])).toEqual([
      [65535, true, 320, true],
      [0, false, 320, true],
      [1, false, 320, true],
    ]);
    expect(short.nextSequence).toBe(2);
    expect(short.nextTimestamp).toBe(0x40);
    const custom = buildDtmfEvent('a', { payloadType: 96, ssrc: 1, sequence: 0, timestamp: 0, durationMs: 100, intervalMs: 20, volume: 30, endPackets: 2 });
    expect(custom.packets.map((p) => [p.at, payloadOf(p.data).duration, payloadOf(p.data).volume, payloadOf(p.data).event, p.end])).toEqual([
      [0, 160, 30, 12, false],
      [20, 320, 30, 12, false],
      [40, 480, 30, 12, false],
      [60, 640, 30, 12, false],
      [80, 800, 30, 12, true],
      [100, 800, 30, 12, true],
    ]);
    expect(() => buildDtmfEvent('x', { payloadType: 96, ssrc: 1, sequence: 0, timestamp: 0 })).toThrow(RangeError);
  });

  it('continues the caller\'s stream: sequence numbers contiguous with audio before and after', () => {
    const a = buildDtmfEvent('1', { payloadType: PT, ssrc: SSRC, sequence: 500, timestamp: 8000 });
    const b = buildDtmfEvent('2', { payloadType: PT, ssrc: SSRC, sequence: a.nextSequence + 3, timestamp: a.nextTimestamp + 480 });
    const seqs = [...a.packets, ...b.packets].map((p) => payloadOf(p.data).h.sequence);
    expect(seqs).toEqual([500, 501, 502, 503, 507, 508, 509, 510]);
    const p = a.packets[0]!.data;
    setRtpSequence(p, 70000);
    expect(readRtpHeader(p)!.sequence).toBe(70000 & 0xffff);
  });

  it('splits events longer than 0xFFFF units into segments', () => {
    const plan = buildDtmfEvent('0', { payloadType: PT, ssrc: SSRC, sequence: 0, timestamp: 1000, durationMs: 9000 });
    const xs = plan.packets.map((p) => payloadOf(p.data));
    expect(xs.filter((x) => x.h.marker)).toHaveLength(1);
    expect(xs.filter((x) => x.end)).toHaveLength(3);
    expect(new Set(xs.map((x) => x.h.timestamp))).toEqual(new Set([1000, 1000 + 0xffff]));
    expect(xs.every((x) => x.duration <= 0xffff)).toBe(true);
    expect(plan.durationSamples).toBe(72000);
  });

  it('round trip: sender → receiver gives the same digits and durations, also with loss and duplicates', () => {
    const digits = '0123456789*#ABCD!';
    let seq = 65530;
    let ts = 0xffff0000;
    const plans: Array<[string, number, DtmfSendPlan]> = [];
    for (const [i, d] of [...digits, '5', '5'].entries()) {
      const durationMs = 40 + ((i * 37) % 200);
      const plan = buildDtmfEvent(d, { payloadType: PT, ssrc: SSRC, sequence: seq, timestamp: ts, durationMs });
      plans.push([d, durationMs, plan]);
      seq = (plan.nextSequence + 4) & 0xffff; // some audio in between
      ts = (plan.nextTimestamp + 640) >>> 0;
    }
    const clean = receiver();
    for (const [, , plan] of plans) clean.feed(plan.packets.map((p) => p.data));
    expect(clean.got.map((e) => [e.digit, e.durationMs, e.ended])).toEqual(plans.map(([d, ms]) => [d, ms, true]));

    const lossy = receiver();
    for (const [i, [, , plan]] of plans.entries()) {
      // Lose the first packet of odd events and two of the three end packets of even ones; duplicate the rest.
      const ps = plan.packets.filter((p, j) => (i % 2 === 1 ? j !== 0 : !(p.end && j < plan.packets.length - 1)));
      lossy.feed(ps.flatMap((p) => [p.data, p.data]));
    }
    expect(lossy.got.map((e) => [e.digit, e.durationMs])).toEqual(plans.map(([d, ms]) => [d, ms]));

    const long = receiver();
    long.feed(buildDtmfEvent('9', { payloadType: PT, ssrc: SSRC, sequence: 1, timestamp: 5, durationMs: 20000 }).packets.map((p) => p.data));
    expect(long.got.map((e) => [e.digit, e.durationMs])).toEqual([['9', 20000]]);
  });
});
