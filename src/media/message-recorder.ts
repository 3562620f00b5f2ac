// A voice message (voicemail, issue 6): one leg's incoming audio to a mono 8 kHz PCM16 WAV that
// ends by itself — at the length limit, after a silence that follows speech, or on a key — or
// when told (stopMessage, session destroyed). Runs in the media worker, fed by the session's tap.
//
// PLACEMENT. The audio goes through the call recorder's timeline in mono (CallRecorder with
// channels 1), not through a jitter buffer: a recording has no playout deadline, so it can wait
// (the 200 ms write-behind window) for reordered and late packets and put each at its RTP
// timestamp, without the concealment repeats and delay-adjusting frame drops/inserts a jitter
// buffer makes for live playout, without a 20 ms pull timer per leg (the worker's 200 ms feature
// tick commits) and without skipped audio when the worker stalls. The timeline runs on the clock,
// so it grows through gaps (silence suppression, a phone that sends nothing) and those count as
// silence and towards the length; and it maps an RTP timestamp to a file position exactly, which
// the cut back to a key's start needs. The same code records the call on the same session.
// The write-behind window is 500 ms here (the call recording's is 200): a message can afford
// to see its silence and length ends a little later in exchange for riding out a delay spike
// (or a busy worker) of up to half a second without dropping audio or re-anchoring.
//
// LEVEL. Committed audio is measured in 20 ms blocks (mean square, in dBov: RMS relative to
// full scale, so a full-scale sine is -3 dBov). A block at or above the threshold (default
// -45 dBov) is voiced; three voiced blocks in a row (60 ms) are speech, so a click is not.
//
// ENDS.
//  - 'max-length': maxSeconds of audio (the timeline stops there; the file is exactly that long
//    unless trailing silence is trimmed).
//  - 'silence': silenceSeconds without speech after some speech was heard (0 = off). When nothing
//    is said at all, twice silenceSeconds from the start (a caller who stays silent that long
//    has gone in all but name; the line is not held for the whole length limit).
//  - 'digit': a key in stopOnDigits — RFC 4733 events (a receiver of its own, whether or not the
//    leg collects digits) or in-band tones when the leg's collectDigits has `inband` on (reported
//    by LegMedia with the tone's start). The file is cut back to where the key's tone started, so
//    neither its in-band tone nor audio sent while the key was held is in it.
//  - 'stopped' (stopMessage, destroy) and 'error' (a write failed; the file keeps what was written).
// Except on 'error', trailing silence is trimmed: the file ends `keepSilenceMs` (default 500)
// after the last speech before the end (0.5 s in all when nothing was said).
// Like the call recording, the header is refreshed at least every second, so a killed process
// leaves a playable file (repairRecordings fixes the rest at start-up).
import { CallRecorder } from './call-recorder.ts';
import { toDtmfDigit } from './dtmf-digit.ts';
import { DtmfReceiver } from './dtmf-receiver.ts';
import { MediaCommandError, type MessageEndReason, type MessageResult, type RecordMessageArgs } from './media-protocol.ts';
import { emptyHeader, readRtpHeader, type RtpHeader } from './rtp-packet.ts';

export interface MessageRecorderOptions {
  maxSeconds: number;
  /** Silence after speech that ends the message; 0 = never. */
  silenceSeconds: number;
  /** Blocks quieter than this are silence (default -45 dBov). */
  silenceThresholdDbov?: number;
  /** Keys that end the message, e.g. '#'. */
  stopOnDigits?: string;
  /** The leg's RFC 4733 telephone-event payload type (default 101): skipped as audio, watched for keys. */
  dtmfPayloadType?: number;
  /** Silence kept after the last speech when trailing silence is trimmed (default 500). */
  keepSilenceMs?: number;
  /** Monotonic milliseconds (default performance.now); injected so tests drive time. */
  clock?: () => number;
  /** Write-behind window (default 500 ms). */
  windowMs?: number;
  refreshMs?: number;
}

export const DEFAULT_SILENCE_THRESHOLD_DBOV = -45;
const RATE = 8; // samples per millisecond
const BLOCK = 160; // 20 ms level blocks
const MIN_VOICE_BLOCKS = 3; // 60 ms above the threshold is speech; a click is not
const MAX_SECONDS = 24 * 3600;
const DEFAULT_WINDOW_MS = 500;
/** How much earlier than the detector's first hit block an in-band tone may have started (> one block). */
const INBAND_MARGIN = 160;

/** Checks and normalises recordMessage's arguments (MediaCommandError for the caller's mistakes). */
export function checkMessageArgs(args: RecordMessageArgs | undefined): RecordMessageArgs & { stopOnDigits: string } {
  if (args === undefined || args === null || typeof args !== 'object') throw new MediaCommandError('recordMessage: arguments are needed ({ path, maxSeconds, silenceSeconds })');
  const { path, maxSeconds, silenceSeconds, silenceThresholdDbov, stopOnDigits } = args;
  if (typeof path !== 'string' || path === '') throw new MediaCommandError('recordMessage: a file path is needed');
  if (typeof maxSeconds !== 'number' || !Number.isFinite(maxSeconds) || maxSeconds <= 0 || maxSeconds > MAX_SECONDS) {
    throw new MediaCommandError(`recordMessage: maxSeconds must be a number of seconds above 0 (at most ${MAX_SECONDS}), not ${String(maxSeconds)}`);
  }
  if (typeof silenceSeconds !== 'number' || !Number.isFinite(silenceSeconds) || silenceSeconds < 0) {
    throw new MediaCommandError(`recordMessage: silenceSeconds must be 0 (off) or more, not ${String(silenceSeconds)}`);
  }
  if (silenceThresholdDbov !== undefined && (typeof silenceThresholdDbov !== 'number' || !Number.isFinite(silenceThresholdDbov) || silenceThresholdDbov > 0 || silenceThresholdDbov < -96)) {
    throw new MediaCommandError(`recordMessage: silenceThresholdDbov must be between -96 and 0, not ${String(silenceThresholdDbov)}`);
  }
  let digits = '';
  if (stopOnDigits !== undefined) {
    if (typeof stopOnDigits !== 'string') throw new MediaCommandError('recordMessage: stopOnDigits is a string of keys, e.g. "#"');
    for (const c of stopOnDigits) {
      const d = toDtmfDigit(c);
      if (d === undefined) throw new MediaCommandError(`recordMessage: '${c}' in stopOnDigits is not a key (0-9 * # A-D)`);
      if (!digits.includes(d)) digits += d;
    }
  }
  return { ...args, stopOnDigits: digits };
}

export class MessageRecorder {
  readonly path: string;
  private readonly rec: CallRecorder;
  private readonly receiver: DtmfReceiver | null;
  private readonly stopDigits: string;
  private readonly clock: () => number;
  private readonly t0: number;
  private readonly maxFrames: number;
  private readonly silenceFrames: number;
  private readonly keepFrames: number;
  /** Sum of squares over a block at the threshold. */
  private readonly blockThreshold: number;
  private readonly header: RtpHeader = emptyHeader();

  // level blocks over the committed audio
  private blockPos = 0;
  private blockFill = 0;
  private blockEnergy = 0;
  private voiceRun = 0;
  private runStart = 0;
  /** Speech as [start, end) frame ranges, merged, in order. */
  private readonly speech: number[] = [];

  private endReason: MessageEndReason | null = null;
  private endDigit: string | undefined;
  /** Where the message ends on the timeline (the key's start, the silence's end, the limit). */
  private cutAt = Infinity;
  private outcome: MessageResult | null = null;

  /** Creates the file (throws on I/O errors) and starts the timeline now. */
  constructor(path: string, options: MessageRecorderOptions) {
    this.path = path;
    this.clock = options.clock ?? (() => performance.now());
    this.maxFrames = Math.round(options.maxSeconds * 8000);
    this.silenceFrames = Math.round(options.silenceSeconds * 8000);
    this.keepFrames = Math.round((options.keepSilenceMs ?? 500) * RATE);
    const rms = 32768 * 10 ** ((options.silenceThresholdDbov ?? DEFAULT_SILENCE_THRESHOLD_DBOV) / 20);
    this.blockThreshold = BLOCK * rms * rms;
    this.stopDigits = options.stopOnDigits ?? '';
    const dtmfPt = options.dtmfPayloadType ?? 101;
    this.receiver =
      this.stopDigits === ''
        ? null
        : new DtmfReceiver({ payloadType: dtmfPt, onDigit: (e) => this.digit(e.digit, e.ssrc, e.timestamp, e.durationSamples) });
    this.rec = new CallRecorder(path, {
      channels: 1,
      clock: this.clock,
      dtmfPayloadType: { left: dtmfPt },
      maxFrames: this.maxFrames,
      onCommit: (samples, frames) => this.measure(samples, frames),
      windowMs: options.windowMs ?? DEFAULT_WINDOW_MS,
      ...(options.refreshMs === undefined ? {} : { refreshMs: options.refreshMs }),
    });
    this.t0 = this.clock();
  }

  /** The message has ended by itself (limit, silence, key): finish() it. */
  get ended(): boolean {
    return this.endReason !== null && this.outcome === null;
  }

  /** Seconds of audio in the file so far. */
  get seconds(): number {
    return this.rec.seconds;
  }

  /** One RTP packet from the leg's phone (unmodified; not kept). Throws when writing fails. */
  feed(packet: Buffer): void {
    if (this.endReason !== null) return;
    const h = readRtpHeader(packet, this.header);
    if (h === undefined) return;
    if (this.receiver !== null && this.receiver.push(packet, h, this.clock())) return;
    this.rec.feed('left', packet, h);
  }

  /**
   * An in-band key on the leg (LegMedia's detector), its tone detected from RTP `startTs` of
   * `ssrc` on. The detector works in 12.75 ms blocks, so the tone may have begun up to a block
   * earlier: the cut goes back one more packet's worth.
   */
  inbandDigit(digit: string, ssrc: number, startTs: number, durationSamples: number): void {
    this.digit(digit, ssrc, (startTs - INBAND_MARGIN) >>> 0, durationSamples + INBAND_MARGIN);
  }

  /** The worker's feature timer: commits through silences, ends on a lost RFC 4733 end packet. */
  tick(): void {
    if (this.endReason !== null) return;
    this.rec.tick();
    this.receiver?.poll(this.clock());
  }

  /**
   * Closes the file — trimmed and cut as its end requires — and says how it ended: the end it
   * reached by itself, else `reason` ('stopped'), or 'error' with `error`. Idempotent.
   */
  finish(error?: string): MessageResult {
    if (this.outcome !== null) return this.outcome;
    let reason: MessageEndReason = error !== undefined ? 'error' : (this.endReason ?? 'stopped');
    this.endReason = reason; // the audio still committed below ends nothing else
    let err = error;
    try {
      if (reason === 'error') {
        this.rec.close();
      } else {
        this.rec.flush();
        const cut = Math.min(this.cutAt, this.rec.frames);
        this.rec.close(Math.min(cut, this.lastSpeechBefore(cut) + this.keepFrames));
      }
    } catch (e) {
      reason = 'error';
      err ??= (e as Error).message ?? String(e);
      try {
        this.rec.close(); // when flush() failed, the file is still open
      } catch {
        /* reported above */
      }
    }
    this.outcome = {
      path: this.path,
      seconds: this.rec.seconds,
      reason,
      ...(reason === 'digit' && this.endDigit !== undefined ? { digit: this.endDigit } : {}),
      ...(err === undefined ? {} : { error: err }),
    };
    return this.outcome;
  }

  private end(reason: MessageEndReason, at: number, digit?: string): void {
    if (this.endReason !== null) return;
    this.endReason = reason;
    this.cutAt = Math.max(0, at);
    this.endDigit = digit;
  }

  private digit(digit: string, ssrc: number, startTs: number, durationSamples: number): void {
    if (this.endReason !== null || !this.stopDigits.includes(digit)) return;
    // Where the tone started on the timeline; without audio of that stream to place it, the tone
    // is taken to have ended about now.
    const at = this.rec.positionOf('left', ssrc, startTs) ?? Math.round((this.clock() - this.t0) * RATE) - durationSamples - BLOCK;
    this.end('digit', at, digit);
  }

  /** Levels of newly committed audio; the ends that follow from them. */
  private measure(samples: Int16Array, frames: number): void {
    let energy = this.blockEnergy;
    let fill = this.blockFill;
    for (let i = 0; i < frames; i++) {
      const x = samples[i]!;
      energy += x * x;
      if (++fill === BLOCK) {
        this.block(energy >= this.blockThreshold);
        energy = 0;
        fill = 0;
      }
    }
    this.blockEnergy = energy;
    this.blockFill = fill;
    if (this.endReason !== null) return;
    const end = this.rec.frames + frames;
    if (end >= this.maxFrames) this.end('max-length', this.maxFrames);
  }

  private block(voiced: boolean): void {
    const start = this.blockPos;
    this.blockPos += BLOCK;
    if (voiced) {
      if (this.voiceRun++ === 0) this.runStart = start;
      if (this.voiceRun >= MIN_VOICE_BLOCKS) this.addSpeech(this.runStart, this.blockPos);
    } else {
      this.voiceRun = 0;
    }
    const s = this.speech;
    if (this.endReason === null && this.silenceFrames > 0) {
      const quietFor = s.length > 0 ? this.blockPos - s[s.length - 1]! : this.blockPos - this.silenceFrames;
      if (quietFor >= this.silenceFrames) this.end('silence', this.blockPos);
    }
  }

  private addSpeech(from: number, to: number): void {
    const s = this.speech;
    if (s.length > 0 && s[s.length - 1]! >= from) s[s.length - 1] = to;
    else s.push(from, to);
  }

  /** End of the last speech before `limit` (0 when none). */
  private lastSpeechBefore(limit: number): number {
    const s = this.speech;
    for (let i = s.length - 2; i >= 0; i -= 2) if (s[i]! < limit) return Math.min(s[i + 1]!, limit);
    return 0;
  }
}
