// RTP fixed header (RFC 3550 §5.1) read and written by hand on Buffers: this runs per packet,
// and plain reads are ~2x faster than rtp.js's packet objects (notes/stack-findings.md).
// CSRCs and a header extension are skipped over to find the payload, never interpreted.

export const RTP_HEADER_SIZE = 12;

/** The fields of an RTP packet the media engine uses. `payloadOffset` points into the buffer. */
export interface RtpHeader {
  marker: boolean;
  payloadType: number;
  sequence: number; // 16 bit
  timestamp: number; // 32 bit, unsigned
  ssrc: number; // 32 bit, unsigned
  payloadOffset: number;
  payloadLength: number;
}

/**
 * Parses the header of `packet` (length `length`, default the whole buffer) into `out` and
 * returns it, or undefined when it is not a well-formed RTP version 2 packet. Reusing `out`
 * keeps the per-packet path free of allocation.
 */
export function readRtpHeader(packet: Buffer, out: RtpHeader = emptyHeader(), length = packet.length): RtpHeader | undefined {
  if (length < RTP_HEADER_SIZE) return undefined;
  const b0 = packet[0]!;
  if (b0 >> 6 !== 2) return undefined;
  const b1 = packet[1]!;
  const payloadType = b1 & 0x7f;
  // 72–76 are RTCP packet types arriving on a muxed port (RFC 5761 §4): not RTP.
  if (payloadType >= 72 && payloadType <= 76) return undefined;
  let offset = RTP_HEADER_SIZE + (b0 & 0x0f) * 4;
  if (b0 & 0x10) {
    if (length < offset + 4) return undefined;
    offset += 4 + packet.readUInt16BE(offset + 2) * 4;
  }
  let end = length;
  if (b0 & 0x20) {
    const padding = packet[length - 1]!;
    if (padding === 0 || padding > length - offset) return undefined;
    end -= padding;
  }
  if (offset > end) return undefined;
  out.marker = (b1 & 0x80) !== 0;
  out.payloadType = payloadType;
  out.sequence = packet.readUInt16BE(2);
  out.timestamp = packet.readUInt32BE(4);
  out.ssrc = packet.readUInt32BE(8);
  out.payloadOffset = offset;
  out.payloadLength = end - offset;
  return out;
}

export function emptyHeader(): RtpHeader {
  return { marker: false, payloadType: 0, sequence: 0, timestamp: 0, ssrc: 0, payloadOffset: RTP_HEADER_SIZE, payloadLength: 0 };
}

/** Writes a 12-byte header (no CSRC, extension or padding) at the start of `into`; returns 12. */
export function writeRtpHeader(into: Buffer, h: Pick<RtpHeader, 'marker' | 'payloadType' | 'sequence' | 'timestamp' | 'ssrc'>): number {
  into[0] = 0x80;
  into[1] = (h.marker ? 0x80 : 0) | (h.payloadType & 0x7f);
  into.writeUInt16BE(h.sequence & 0xffff, 2);
  into.writeUInt32BE(h.timestamp >>> 0, 4);
  into.writeUInt32BE(h.ssrc >>> 0, 8);
  return RTP_HEADER_SIZE;
}

/** A new packet: header plus a copy of `payload`. For senders that are not on the relay's hot path. */
export function buildRtpPacket(h: Pick<RtpHeader, 'marker' | 'payloadType' | 'sequence' | 'timestamp' | 'ssrc'>, payload: Uint8Array): Buffer {
  const packet = Buffer.allocUnsafe(RTP_HEADER_SIZE + payload.length);
  writeRtpHeader(packet, h);
  packet.set(payload, RTP_HEADER_SIZE);
  return packet;
}

/** Signed distance a→b in 16-bit sequence space (positive: b is after a), handling wrap. */
export function sequenceDelta(a: number, b: number): number {
  return ((b - a + 0x8000) & 0xffff) - 0x8000;
}

/** Signed distance a→b in 32-bit timestamp space, handling wrap. */
export function timestampDelta(a: number, b: number): number {
  return ((b - a) | 0);
}
