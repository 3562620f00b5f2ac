// Prompt playback as 20 ms G.711 RTP (R-MEDIA-5).
//
// A Player belongs to one leg. It takes audio (PCM16 at 8 kHz, or A-law/µ-law bytes as read from
// a WAV), encodes it to the leg's codec with the G.711 tables and sends 160 samples per packet:
// sequence +1 and timestamp +160 per packet, marker on the first packet of each play (a new
// talk-spurt). The RTP stream state (SSRC, next sequence, next timestamp) belongs to the caller
// and is carried over from play to play, so consecutive plays (and whatever else the leg sends
// with the same state) form one stream.
//
// Pacing comes from a PlayoutClock (one timer per worker for all players): packet k of a run is
// due at tick startTick + k, so its send time is computed from the start and never accumulates
// timer error. Packets that are overdue after an event-loop stall are sent at once, at most
// `maxCatchUp` of them; if more were due the run is re-anchored so the next packet is due on the
// next tick, rather than bursting out everything that was missed.
//
// Plays queue: play() while playing appends; the queued play starts on the next packet slot,
// with no gap. stop() ends the current play and everything queued ('stopped'); interrupt() —
// called by the leg on DTMF — ends the current play if it was started `interruptible`
// ('interrupted'), and the next queued play (if any) starts. Every play ends exactly once, with
// `onDone` and the `done` promise.

import { ALAW_SILENCE, ALAW_TO_ULAW, LINEAR_TO_ALAW, LINEAR_TO_ULAW, ULAW_SILENCE, ULAW_TO_ALAW } from './g711.ts';
import { type PlayoutClock, type PlayoutSource, sharedPlayoutClock } from './playout-clock.ts';
import { RTP_HEADER_SIZE, writeRtpHeader } from './rtp-packet.ts';

/** G.711 at 8 kHz: 20 ms = 160 samples = 160 bytes of payload. */
export const SAMPLES_PER_PACKET = 160;
export const PACKET_MS = 20;
const SAMPLES_PER_MS = 8;

export type PlayCodec = 'PCMA' | 'PCMU';
/** The static RTP payload types (RFC 3551). */
export const PAYLOAD_TYPE: Record<PlayCodec, number> = { PCMU: 0, PCMA: 8 };

/**
 * The sending side of an RTP stream, owned by the caller (the leg) and updated by the player:
 * `sequence` and `timestamp` are those of the next packet to send. `lastSentAt` is the playout
 * clock's (nominal) time of the last packet sent; when a play starts after a pause, the
 * timestamp jumps by the silent time (RFC 3550 §5.1) while the sequence stays contiguous.
 */
export interface RtpStreamState {
  ssrc: number;
  sequence: number;
  timestamp: number;
  lastSentAt?: number;
}

/** A fresh stream state with a random SSRC, sequence and timestamp (RFC 3550 §5.1). */
export function newRtpStreamState(): RtpStreamState {
  const r = new Uint32Array(3);
  crypto.getRandomValues(r);
  return { ssrc: r[0]!, sequence: r[1]! & 0xffff, timestamp: r[2]! };
}

/** Audio to play: 8 kHz mono PCM16 samples, A-law or µ-law bytes, or silence. */
export type PlayItem =
  | { format: 'pcm16'; samples: Int16Array }
  | { format: 'alaw' | 'ulaw'; data: Uint8Array }
  | { format: 'silence'; ms: number };

export type PlayEndReason = 'finished' | 'stopped' | 'interrupted';

export interface PlayResult {
  id: number;
  reason: PlayEndReason;
  /** Packets this play sent. */
  packets: number;
}

export interface PlayOptions {
  /** Start again from the first item at the end of the last one, until stopped or interrupted. */
  loop?: boolean;
  /** interrupt() (DTMF) ends this play. */
  interruptible?: boolean;
  onDone?: (result: PlayResult) => void;
}

export interface Playback {
  readonly id: number;
  /** Resolves (never rejects) when the play ends, however it ends. */
  readonly done: Promise<PlayResult>;
}

export interface PlayerOptions {
  /** Sends one RTP packet. Each call gets a fresh Buffer the callee may keep. */
  send(packet: Buffer): void;
  /** The leg's codec; may be changed between packets (re-INVITE). */
  codec: PlayCodec;
  /** Payload type to send (default: the static one of the codec). */
  payloadType?: number;
  /** The stream's sequence/timestamp/SSRC state, shared with whatever else sends on the leg. */
  stream: RtpStreamState;
  /** The clock that paces this player (default: the thread's shared real-time clock). */
  clock?: PlayoutClock;
  /** Most overdue packets sent at once after a stall before re-anchoring (default 5). */
  maxCatchUp?: number;
  /** Receives what send or an onDone callback throws (default: ignored). */
  onError?: (err: unknown) => void;
}

interface Job {
  id: number;
  items: PlayItem[];
  loop: boolean;
  interruptible: boolean;
  onDone: ((result: PlayResult) => void) | undefined;
  resolve: (result: PlayResult) => void;
  item: number; // index of the item being read
  offset: number; // samples of that item already read
  packets: number;
  started: boolean; // first packet sent (the next one carries no marker)
}

function itemLength(item: PlayItem): number {
  switch (item.format) {
    case 'pcm16':
      return item.samples.length;
    case 'alaw':
    case 'ulaw':
      return item.data.length;
    case 'silence':
      return Math.max(0, Math.round(item.ms * SAMPLES_PER_MS));
  }
}

let nextPlayId = 1;

export class Player implements PlayoutSource {
  codec: PlayCodec;
  payloadType: number | undefined;
  readonly stream: RtpStreamState;
  readonly stats = { packets: 0, plays: 0, reanchors: 0, sendErrors: 0 };
  private readonly send: (packet: Buffer) => void;
  private readonly clock: PlayoutClock;
  private readonly maxCatchUp: number;
  private readonly onError: (err: unknown) => void;
  private readonly queue: Job[] = [];
  private current: Job | undefined;
  private registered = false;
  /** Tick of slot 0 of the current run of contiguous packets; undefined between runs. */
  private startTick: number | undefined;
  /** Packets sent in the current run (the next packet's slot). */
  private slot = 0;

  constructor(options: PlayerOptions) {
    this.send = options.send;
    this.codec = options.codec;
    this.payloadType = options.payloadType;
    this.stream = options.stream;
    this.clock = options.clock ?? sharedPlayoutClock();
    this.maxCatchUp = Math.max(1, options.maxCatchUp ?? 5);
    this.onError = options.onError ?? (() => {});
  }

  /** Queues a play of `items` (one item or a list played back to back as one stream of audio). */
  play(items: PlayItem | PlayItem[], options: PlayOptions = {}): Playback {
    let resolve!: (result: PlayResult) => void;
    const done = new Promise<PlayResult>((r) => (resolve = r));
    const job: Job = {
      id: nextPlayId++,
      items: Array.isArray(items) ? items.slice() : [items],
      loop: options.loop ?? false,
      interruptible: options.interruptible ?? false,
      onDone: options.onDone,
      resolve,
      item: 0,
      offset: 0,
      packets: 0,
      started: false,
    };
    this.stats.plays++;
    this.queue.push(job);
    if (!this.registered) {
      this.registered = true;
      this.clock.add(this);
    }
    return { id: job.id, done };
  }

  /** True while a play is running or queued. */
  get playing(): boolean {
    return this.current !== undefined || this.queue.length > 0;
  }

  /** The id of the play being sent, if any. */
  get currentId(): number | undefined {
    return this.current?.id;
  }

  /**
   * Ends the play `id` (current or queued), or with no id the current play and every queued one,
   * with reason 'stopped'. No packet of an ended play is sent after this returns. Returns how
   * many plays ended.
   */
  stop(id?: number): number {
    // Take the plays out first, then report: an onDone that queues a new play must not see
    // it stopped too.
    const ended: Job[] = [];
    if (this.current && (id === undefined || this.current.id === id)) {
      ended.push(this.current);
      this.current = undefined;
    }
    for (let i = 0; i < this.queue.length; ) {
      if (id === undefined || this.queue[i]!.id === id) ended.push(...this.queue.splice(i, 1));
      else i++;
    }
    for (const job of ended) this.end(job, 'stopped');
    return ended.length;
  }

  /** DTMF: ends the current play with 'interrupted' if it is interruptible. Returns whether it did. */
  interrupt(): boolean {
    const job = this.current;
    if (!job || !job.interruptible) return false;
    this.current = undefined;
    this.end(job, 'interrupted');
    return true;
  }

  /** Stops everything and leaves the clock. */
  close(): void {
    this.stop();
    this.leave();
  }

  /** PlayoutSource: sends the packets due up to `tick`. Called by the PlayoutClock. */
  pump(tick: number): void {
    if (!this.current && !this.nextJob()) {
      this.leave();
      return;
    }
    if (this.startTick === undefined) this.beginRun(tick);
    const due = tick - (this.startTick! + this.slot) + 1;
    if (due <= 0) return;
    const burst = Math.min(due, this.maxCatchUp);
    for (let i = 0; i < burst; i++) {
      if (!this.current && !this.nextJob()) break;
      this.sendPacket(this.current!);
    }
    if (due > burst && this.startTick !== undefined) {
      // A stall left more overdue than we send at once: continue from the next tick.
      this.startTick = tick + 1 - this.slot;
      this.stats.reanchors++;
    }
  }

  private beginRun(tick: number): void {
    this.startTick = tick;
    this.slot = 0;
    const last = this.stream.lastSentAt;
    if (last !== undefined) {
      // Time that passed without packets advances the timestamp (not the sequence).
      const gap = Math.round((this.clock.tickTime(tick) - last) / PACKET_MS) - 1;
      if (gap > 0) this.stream.timestamp = (this.stream.timestamp + gap * SAMPLES_PER_PACKET) >>> 0;
    }
  }

  /** Takes the next play off the queue, ending empty ones at once. */
  private nextJob(): Job | undefined {
    while (this.queue.length > 0) {
      const job = this.queue.shift()!;
      const total = job.items.reduce((n, item) => n + itemLength(item), 0);
      if (total > 0) return (this.current = job);
      this.end(job, 'finished');
    }
    return undefined;
  }

  private leave(): void {
    this.startTick = undefined;
    if (this.registered) {
      this.registered = false;
      this.clock.remove(this);
    }
  }

  private sendPacket(job: Job): void {
    const packet = Buffer.allocUnsafe(RTP_HEADER_SIZE + SAMPLES_PER_PACKET);
    const finished = this.fill(job, packet, RTP_HEADER_SIZE);
    const s = this.stream;
    writeRtpHeader(packet, {
      marker: !job.started,
      payloadType: this.payloadType ?? PAYLOAD_TYPE[this.codec],
      sequence: s.sequence,
      timestamp: s.timestamp,
      ssrc: s.ssrc,
    });
    s.lastSentAt = this.clock.tickTime(this.startTick! + this.slot);
    s.sequence = (s.sequence + 1) & 0xffff;
    s.timestamp = (s.timestamp + SAMPLES_PER_PACKET) >>> 0;
    job.started = true;
    job.packets++;
    this.slot++;
    this.stats.packets++;
    try {
      this.send(packet);
    } catch (err) {
      this.stats.sendErrors++;
      this.onError(err);
    }
    if (finished && this.current === job) {
      this.current = undefined;
      this.end(job, 'finished');
    }
  }

  /**
   * Encodes the next 160 samples of `job` into packet[at..], reading across items (and around
   * the list when looping); pads the last packet with silence. Returns true when the play has no
   * audio left after this packet.
   */
  private fill(job: Job, packet: Buffer, at: number): boolean {
    const alaw = this.codec === 'PCMA';
    let filled = 0;
    while (filled < SAMPLES_PER_PACKET) {
      if (job.item >= job.items.length) {
        if (!job.loop) break;
        job.item = 0;
        job.offset = 0;
      }
      const item = job.items[job.item]!;
      const len = itemLength(item);
      const n = Math.min(SAMPLES_PER_PACKET - filled, len - job.offset);
      const o = at + filled;
      const from = job.offset;
      switch (item.format) {
        case 'pcm16': {
          const table = alaw ? LINEAR_TO_ALAW : LINEAR_TO_ULAW;
          const src = item.samples;
          for (let i = 0; i < n; i++) packet[o + i] = table[src[from + i]! & 0xffff]!;
          break;
        }
        case 'alaw':
          if (alaw) packet.set(item.data.subarray(from, from + n), o);
          else for (let i = 0; i < n; i++) packet[o + i] = ALAW_TO_ULAW[item.data[from + i]!]!;
          break;
        case 'ulaw':
          if (!alaw) packet.set(item.data.subarray(from, from + n), o);
          else for (let i = 0; i < n; i++) packet[o + i] = ULAW_TO_ALAW[item.data[from + i]!]!;
          break;
        case 'silence':
          packet.fill(alaw ? ALAW_SILENCE : ULAW_SILENCE, o, o + n);
          break;
      }
      filled += n;
      job.offset += n;
      if (job.offset >= len) {
        job.item++;
        job.offset = 0;
      }
    }
    if (filled < SAMPLES_PER_PACKET) packet.fill(alaw ? ALAW_SILENCE : ULAW_SILENCE, at + filled, at + SAMPLES_PER_PACKET);
    return !job.loop && job.item >= job.items.length;
  }

  private end(job: Job, reason: PlayEndReason): void {
    const result: PlayResult = { id: job.id, reason, packets: job.packets };
    job.resolve(result);
    if (job.onDone) {
      try {
        job.onDone(result);
      } catch (err) {
        this.onError(err);
      }
    }
  }
}
