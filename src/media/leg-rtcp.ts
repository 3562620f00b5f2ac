// RTCP the PBX generates for one leg while it terminates that leg's media — the session is not
// connected, so the phone hears prompts or nothing from the PBX itself (IVR, voicemail) and
// the other phone's RTCP, which would be relayed, does not exist. While the session is
// connected RTCP is relayed end to end (relay-endpoint.ts) and nothing here runs.
//
// Receiving: the endpoint hands this leg what its phone sends in the branch where a connected
// session would have relayed it (`droppedNoPeer`), so the relay's per-packet path gains
// nothing. RTP feeds the RFC 3550 receive statistics (rtp-receive-stats.ts); RTCP gives the
// LSR of the phone's SRs and the phone's report block about our stream (for stats).
//
// Sending (RFC 3550 §6.2, §6.4): the worker's RTCP timer polls; the first report goes out
// half an interval (randomised ×[0.5, 1.5]) after the leg started being terminated and has an
// RTCP destination, then one per interval (default 5 s, the RFC's minimum, randomised
// ×[0.5, 1.5]). A report is an SR when the PBX sent RTP to the phone since its previous report
// (the leg's own stream — LegMedia — with its packet and payload-octet counts and the RTP
// timestamp of "now"), else an RR; with a report block about the phone's SSRC when the phone
// was heard since the previous report; and SDES CNAME. The SSRC stays the same for the leg's
// life: the stream's when there is one, and LegMedia adopts this one when it starts a stream.
// When the session ends, BYE.
import { randomBytes } from 'node:crypto';
import { buildRtcpReport, ntpFromUnixMs, parseRtcpCompound, type ReportBlock } from './rtcp-report.ts';
import type { ReceptionStats } from './media-protocol.ts';
import type { RelayEndpoint } from './relay-endpoint.ts';
import { emptyHeader, readRtpHeader } from './rtp-packet.ts';
import { RtpReceiveStats } from './rtp-receive-stats.ts';

export const DEFAULT_RTCP_INTERVAL_MS = 5000;

/** What an SR says about the leg's outgoing stream, at the moment it is asked. */
export interface RtcpSenderState {
  ssrc: number;
  /** RTP packets sent in this stream so far. */
  packets: number;
  /** Their payload octets. */
  octets: number;
  /** The stream's RTP timestamp for "now". */
  rtpTimestamp: number;
}

export interface LegRtcpOptions {
  /** Nominal report interval in ms (RFC 3550 §6.2: at least 5000; shorter only for tests). */
  intervalMs?: number;
  /** The leg's own outgoing stream, or null while the PBX has sent the phone nothing. */
  sender?: () => RtcpSenderState | null;
  /** Uniform in [0, 1): randomises the interval. Default Math.random. */
  random?: () => number;
  /** Wall clock, ms since the Unix epoch, for the NTP timestamp. Default Date.now. */
  wallClock?: () => number;
  /** Monotonic ms for scheduling, arrivals (jitter) and DLSR. Default performance.now. */
  now?: () => number;
  /** Our SSRC while there is no stream. Default random. */
  ssrc?: number;
  /** SDES CNAME. Default 96 random bits in base64 (RFC 7022). */
  cname?: string;
}

export class LegRtcp {
  readonly reception = new RtpReceiveStats(8000);
  /** The leg's SSRC while it has no stream of its own (and the one a stream started later takes). */
  readonly ownSsrc: number;
  readonly cname: string;
  /** The phone's latest report block about our SSRC. */
  remote: ReportBlock | null = null;

  private readonly endpoint: RelayEndpoint;
  private readonly intervalMs: number;
  private readonly sender: () => RtcpSenderState | null;
  private readonly random: () => number;
  private readonly wallClock: () => number;
  private readonly now: () => number;
  /** When the next report is due (`now` clock); undefined = not scheduled. */
  private nextAt: number | undefined;
  private packetsAtLastReport = 0;
  private readonly hdr = emptyHeader();

  constructor(endpoint: RelayEndpoint, options: LegRtcpOptions = {}) {
    this.endpoint = endpoint;
    this.intervalMs = options.intervalMs ?? DEFAULT_RTCP_INTERVAL_MS;
    this.sender = options.sender ?? (() => null);
    this.random = options.random ?? Math.random;
    this.wallClock = options.wallClock ?? Date.now;
    this.now = options.now ?? (() => performance.now());
    this.ownSsrc = (options.ssrc ?? randomBytes(4).readUInt32BE(0)) >>> 0;
    this.cname = options.cname ?? randomBytes(12).toString('base64');
  }

  /** Our SSRC now: the outgoing stream's, else ownSsrc. */
  get ssrc(): number {
    return this.sender()?.ssrc ?? this.ownSsrc;
  }

  /** An accepted RTP packet from the phone that was not relayed. */
  rtp(msg: Buffer): void {
    const h = readRtpHeader(msg, this.hdr);
    if (h !== undefined) this.reception.onRtp(h.ssrc, h.sequence, h.timestamp, this.now());
  }

  /** An accepted RTCP packet from the phone that was not relayed. */
  rtcp(msg: Buffer): void {
    const p = parseRtcpCompound(msg);
    if (p === undefined) return;
    const now = this.now();
    if (p.senderReport !== undefined) this.reception.onSenderReport(p.senderReport.ssrc, p.senderReport.lsr, now);
    if (p.blocks.length === 0) return;
    const ours = this.ssrc;
    for (const b of p.blocks) if (b.ssrc === ours) this.remote = b;
  }

  /** The session stopped relaying (created unconnected, or disconnected): reports start over. */
  start(): void {
    this.nextAt = undefined;
    // the phone's packets were relayed, not watched, until now
    this.reception.reset();
  }

  /** The session relays again: the phones' own RTCP takes over. */
  stop(): void {
    this.nextAt = undefined;
  }

  /** The worker's RTCP timer: sends a report when one is due. Returns whether it sent. */
  poll(): boolean {
    if (!this.endpoint.hasRtcpDestination) {
      this.nextAt = undefined;
      return false;
    }
    const now = this.now();
    if (this.nextAt === undefined) {
      this.nextAt = now + this.interval(0.5);
      return false;
    }
    if (now < this.nextAt) return false;
    this.nextAt = now + this.interval(1);
    return this.endpoint.sendRtcp(this.report(now, false));
  }

  /**
   * The session ends: BYE (after an SR/RR, as a compound packet must start) if the phone has
   * heard from this leg — reports or RTP. Returns whether it was sent.
   */
  bye(): boolean {
    if (!this.endpoint.hasRtcpDestination) return false;
    if (this.endpoint.rtcpSent === 0 && this.sender() === null) return false;
    return this.endpoint.sendRtcp(this.report(this.now(), true));
  }

  /** What stats show: the phone's stream as received here, and its report about ours. */
  stats(): ReceptionStats | null {
    const r = this.reception.snapshot();
    const remote = this.remote === null ? null : { fractionLost: this.remote.fractionLost / 256, lost: this.remote.cumulativeLost, jitterMs: this.remote.jitter / 8 };
    if (r === null && remote === null) return null;
    return { ssrc: r?.ssrc ?? 0, received: r?.received ?? 0, expected: r?.expected ?? 0, lost: r?.lost ?? 0, jitterMs: r?.jitterMs ?? 0, remote };
  }

  private interval(factor: number): number {
    return this.intervalMs * factor * (0.5 + this.random());
  }

  private report(now: number, bye: boolean): Buffer {
    const s = this.sender();
    const sr = s !== null && s.packets !== this.packetsAtLastReport;
    if (s !== null) this.packetsAtLastReport = s.packets;
    const block = this.reception.heardSinceReport ? this.reception.reportBlock(now) : undefined;
    return buildRtcpReport({
      ssrc: s?.ssrc ?? this.ownSsrc,
      cname: this.cname,
      ...(sr ? { sender: { ntp: ntpFromUnixMs(this.wallClock()), rtpTimestamp: s.rtpTimestamp, packets: s.packets, octets: s.octets } } : {}),
      ...(block === undefined ? {} : { block }),
      bye,
    });
  }
}
