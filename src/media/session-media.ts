// The media features of one relayed session, in its worker: a LegMedia per leg (prompts, DTMF
// sent and detected), the two-channel CallRecorder (A = left/caller, B = right/callee) and, per
// leg, a voice message (MessageRecorder: that leg's audio alone, ending by itself) — the call
// recording and messages run side by side. Created on the first feature command, so plain
// relayed sessions carry nothing. It installs the endpoints' `tap` only while a leg is recorded
// or has DTMF detection on; the tap reads the packet before the relay rewrites it and never
// changes it, so what is relayed is unaffected.
import { CallRecorder } from './call-recorder.ts';
import { DEFAULT_TELEPHONE_EVENT_PT, LegMedia, telephoneEventPtOf } from './leg-media.ts';
import { MediaCommandError, type LegName, type MediaEvent, type MessageResult, type RecordMessageArgs, type RecordResult } from './media-protocol.ts';
import { MessageRecorder, checkMessageArgs } from './message-recorder.ts';
import type { RelaySession } from './relay-session.ts';

export class SessionMedia {
  readonly a: LegMedia;
  readonly b: LegMedia;
  private readonly session: RelaySession;
  private readonly emit: (e: MediaEvent) => void;
  private recorder: CallRecorder | null = null;
  private readonly messages: { a: MessageRecorder | null; b: MessageRecorder | null } = { a: null, b: null };

  constructor(session: RelaySession, emit: (e: MediaEvent) => void) {
    this.session = session;
    this.emit = emit;
    const events = {
      onDtmf: (leg: LegName, digit: string, durationMs: number, source: 'rfc4733' | 'inband') => emit({ type: 'dtmf', sessionId: session.id, leg, digit, durationMs, source }),
      onPlayDone: (leg: LegName, r: { id: number; reason: 'finished' | 'stopped' | 'interrupted'; packets: number }) =>
        emit({ type: 'playDone', sessionId: session.id, leg, playId: r.id, reason: r.reason, packets: r.packets }),
    };
    this.a = new LegMedia('a', session.a, () => session.config('a').codecs, events);
    this.b = new LegMedia('b', session.b, () => session.config('b').codecs, events);
  }

  leg(name: LegName): LegMedia {
    return name === 'a' ? this.a : this.b;
  }

  get recording(): boolean {
    return this.recorder !== null;
  }

  /** Installs or removes the per-packet taps to match what is switched on. */
  refreshTaps(): void {
    this.session.a.tap = this.recorder !== null || this.a.detecting || this.messages.a !== null ? this.tapA : null;
    this.session.b.tap = this.recorder !== null || this.b.detecting || this.messages.b !== null ? this.tapB : null;
  }

  private readonly tapA = (msg: Buffer): void => this.tap('left', this.a, msg);
  private readonly tapB = (msg: Buffer): void => this.tap('right', this.b, msg);

  private tap(side: 'left' | 'right', leg: LegMedia, msg: Buffer): void {
    const rec = this.recorder;
    if (rec !== null) {
      try {
        rec.feed(side, msg);
      } catch (e) {
        this.endRecording((e as Error).message ?? String(e));
      }
    }
    const m = this.messages[leg.name];
    if (m !== null) {
      try {
        m.feed(msg);
      } catch (e) {
        this.endMessage(leg.name, (e as Error).message ?? String(e));
      }
    }
    if (leg.detecting) leg.ingest(msg, performance.now()); // may end the message (an in-band key)
    if (m !== null && m.ended && this.messages[leg.name] === m) this.endMessage(leg.name);
  }

  /** New signalling for a leg. */
  refresh(): void {
    this.a.refresh();
    this.b.refresh();
  }

  record(path: string): { path: string } {
    if (this.recorder !== null) throw new MediaCommandError(`media session ${this.session.id} is already recording to ${this.recorder.path}`);
    if (typeof path !== 'string' || path === '') throw new MediaCommandError('record: a file path is needed');
    try {
      this.recorder = new CallRecorder(path, {
        dtmfPayloadType: { left: telephoneEventPtOf(this.session.config('a').codecs), right: telephoneEventPtOf(this.session.config('b').codecs) },
      });
    } catch (e) {
      throw new MediaCommandError(`record: cannot write ${path}: ${(e as Error).message ?? String(e)}`);
    }
    this.refreshTaps();
    return { path };
  }

  /** Finalises the recording (recordDone); null when none was running. */
  stopRecord(): RecordResult | null {
    return this.endRecording();
  }

  private endRecording(error?: string): RecordResult | null {
    const rec = this.recorder;
    if (rec === null) return null;
    this.recorder = null;
    this.refreshTaps();
    let err = error;
    try {
      rec.close();
    } catch (e) {
      err ??= (e as Error).message ?? String(e);
    }
    const result = { path: rec.path, seconds: rec.seconds };
    this.emit({ type: 'recordDone', sessionId: this.session.id, ...result, ...(err === undefined ? {} : { error: err }) });
    return result;
  }

  /** Starts a voice message on a leg (messageDone when it ends). */
  recordMessage(leg: LegName, raw: RecordMessageArgs): { path: string } {
    const args = checkMessageArgs(raw);
    const current = this.messages[leg];
    if (current !== null) throw new MediaCommandError(`media session ${this.session.id} is already recording a message of leg ${leg} to ${current.path}`);
    const legMedia = this.leg(leg);
    let m: MessageRecorder;
    try {
      m = new MessageRecorder(args.path, {
        maxSeconds: args.maxSeconds,
        silenceSeconds: args.silenceSeconds,
        stopOnDigits: args.stopOnDigits,
        dtmfPayloadType: legMedia.telephoneEventPt ?? telephoneEventPtOf(this.session.config(leg).codecs) ?? DEFAULT_TELEPHONE_EVENT_PT,
        ...(args.silenceThresholdDbov === undefined ? {} : { silenceThresholdDbov: args.silenceThresholdDbov }),
      });
    } catch (e) {
      throw new MediaCommandError(`recordMessage: cannot write ${args.path}: ${(e as Error).message ?? String(e)}`);
    }
    this.messages[leg] = m;
    if (args.stopOnDigits !== '') legMedia.inbandListener = (digit, ssrc, startTs, samples) => m.inbandDigit(digit, ssrc, startTs, samples);
    this.refreshTaps();
    return { path: args.path };
  }

  /** Ends a leg's voice message ('stopped', messageDone); null when none was running. */
  stopMessage(leg: LegName): MessageResult | null {
    return this.endMessage(leg);
  }

  private endMessage(leg: LegName, error?: string): MessageResult | null {
    const m = this.messages[leg];
    if (m === null) return null;
    this.messages[leg] = null;
    this.leg(leg).inbandListener = null;
    this.refreshTaps();
    const r = m.finish(error);
    this.emit({ type: 'messageDone', sessionId: this.session.id, leg, ...r });
    return r;
  }

  /** The worker's feature timer: commits recorded audio through silences, reports DTMF whose end was lost. */
  tick(nowMs: number): void {
    const rec = this.recorder;
    if (rec !== null) {
      try {
        rec.tick();
      } catch (e) {
        this.endRecording((e as Error).message ?? String(e));
      }
    }
    for (const leg of ['a', 'b'] as const) {
      const m = this.messages[leg];
      if (m === null) continue;
      try {
        m.tick();
      } catch (e) {
        this.endMessage(leg, (e as Error).message ?? String(e));
        continue;
      }
      if (m.ended) this.endMessage(leg);
    }
    this.a.poll(nowMs);
    this.b.poll(nowMs);
  }

  /** Session destroyed: plays end ('stopped'), the recording and messages are finalised (recordDone, messageDone 'stopped'). */
  close(): void {
    this.a.close();
    this.b.close();
    this.endRecording();
    this.endMessage('a');
    this.endMessage('b');
    this.session.a.tap = null;
    this.session.b.tap = null;
  }
}
