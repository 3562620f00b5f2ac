// Two-channel call recording (R-MEDIA-6): caller on the left, callee on the right, 8 kHz PCM16.
//
// Both sides are placed on one sample timeline that starts with the recorder. A side's first
// packet is anchored at its arrival time (injected monotonic clock); after that its RTP
// timestamps place the audio, so network jitter does not move it. Two corrections keep the
// sides on wall-clock time over long calls:
//  - drift: the offset of (arrival − RTP position) is tracked with a windowed minimum (the
//    least-delayed packets of the last 2–4 s). When it leaves a ±1 ms dead band the side is
//    slewed by one sample on the next packet (that packet is stretched or squeezed by one
//    sample: inaudible). The band is ±2 ms: narrower, and the noise of the estimate makes it
//    slew back and forth. 50 ppm of drift needs one slew every ~2.5 s; the capacity is 50/s.
//  - jumps: a packet placed more than 40 ms after its arrival (timestamps jumped forward, or
//    the first packet was delayed), or ten in a row arriving too late for the window
//    (timestamps jumped back, or the path got much slower), re-anchor the side at once.
//    Jitter cannot trigger either: placement follows the least-delayed packets, so jitter only
//    makes packets later, and up to the window that is harmless. A new SSRC re-anchors too.
// Samples are committed to the file `windowMs` (default 200 ms) behind the clock: until then
// reordered, late and duplicate packets simply land at their place; later than that they are
// dropped, so audio already in the file is never rewritten. Positions nothing was written to
// stay zero: silence where packets are missing.
// With `channels: 1` the same timeline records one side ('left') to a mono file: the voice
// message of one leg (message-recorder.ts), which also uses the hooks `maxFrames` (the file
// stops growing there), `onCommit` (sees each chunk before it is written), positionOf (where an
// RTP timestamp lands, e.g. a key's start) and close(keepFrames) (cuts the end back).

import { endianness } from 'node:os';
import { ALAW_TO_LINEAR, ULAW_TO_LINEAR } from './g711.ts';
import { emptyHeader, readRtpHeader, timestampDelta, type RtpHeader } from './rtp-packet.ts';
import { WavWriter } from './wav-writer.ts';

export type RecorderSide = 'left' | 'right';

export interface CallRecorderOptions {
  /** Monotonic milliseconds (default performance.now); injected so tests drive time. */
  clock?: () => number;
  /** RFC 4733 telephone-event payload type: not audio, skipped. Per side when they differ. */
  dtmfPayloadType?: number | { left?: number; right?: number };
  /** Write-behind window: how long reordering may settle before samples are committed. */
  windowMs?: number;
  /** Header refresh period in milliseconds of audio (default 1000). */
  refreshMs?: number;
  /** 2 (default): left and right; 1: a mono file of the left side only. */
  channels?: 1 | 2;
  /** The file stops at this many frames: nothing is committed past it. */
  maxFrames?: number;
  /** Sees every chunk of committed audio (interleaved frames) before it is written; must not keep it. */
  onCommit?: (samples: Int16Array, frames: number) => void;
}

export interface RecorderSideStats {
  packets: number; // audio packets placed
  skipped: number; // telephone-event, comfort noise, other payload types, malformed
  lateSamples: number; // samples that arrived after their place was committed
  reanchors: number; // first packet, SSRC changes and timestamp jumps
  slews: number; // one-sample drift corrections
}

const RATE = 8; // samples per millisecond
const RING = 1 << 14; // per side: 2.048 s, enough for window + look-ahead + one large packet
const MASK = RING - 1;
const MAX_PACKET = 2048; // samples (256 ms); longer payloads are cut
const JUMP = 40 * RATE; // 40 ms: beyond this a timestamp/arrival mismatch is a jump, not drift
const LATE_RUN = 10; // consecutive packets later than the window: timestamps went back, or the path slowed
const DEADBAND = 2 * RATE; // 2 ms
const BLOCK = 2000 * RATE; // minimum-filter block: the estimate spans the last 2–4 s
const COMMIT_CHUNK = 1024; // frames per file write

const BIG_ENDIAN_HOST = endianness() === 'BE';
const PT_PCMU = 0;
const PT_PCMA = 8;

class SideState {
  readonly ring = new Int16Array(RING);
  readonly stats: RecorderSideStats = { packets: 0, skipped: 0, lateSamples: 0, reanchors: 0, slews: 0 };
  dtmfPt = -1;
  active = false;
  ssrc = 0;
  lastTs = 0; // RTP timestamp of the newest packet, and its extended (unwrapped) value
  lastExt = 0;
  anchorPos = 0; // timeline position of extended timestamp 0
  shift = 0; // samples added to the RTP-derived position (drift and jump corrections)
  prevShift = 0; // the shift before the last slew, for packets older than it (reordered)
  changeExt = -Infinity; // extended timestamp of the packet the last slew applied from
  minCur = 0; // windowed minimum of arrival − RTP position, current and previous block
  minPrev = Infinity;
  blockEnd = 0;
  lateRun = 0;
  lateRunMin = Infinity;
  maxEnd = 0; // end of the furthest audio placed
}

export class CallRecorder {
  readonly channels: 1 | 2;
  private readonly writer: WavWriter;
  private readonly clock: () => number;
  private readonly t0: number;
  private readonly window: number;
  private readonly sides = [new SideState(), new SideState()] as const;
  private readonly scratch = new Int16Array(MAX_PACKET);
  private readonly out = new Int16Array(COMMIT_CHUNK * 2);
  private readonly outBytes = new Uint8Array(this.out.buffer); // the same memory, for the writer
  private readonly header: RtpHeader = emptyHeader();
  private committed = 0; // timeline position up to which the file is written
  private readonly maxFrames: number;
  private readonly onCommit: ((samples: Int16Array, frames: number) => void) | undefined;
  private closed = false;

  /** Creates the file and starts the timeline now. */
  constructor(
    readonly path: string,
    options: CallRecorderOptions = {},
  ) {
    this.clock = options.clock ?? (() => performance.now());
    this.window = Math.round(Math.min(Math.max(options.windowMs ?? 200, 20), 1000) * RATE);
    const dtmf = options.dtmfPayloadType;
    this.sides[0].dtmfPt = typeof dtmf === 'number' ? dtmf : (dtmf?.left ?? -1);
    this.sides[1].dtmfPt = typeof dtmf === 'number' ? dtmf : (dtmf?.right ?? -1);
    this.channels = options.channels === 1 ? 1 : 2;
    this.maxFrames = options.maxFrames ?? Infinity;
    this.onCommit = options.onCommit;
    this.writer = new WavWriter(path, { channels: this.channels, sampleRate: 8000, refreshBytes: Math.round((options.refreshMs ?? 1000) * RATE) * 2 * this.channels });
    this.t0 = this.clock();
  }

  /** Seconds of audio committed to the file. */
  get seconds(): number {
    return this.committed / 8000;
  }

  /** Frames (samples per channel) committed to the file. */
  get frames(): number {
    return this.committed;
  }

  /**
   * The timeline position (frame) where RTP timestamp `timestamp` of stream `ssrc` lands on a
   * side, or undefined when that side is not recording that stream (no audio from it yet).
   */
  positionOf(side: RecorderSide, ssrc: number, timestamp: number): number | undefined {
    const s = this.sides[side === 'left' ? 0 : 1];
    if (!s.active || s.ssrc !== ssrc) return undefined;
    return s.anchorPos + s.lastExt + timestampDelta(s.lastTs, timestamp) + s.shift;
  }

  stats(side: RecorderSide): Readonly<RecorderSideStats> {
    return this.sides[side === 'left' ? 0 : 1].stats;
  }

  /** Feeds one RTP packet of a side; `header` when the caller has already parsed it. */
  feed(side: RecorderSide, packet: Buffer, header?: RtpHeader): void {
    const h = header ?? readRtpHeader(packet, this.header);
    if (h === undefined) {
      this.sides[side === 'left' ? 0 : 1].stats.skipped++;
      return;
    }
    this.feedPayload(side, h.payloadType, h.timestamp, h.ssrc, packet, h.payloadOffset, h.payloadLength);
  }

  /** Feeds a payload (G.711 bytes at payload[offset, offset+length)) with its RTP fields. */
  feedPayload(side: RecorderSide, payloadType: number, timestamp: number, ssrc: number, payload: Uint8Array, offset = 0, length = payload.length - offset): void {
    if (this.closed) return;
    const s = this.sides[side === 'left' ? 0 : 1];
    if (side === 'right' && this.channels === 1) {
      s.stats.skipped++;
      return;
    }
    const table = payloadType === PT_PCMA ? ALAW_TO_LINEAR : payloadType === PT_PCMU ? ULAW_TO_LINEAR : undefined;
    if (table === undefined || payloadType === s.dtmfPt || length <= 0) {
      s.stats.skipped++;
      return;
    }
    const arrival = this.now();
    this.commit(arrival - this.window);

    if (!s.active || ssrc !== s.ssrc) this.anchor(s, ssrc, timestamp, arrival);
    const ext = s.lastExt + timestampDelta(s.lastTs, timestamp);
    const newest = ext > s.lastExt;
    if (newest) {
      s.lastExt = ext;
      s.lastTs = timestamp;
    }
    const raw = s.anchorPos + ext; // RTP-derived position, before corrections
    const offsetNow = arrival - raw; // arrival − RTP position: the quantity the corrections track
    let shift = ext >= s.changeExt ? s.shift : s.prevShift;
    const lateness = offsetNow - shift; // how long after its placed position the packet arrived

    if (lateness < -JUMP) {
      this.jump(s, offsetNow, arrival);
      shift = s.shift;
    } else if (lateness > this.window) {
      s.lateRun++;
      if (offsetNow < s.lateRunMin) s.lateRunMin = offsetNow;
      if (s.lateRun >= LATE_RUN) {
        this.jump(s, s.lateRunMin, arrival);
        shift = s.shift;
      }
    } else {
      s.lateRun = 0;
      s.lateRunMin = Infinity;
    }

    // Windowed minimum of the offset: the least-delayed packets show the sender's clock.
    if (arrival >= s.blockEnd) {
      s.minPrev = arrival >= s.blockEnd + BLOCK ? Infinity : s.minCur;
      s.minCur = Infinity;
      s.blockEnd = arrival + BLOCK;
    }
    if (offsetNow < s.minCur) s.minCur = offsetNow;

    let n = Math.min(length, MAX_PACKET);
    for (let i = 0; i < n; i++) this.scratch[i] = table[payload[offset + i]!]!;
    let start = raw + shift;

    // Drift: slew one sample on an in-order packet when the estimate leaves the dead band.
    if (newest && s.lateRun === 0) {
      const target = Math.min(s.minCur, s.minPrev);
      const err = target - s.shift;
      if (err > DEADBAND || err < -DEADBAND) {
        s.prevShift = s.shift;
        s.shift += err > 0 ? 1 : -1;
        s.changeExt = ext;
        s.stats.slews++;
      }
    }
    if (ext === s.changeExt && s.shift !== s.prevShift) {
      // This packet starts where the old shift put it and ends where the new one does.
      start = raw + s.prevShift;
      n = this.stretch(n, n + s.shift - s.prevShift);
    }
    this.place(s, start, n);
    s.stats.packets++;
  }

  /** Commits what the window has settled; call periodically so the file grows through silences. */
  tick(): void {
    if (!this.closed) {
      this.commit(this.now() - this.window);
      this.writer.refresh();
    }
  }

  /** Commits everything placed so far (the whole window) without closing: the file's end is final. */
  flush(): void {
    if (!this.closed) this.commit(Math.max(this.now(), this.sides[0].maxEnd, this.sides[1].maxEnd));
  }

  /**
   * Writes the remaining window and finalises the file; with `keepFrames`, the file is then cut
   * back to that many frames (never grown).
   */
  close(keepFrames?: number): void {
    if (this.closed) return;
    try {
      this.commit(Math.max(this.now(), this.sides[0].maxEnd, this.sides[1].maxEnd));
      if (keepFrames !== undefined && keepFrames < this.committed) {
        this.committed = Math.max(0, Math.floor(keepFrames));
        this.writer.truncate(this.committed * 2 * this.channels);
      }
    } finally {
      this.closed = true;
      this.writer.close(); // also when writing failed: the file is closed, the error goes on
    }
  }

  private now(): number {
    return Math.round((this.clock() - this.t0) * RATE);
  }

  private anchor(s: SideState, ssrc: number, timestamp: number, arrival: number): void {
    s.active = true;
    s.ssrc = ssrc;
    s.lastTs = timestamp;
    s.lastExt = 0;
    s.anchorPos = arrival;
    s.shift = s.prevShift = 0;
    s.changeExt = -Infinity;
    s.minCur = 0;
    s.minPrev = Infinity;
    s.blockEnd = arrival + BLOCK;
    s.lateRun = 0;
    s.lateRunMin = Infinity;
    s.stats.reanchors++;
  }

  // Re-anchors within the same stream: the new shift takes effect for every packet.
  private jump(s: SideState, shift: number, arrival: number): void {
    s.shift = s.prevShift = shift;
    s.changeExt = -Infinity;
    s.minCur = shift;
    s.minPrev = Infinity;
    s.blockEnd = arrival + BLOCK;
    s.lateRun = 0;
    s.lateRunMin = Infinity;
    s.stats.reanchors++;
  }

  // Linear interpolation of scratch[0, n) onto m samples, in place (m = n ± 1).
  private stretch(n: number, m: number): number {
    const src = this.scratch;
    if (m > MAX_PACKET || n < 2 || m < 2) return n;
    const step = (n - 1) / (m - 1);
    const last = src[n - 1]!; // set exactly: j * step may round past the end
    if (m > n) {
      for (let j = m - 2; j >= 0; j--) src[j] = interpolate(src, j * step);
    } else {
      for (let j = 0; j < m - 1; j++) src[j] = interpolate(src, j * step);
    }
    src[m - 1] = last;
    return m;
  }

  private place(s: SideState, start: number, n: number): void {
    const ring = s.ring;
    const from = Math.max(start, this.committed);
    const to = Math.min(start + n, this.committed + RING);
    if (from > start) s.stats.lateSamples += Math.min(n, from - start);
    for (let p = from; p < to; p++) ring[p & MASK] = this.scratch[p - start]!;
    if (to > s.maxEnd) s.maxEnd = to;
  }

  private commit(upTo: number): void {
    const left = this.sides[0].ring;
    const right = this.sides[1].ring;
    const out = this.out;
    const stereo = this.channels === 2;
    const bytesPerFrame = 2 * this.channels;
    const to = Math.min(upTo, this.maxFrames);
    while (this.committed < to) {
      const frames = Math.min(to - this.committed, COMMIT_CHUNK);
      if (stereo) {
        for (let i = 0, p = this.committed; i < frames; i++, p++) {
          const k = p & MASK;
          out[2 * i] = left[k]!;
          out[2 * i + 1] = right[k]!;
          left[k] = 0;
          right[k] = 0;
        }
      } else {
        for (let i = 0, p = this.committed; i < frames; i++, p++) {
          const k = p & MASK;
          out[i] = left[k]!;
          left[k] = 0;
        }
      }
      if (this.onCommit !== undefined) this.onCommit(out, frames);
      // PCM16 in the file is little-endian, as is every host we ship on (x86-64, arm64).
      if (BIG_ENDIAN_HOST) Buffer.from(this.out.buffer, 0, frames * bytesPerFrame).swap16();
      this.writer.write(this.outBytes, 0, frames * bytesPerFrame);
      this.committed += frames;
    }
  }
}

// Reads src at fractional index x. Stretching upwards reads ahead of where it writes only when
// iterating backwards (m > n), squeezing only when iterating forwards, so in place is safe.
function interpolate(src: Int16Array, x: number): number {
  const i = Math.floor(x);
  const f = x - i;
  const a = src[i]!;
  return f === 0 ? a : Math.round(a + (src[i + 1]! - a) * f);
}
