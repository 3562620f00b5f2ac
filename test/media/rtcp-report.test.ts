// RTCP report packets against the layouts of RFC 3550 §6.4.1 (SR), §6.4.2 (RR), §6.5 (SDES), §6.6 (BYE).
import { describe, expect, it } from 'vitest';
import { NTP_UNIX_OFFSET_S, buildRtcpReport, ntpFromUnixMs, ntpMiddle32, parseRtcpCompound, type ReportBlock } from '../../src/media/rtcp-report.ts';

const block: ReportBlock = { ssrc: 0xcafebabe, fractionLost: 64, cumulativeLost: 1234, highestSeq: 0x0001_0005, jitter: 37, lsr: 0x45670000, dlsr: 0x00018000 };

describe('NTP time', () => {
  it('converts Unix ms to NTP seconds since 1900 and a 32-bit fraction', () => {
    expect(NTP_UNIX_OFFSET_S).toBe(2208988800);
    expect(ntpFromUnixMs(0)).toEqual({ seconds: 2208988800, fraction: 0 });
    expect(ntpFromUnixMs(1500)).toEqual({ seconds: 2208988801, fraction: 0x80000000 });
    expect(ntpFromUnixMs(1_700_000_000_250)).toEqual({ seconds: (1_700_000_000 + 2208988800) >>> 0, fraction: 0x40000000 });
  });

  it('takes the middle 32 bits for LSR', () => {
    expect(ntpMiddle32({ seconds: 0x12345678, fraction: 0x9abcdef0 })).toBe(0x56789abc);
    expect(ntpMiddle32({ seconds: 0xffffffff, fraction: 0xffffffff })).toBe(0xffffffff);
  });
});

describe('buildRtcpReport', () => {
  it('RR without a block, then SDES CNAME padded with nulls to a 32-bit boundary', () => {
    const p = buildRtcpReport({ ssrc: 0x11223344, cname: 'ab' });
    // RR: V=2 P=0 RC=0, PT=201, length 1 (8 bytes), SSRC
    expect([...p.subarray(0, 8)]).toEqual([0x80, 201, 0, 1, 0x11, 0x22, 0x33, 0x44]);
    // SDES: V=2 P=0 SC=1, PT=202, length 3 (16 bytes), SSRC, CNAME(1) len 2 "ab", nulls
    expect([...p.subarray(8)]).toEqual([0x81, 202, 0, 3, 0x11, 0x22, 0x33, 0x44, 1, 2, 0x61, 0x62, 0, 0, 0, 0]);
    expect(p.length).toBe(24);
  });

  it('pads every CNAME length with at least one null octet', () => {
    for (let n = 0; n <= 9; n++) {
      const p = buildRtcpReport({ ssrc: 1, cname: 'x'.repeat(n) });
      const sdes = p.subarray(8);
      expect(sdes.length % 4).toBe(0);
      expect(sdes.readUInt16BE(2)).toBe(sdes.length / 4 - 1);
      expect(sdes[8 + 2 + n]).toBe(0); // the item list ends with a null
      expect(sdes.length - (8 + 2 + n)).toBeLessThanOrEqual(4);
      expect(parseRtcpCompound(p)?.cname).toBe('x'.repeat(n));
    }
  });

  it('SR with sender info and one report block, field by field', () => {
    const p = buildRtcpReport({
      ssrc: 0xdeadbeef,
      cname: 'pbx',
      sender: { ntp: { seconds: 0xe1000001, fraction: 0x80000000 }, rtpTimestamp: 0x01020304, packets: 50, octets: 8000 },
      block,
    });
    expect(p[0]).toBe(0x81); // V=2, P=0, RC=1
    expect(p[1]).toBe(200);
    expect(p.readUInt16BE(2)).toBe(12); // (28 + 24) / 4 - 1
    expect(p.readUInt32BE(4)).toBe(0xdeadbeef);
    expect(p.readUInt32BE(8)).toBe(0xe1000001); // NTP msw
    expect(p.readUInt32BE(12)).toBe(0x80000000); // NTP lsw
    expect(p.readUInt32BE(16)).toBe(0x01020304); // RTP timestamp
    expect(p.readUInt32BE(20)).toBe(50); // sender's packet count
    expect(p.readUInt32BE(24)).toBe(8000); // sender's octet count
    expect(p.readUInt32BE(28)).toBe(0xcafebabe); // SSRC_1
    expect(p[32]).toBe(64); // fraction lost
    expect(p.readUIntBE(33, 3)).toBe(1234); // cumulative lost
    expect(p.readUInt32BE(36)).toBe(0x00010005); // extended highest sequence number
    expect(p.readUInt32BE(40)).toBe(37); // interarrival jitter
    expect(p.readUInt32BE(44)).toBe(0x45670000); // LSR
    expect(p.readUInt32BE(48)).toBe(0x00018000); // DLSR
    expect(p[52]).toBe(0x81);
    expect(p[53]).toBe(202);
    expect(p.readUInt32BE(56)).toBe(0xdeadbeef);
    expect(p.length).toBe(52 + 16);
  });

  it('RR with a block: RC=1, length 7; cumulative lost is signed 24-bit and clamped', () => {
    const p = buildRtcpReport({ ssrc: 7, cname: 'c', block: { ...block, cumulativeLost: -3 } });
    expect([p[0], p[1], p.readUInt16BE(2)]).toEqual([0x81, 201, 7]);
    expect(p.readUInt32BE(8)).toBe(0xcafebabe);
    expect(p.readUIntBE(13, 3)).toBe(0xfffffd);
    const big = buildRtcpReport({ ssrc: 7, cname: 'c', block: { ...block, cumulativeLost: 9_000_000 } });
    expect(big.readUIntBE(13, 3)).toBe(0x7fffff);
    const neg = buildRtcpReport({ ssrc: 7, cname: 'c', block: { ...block, cumulativeLost: -9_000_000 } });
    expect(neg.readUIntBE(13, 3)).toBe(0x800000);
  });

  it('appends BYE for our SSRC', () => {
    const p = buildRtcpReport({ ssrc: 0x01020304, cname: 'c', bye: true });
    expect([...p.subarray(p.length - 8)]).toEqual([0x81, 203, 0, 1, 1, 2, 3, 4]);
    expect(parseRtcpCompound(p)?.bye).toEqual([0x01020304]);
  });
});

describe('parseRtcpCompound', () => {
  it('round-trips an SR: sender SSRC, LSR from its NTP time, sender info, blocks with their reporter', () => {
    const ntp = ntpFromUnixMs(1_700_000_123_456);
    const p = buildRtcpReport({ ssrc: 0xabcdef01, cname: 'phone@host', sender: { ntp, rtpTimestamp: 99, packets: 3, octets: 480 }, block: { ...block, cumulativeLost: -1 } });
    const r = parseRtcpCompound(p)!;
    expect(r.senderReport).toEqual({ ssrc: 0xabcdef01, ntp, lsr: ntpMiddle32(ntp), rtpTimestamp: 99, packets: 3, octets: 480 });
    expect(r.blocks).toEqual([{ ...block, cumulativeLost: -1, reporter: 0xabcdef01 }]);
    expect(r.cname).toBe('phone@host');
    expect(r.bye).toEqual([]);
  });

  it('reads an RR with two blocks and steps over other packet types', () => {
    const rr = Buffer.alloc(8 + 48);
    rr[0] = 0x82;
    rr[1] = 201;
    rr.writeUInt16BE(13, 2);
    rr.writeUInt32BE(5, 4);
    rr.writeUInt32BE(111, 8);
    rr.writeUInt32BE(222, 32);
    rr[36] = 10;
    const app = Buffer.from([0x80, 204, 0, 2, 0, 0, 0, 5, 0x41, 0x42, 0x43, 0x44]);
    const r = parseRtcpCompound(Buffer.concat([rr, app]))!;
    expect(r.senderReport).toBeUndefined();
    expect(r.blocks.map((b) => [b.reporter, b.ssrc, b.fractionLost])).toEqual([
      [5, 111, 0],
      [5, 222, 10],
    ]);
  });

  it('rejects what is not a valid compound packet (RFC 3550 A.2)', () => {
    const good = buildRtcpReport({ ssrc: 1, cname: 'c' });
    expect(parseRtcpCompound(good)).toBeDefined();
    expect(parseRtcpCompound(good.subarray(8))).toBeUndefined(); // starts with SDES
    const v1 = Buffer.from(good);
    v1[0] = 0x40;
    expect(parseRtcpCompound(v1)).toBeUndefined();
    const padded = Buffer.from(good);
    padded[0] = 0xa0;
    expect(parseRtcpCompound(padded)).toBeUndefined();
    const long = Buffer.from(good);
    long.writeUInt16BE(50, 2);
    expect(parseRtcpCompound(long)).toBeUndefined();
    expect(parseRtcpCompound(good.subarray(0, good.length - 2))).toBeUndefined(); // lengths do not add up
    const tooManyBlocks = Buffer.from(good);
    tooManyBlocks[0] = 0x81; // RC=1 in an 8-byte RR
    expect(parseRtcpCompound(tooManyBlocks)).toBeUndefined();
    expect(parseRtcpCompound(Buffer.alloc(4))).toBeUndefined();
  });
});
