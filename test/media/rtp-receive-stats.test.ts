// Receive statistics per RFC 3550 A.1 (sequence validation), A.3 (loss), A.8 (jitter).
import { describe, expect, it } from 'vitest';
import { RtpReceiveStats } from '../../src/media/rtp-receive-stats.ts';

const SSRC = 0x1234;

/** Feeds sequence numbers at 20 ms spacing with matching timestamps (no jitter). */
function feed(st: RtpReceiveStats, seqs: number[], ssrc = SSRC, startMs = 0): void {
  seqs.forEach((seq, i) => st.onRtp(ssrc, seq & 0xffff, (seq * 160) >>> 0, startMs + i * 20));
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('RtpReceiveStats', () => {
  it('keeps a new source on probation until two packets arrive in sequence', () => {
    const st = new RtpReceiveStats();
    expect(st.onRtp(SSRC, 100, 0, 0)).toBe(false);
    expect(st.valid).toBe(false);
    expect(st.snapshot()).toBeNull();
    expect(st.reportBlock(0)).toBeUndefined();
    expect(st.onRtp(SSRC, 101, 160, 20)).toBe(true);
    expect(st.valid).toBe(true);
    expect(st.snapshot()).toMatchObject({ ssrc: SSRC, received: 1, expected: 1, lost: 0 });
    // out of sequence during probation restarts it
    const st2 = new RtpReceiveStats();
    st2.onRtp(SSRC, 100, 0, 0);
    expect(st2.onRtp(SSRC, 105, 0, 20)).toBe(false);
    expect(st2.onRtp(SSRC, 106, 0, 40)).toBe(true);
    expect(st2.snapshot()).toMatchObject({ received: 1, expected: 1 });
  });

  it('counts gaps as lost, with fraction lost per report interval', () => {
    const st = new RtpReceiveStats();
    feed(st, range(0, 49).filter((s) => s < 10 || s > 12)); // 10, 11, 12 never arrive
    expect(st.snapshot()).toMatchObject({ expected: 49, received: 46, lost: 3 }); // base is seq 1 (seq 0 was probation)
    const b1 = st.reportBlock(1000)!;
    expect(b1).toMatchObject({ ssrc: SSRC, cumulativeLost: 3, highestSeq: 49, fractionLost: Math.floor((3 * 256) / 49), lsr: 0, dlsr: 0 });
    expect(st.heardSinceReport).toBe(false);
    feed(st, range(50, 99), SSRC, 1000);
    expect(st.heardSinceReport).toBe(true);
    const b2 = st.reportBlock(2000)!;
    expect(b2).toMatchObject({ cumulativeLost: 3, highestSeq: 99, fractionLost: 0 });
    feed(st, range(100, 199).filter((s) => s % 4 !== 0), SSRC, 2000); // a quarter lost
    expect(st.reportBlock(3000)).toMatchObject({ cumulativeLost: 3 + 25, highestSeq: 199, fractionLost: 64 });
  });

  it('takes reordered packets as received, not lost', () => {
    const st = new RtpReceiveStats();
    feed(st, [0, 1, 2, 4, 3, 5, 7, 6, 8]);
    expect(st.snapshot()).toMatchObject({ expected: 8, received: 8, lost: 0 });
    expect(st.extendedMax).toBe(8);
    expect(st.reportBlock(0)).toMatchObject({ fractionLost: 0, cumulativeLost: 0, highestSeq: 8 });
  });

  it('counts duplicates, so lost can go negative (signed) while fraction lost stays 0', () => {
    const st = new RtpReceiveStats();
    feed(st, [...range(0, 10), 5, 6]);
    expect(st.snapshot()).toMatchObject({ expected: 10, received: 12, lost: -2 });
    expect(st.reportBlock(0)).toMatchObject({ cumulativeLost: -2, fractionLost: 0 });
  });

  it('counts 16-bit wrap-around in cycles', () => {
    const st = new RtpReceiveStats();
    feed(st, range(65530, 65536 + 5)); // … 65535, 0, 1, … 5
    expect(st.extendedMax).toBe(65536 + 5);
    expect(st.snapshot()).toMatchObject({ expected: 11, received: 11, lost: 0 });
    feed(st, range(65536 + 6, 2 * 65536 + 3).filter((s) => s !== 100_000), SSRC, 1000);
    expect(st.extendedMax).toBe(2 * 65536 + 3);
    expect(st.reportBlock(0)).toMatchObject({ highestSeq: 2 * 65536 + 3, cumulativeLost: 1 });
  });

  it('treats a big jump as a sender restart only when the next packet follows it', () => {
    const st = new RtpReceiveStats();
    feed(st, range(0, 20));
    expect(st.onRtp(SSRC, 10_000, 0, 500)).toBe(false); // a stray: ignored
    expect(st.onRtp(SSRC, 21, 21 * 160, 520)).toBe(true);
    expect(st.snapshot()).toMatchObject({ expected: 21, received: 21, lost: 0 });
    expect(st.onRtp(SSRC, 30_000, 0, 600)).toBe(false);
    expect(st.onRtp(SSRC, 30_001, 160, 620)).toBe(true); // restart: counting starts over there
    expect(st.snapshot()).toMatchObject({ expected: 1, received: 1, lost: 0 });
    expect(st.extendedMax).toBe(30_001);
  });

  it('clamps cumulative loss to 0x7fffff', () => {
    const st = new RtpReceiveStats();
    let seq = 0;
    st.onRtp(SSRC, seq, 0, 0);
    for (let i = 0; i < 3000; i++) {
      seq += i === 0 ? 1 : 2999; // gaps just under MAX_DROPOUT
      st.onRtp(SSRC, seq & 0xffff, 0, i);
    }
    expect(st.expected - 3000).toBeGreaterThan(0x7fffff);
    expect(st.lost).toBe(0x7fffff);
    expect(st.reportBlock(0)!.cumulativeLost).toBe(0x7fffff);
  });

  it('computes interarrival jitter (A.8) in timestamp units on a known arrival pattern', () => {
    const st = new RtpReceiveStats(8000);
    feed(st, range(0, 50));
    expect(st.jitterUnits).toBe(0); // perfectly paced
    // every other packet 5 ms late: |D| = 5 ms × 8 = 40 units each time
    const j = new RtpReceiveStats(8000);
    let expected = 0;
    for (let i = 0; i <= 100; i++) {
      j.onRtp(SSRC, i, i * 160, i * 20 + (i % 2) * 5);
      if (i >= 2) expected += (40 - expected) / 16; // seq 0 is probation, seq 1 sets the first transit
    }
    expect(j.jitterUnits).toBe(expected);
    expect(j.jitterUnits).toBeCloseTo(40 * (1 - (15 / 16) ** 99), 9);
    expect(j.reportBlock(0)!.jitter).toBe(Math.floor(expected));
    expect(j.snapshot()!.jitterMs).toBeCloseTo(expected / 8, 9);
  });

  it('handles RTP timestamp wrap in the jitter', () => {
    const st = new RtpReceiveStats();
    for (let i = 0; i < 40; i++) st.onRtp(SSRC, i, (0xffffff00 + i * 160) >>> 0, i * 20);
    expect(st.jitterUnits).toBe(0);
  });

  it('starts over when the SSRC changes', () => {
    const st = new RtpReceiveStats();
    feed(st, range(0, 30).filter((s) => s !== 7));
    expect(st.snapshot()).toMatchObject({ ssrc: SSRC, lost: 1 });
    feed(st, range(5000, 5010), 0x9999, 1000);
    expect(st.snapshot()).toMatchObject({ ssrc: 0x9999, expected: 10, received: 10, lost: 0 });
    expect(st.reportBlock(2000)).toMatchObject({ ssrc: 0x9999, highestSeq: 5010, cumulativeLost: 0 });
  });

  it('echoes the last SR of the source as LSR, with DLSR in 1/65536 s', () => {
    const st = new RtpReceiveStats();
    feed(st, range(0, 10));
    st.onSenderReport(SSRC, 0x12345678, 1000);
    expect(st.reportBlock(1500)).toMatchObject({ lsr: 0x12345678, dlsr: 32768 });
    st.onSenderReport(0x4444, 0x9abc0000, 1600); // another source's SR
    expect(st.reportBlock(1700)).toMatchObject({ lsr: 0, dlsr: 0 });
  });

  it('reset forgets the reception; the next packets start a new probation', () => {
    const st = new RtpReceiveStats();
    feed(st, range(0, 20).filter((s) => s !== 3));
    st.reset();
    expect(st.valid).toBe(false);
    feed(st, range(500, 510), SSRC, 2000);
    expect(st.snapshot()).toMatchObject({ expected: 10, received: 10, lost: 0 });
  });
});
