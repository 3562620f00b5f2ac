// The PBX talking to the caller itself (switchboard greeting, announcements): prompts played to
// the caller's side and the digits it presses. Digits pressed while a prompt plays are kept
// (barge-in: "dial the extension" works during the greeting), from RFC 4733, in-band tones or
// SIP INFO alike. Every wait ends when the call does, so an app never hangs on a gone caller.
import type { MediaEngine } from '../media/engine.ts';
import type { DtmfEvent, MessageDoneEvent, PlayArgs, PlayDoneEvent, RecordMessageArgs } from '../media/media-protocol.ts';

/** How a voice message ended; 'ended' when the call went and the engine's report never came. */
export interface MessageOutcome {
  path: string;
  seconds: number;
  reason: MessageDoneEvent['reason'] | 'ended';
}

/** After the call ends, how long a message's final report may take (the session is being destroyed). */
const MESSAGE_REPORT_GRACE_MS = 3000;

/** How a play ended; 'failed' when it could not start (a tenant's file gone or unplayable). */
export type PlayOutcome = PlayDoneEvent['reason'] | 'ended' | 'failed';

export interface CollectOptions {
  /** Stop after this many digits. */
  maxDigits: number;
  /** Nothing pressed within this → '' (ms). */
  firstDigitMs: number;
  /** Gap after a digit that ends the number (ms). */
  interDigitMs: number;
  /** Digits that end the number at once and are not part of it ('#'). */
  terminators?: string;
}

export class CallPrompts {
  private readonly digits: string[] = [];
  private readonly plays = new Map<number, (r: PlayOutcome) => void>();
  /** Plays a digit ends: the engine stops them for digits it detects, we for SIP INFO digits. */
  private readonly interruptible = new Set<number>();
  private digitWaiter: (() => void) | undefined;
  private message: { path: string; stopOnDigits: string; resolve: (o: MessageOutcome) => void } | undefined;
  private listening = false;
  private closed = false;

  constructor(
    private readonly engine: MediaEngine,
    private readonly sessionId: string,
  ) {}

  /** Starts digit detection on the caller's side (RFC 4733 and in-band tones). */
  async listen(): Promise<void> {
    if (this.listening || this.closed) return;
    this.listening = true;
    await this.engine.collectDigits(this.sessionId, 'a', { inband: true });
  }

  /** Plays to the caller; resolves when it ends. With `interruptible`, a digit ends it (and is kept). */
  async play(args: PlayArgs): Promise<PlayOutcome> {
    if (this.closed) return 'ended';
    if (args.interruptible && this.digits.length > 0) return 'interrupted';
    const { playId } = await this.engine.play(this.sessionId, 'a', args);
    if (this.closed) {
      // the channel closed while the play was starting (a called side answered at once): a
      // looping ringback would otherwise go on under the conversation
      void this.engine.stopPlay(this.sessionId, 'a', playId).catch(() => 0);
      return 'ended';
    }
    if (args.interruptible) {
      if (this.digits.length > 0) void this.engine.stopPlay(this.sessionId, 'a', playId).catch(() => 0);
      this.interruptible.add(playId);
    }
    return new Promise((resolve) => this.plays.set(playId, resolve));
  }

  /** Stops whatever plays to the caller (a called side answered). */
  async stopPlaying(): Promise<void> {
    if (this.closed || this.plays.size === 0) return;
    await this.engine.stopPlay(this.sessionId, 'a').catch(() => 0);
  }

  /**
   * Records what the caller says (voicemail) until silence, the length limit, '#' or the end of
   * the call. The outcome comes even when the caller hangs up: the engine closes the file.
   */
  async recordMessage(args: RecordMessageArgs): Promise<MessageOutcome> {
    if (this.closed) return { path: args.path, seconds: 0, reason: 'ended' };
    const done = new Promise<MessageOutcome>((resolve) => (this.message = { path: args.path, stopOnDigits: args.stopOnDigits ?? '', resolve }));
    await this.engine.recordMessage(this.sessionId, 'a', args);
    return done;
  }

  private async stopMessage(): Promise<void> {
    const message = this.message;
    const r = await this.engine.stopMessage(this.sessionId, 'a').catch(() => null);
    if (r === null || this.message !== message || message === undefined) return;
    this.message = undefined;
    message.resolve({ path: r.path, seconds: r.seconds, reason: 'digit' });
  }

  onMessageDone(e: MessageDoneEvent): void {
    if (this.message === undefined || e.leg !== 'a' || e.path !== this.message.path) return;
    const { resolve } = this.message;
    this.message = undefined;
    resolve({ path: e.path, seconds: e.seconds, reason: e.reason });
  }

  /** Collects a number the caller presses (digits already pressed count). '' when nothing came. */
  async collect(o: CollectOptions): Promise<string> {
    let got = '';
    let deadline = o.firstDigitMs;
    for (;;) {
      const d = this.digits.shift() ?? (await this.nextDigit(deadline));
      if (d === undefined) return got;
      if (o.terminators?.includes(d)) return got;
      got += d;
      if (got.length >= o.maxDigits) return got;
      deadline = o.interDigitMs;
    }
  }

  /** Forgets digits pressed so far (before a new question). */
  clearDigits(): void {
    this.digits.length = 0;
  }

  private nextDigit(ms: number): Promise<string | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.digitWaiter = undefined;
        resolve(undefined);
      }, ms);
      this.digitWaiter = () => {
        clearTimeout(timer);
        this.digitWaiter = undefined;
        resolve(this.digits.shift());
      };
    });
  }

  /** A digit from the media engine or from SIP INFO (barge-in: it ends an interruptible play). */
  onDigit(digit: string, fromInfo = false): void {
    if (this.closed) return;
    // the engine ends a message on keys it hears itself; a SIP INFO key it never sees
    if (fromInfo && this.message !== undefined && this.message.stopOnDigits.includes(digit)) {
      void this.stopMessage();
      return;
    }
    this.digits.push(digit);
    for (const playId of this.interruptible) void this.engine.stopPlay(this.sessionId, 'a', playId).catch(() => 0);
    this.interruptible.clear();
    this.digitWaiter?.();
  }

  onDtmf(e: DtmfEvent): void {
    if (e.leg === 'a') this.onDigit(e.digit);
  }

  onPlayDone(e: PlayDoneEvent): void {
    const resolve = this.plays.get(e.playId);
    if (resolve === undefined) return;
    this.plays.delete(e.playId);
    this.interruptible.delete(e.playId);
    resolve(e.reason);
  }

  /** The call ended (or a called side took over): every wait resolves now. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const resolve of this.plays.values()) resolve('ended');
    this.plays.clear();
    this.digitWaiter?.();
    const message = this.message;
    if (message !== undefined) {
      // the session's destroy closes the file and reports it; if that never comes, the file is still there
      setTimeout(() => {
        if (this.message !== message) return;
        this.message = undefined;
        message.resolve({ path: message.path, seconds: 0, reason: 'ended' });
      }, MESSAGE_REPORT_GRACE_MS).unref();
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }
}
