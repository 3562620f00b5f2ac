// Receive statistics of one RTP source, as RFC 3550 Appendix A keeps them for its reception
// report blocks: where the PBX terminates a leg's media (leg-rtcp.ts) it reports on the phone's
// stream in RTCP, and these are the figures.
//
//  A.1  sequence validation: a new source is on probation until MIN_SEQUENTIAL packets arrive
//       in sequence; then base_seq/max_seq/cycles follow the stream. A jump of MAX_DROPOUT or
//       more is taken as a restart of the sender only when the next packet continues from it
//       (bad_seq); a packet up to MAX_MISORDER behind max_seq is a late or duplicate one and
//       counts as received (so duplicates can make "lost" negative, as the RFC intends).
//  A.3  expected = extended max − base + 1; lost = expected − received, clamped to the 24-bit
//       signed field; fraction lost over the interval since the previous report, from
//       expected_prior / received_prior.
//  A.8  interarrival jitter in timestamp units: J += (|D| − J) / 16 with D the difference of
//       relative transit times of consecutive packets. Arrival times come in ms and are
//       converted at the stream's clock rate (8 kHz for G.711 and telephone-event).
// A packet with another SSRC starts the statistics over for that source (one source per leg).
// The last SR received from the source gives LSR (its NTP middle 32 bits) and DLSR.
import type { ReportBlock } from './rtcp-report.ts';

const RTP_SEQ_MOD = 0x10000;
export const MAX_DROPOUT = 3000;
export const MAX_MISORDER = 100;
export const MIN_SEQUENTIAL = 2;

export interface ReceptionSnapshot {
  ssrc: number;
  /** Packets counted as received (A.1: after probation; duplicates included). */
  received: number;
  expected: number;
  /** expected − received, clamped to the 24-bit signed range of the report block. */
  lost: number;
  /** Interarrival jitter in ms. */
  jitterMs: number;
}

export class RtpReceiveStats {
  private readonly unitsPerMs: number;

  /** Whether any packet has been seen (`ssrc` is meaningful). */
  private hasSource = false;
  ssrc = 0;
  // A.1
  private maxSeq = 0;
  /** Shifted count of sequence number cycles (multiples of 65536). */
  private cycles = 0;
  private baseSeq = 0;
  private badSeq = RTP_SEQ_MOD + 1;
  private probation = 0;
  private received = 0;
  private expectedPrior = 0;
  private receivedPrior = 0;
  // A.8
  private jitter = 0;
  private haveTransit = false;
  private lastArrival = 0; // timestamp units
  private lastTimestamp = 0;
  // LSR / DLSR
  private lsr = 0;
  private lsrSsrc = 0;
  private lsrAt = 0;
  private haveSr = false;
  /** A packet was counted since the last report block was taken. */
  private heard = false;

  /** `clockRate`: the RTP timestamp clock of the stream (default 8000 Hz). */
  constructor(clockRate = 8000) {
    this.unitsPerMs = clockRate / 1000;
  }

  /** True once the source has passed probation. */
  get valid(): boolean {
    return this.hasSource && this.probation === 0;
  }

  /** A packet was counted since the last reportBlock() (RFC 3550 §6.4: report on sources heard since the last report). */
  get heardSinceReport(): boolean {
    return this.heard;
  }

  /**
   * One RTP packet from the source, arrived at `arrivalMs` (a monotonic clock). Returns whether
   * it was counted (false while on probation or for the first packet after a big jump).
   */
  onRtp(ssrc: number, sequence: number, timestamp: number, arrivalMs: number): boolean {
    if (!this.hasSource || ssrc !== this.ssrc) this.newSource(ssrc, sequence);
    if (!this.updateSeq(sequence & 0xffff)) return false;
    this.heard = true;
    const arrival = arrivalMs * this.unitsPerMs;
    if (this.haveTransit) {
      // D(i-1, i) = (R_i − R_{i-1}) − (S_i − S_{i-1}); the timestamp difference taken wrap-safe
      const d = arrival - this.lastArrival - ((timestamp - this.lastTimestamp) | 0);
      this.jitter += (Math.abs(d) - this.jitter) / 16;
    }
    this.haveTransit = true;
    this.lastArrival = arrival;
    this.lastTimestamp = timestamp >>> 0;
    return true;
  }

  /** An SR from `ssrc` whose NTP middle 32 bits are `lsr`, received at `arrivalMs` (same clock as onRtp). */
  onSenderReport(ssrc: number, lsr: number, arrivalMs: number): void {
    this.haveSr = true;
    this.lsrSsrc = ssrc >>> 0;
    this.lsr = lsr >>> 0;
    this.lsrAt = arrivalMs;
  }

  /** Forgets the reception (e.g. after a stretch in which packets were not watched); LSR is kept. */
  reset(): void {
    this.hasSource = false;
    this.heard = false;
    this.haveTransit = false;
    this.jitter = 0;
  }

  private newSource(ssrc: number, seq: number): void {
    this.hasSource = true;
    this.ssrc = ssrc >>> 0;
    this.initSeq(seq);
    this.maxSeq = (seq - 1) & 0xffff;
    this.probation = MIN_SEQUENTIAL;
    this.jitter = 0;
    this.haveTransit = false;
    this.heard = false;
  }

  private initSeq(seq: number): void {
    this.baseSeq = seq;
    this.maxSeq = seq;
    this.badSeq = RTP_SEQ_MOD + 1; // so seq == badSeq is false
    this.cycles = 0;
    this.received = 0;
    this.receivedPrior = 0;
    this.expectedPrior = 0;
  }

  /** RFC 3550 A.1 update_seq. */
  private updateSeq(seq: number): boolean {
    const udelta = (seq - this.maxSeq) & 0xffff;
    if (this.probation > 0) {
      // packets must be in sequence
      if (seq === ((this.maxSeq + 1) & 0xffff)) {
        this.probation--;
        this.maxSeq = seq;
        if (this.probation === 0) {
          this.initSeq(seq);
          this.received++;
          return true;
        }
      } else {
        this.probation = MIN_SEQUENTIAL - 1;
        this.maxSeq = seq;
      }
      return false;
    }
    if (udelta < MAX_DROPOUT) {
      // in order, with permissible gap
      if (seq < this.maxSeq) this.cycles += RTP_SEQ_MOD; // wrapped
      this.maxSeq = seq;
    } else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
      // the sequence number made a very large jump
      if (seq === this.badSeq) {
        // two sequential packets: the sender restarted without telling us, re-sync
        this.initSeq(seq);
        this.haveTransit = false; // its timestamps restarted too, most likely
      } else {
        this.badSeq = (seq + 1) & 0xffff;
        return false;
      }
    }
    // else: a duplicate or reordered packet
    this.received++;
    return true;
  }

  /** Cycles × 65536 + max_seq, as the report block carries it (mod 2^32). */
  get extendedMax(): number {
    return (this.cycles + this.maxSeq) % 0x1_0000_0000;
  }

  get expected(): number {
    return this.cycles + this.maxSeq - this.baseSeq + 1;
  }

  /** Cumulative packets lost, clamped to the report block's signed 24 bits (A.3). */
  get lost(): number {
    return Math.max(-0x800000, Math.min(0x7fffff, this.expected - this.received));
  }

  /** Interarrival jitter in timestamp units. */
  get jitterUnits(): number {
    return this.jitter;
  }

  /**
   * The report block about this source at `nowMs` (same clock as onRtp), or undefined before the
   * source is valid. Taking it starts a new interval for "fraction lost" (A.3).
   */
  reportBlock(nowMs: number): ReportBlock | undefined {
    if (!this.valid) return undefined;
    const expected = this.expected;
    const expectedInterval = expected - this.expectedPrior;
    this.expectedPrior = expected;
    const receivedInterval = this.received - this.receivedPrior;
    this.receivedPrior = this.received;
    const lostInterval = expectedInterval - receivedInterval;
    const fractionLost = expectedInterval === 0 || lostInterval <= 0 ? 0 : Math.floor((lostInterval * 256) / expectedInterval);
    this.heard = false;
    const sr = this.haveSr && this.lsrSsrc === this.ssrc;
    return {
      ssrc: this.ssrc,
      fractionLost: Math.min(255, fractionLost),
      cumulativeLost: this.lost,
      highestSeq: this.extendedMax,
      jitter: Math.floor(this.jitter),
      lsr: sr ? this.lsr : 0,
      dlsr: sr ? Math.min(0xffffffff, Math.max(0, Math.floor(((nowMs - this.lsrAt) * 65536) / 1000))) : 0,
    };
  }

  /** The figures so far, or null before a packet was counted. */
  snapshot(): ReceptionSnapshot | null {
    if (!this.valid) return null;
    return { ssrc: this.ssrc, received: this.received, expected: this.expected, lost: this.lost, jitterMs: this.jitter / this.unitsPerMs };
  }
}
