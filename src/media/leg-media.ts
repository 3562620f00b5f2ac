// What a media worker does for one leg beyond relaying: prompts and RFC 4733 digits sent to the
// leg's phone, and DTMF detected in what the phone sends (ARCHITECTURE.md "Process model").
//
// THE LEG'S OUTGOING STREAM. Until something is sent to a leg, packets toward its phone are the
// other phone's, untouched (the fast path). The first play or sendDtmf gives the leg its own
// RTP stream state (new SSRC, sequence, timestamp — RtpStreamState, shared with the Player) and
// installs an `egress` hook on the endpoint: from then on every relayed packet toward the phone
// is renumbered into that stream (sequence and timestamp offsets re-anchored, with the marker
// bit, whenever relayed audio resumes or its SSRC changes), so the phone sees one consistent
// stream across relay → prompt → relay → DTMF → relay. While a prompt or DTMF is being sent,
// relayed packets toward the phone are dropped: the prompt replaces the other side's audio.
// The stream's packet and payload-octet counts (prompt, DTMF and renumbered relay alike) and
// its RTP timestamp for "now" are what the leg's RTCP SR reports (senderState, leg-rtcp.ts);
// a stream started after the leg's RTCP took an SSRC keeps that SSRC.
//
// Pacing: the Player and the DTMF sender run on the worker's shared PlayoutClock (one timer for
// every leg). A digit is sent as its RFC 4733 schedule (buildDtmfEvent) on the clock's 20 ms
// ticks; digits queue. A play cannot start while digits are being sent, nor digits while a
// play runs (MediaCommandError): the stream has one sender at a time.
//
// DTMF detection is opt-in (collectDigits): only then does the session install a `tap` that
// hands this leg's incoming packets to a DtmfReceiver (RFC 4733) and, with `inband`, decodes
// G.711 to a DtmfToneDetector. A digit interrupts an interruptible play on the same leg.
// `inbandListener` (a voice message on this leg) also hears in-band digits, with the RTP
// timestamp where the tone started, so the message can be cut back to it.
import type { Codec, LegName } from './media-protocol.ts';
import { MediaCommandError } from './media-protocol.ts';
import type { RelayEndpoint } from './relay-endpoint.ts';
import { PACKET_MS, Player, SAMPLES_PER_PACKET, newRtpStreamState, type PlayCodec, type PlayItem, type PlayOptions, type PlayResult, type RtpStreamState } from './player.ts';
import { sharedPlayoutClock, type PlayoutClock, type PlayoutSource } from './playout-clock.ts';
import { DtmfReceiver } from './dtmf-receiver.ts';
import { DtmfToneDetector } from './dtmf-tone-detector.ts';
import { buildDtmfEvent, setRtpSequence, type DtmfSendPlan } from './dtmf-sender.ts';
import { ALAW_TO_LINEAR, ULAW_TO_LINEAR } from './g711.ts';
import type { RtcpSenderState } from './leg-rtcp.ts';
import { RTP_HEADER_SIZE, emptyHeader, readRtpHeader, sequenceDelta, timestampDelta, type RtpHeader } from './rtp-packet.ts';

export const DEFAULT_TELEPHONE_EVENT_PT = 101;

const norm = (name: string): string => name.trim().toUpperCase();

/** The leg's G.711 codec for what the worker sends: the first PCMA/PCMU it declared, else PCMU/0. */
export function playCodecOf(codecs: readonly Codec[] | undefined): { codec: PlayCodec; pt: number } {
  for (const c of codecs ?? []) {
    const n = norm(c.name);
    if (n === 'PCMA' || n === 'PCMU') return { codec: n, pt: c.pt };
  }
  return { codec: 'PCMU', pt: 0 };
}

/** The leg's telephone-event payload type, if it declared one. */
export function telephoneEventPtOf(codecs: readonly Codec[] | undefined): number | undefined {
  for (const c of codecs ?? []) if (norm(c.name) === 'TELEPHONE-EVENT') return c.pt;
  return undefined;
}

/** Decoding table per payload type for in-band detection: 1 = A-law, 2 = µ-law, 0 = not G.711. */
function lawTable(codecs: readonly Codec[] | undefined): Uint8Array {
  const t = new Uint8Array(128);
  if (codecs === undefined) {
    t[0] = 2;
    t[8] = 1;
    return t;
  }
  for (const c of codecs) {
    if (c.pt < 0 || c.pt > 127) continue;
    const n = norm(c.name);
    if (n === 'PCMA') t[c.pt] = 1;
    else if (n === 'PCMU') t[c.pt] = 2;
  }
  return t;
}

export type DtmfSource = 'rfc4733' | 'inband';

export interface LegMediaEvents {
  onDtmf(leg: LegName, digit: string, durationMs: number, source: DtmfSource): void;
  onPlayDone(leg: LegName, result: PlayResult): void;
}

interface DigitJob {
  digit: string;
  durationMs: number | undefined;
  payloadType: number;
  volume: number | undefined;
  resolve: (r: { durationMs: number }) => void;
  reject: (e: Error) => void;
}

export class LegMedia implements PlayoutSource {
  readonly name: LegName;
  private readonly endpoint: RelayEndpoint;
  private readonly codecs: () => readonly Codec[] | undefined;
  private readonly events: LegMediaEvents;
  private readonly clock: PlayoutClock;

  // ---- sending: the leg's own stream, created by the first play/sendDtmf ----
  private stream: RtpStreamState | null = null;
  private player: Player | null = null;
  private readonly digits: DigitJob[] = [];
  private digitPlan: DtmfSendPlan | null = null;
  private digitStartTick = 0;
  private digitNext = 0;
  private onClock = false;
  /** Relayed packets dropped while the worker was sending to this leg. */
  suppressed = 0;
  /** Packets the worker made and sent (prompt, DTMF). */
  sent = 0;
  /** Packets and payload octets sent in the leg's stream: the worker's and renumbered relayed ones (RTCP SR). */
  private streamPackets = 0;
  private streamOctets = 0;
  // egress re-anchoring of the relayed stream into ours
  private resume = true;
  private inSsrc = 0;
  private seqOffset = 0;
  private tsOffset = 0;
  private readonly egressHeader: RtpHeader = emptyHeader();
  /** G.711 payload types of the leg (non-zero): their payload length advances the timestamp. */
  private audioPts: Uint8Array = new Uint8Array(128);

  // ---- detection (collectDigits) ----
  private receiver: DtmfReceiver | null = null;
  private detector: DtmfToneDetector | null = null;
  private laws: Uint8Array | null = null;
  private readonly pcm = new Int16Array(2048);
  private readonly tapHeader: RtpHeader = emptyHeader();
  /** Samples given to the detector so far, and the RTP stream/timestamp where the last packet pushed ends. */
  private inbandPos = 0;
  private inbandSsrc = 0;
  private inbandEndTs = 0;
  /** Hears in-band digits with the RTP timestamp of the tone's start (a voice message on this leg). */
  inbandListener: ((digit: string, ssrc: number, startTs: number, durationSamples: number) => void) | null = null;

  constructor(name: LegName, endpoint: RelayEndpoint, codecs: () => readonly Codec[] | undefined, events: LegMediaEvents, clock: PlayoutClock = sharedPlayoutClock()) {
    this.name = name;
    this.endpoint = endpoint;
    this.codecs = codecs;
    this.events = events;
    this.clock = clock;
  }

  /** True while a prompt or DTMF is being sent (relayed audio toward the phone is suppressed). */
  get busy(): boolean {
    return (this.player?.playing ?? false) || this.digits.length > 0;
  }

  get detecting(): boolean {
    return this.receiver !== null || this.detector !== null;
  }

  /** The telephone-event payload type collectDigits watches, if it is on for RFC 4733. */
  get telephoneEventPt(): number | undefined {
    return this.receiver?.payloadType;
  }

  // ---------------------------------------------------------------- the leg's stream

  private ownStream(): RtpStreamState {
    if (this.stream === null) {
      this.stream = newRtpStreamState();
      const rtcp = this.endpoint.reporter;
      if (rtcp !== null) this.stream.ssrc = rtcp.ownSsrc; // the phone already knows this SSRC from RTCP
      this.audioPts = lawTable(this.codecs());
      this.resume = true;
      this.endpoint.egress = this.egress;
    }
    return this.stream;
  }

  private send = (packet: Buffer): void => {
    if (this.endpoint.sendOwn(packet)) {
      this.sent++;
      // our packets carry a bare 12-byte header (Player, buildDtmfEvent)
      this.streamPackets++;
      this.streamOctets += packet.length - RTP_HEADER_SIZE;
    }
  };

  /**
   * The leg's stream for an RTCP SR, or null before the worker sent the phone anything. The RTP
   * timestamp for "now" is the last packet's (stream.timestamp − 160: the next packet's minus one
   * 20 ms packet) advanced by the time since it was sent at 8 samples/ms.
   */
  senderState(): RtcpSenderState | null {
    const s = this.stream;
    if (s === null) return null;
    let ts = s.timestamp;
    if (s.lastSentAt !== undefined) ts = (s.timestamp - SAMPLES_PER_PACKET + Math.round((this.clock.clock.now() - s.lastSentAt) * 8)) >>> 0;
    return { ssrc: s.ssrc, packets: this.streamPackets, octets: this.streamOctets, rtpTimestamp: ts };
  }

  /** Relayed packets toward the phone: dropped while busy, else renumbered into the leg's stream. */
  private readonly egress = (msg: Buffer): boolean => {
    if (this.busy) {
      this.suppressed++;
      this.resume = true;
      return false;
    }
    const s = this.stream!;
    const h = readRtpHeader(msg, this.egressHeader);
    if (h === undefined) return false;
    const now = this.clock.clock.now();
    let marker = false;
    if (this.resume || h.ssrc !== this.inSsrc) {
      this.resume = false;
      this.inSsrc = h.ssrc;
      let ts = s.timestamp;
      if (s.lastSentAt !== undefined) {
        const gap = Math.round((now - s.lastSentAt) / PACKET_MS) - 1;
        if (gap > 0) ts = (ts + gap * SAMPLES_PER_PACKET) >>> 0;
      }
      this.seqOffset = (s.sequence - h.sequence) & 0xffff;
      this.tsOffset = (ts - h.timestamp) >>> 0;
      marker = true;
    }
    const seq = (h.sequence + this.seqOffset) & 0xffff;
    const ts = (h.timestamp + this.tsOffset) >>> 0;
    msg[1] = marker ? msg[1]! | 0x80 : msg[1]!;
    msg.writeUInt16BE(seq, 2);
    msg.writeUInt32BE(ts, 4);
    msg.writeUInt32BE(s.ssrc, 8);
    if (sequenceDelta(s.sequence, seq) >= 0) {
      s.sequence = (seq + 1) & 0xffff;
      // audio advances the clock by its samples (G.711: one byte each); events keep their start
      const next = this.audioPts[h.payloadType] ? (ts + h.payloadLength) >>> 0 : ts;
      if (timestampDelta(s.timestamp, next) > 0) s.timestamp = next;
      s.lastSentAt = now;
    }
    this.streamPackets++;
    this.streamOctets += h.payloadLength;
    return true;
  };

  // ---------------------------------------------------------------- play

  play(items: PlayItem[], options: Pick<PlayOptions, 'loop' | 'interruptible'>): number {
    if (this.digits.length > 0) throw new MediaCommandError(`leg ${this.name} is sending DTMF; play when sendDtmf has finished`);
    const stream = this.ownStream();
    const { codec, pt } = playCodecOf(this.codecs());
    if (this.player === null) {
      this.player = new Player({ send: this.send, codec, payloadType: pt, stream, clock: this.clock });
    } else {
      this.player.codec = codec;
      this.player.payloadType = pt;
    }
    return this.player.play(items, {
      loop: options.loop ?? false,
      interruptible: options.interruptible ?? false,
      onDone: (r) => {
        if (!this.busy) this.resume = true;
        this.events.onPlayDone(this.name, r);
      },
    }).id;
  }

  /** Stops the play `playId` (or every play); returns how many ended. */
  stopPlay(playId?: number): number {
    return this.player?.stop(playId) ?? 0;
  }

  // ---------------------------------------------------------------- sendDtmf

  /** Queues one RFC 4733 digit; resolves when its last end packet has been sent. */
  sendDtmf(digit: string, opts: { durationMs?: number; payloadType?: number; volume?: number }): Promise<{ durationMs: number }> {
    if (this.player?.playing) throw new MediaCommandError(`leg ${this.name} is playing; stop the play before sendDtmf`);
    // validate now (a bad digit is the caller's error, not the clock's)
    const payloadType = opts.payloadType ?? telephoneEventPtOf(this.codecs()) ?? DEFAULT_TELEPHONE_EVENT_PT;
    if (!Number.isInteger(payloadType) || payloadType < 96 || payloadType > 127) throw new MediaCommandError(`sendDtmf: bad telephone-event payload type ${payloadType}`);
    try {
      buildDtmfEvent(digit, { payloadType, ssrc: 0, sequence: 0, timestamp: 0, durationMs: opts.durationMs });
    } catch (e) {
      throw new MediaCommandError(`sendDtmf: ${(e as Error).message}`);
    }
    this.ownStream();
    return new Promise((resolve, reject) => {
      this.digits.push({ digit, durationMs: opts.durationMs, payloadType, volume: opts.volume, resolve, reject });
      if (!this.onClock) {
        this.onClock = true;
        this.clock.add(this);
      }
    });
  }

  /** PlayoutSource: sends the DTMF packets due by `tick`. */
  pump(tick: number): void {
    const s = this.stream!;
    while (this.digits.length > 0) {
      const job = this.digits[0]!;
      if (this.digitPlan === null) {
        let ts = s.timestamp;
        if (s.lastSentAt !== undefined) {
          const gap = Math.round((this.clock.tickTime(tick) - s.lastSentAt) / PACKET_MS) - 1;
          if (gap > 0) ts = (ts + gap * SAMPLES_PER_PACKET) >>> 0;
        }
        this.digitPlan = buildDtmfEvent(job.digit, { payloadType: job.payloadType, ssrc: s.ssrc, sequence: s.sequence, timestamp: ts, durationMs: job.durationMs, volume: job.volume });
        this.digitStartTick = tick;
        this.digitNext = 0;
      }
      const plan = this.digitPlan;
      const elapsed = (tick - this.digitStartTick) * this.clock.tickMs;
      while (this.digitNext < plan.packets.length && plan.packets[this.digitNext]!.at <= elapsed) {
        const p = plan.packets[this.digitNext++]!;
        setRtpSequence(p.data, s.sequence);
        s.sequence = (s.sequence + 1) & 0xffff;
        this.send(p.data);
      }
      if (this.digitNext < plan.packets.length) return;
      // the tone occupied the stream up to nextTimestamp; audio continues from there
      s.timestamp = plan.nextTimestamp;
      s.lastSentAt = this.clock.tickTime(this.digitStartTick) + plan.endsAt - PACKET_MS;
      this.digitPlan = null;
      this.digits.shift();
      job.resolve({ durationMs: Math.round(plan.durationSamples / 8) });
    }
    this.resume = true;
    this.onClock = false;
    this.clock.remove(this);
  }

  // ---------------------------------------------------------------- detection

  /** Starts (or reconfigures) DTMF detection on this leg. */
  collectDigits(opts: { telephoneEventPt?: number; rfc4733?: boolean; inband?: boolean }): void {
    const pt = opts.telephoneEventPt ?? telephoneEventPtOf(this.codecs()) ?? DEFAULT_TELEPHONE_EVENT_PT;
    if (!Number.isInteger(pt) || pt < 0 || pt > 127) throw new MediaCommandError(`collectDigits: bad telephone-event payload type ${pt}`);
    this.receiver?.flush();
    this.receiver =
      (opts.rfc4733 ?? true)
        ? new DtmfReceiver({
            payloadType: pt,
            onDigit: (e) => this.digit(e.digit, e.durationMs, 'rfc4733'),
          })
        : null;
    if (opts.inband) {
      if (this.detector === null) {
        this.inbandPos = 0;
        this.detector = new DtmfToneDetector({
          onDigit: () => this.player?.interrupt(),
          onDigitEnd: (d) => {
            // called from push(): the packet just pushed ends at inbandEndTs / inbandPos
            this.inbandListener?.(d.digit, this.inbandSsrc, (this.inbandEndTs - (this.inbandPos - d.startSample)) >>> 0, d.durationSamples);
            this.events.onDtmf(this.name, d.digit, d.durationMs, 'inband');
          },
        });
      }
      this.laws = lawTable(this.codecs());
    } else {
      this.detector = null;
      this.laws = null;
    }
  }

  stopDigits(): void {
    this.receiver?.flush();
    this.receiver = null;
    this.detector = null;
    this.laws = null;
  }

  /** New codecs from signalling (re-INVITE). */
  refresh(): void {
    if (this.laws !== null) this.laws = lawTable(this.codecs());
    if (this.stream !== null) this.audioPts = lawTable(this.codecs());
  }

  private digit(digit: string, durationMs: number, source: DtmfSource): void {
    this.player?.interrupt();
    this.events.onDtmf(this.name, digit, durationMs, source);
  }

  /** One accepted packet from the phone (via the session's tap). */
  ingest(msg: Buffer, nowMs: number): void {
    const h = readRtpHeader(msg, this.tapHeader);
    if (h === undefined) return;
    if (this.receiver !== null && this.receiver.push(msg, h, nowMs)) return;
    const laws = this.laws;
    if (this.detector === null || laws === null) return;
    const law = laws[h.payloadType];
    if (!law) return;
    const n = Math.min(h.payloadLength, this.pcm.length);
    const table = law === 1 ? ALAW_TO_LINEAR : ULAW_TO_LINEAR;
    const o = h.payloadOffset;
    for (let i = 0; i < n; i++) this.pcm[i] = table[msg[o + i]!]!;
    this.inbandPos += n;
    this.inbandSsrc = h.ssrc;
    this.inbandEndTs = (h.timestamp + n) >>> 0;
    this.detector.push(this.pcm.subarray(0, n));
  }

  /** Timer: reports an RFC 4733 event whose end packets were lost. */
  poll(nowMs: number): void {
    this.receiver?.poll(nowMs);
  }

  close(): void {
    this.player?.close();
    for (const job of this.digits.splice(0)) job.reject(new MediaCommandError(`media session ended before DTMF ${job.digit} was sent`));
    this.digitPlan = null;
    if (this.onClock) {
      this.onClock = false;
      this.clock.remove(this);
    }
    this.receiver?.flush();
    this.receiver = null;
    this.detector = null;
    if (this.endpoint.egress === this.egress) this.endpoint.egress = null;
  }
}
