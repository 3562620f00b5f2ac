// RTCP report packets (RFC 3550 §6.4, §6.5, §6.6), built and read by hand on Buffers like
// rtp-packet.ts. What the worker sends where it terminates a leg's media (leg-rtcp.ts) is one
// compound packet: SR (when it sent RTP since its previous report) or RR, with at most one
// report block, then SDES with the CNAME, then — when the session ends — BYE.
// What it reads from the phone's RTCP: an SR's sender SSRC and the middle 32 bits of its NTP
// timestamp (echoed back as LSR), and report blocks (the phone's view of our stream, for stats).
//
// Time: NTP timestamps are 64-bit fixed point, seconds since 1900-01-01 in the high word and
// the fraction in the low word (§4). They come from a wall clock in ms since the Unix epoch,
// passed in by the caller (the leg injects Date.now), so the functions here are pure.
//
// Layouts (all big-endian), V=2 in the top two bits of every packet's first byte:
//   SR   0: V P RC(5) | PT=200 | length   4: SSRC of sender   8: NTP msw  12: NTP lsw
//          16: RTP timestamp  20: sender's packet count  24: sender's octet count  28: blocks
//   RR   0: V P RC(5) | PT=201 | length   4: SSRC of sender   8: blocks
//   block (24 bytes) 0: SSRC_n  4: fraction lost(8) cumulative lost(24, signed)
//          8: extended highest sequence  12: interarrival jitter  16: LSR  20: DLSR
//   SDES 0: V P SC(5) | PT=202 | length   4: SSRC  8: CNAME=1, length, text, 0…0 to a 4-byte boundary
//   BYE  0: V P SC(5) | PT=203 | length   4: SSRC
// `length` is the packet's size in 32-bit words minus one.

export const RTCP_SR = 200;
export const RTCP_RR = 201;
export const RTCP_SDES = 202;
export const RTCP_BYE = 203;
const SDES_CNAME = 1;
const REPORT_BLOCK_SIZE = 24;

/** Seconds from 1900-01-01 (NTP era 0) to 1970-01-01 (the Unix epoch). */
export const NTP_UNIX_OFFSET_S = 2208988800;

/** A 64-bit NTP timestamp as two unsigned 32-bit words. */
export interface NtpTime {
  seconds: number;
  fraction: number;
}

/** The NTP timestamp of a wall-clock time in ms since the Unix epoch. */
export function ntpFromUnixMs(ms: number): NtpTime {
  const whole = Math.floor(ms / 1000);
  const fraction = Math.floor(((ms - whole * 1000) / 1000) * 0x1_0000_0000);
  return { seconds: (whole + NTP_UNIX_OFFSET_S) >>> 0, fraction: Math.min(fraction, 0xffffffff) >>> 0 };
}

/** The middle 32 bits of an NTP timestamp (§4, "compact" form): what LSR carries. */
export function ntpMiddle32(t: NtpTime): number {
  return (((t.seconds & 0xffff) << 16) | (t.fraction >>> 16)) >>> 0;
}

/** One reception report block (§6.4.1). */
export interface ReportBlock {
  /** SSRC of the source this block is about. */
  ssrc: number;
  /** Packets lost since the previous report, as a fraction of those expected, ×256 (0–255). */
  fractionLost: number;
  /** Packets lost since reception began: expected − received, signed 24-bit (duplicates can make it negative). */
  cumulativeLost: number;
  /** Cycles × 65536 + highest sequence number received. */
  highestSeq: number;
  /** Interarrival jitter in timestamp units. */
  jitter: number;
  /** Middle 32 bits of the NTP time of the last SR from that source; 0 if none. */
  lsr: number;
  /** Delay since that SR was received, in 1/65536 s; 0 if none. */
  dlsr: number;
}

/** The sender info of an SR (§6.4.1). */
export interface SenderInfo {
  ntp: NtpTime;
  /** RTP timestamp of the same instant as `ntp`, in the stream's clock. */
  rtpTimestamp: number;
  /** RTP packets sent since the stream began. */
  packets: number;
  /** RTP payload octets (no header, no padding) sent since the stream began. */
  octets: number;
}

export interface ReportSpec {
  /** Our SSRC. */
  ssrc: number;
  /** SDES CNAME (at most 255 bytes of UTF-8). */
  cname: string;
  /** Present: an SR; absent: an RR. */
  sender?: SenderInfo;
  /** The one report block, if we have something to report. */
  block?: ReportBlock;
  /** Append a BYE for `ssrc` (the stream ends). */
  bye?: boolean;
}

function header(into: Buffer, at: number, count: number, type: number, bytes: number): void {
  into[at] = 0x80 | (count & 0x1f);
  into[at + 1] = type;
  into.writeUInt16BE(bytes / 4 - 1, at + 2);
}

function writeBlock(into: Buffer, at: number, b: ReportBlock): void {
  into.writeUInt32BE(b.ssrc >>> 0, at);
  const lost = Math.max(-0x800000, Math.min(0x7fffff, Math.trunc(b.cumulativeLost)));
  into.writeUInt32BE((((b.fractionLost & 0xff) << 24) | (lost & 0xffffff)) >>> 0, at + 4);
  into.writeUInt32BE(b.highestSeq >>> 0, at + 8);
  into.writeUInt32BE(Math.min(0xffffffff, Math.max(0, Math.floor(b.jitter))) >>> 0, at + 12);
  into.writeUInt32BE(b.lsr >>> 0, at + 16);
  into.writeUInt32BE(b.dlsr >>> 0, at + 20);
}

/** Builds the compound packet SR|RR [+ one block] + SDES(CNAME) [+ BYE]. */
export function buildRtcpReport(spec: ReportSpec): Buffer {
  const cname = Buffer.from(spec.cname, 'utf8').subarray(0, 255);
  const rc = spec.block === undefined ? 0 : 1;
  const reportBytes = (spec.sender === undefined ? 8 : 28) + rc * REPORT_BLOCK_SIZE;
  // chunk: SSRC, CNAME item (type, length, text), then at least one 0 octet up to a 32-bit boundary
  const sdesBytes = 4 + 4 + Math.floor((2 + cname.length) / 4 + 1) * 4;
  const byeBytes = spec.bye ? 8 : 0;
  const out = Buffer.alloc(reportBytes + sdesBytes + byeBytes);

  header(out, 0, rc, spec.sender === undefined ? RTCP_RR : RTCP_SR, reportBytes);
  out.writeUInt32BE(spec.ssrc >>> 0, 4);
  let at = 8;
  if (spec.sender !== undefined) {
    const s = spec.sender;
    out.writeUInt32BE(s.ntp.seconds >>> 0, 8);
    out.writeUInt32BE(s.ntp.fraction >>> 0, 12);
    out.writeUInt32BE(s.rtpTimestamp >>> 0, 16);
    out.writeUInt32BE(s.packets >>> 0, 20);
    out.writeUInt32BE(s.octets >>> 0, 24);
    at = 28;
  }
  if (spec.block !== undefined) {
    writeBlock(out, at, spec.block);
    at += REPORT_BLOCK_SIZE;
  }

  header(out, at, 1, RTCP_SDES, sdesBytes);
  out.writeUInt32BE(spec.ssrc >>> 0, at + 4);
  out[at + 8] = SDES_CNAME;
  out[at + 9] = cname.length;
  cname.copy(out, at + 10);
  at += sdesBytes; // the rest of the chunk is already zero

  if (spec.bye) {
    header(out, at, 1, RTCP_BYE, 8);
    out.writeUInt32BE(spec.ssrc >>> 0, at + 4);
  }
  return out;
}

/** An SR as read from a phone. */
export interface ParsedSenderReport extends SenderInfo {
  ssrc: number;
  /** ntpMiddle32(ntp): the LSR to echo in our report blocks about this sender. */
  lsr: number;
}

export interface ParsedRtcp {
  senderReport?: ParsedSenderReport;
  /** Every report block of every SR/RR, with the SSRC of the report's sender. */
  blocks: Array<ReportBlock & { reporter: number }>;
  /** The CNAME of the first SDES chunk that has one. */
  cname?: string;
  /** SSRCs the packet says goodbye for. */
  bye: number[];
}

function readBlock(msg: Buffer, at: number): ReportBlock {
  const w = msg.readUInt32BE(at + 4);
  const lost = w & 0xffffff;
  return {
    ssrc: msg.readUInt32BE(at),
    fractionLost: w >>> 24,
    cumulativeLost: lost & 0x800000 ? lost - 0x1000000 : lost,
    highestSeq: msg.readUInt32BE(at + 8),
    jitter: msg.readUInt32BE(at + 12),
    lsr: msg.readUInt32BE(at + 16),
    dlsr: msg.readUInt32BE(at + 20),
  };
}

/** The first CNAME item in `count` SDES chunks between `at` and `end`. */
function firstCname(msg: Buffer, at: number, end: number, count: number): string | undefined {
  for (let c = 0; c < count && at + 4 <= end; c++) {
    let i = at + 4;
    while (i < end && msg[i] !== 0) {
      if (i + 2 > end) return undefined;
      const len = msg[i + 1]!;
      if (i + 2 + len > end) return undefined;
      if (msg[i] === SDES_CNAME) return msg.toString('utf8', i + 2, i + 2 + len);
      i += 2 + len;
    }
    at = (i + 4) & ~3; // the null item, then padding to the next 32-bit boundary
  }
  return undefined;
}

/**
 * Reads a compound RTCP packet (the validity checks of §A.2: version 2 throughout, the first
 * packet an SR or RR without padding, the lengths adding up to the datagram). Returns undefined
 * for anything else. Packet types other than SR, RR and BYE are stepped over.
 */
export function parseRtcpCompound(msg: Buffer): ParsedRtcp | undefined {
  if (msg.length < 8 || (msg[0]! & 0xe0) !== 0x80 || (msg[1] !== RTCP_SR && msg[1] !== RTCP_RR)) return undefined;
  const out: ParsedRtcp = { blocks: [], bye: [] };
  let at = 0;
  while (at < msg.length) {
    if (msg.length - at < 4 || msg[at]! >> 6 !== 2) return undefined;
    const count = msg[at]! & 0x1f;
    const type = msg[at + 1]!;
    const bytes = (msg.readUInt16BE(at + 2) + 1) * 4;
    if (at + bytes > msg.length) return undefined;
    if (type === RTCP_SR || type === RTCP_RR) {
      const first = type === RTCP_SR ? 28 : 8;
      if (bytes < first + count * REPORT_BLOCK_SIZE) return undefined;
      const reporter = msg.readUInt32BE(at + 4);
      if (type === RTCP_SR && out.senderReport === undefined) {
        const ntp = { seconds: msg.readUInt32BE(at + 8), fraction: msg.readUInt32BE(at + 12) };
        out.senderReport = {
          ssrc: reporter,
          ntp,
          lsr: ntpMiddle32(ntp),
          rtpTimestamp: msg.readUInt32BE(at + 16),
          packets: msg.readUInt32BE(at + 20),
          octets: msg.readUInt32BE(at + 24),
        };
      }
      for (let i = 0; i < count; i++) out.blocks.push({ ...readBlock(msg, at + first + i * REPORT_BLOCK_SIZE), reporter });
    } else if (type === RTCP_SDES && out.cname === undefined) {
      out.cname = firstCname(msg, at + 4, at + bytes, count);
    } else if (type === RTCP_BYE) {
      if (bytes < 4 + count * 4) return undefined;
      for (let i = 0; i < count; i++) out.bye.push(msg.readUInt32BE(at + 4 + i * 4));
    }
    at += bytes;
  }
  return out;
}
