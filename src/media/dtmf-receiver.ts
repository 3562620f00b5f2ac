// RFC 4733 telephone-event receiver for one RTP stream: turns the redundant stream of event
// packets (updates every ~50 ms, three end packets, retransmissions) into exactly one digit per
// key press. An event is identified by its RTP timestamp (§2.5.1.2: all packets of one event carry
// the timestamp of its start); the duration field tells how long it lasted (§2.5.1.3).
//
// - Reported once, on the first end packet; duplicates, the redundant end packets and late
//   (reordered) packets of an event already reported are ignored.
// - An event whose end packets are all lost is reported (ended: false) when the next event starts
//   or, via poll(), when no packet for it arrived for `timeoutMs`.
// - Long events (§2.5.1.3): a continuation segment has the same event code and a timestamp equal
//   to the previous segment's timestamp plus its duration (0xFFFF); its duration is added. Senders
//   that let the 16-bit duration field wrap instead are followed too (a drop by more than half the
//   range on a newer sequence number is a wrap).
// - Sequence numbers and timestamps wrap (compared with sequenceDelta/timestampDelta).
// No allocation per packet: state lives in fields; one object per reported digit.

import { readRtpHeader, emptyHeader, sequenceDelta, timestampDelta, type RtpHeader } from './rtp-packet.ts';
import { eventToDigit, type DtmfDigit } from './dtmf-digit.ts';

export interface DtmfDigitEvent {
  digit: DtmfDigit;
  /** RFC 4733 event code (0–16). */
  event: number;
  /** Duration in clock units (timestamp units) across all segments. */
  durationSamples: number;
  durationMs: number;
  /** Power level of the tone, 0–63 meaning 0 to -63 dBm0 (§2.3.4). */
  volume: number;
  /** RTP timestamp of the event's first segment. */
  timestamp: number;
  ssrc: number;
  /** True when an end packet was seen; false when reported because the next event started or on timeout. */
  ended: boolean;
}

export interface DtmfReceiverOptions {
  /** The negotiated telephone-event payload type; packets of other types are not looked at. */
  payloadType: number;
  /** Clock rate of telephone-event (a=rtpmap:101 telephone-event/8000). Default 8000. */
  clockRate?: number;
  /** An event without any packet for this long is reported by poll(). Default 800 ms. */
  timeoutMs?: number;
  onDigit: (e: DtmfDigitEvent) => void;
}

const MAX_SEGMENT = 0xffff;
/** Packets this far behind the current event are stragglers; further back means the sender restarted its clock. */
const STALE_WINDOW_S = 10;

export class DtmfReceiver {
  readonly payloadType: number;
  private readonly clockRate: number;
  private readonly timeoutMs: number;
  private readonly onDigit: (e: DtmfDigitEvent) => void;
  private readonly staleWindow: number;
  private readonly header: RtpHeader = emptyHeader();

  private active = false;
  private reported = false;
  /** The segment's last packet was an end packet with duration 0xFFFF: it may be continued. */
  private segmentEnded = false;
  private ssrc = 0;
  private event = 0;
  private volume = 0;
  private startTs = 0; // timestamp of the first segment
  private segmentTs = 0; // timestamp of the current segment
  private base = 0; // samples in earlier segments
  private wraps = 0; // duration-field wraps within the current segment, times 0x10000
  private rawDuration = 0; // last duration field on the newest packet of the segment
  private maxSeq = 0;
  private lastAt = 0;
  // The event before the current one, to drop its stragglers when a sender reuses timestamps.
  private prevValid = false;
  private prevTs = 0;
  private prevEvent = 0;

  constructor(opts: DtmfReceiverOptions) {
    this.payloadType = opts.payloadType;
    this.clockRate = opts.clockRate ?? 8000;
    this.timeoutMs = opts.timeoutMs ?? 800;
    this.onDigit = opts.onDigit;
    this.staleWindow = STALE_WINDOW_S * this.clockRate;
  }

  /** Parses `packet` and feeds it; returns true when it was a telephone-event packet. */
  pushPacket(packet: Buffer, nowMs = 0): boolean {
    const h = readRtpHeader(packet, this.header);
    return h !== undefined && this.push(packet, h, nowMs);
  }

  /**
   * Feeds one parsed RTP packet. Returns false (and ignores it) when it is not of the
   * telephone-event payload type or its payload is too short.
   */
  push(packet: Buffer, h: RtpHeader, nowMs = 0): boolean {
    if (h.payloadType !== this.payloadType) return false;
    if (h.payloadLength < 4) return true; // malformed event: swallowed, never thrown
    const o = h.payloadOffset;
    const event = packet[o]!;
    const flags = packet[o + 1]!;
    const end = (flags & 0x80) !== 0;
    const volume = flags & 0x3f;
    const duration = (packet[o + 2]! << 8) | packet[o + 3]!;
    const ts = h.timestamp;

    if (!this.active || h.ssrc !== this.ssrc) {
      this.finish(false);
      this.start(h, event, nowMs);
    } else if (ts === this.segmentTs) {
      if (event !== this.event) {
        // A broken sender reusing the timestamp for the next key: a new event all the same,
        // unless this is a straggler of the event before.
        if (this.prevValid && ts === this.prevTs && event === this.prevEvent) return true;
        this.finish(false);
        this.start(h, event, nowMs);
      } else if (this.reported) {
        return true; // redundant end packet, retransmission, late update
      }
    } else {
      const d = timestampDelta(this.segmentTs, ts);
      if (d < 0 && d > -this.staleWindow) return true; // straggler of an earlier event or segment
      if (d > 0 && !h.marker && event === this.event && !this.reported && this.isContinuation(d)) {
        this.base += d;
        this.segmentTs = ts;
        this.wraps = 0;
        this.rawDuration = 0;
        this.segmentEnded = false;
        this.maxSeq = (h.sequence - 1) & 0xffff;
      } else {
        this.finish(false);
        this.start(h, event, nowMs);
      }
    }

    this.lastAt = nowMs;
    const seqD = sequenceDelta(this.maxSeq, h.sequence);
    if (seqD > 0 || end) {
      if (duration + 0x8000 < this.rawDuration) this.wraps += 0x10000;
      this.rawDuration = duration;
      if (seqD > 0) this.maxSeq = h.sequence;
      this.volume = volume;
    }
    if (end) {
      if (duration === MAX_SEGMENT && this.wraps === 0) this.segmentEnded = true; // may be continued
      else this.finish(true);
    }
    return true;
  }

  /** Reports an event whose end packets were lost once nothing arrived for it for `timeoutMs`. */
  poll(nowMs: number): void {
    if (this.active && !this.reported && nowMs - this.lastAt >= this.timeoutMs) this.finish(this.segmentEnded);
  }

  /** The stream stopped (hangup, re-INVITE): reports an event still pending. */
  flush(): void {
    if (this.active && !this.reported) this.finish(this.segmentEnded);
    this.active = false;
  }

  /** True while an event has started and not yet been reported (e.g. to mute the tone in audio). */
  get inEvent(): boolean {
    return this.active && !this.reported;
  }

  private isContinuation(d: number): boolean {
    const segmentDuration = this.wraps + this.rawDuration;
    // The new segment starts where the previous one ended: previous duration close to the maximum,
    // and a timestamp step equal to it (give a packet interval of slack for lost updates).
    return segmentDuration >= MAX_SEGMENT - 0.2 * this.clockRate && d >= segmentDuration && d <= MAX_SEGMENT + 1;
  }

  private start(h: RtpHeader, event: number, nowMs: number): void {
    if (this.active) {
      this.prevValid = this.ssrc === h.ssrc;
      this.prevTs = this.segmentTs;
      this.prevEvent = this.event;
    }
    this.active = true;
    this.reported = false;
    this.segmentEnded = false;
    this.ssrc = h.ssrc;
    this.event = event;
    this.startTs = h.timestamp;
    this.segmentTs = h.timestamp;
    this.base = 0;
    this.wraps = 0;
    this.rawDuration = 0;
    this.maxSeq = (h.sequence - 1) & 0xffff;
    this.lastAt = nowMs;
  }

  private finish(ended: boolean): void {
    if (!this.active || this.reported) return;
    this.reported = true;
    const digit = eventToDigit(this.event);
    if (digit === undefined) return; // not a key (fax and line events): tracked for dedup only
    const samples = this.base + this.wraps + this.rawDuration;
    this.onDigit({
      digit,
      event: this.event,
      durationSamples: samples,
      durationMs: Math.round((samples * 1000) / this.clockRate),
      volume: this.volume,
      timestamp: this.startTs,
      ssrc: this.ssrc,
      ended,
    });
  }
}
