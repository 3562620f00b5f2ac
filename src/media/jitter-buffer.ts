// Adaptive jitter buffer (R-MEDIA-3) for media the PBX terminates: IVR digit collection, conference
// mixing, recording, transcoding to a fixed 20 ms clock. The relay path never goes through it.
//
// One instance per received stream. The caller pushes packets as they arrive and pulls frames on
// its own playout clock (e.g. every 20 ms); there are no timers inside, and steady state allocates
// nothing: packets are copied into a ring of fixed slots indexed by extended sequence number
// modulo the capacity, and the frames returned by pull() are reused objects.
//
// Numbering. Sequence numbers and timestamps are extended to unbounded numbers relative to the
// highest packet seen (sequenceDelta / timestampDelta), so 16-bit and 32-bit wrap are invisible.
//
// Playout. `playTs` is the media position (extended timestamp) of the next frame and `nextDueMs`
// the caller's time at which it is due; each frame advances both by its duration, so the
// difference (the playout offset) stays fixed while audio flows. The current delay is that offset
// minus the transit base (see jitter-delay.ts): how long after its earliest possible arrival a
// frame is played. At each due time the buffer looks at the first packet at or after `playSeq`:
//   - at the playout position: play it;
//   - none there yet (underrun) or a hole before it (loss): conceal — repeat the last frame up to
//     `maxConcealFrames` times, then silence — and move the position on. `playSeq` stays, so a
//     packet that was merely late is still accepted; if it turns up while we are still concealing
//     and the delay allows, playout steps back to it ("rewind"): the concealment becomes a
//     stretch and the delay grows by the lateness, at once. Otherwise it is dropped as late;
//   - a gap in timestamps with no gap in sequence, or a marker bit (a talk spurt after silence
//     suppression): re-anchor — play it at the target delay after its earliest arrival, which
//     moves the delay to the target in either direction without touching speech.
// Between talk spurts the delay follows the target by inserting one repeated frame (at most
// every third frame, never past the maximum) when the target is above the delay, and by dropping
// one frame (at most every `shrinkIntervalMs`, at once above the maximum) when the delay would
// still be at or above the target without it.
//
// Discontinuities. A new SSRC, or a sequence jump beyond the ring confirmed by the next packet
// (RFC 3550 §A.1 probation), re-syncs: the buffer is flushed and the next packet re-anchored,
// while the output keeps its cadence (concealment, then silence). A timestamp that disagrees with
// both its sequence number and its arrival time (the sender restarted its clock) is re-based onto
// the old timeline so playout continues seamlessly.
//
// Push only audio payloads of one clock rate: RFC 4733 events are taken out before this buffer.

import { emptyHeader, readRtpHeader, sequenceDelta, timestampDelta, type RtpHeader } from './rtp-packet.ts';
import { PlayoutDelayEstimator } from './jitter-delay.ts';

export interface JitterBufferOptions {
  /** RTP clock rate (default 8000). */
  clockRate?: number;
  /** Lower bound of the playout delay (default 20 ms). */
  minDelayMs?: number;
  /** Upper bound of the playout delay (default 200 ms). */
  maxDelayMs?: number;
  /** Slots in the ring, rounded up to a power of two (default 64: 1.28 s of 20 ms packets). */
  capacity?: number;
  /** Repeats of the last frame before silence (default 2). */
  maxConcealFrames?: number;
  /** Frame duration assumed until the stream shows its own (default 20 ms). */
  defaultFrameMs?: number;
  /** Fraction of packets that should arrive in time (default 0.98). */
  quantile?: number;
  /** Per-packet forgetting of the delay histogram (default 0.996). */
  forgetFactor?: number;
  /** At most one frame is dropped to shrink the delay per this interval (default 500 ms). */
  shrinkIntervalMs?: number;
  /** A frame is handed out this much before its due time (caller timer jitter, default 2 ms). */
  pullSlackMs?: number;
}

export interface AudioFrame {
  readonly kind: 'audio';
  readonly payload: Uint8Array;
  readonly payloadType: number;
  /** RTP timestamp of the packet. */
  readonly timestamp: number;
  readonly sequence: number;
  readonly marker: boolean;
  /** Duration in RTP clock units. */
  readonly samples: number;
}

export interface ConcealedFrame {
  readonly kind: 'concealed';
  /** The last played payload, repeated. */
  readonly payload: Uint8Array;
  readonly payloadType: number;
  /** RTP timestamp of the position being concealed. */
  readonly timestamp: number;
  readonly samples: number;
  /** 1 for the first repeat in a row, 2 for the second, ... */
  readonly repeat: number;
}

export interface SilenceFrame {
  readonly kind: 'silence';
  /** Payload type of the stream, so the caller can encode silence in it. */
  readonly payloadType: number;
  readonly timestamp: number;
  readonly samples: number;
}

/** Nothing to play now: before the first packet, or the next frame is not due yet. */
export interface EmptyFrame {
  readonly kind: 'empty';
}

/**
 * What pull() returns. The object (and its payload) is reused: it is valid until the next call
 * on the buffer; copy what must outlive that.
 */
export type JitterFrame = AudioFrame | ConcealedFrame | SilenceFrame | EmptyFrame;

export type PushResult = 'stored' | 'duplicate' | 'late' | 'discarded';

export interface JitterBufferStats {
  /** Packets pushed. received = played + duplicates + late + discarded + buffered. */
  received: number;
  /** Frames played from packets. */
  played: number;
  /** Repeats of the last frame (loss concealment and delay growth). */
  concealed: number;
  /** Silence frames (after the repeats, or before a talk spurt). */
  silence: number;
  duplicates: number;
  /** Packets that arrived after their playout time. */
  late: number;
  /** Packets dropped to shrink the delay, flushed at a re-sync, or held in probation. */
  discarded: number;
  /** Packets waiting in the buffer. */
  buffered: number;
  /** Flushes for a new SSRC or a sequence jump. */
  resyncs: number;
  /** Sender clock jumps that were re-based. */
  timestampJumps: number;
  /** Current playout delay (ms). */
  delayMs: number;
  /** Delay the estimator asks for (ms). */
  targetDelayMs: number;
  /** RFC 3550 interarrival jitter (ms). */
  jitterMs: number;
}

const FREE = 0;
const BUFFERED = 1;
const CONSUMED = 2; // played or dropped; the number is kept to recognise duplicates

class Slot {
  state = FREE;
  extSeq = -1;
  extTs = 0;
  sequence = 0;
  timestamp = 0;
  payloadType = 0;
  marker = false;
  length = 0;
  data: Buffer = EMPTY_BUFFER;
}

const EMPTY_BUFFER = Buffer.alloc(0);
const NONE = 0;
const AUDIO = 1;
const CONCEALED = 2;
const SILENCE = 3;
/** Rejected packets (late or duplicate) in a row, consecutive in sequence, that mean the stream restarted below us. */
const MAX_REJECT_RUN = 16;
/** Consecutive packets dropped late at playout that mean playout lost the timeline. */
const MAX_LATE_RUN = 4;
/** Frames between two inserted repeats when growing the delay in speech. */
const STRETCH_SPACING = 3;
/**
 * A frame is dropped when the delay stays at or above the target without it. The delay is read
 * against a transit base that moves by fractions of a millisecond as old packets age out of its
 * window; this much below counts as equal (and is less than the 1 ms that growth needs to act).
 */
const SHRINK_TOLERANCE_MS = 0.5;
/** A timestamp jumping forward this much earlier than any arrival so far is a sender clock jump. */
const EARLY_TOLERANCE_MS = 40;
/** A reordered packet whose timestamp is further than this from where its number puts it is not placed. */
const REORDER_TOLERANCE_MS = 10_000;
/** Room below the first packet of a new stream for its reordered predecessors. */
const SPLICE_GAP = 16;

export class JitterBuffer {
  private readonly rate: number; // clock units per ms
  private readonly minDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly maxConceal: number;
  private readonly shrinkIntervalMs: number;
  private readonly slackMs: number;
  private readonly capacity: number;
  private readonly mask: number;
  private readonly slots: Slot[];
  private readonly estimator: PlayoutDelayEstimator;
  private readonly defaultFrameSamples: number;
  private readonly scratch: RtpHeader = emptyHeader();

  // Stream numbering: ref* describe the highest packet seen.
  private idle = true;
  private ssrc = 0;
  private prevSsrc = -1;
  private refSeq = 0;
  private refExtSeq = 0;
  private refTs = 0;
  private refExtTs = 0;
  private jumpExtSeq = -1; // packets below this use the timeline before the last clock jump
  private oldRefTs = 0;
  private oldRefExtTs = 0;
  private probationSeq = -1;
  private rejectRun = 0;
  private rejectSeq = -2;
  private restartPending = false;
  private splice = -1; // first extended sequence number of a new stream while the old one drains
  private opening = true; // no packet played since the numbering began: reordering may lower playSeq
  private frameSamples: number;
  private lastIncrement = 0;

  // Playout
  private started = false;
  private anchorPending = true;
  private playSeq = 0;
  private playTs = 0;
  private nextDueMs = 0;
  private lastKind = NONE;
  private concealRun = 0;
  private framesSinceStretch = 0;
  private lastShrinkMs = -Infinity;
  private lateRun = 0;
  private count = 0;
  private lastBuf: Buffer = Buffer.alloc(320);
  private lastView: Buffer = EMPTY_BUFFER;
  private lastPayloadType = 0;

  private readonly empty: EmptyFrame = { kind: 'empty' };
  private readonly audio = { kind: 'audio' as const, payload: EMPTY_BUFFER as Uint8Array, payloadType: 0, timestamp: 0, sequence: 0, marker: false, samples: 0 };
  private readonly concealed = { kind: 'concealed' as const, payload: EMPTY_BUFFER as Uint8Array, payloadType: 0, timestamp: 0, samples: 0, repeat: 0 };
  private readonly silence = { kind: 'silence' as const, payloadType: 0, timestamp: 0, samples: 0 };

  private readonly counts = { received: 0, played: 0, concealed: 0, silence: 0, duplicates: 0, late: 0, discarded: 0, resyncs: 0, timestampJumps: 0 };

  constructor(opts: JitterBufferOptions = {}) {
    const clockRate = opts.clockRate ?? 8000;
    this.rate = clockRate / 1000;
    this.minDelayMs = opts.minDelayMs ?? 20;
    this.maxDelayMs = Math.max(this.minDelayMs, opts.maxDelayMs ?? 200);
    this.maxConceal = opts.maxConcealFrames ?? 2;
    this.shrinkIntervalMs = opts.shrinkIntervalMs ?? 500;
    this.slackMs = opts.pullSlackMs ?? 2;
    let cap = 16;
    while (cap < (opts.capacity ?? 64)) cap *= 2;
    this.capacity = cap;
    this.mask = cap - 1;
    this.slots = Array.from({ length: cap }, () => new Slot());
    this.defaultFrameSamples = Math.round((opts.defaultFrameMs ?? 20) * this.rate);
    this.frameSamples = this.defaultFrameSamples;
    this.estimator = new PlayoutDelayEstimator({
      minDelayMs: this.minDelayMs,
      maxDelayMs: this.maxDelayMs,
      quantile: opts.quantile,
      forgetFactor: opts.forgetFactor,
    });
  }

  /** Parses `packet` and pushes it; undefined when it is not RTP. */
  pushPacket(packet: Buffer, arrivalMs: number): PushResult | undefined {
    const h = readRtpHeader(packet, this.scratch);
    return h && this.push(packet, h, arrivalMs);
  }

  /**
   * Stores a packet. `data` is the packet with `header` from readRtpHeader (payload at
   * header.payloadOffset, header.payloadLength bytes), or the bare payload with payloadOffset 0.
   * The bytes are copied; `data` can be reused at once.
   */
  push(data: Uint8Array, header: RtpHeader, arrivalMs: number): PushResult {
    this.counts.received++;
    if (this.idle) {
      this.idle = false;
      this.begin(header);
    } else if (header.ssrc !== this.ssrc || this.restartPending) {
      if (!this.restartPending && header.ssrc === this.prevSsrc) return this.reject('late', header.sequence); // stragglers of the old stream
      if (header.ssrc !== this.ssrc) this.prevSsrc = this.ssrc;
      this.restartPending = false;
      this.resync(header);
    }

    let delta = sequenceDelta(this.refSeq, header.sequence);
    if (delta > this.capacity || delta < -this.capacity) {
      // Far outside the ring: a restarted sequence, or a stray packet. Believe it when the next
      // packet continues it.
      if (header.sequence !== this.probationSeq) {
        this.probationSeq = (header.sequence + 1) & 0xffff;
        this.counts.discarded++;
        return 'discarded';
      }
      this.resync(header);
      delta = 0;
    }
    this.probationSeq = -1;
    const extSeq = this.refExtSeq + delta;

    let extTs: number;
    if (delta > 0) {
      extTs = this.timestampOfNewest(header, delta, arrivalMs);
    } else {
      extTs = this.timestampOfOlder(header, delta);
      if (Number.isNaN(extTs)) {
        this.counts.discarded++; // on neither side of a clock jump: cannot be placed
        return 'discarded';
      }
    }

    const slot = this.slots[extSeq & this.mask]!;
    if (extSeq < this.playSeq) {
      if (this.opening && this.refExtSeq - extSeq < this.capacity && slot.extSeq !== extSeq) {
        this.playSeq = extSeq; // before playout starts, an earlier packet may still open the stream
      } else {
        return this.reject(slot.extSeq === extSeq ? 'duplicate' : 'late', header.sequence);
      }
    }
    if (slot.extSeq === extSeq && slot.state !== FREE) return this.reject('duplicate', header.sequence);
    if (extSeq - this.playSeq >= this.capacity) this.overflow(extSeq);
    if (slot.state === BUFFERED) this.drop(slot, 'discarded'); // cannot happen while the window holds

    if (delta > 0) {
      this.refSeq = header.sequence;
      this.refExtSeq = extSeq;
      this.refTs = header.timestamp;
      this.refExtTs = extTs;
    }
    this.rejectRun = 0;
    this.store(slot, data, header, extSeq, extTs);
    this.estimator.observe(arrivalMs, extTs / this.rate);
    return 'stored';
  }

  /**
   * The frame to play at `nowMs` (the caller's clock, same time base as the arrival times).
   * Call it until it returns `empty`: one frame per call, 20 ms packets give one per 20 ms tick.
   */
  pull(nowMs: number): JitterFrame {
    if (this.idle) return this.empty;
    if (this.started) {
      if (nowMs + this.slackMs < this.nextDueMs) return this.empty;
      if (nowMs - this.nextDueMs > this.maxDelayMs + this.frameMs()) {
        // The caller stalled: skip the missed time instead of replaying it.
        this.nextDueMs = nowMs;
        this.anchorPending = true;
      }
    }
    const target = this.estimator.targetMs();
    const half = this.frameSamples / 2;
    for (;;) {
      const p = this.firstBuffered();
      if (this.splice >= 0 && p !== undefined && p.extSeq >= this.splice) {
        this.splice = -1; // the old stream has played out: anchor the new one
        this.anchorPending = true;
      }
      const draining = this.splice >= 0; // the transit base belongs to the new stream: no delay decisions
      if (this.anchorPending) {
        if (p === undefined) return this.started ? this.fill(true) : this.empty;
        const at = this.started ? this.nextDueMs : nowMs;
        const desired = p.extTs / this.rate + this.estimator.baseTransitMs() + target;
        if (at - desired > this.maxDelayMs - target + 0.001) {
          this.drop(p, 'late'); // playing it now would exceed the maximum delay
          continue;
        }
        if (at + this.slackMs < desired) return this.started ? this.fill(true) : this.empty;
        if (!this.started) {
          this.started = true;
          this.nextDueMs = nowMs;
        }
        this.anchorPending = false;
        this.playTs = p.extTs;
        return this.play(p);
      }
      if (p === undefined) return this.fill(true); // underrun
      const d = p.extTs - this.playTs;
      if (d <= -half) {
        if (this.lastKind !== AUDIO && p.marker) {
          this.anchorPending = true;
          continue;
        }
        if (!draining && this.lastKind !== AUDIO && this.delayNow() - d / this.rate <= this.maxDelayMs + 0.001) {
          this.playTs = p.extTs; // rewind: the concealment so far becomes added delay
          return this.play(p);
        }
        this.drop(p, 'late');
        if (++this.lateRun >= MAX_LATE_RUN) this.anchorPending = true;
        continue;
      }
      if (d >= half) {
        if (p.marker || p.extSeq === this.playSeq) {
          this.anchorPending = true; // talk spurt after silence: re-anchor to the target
          continue;
        }
        return this.fill(true); // a hole: concealment
      }
      if (this.lastKind !== AUDIO && p.marker) {
        this.anchorPending = true;
        continue;
      }
      if (draining) return this.play(p);
      const delay = this.delayNow();
      if (
        target > delay + 1 &&
        delay + this.frameMs() <= this.maxDelayMs + 0.001 &&
        this.lastKind === AUDIO &&
        this.framesSinceStretch >= STRETCH_SPACING
      ) {
        this.framesSinceStretch = 0;
        return this.fill(false); // grow: one repeated frame, the position stays
      }
      if (
        this.lastKind === AUDIO &&
        delay - this.frameMs() >= target - SHRINK_TOLERANCE_MS &&
        (nowMs - this.lastShrinkMs >= this.shrinkIntervalMs || delay > this.maxDelayMs)
      ) {
        const q = this.slotOf(p.extSeq + 1);
        if (q !== undefined && q.extTs > p.extTs && q.extTs - p.extTs <= 2 * this.frameSamples) {
          this.lastShrinkMs = nowMs;
          this.drop(p, 'discarded');
          this.playTs = q.extTs;
          return this.play(q);
        }
      }
      return this.play(p);
    }
  }

  /** Current playout delay in ms (the target before playout is anchored). */
  get delayMs(): number {
    return this.started && !this.anchorPending && this.splice < 0 ? this.delayNow() : this.estimator.targetMs();
  }

  stats(): JitterBufferStats {
    return {
      ...this.counts,
      buffered: this.count,
      delayMs: this.delayMs,
      targetDelayMs: this.estimator.targetMs(),
      jitterMs: this.estimator.jitterMs(),
    };
  }

  /** Back to the state before the first packet (statistics are kept). */
  reset(): void {
    this.flush();
    this.idle = true;
    this.started = false;
    this.anchorPending = true;
    this.lastKind = NONE;
    this.prevSsrc = -1;
    this.frameSamples = this.defaultFrameSamples;
    this.estimator.reset();
  }

  // ---- push side ----

  private begin(h: RtpHeader): void {
    this.ssrc = h.ssrc;
    this.refSeq = h.sequence;
    this.refExtSeq = 0x10000 + h.sequence; // positive, and room below for reordering
    this.refTs = h.timestamp;
    this.refExtTs = 0x100000000 + h.timestamp;
    this.playSeq = this.refExtSeq;
    this.jumpExtSeq = -1;
    this.probationSeq = -1;
    this.lastIncrement = 0;
    this.rejectRun = 0;
    this.lateRun = 0;
    this.anchorPending = true;
    this.opening = true;
    this.splice = -1;
  }

  /**
   * A new stream (SSRC or sequence restart). Its numbering is spliced in after the old stream's
   * highest packet plus a gap for its own reordering, so packets of the old stream still in the
   * buffer play out first; then playout re-anchors on the new stream.
   */
  private resync(h: RtpHeader): void {
    this.counts.resyncs++;
    const oldHigh = this.refExtSeq;
    const oldPlaySeq = this.playSeq;
    const drain = this.started && !this.anchorPending && this.count > 0;
    if (!drain) this.flush();
    const tsBase = this.refExtTs + 0x100000000;
    this.begin(h);
    this.refExtSeq = oldHigh + 1 + SPLICE_GAP;
    this.refExtTs = tsBase;
    if (drain) {
      this.playSeq = oldPlaySeq;
      this.splice = oldHigh + 1;
      this.anchorPending = false;
    } else {
      this.playSeq = this.refExtSeq;
      this.splice = -1;
    }
    this.estimator.rebase();
  }

  /** Extended timestamp of a new highest packet, detecting sender clock jumps. */
  private timestampOfNewest(h: RtpHeader, delta: number, arrivalMs: number): number {
    const raw = this.refExtTs + timestampDelta(this.refTs, h.timestamp);
    const expected = this.refExtTs + delta * this.frameSamples;
    const dev = raw - expected;
    const base = this.estimator.baseTransitMs();
    let jump = false;
    if (dev < -this.frameSamples) {
      jump = true; // timestamps do not go back while sequence numbers go forward
    } else if (dev > this.frameSamples && base !== Infinity && arrivalMs - raw / this.rate < base - EARLY_TOLERANCE_MS) {
      jump = true; // further ahead than the time that passed: not a pause, a new clock
    }
    if (!jump) {
      if (delta === 1) {
        const inc = raw - this.refExtTs;
        if (inc > 0 && inc <= 120 * this.rate) {
          if (inc === this.lastIncrement) this.frameSamples = inc;
          this.lastIncrement = inc;
        }
      }
      return raw;
    }
    this.counts.timestampJumps++;
    this.jumpExtSeq = this.refExtSeq + delta;
    this.oldRefTs = this.refTs;
    this.oldRefExtTs = this.refExtTs;
    // Continue the old timeline where the sequence number says, if the arrival time agrees;
    // after a pause as well, place the packet where it arrived.
    const transitIfContinued = arrivalMs - expected / this.rate;
    if (base === Infinity || (transitIfContinued >= base - EARLY_TOLERANCE_MS && transitIfContinued <= base + this.maxDelayMs)) {
      return expected;
    }
    return Math.round((arrivalMs - base) * this.rate);
  }

  /**
   * Extended timestamp of a packet at or below the highest one: on the timeline before the last
   * clock jump if its sequence number is, else on the current one. A packet whose timestamp fits
   * neither (it was sent on the other side of the jump than its number says) gets the other
   * timeline, or NaN when that does not fit either.
   */
  private timestampOfOlder(h: RtpHeader, delta: number): number {
    const expected = this.refExtTs + delta * this.frameSamples;
    const current = this.refExtTs + timestampDelta(this.refTs, h.timestamp);
    if (this.jumpExtSeq < 0) return Math.abs(current - expected) <= this.reorderToleranceSamples() ? current : Number.NaN;
    const old = this.oldRefExtTs + timestampDelta(this.oldRefTs, h.timestamp);
    const preferred = this.refExtSeq + delta < this.jumpExtSeq ? old : current;
    const other = preferred === old ? current : old;
    const tol = this.reorderToleranceSamples();
    if (Math.abs(preferred - expected) <= tol) return preferred;
    if (Math.abs(other - expected) <= tol) return other;
    return Number.NaN;
  }

  /** How far a reordered packet's timestamp may stray from where its number puts it (a pause in between). */
  private reorderToleranceSamples(): number {
    return REORDER_TOLERANCE_MS * this.rate;
  }

  private reject(kind: 'duplicate' | 'late', sequence: number): PushResult {
    if (kind === 'duplicate') this.counts.duplicates++;
    else this.counts.late++;
    this.rejectRun = sequence === ((this.rejectSeq + 1) & 0xffff) ? this.rejectRun + 1 : 1;
    this.rejectSeq = sequence;
    if (this.rejectRun >= MAX_REJECT_RUN) {
      // Everything is behind the playout point: the sender restarted below it (or the stream we
      // took for stragglers is the only one left). Start over on the next packet.
      this.rejectRun = 0;
      this.restartPending = true;
    }
    return kind;
  }

  /** The packet `extSeq` does not fit behind `playSeq`: drop the oldest and re-anchor. */
  private overflow(extSeq: number): void {
    const newPlaySeq = extSeq - this.capacity + 1;
    for (let s = this.playSeq; s < newPlaySeq; s++) {
      const slot = this.slots[s & this.mask]!;
      if (slot.state === BUFFERED && slot.extSeq === s) this.drop(slot, 'discarded');
    }
    this.playSeq = newPlaySeq;
    this.anchorPending = true;
  }

  private store(slot: Slot, data: Uint8Array, h: RtpHeader, extSeq: number, extTs: number): void {
    const len = h.payloadLength;
    if (slot.data.length < len) slot.data = Buffer.allocUnsafe(Math.max(len, 320));
    slot.data.set(data.subarray(h.payloadOffset, h.payloadOffset + len));
    slot.length = len;
    slot.state = BUFFERED;
    slot.extSeq = extSeq;
    slot.extTs = extTs;
    slot.sequence = h.sequence;
    slot.timestamp = h.timestamp;
    slot.payloadType = h.payloadType;
    slot.marker = h.marker;
    this.count++;
  }

  private flush(): void {
    for (const slot of this.slots) {
      if (slot.state === BUFFERED) this.counts.discarded++;
      slot.state = FREE;
      slot.extSeq = -1;
    }
    this.count = 0;
  }

  // ---- pull side ----

  private frameMs(): number {
    return this.frameSamples / this.rate;
  }

  private delayNow(): number {
    return this.nextDueMs - this.playTs / this.rate - this.estimator.baseTransitMs();
  }

  private slotOf(extSeq: number): Slot | undefined {
    const slot = this.slots[extSeq & this.mask]!;
    return slot.state === BUFFERED && slot.extSeq === extSeq ? slot : undefined;
  }

  private firstBuffered(): Slot | undefined {
    if (this.count === 0) return undefined;
    for (let s = this.playSeq, end = this.refExtSeq; s <= end; s++) {
      const slot = this.slotOf(s);
      if (slot !== undefined) return slot;
    }
    return undefined;
  }

  private drop(slot: Slot, why: 'late' | 'discarded'): void {
    this.counts[why]++;
    slot.state = CONSUMED;
    this.count--;
    if (slot.extSeq >= this.playSeq) this.playSeq = slot.extSeq + 1;
  }

  private play(p: Slot): AudioFrame {
    const next = this.slotOf(p.extSeq + 1);
    const inc = next === undefined ? 0 : next.extTs - p.extTs;
    const samples = inc > 0 && inc <= 120 * this.rate ? inc : this.frameSamples;
    if (this.lastBuf.length < p.length) this.lastBuf = Buffer.allocUnsafe(p.length);
    p.data.copy(this.lastBuf, 0, 0, p.length);
    if (this.lastView.length !== p.length || this.lastView.buffer !== this.lastBuf.buffer) this.lastView = this.lastBuf.subarray(0, p.length);
    this.lastPayloadType = p.payloadType;

    const f = this.audio;
    f.payload = this.lastView;
    f.payloadType = p.payloadType;
    f.timestamp = p.timestamp;
    f.sequence = p.sequence;
    f.marker = p.marker;
    f.samples = samples;

    p.state = CONSUMED;
    this.count--;
    this.counts.played++;
    this.playSeq = p.extSeq + 1;
    this.playTs = p.extTs + samples;
    this.nextDueMs += samples / this.rate;
    this.lastKind = AUDIO;
    this.concealRun = 0;
    this.lateRun = 0;
    this.opening = false;
    this.framesSinceStretch++;
    return f;
  }

  /** A frame of concealment (repeat, then silence); `advance` moves the media position on. */
  private fill(advance: boolean): ConcealedFrame | SilenceFrame {
    const samples = this.frameSamples;
    const timestamp = (this.refTs + (this.playTs - this.refExtTs)) >>> 0;
    if (advance) this.playTs += samples;
    this.nextDueMs += samples / this.rate;
    this.concealRun++;
    if (this.concealRun <= this.maxConceal && this.lastView.length > 0) {
      const f = this.concealed;
      f.payload = this.lastView;
      f.payloadType = this.lastPayloadType;
      f.timestamp = timestamp;
      f.samples = samples;
      f.repeat = this.concealRun;
      this.counts.concealed++;
      this.lastKind = CONCEALED;
      return f;
    }
    const f = this.silence;
    f.payloadType = this.lastPayloadType;
    f.timestamp = timestamp;
    f.samples = samples;
    this.counts.silence++;
    this.lastKind = SILENCE;
    return f;
  }
}
