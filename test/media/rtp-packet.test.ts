import { describe, expect, it } from 'vitest';
import { buildRtpPacket, readRtpHeader, sequenceDelta, timestampDelta } from '../../src/media/rtp-packet.ts';

describe('RTP header', () => {
  it('round-trips the fields and finds the payload', () => {
    const packet = buildRtpPacket({ marker: true, payloadType: 8, sequence: 65535, timestamp: 0xfffffff0, ssrc: 0xdeadbeef }, Buffer.alloc(160, 0xd5));
    const h = readRtpHeader(packet)!;
    expect(h).toMatchObject({ marker: true, payloadType: 8, sequence: 65535, timestamp: 0xfffffff0, ssrc: 0xdeadbeef, payloadOffset: 12, payloadLength: 160 });
  });

  it('skips CSRCs and a header extension, and removes padding', () => {
    const p = Buffer.alloc(12 + 8 + 8 + 10 + 4);
    p[0] = 0x80 | 0x20 | 0x10 | 2; // V=2, P, X, CC=2
    p[1] = 0;
    p.writeUInt16BE(1, 12 + 8 + 2); // extension of one 32-bit word
    p[p.length - 1] = 4; // four bytes of padding
    const h = readRtpHeader(p)!;
    expect(h.payloadOffset).toBe(12 + 8 + 8);
    expect(h.payloadLength).toBe(10);
  });

  it('rejects what is not RTP v2: short, wrong version, RTCP types, bad padding, overlong extension', () => {
    expect(readRtpHeader(Buffer.alloc(11))).toBeUndefined();
    expect(readRtpHeader(Buffer.from([0x40, 0, ...Array(10).fill(0)]))).toBeUndefined();
    expect(readRtpHeader(Buffer.from([0x80, 200, ...Array(10).fill(0)]))).toBeUndefined(); // RTCP SR (PT 72 with M bit)
    const padded = Buffer.alloc(20);
    padded[0] = 0xa0;
    padded[19] = 200;
    expect(readRtpHeader(padded)).toBeUndefined();
    const ext = Buffer.alloc(16);
    ext[0] = 0x90;
    ext.writeUInt16BE(100, 14);
    expect(readRtpHeader(ext)).toBeUndefined();
  });

  it('measures sequence and timestamp distance across wrap', () => {
    expect(sequenceDelta(65535, 0)).toBe(1);
    expect(sequenceDelta(0, 65535)).toBe(-1);
    expect(sequenceDelta(100, 90)).toBe(-10);
    expect(timestampDelta(0xffffff60, 0x00000000)).toBe(160);
  });
});
