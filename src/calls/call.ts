// A call (ARCHITECTURE.md "call model"): two sides, each one SIP leg, and one media session
// anchoring the audio between them. Side A starts as the caller's leg (inbound, UAS), side B
// is the leg the PBX placed that answered (outbound, UAC; several ring while forking). A
// transfer replaces one side with a new leg; the other side keeps its port on the PBX and
// notices nothing but a re-INVITE. Apps drive the call with verbs (`dial` here;
// answer/play/collect arrive with the IVR); everything that happens is published on the call
// event bus, which is how call records, metrics and the live view learn about it.
//
// Mid-call requests from either side are mirrored to the other (B2BUA): re-INVITE and UPDATE
// (hold, codec change) with our SDP in place of the phone's, INFO DTMF turned into RFC 4733
// toward a side that has telephone-event, BYE ending both sides. REFER is handled here (the
// transfer logic lives in call-transfer.ts).
import type { Logger } from '../log.ts';
import type { LegName } from '../media/media-protocol.ts';
import type { NameAddr, SipRequest, SipResponse } from '../sip/message.ts';
import type { Dialog, DialogTransport, SendOptions } from '../sip/dialog/dialog.ts';
import type { IncomingRequest } from '../sip/stack-api.ts';
import { parseDtmfInfo } from '../media/dtmf-sip-info.ts';
import { formatHost, parseUri } from '../sip/uri.ts';
import { callSetupSeconds, callsForwarded } from '../metrics.ts';
import type { CallEventBus, Disposition, HangupBy, Party } from './call-events.ts';
import { CallMedia, narrowOffer, UnacceptableSdpError } from './call-media.ts';
import { Fork, type ForkOutcome, type RingStrategy } from './fork.ts';
import { InboundLeg } from './inbound-leg.ts';
import { OutboundLeg, type OutboundTarget } from './outbound-leg.ts';
import type { LiveCall, LiveCallState } from './live-calls.ts';
import { handleRefer } from './call-transfer.ts';
import { CallPrompts, type CollectOptions, type MessageOutcome, type PlayOutcome } from './call-prompts.ts';
import type { PlayArgs, RecordMessageArgs } from '../media/media-protocol.ts';

export type CallDirection = 'internal' | 'inbound' | 'outbound';

/** A leg to place: where, what its record says (a forwarded leg to a PSTN terminal, its trunk),
 *  and the encodings it accepts (a trunk's codecs: the offer is narrowed to them). */
export type DialTarget = OutboundTarget & { forwarded?: boolean; trunkId?: number; codecs?: readonly string[] };

/** Where a transfer may send a call: an extension's terminals, or why not. */
export type TransferTarget = { party: Party; terminals: OutboundTarget[]; strategy: RingStrategy; timeoutS: number } | { status: number; reason: string };

export interface CallContext {
  transport: DialogTransport;
  bus: CallEventBus;
  log: Logger;
  now: () => number;
  /** Our Contact URI toward a peer on `transport`. */
  contactFor(transport: string): string;
  /** Path for this call's recording, or undefined when the tenant does not record. */
  recordingPath(call: Call): string | undefined;
  /** The dialog of a leg exists / is gone: in-dialog requests find the call through it. */
  registerDialog(key: string, call: Call, side: LegName): void;
  unregisterDialog(key: string): void;
  /** The call and side owning one of our dialogs (Replaces, RFC 3891). */
  findDialog(callId: string, localTag: string): { call: Call; side: LegName } | undefined;
  /** Resolves a Refer-To user in the tenant to ringable terminals (`byExtensionId`: who transfers). */
  transferTarget(tenantId: number, user: string, toUri: string, byExtensionId?: number): TransferTarget;
  ended(call: Call): void;
  /** A side changed hands (transfer): who the call counts against changes. */
  partiesChanged(call: Call): void;
}

export interface DialOptions {
  strategy: RingStrategy;
  timeoutS: number;
  /** While ringing an answered caller (after an IVR), play this to the caller (ringback). */
  ringback?: PlayArgs;
}

export interface InDialogRequest {
  request: SipRequest;
  respond: IncomingRequest['respond'];
}

/** One side of the call: its SIP leg, the id its records carry, and who it is. */
export interface Side {
  leg: InboundLeg | OutboundLeg;
  legId: string;
  party: Party;
}

export interface CallEnd {
  disposition: Disposition;
  hangupBy: HangupBy;
  sipCode?: number;
  reason?: string;
}

const ALLOW = 'INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, REFER, NOTIFY, UPDATE, PRACK';

export class Call {
  readonly id: string;
  readonly tenantId: number;
  readonly direction: CallDirection;
  readonly caller: Party;
  readonly callee: Party;
  readonly inbound: InboundLeg;
  readonly media: CallMedia;
  readonly startedAt: number;
  answeredAt: number | undefined;
  state: LiveCallState = 'ringing';
  recording = false;
  /** How the call ended, once it has. */
  disposition: Disposition | undefined;
  /** Headers the call-control layer adds to our 200 (session timer). */
  extraAnswerHeaders: Record<string, string> = {};
  /** Set by call control when the call uses RFC 4028 session timers. */
  sessionRefreshed: ((side: LegName, req: SipRequest) => Record<string, string> | undefined) | undefined;
  readonly ctx: CallContext;
  private readonly sides: Record<LegName, Side | undefined>;
  private fork: Fork | undefined;
  private ended = false;
  private ringingSent = false;
  private earlyMediaSent = false;
  /** A re-INVITE/UPDATE/transfer is changing the media: another one gets 491 (RFC 3261 §14.2). */
  private offerInProgress = false;
  private legSeq = 0;
  /** Set once the PBX answered the caller itself (an IVR): prompts and digits. */
  private promptChannel: CallPrompts | undefined;
  /** The caller was answered by the PBX before any called side (records: answered once). */
  private answeredLocally = false;
  private readonly endHooks: Array<() => void> = [];

  /** performance.now() when the INVITE was received (set-up latency metrics). */
  readonly receivedAt: number;

  /** The trunk the caller's leg came in on. */
  readonly trunkId: number | undefined;

  constructor(args: { id: string; tenantId: number; direction: CallDirection; caller: Party; callee: Party; inbound: InboundLeg; media: CallMedia; ctx: CallContext; receivedAt?: number; trunkId?: number }) {
    this.trunkId = args.trunkId;
    this.receivedAt = args.receivedAt ?? performance.now();
    this.id = args.id;
    this.tenantId = args.tenantId;
    this.direction = args.direction;
    this.caller = args.caller;
    this.callee = args.callee;
    this.inbound = args.inbound;
    this.media = args.media;
    this.ctx = args.ctx;
    this.startedAt = args.ctx.now();
    this.sides = { a: { leg: args.inbound, legId: `${this.id}-a`, party: args.caller }, b: undefined };
    args.ctx.registerDialog(this.inbound.dialog.key, this, 'a');
    this.media.onError = (message) => this.ctx.log.warn({ callId: this.id }, message);
    const h = this.inbound.invite.headers;
    this.ctx.bus.emit('call.started', { callId: this.id, tenantId: this.tenantId, at: this.startedAt, direction: this.direction, caller: this.caller, callee: this.callee, sipCallId: h['call-id'] });
    this.ctx.bus.emit('leg.started', {
      callId: this.id,
      legId: `${this.id}-a`,
      at: this.startedAt,
      direction: 'inbound',
      party: this.caller,
      target: this.inbound.dialog.remoteTarget,
      ...(this.trunkId === undefined ? {} : { trunkId: this.trunkId }),
    });
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** Runs `fn` once the call has ended (timers, usage counts); at once if it has. */
  onEnd(fn: () => void): void {
    if (this.ended) fn();
    else this.endHooks.push(fn);
  }

  /** The answered leg of a side (undefined while side B is still ringing). */
  side(name: LegName): Side | undefined {
    return this.sides[name];
  }

  /** Whether a target takes one of the codecs the call would offer it (a trunk with a codec list). */
  accepts(target: DialTarget): boolean {
    return target.codecs === undefined || narrowOffer(this.media.offerToward('b'), target.codecs) !== null;
  }

  /** Each target's offer, narrowed to its codecs; targets sharing no codec with it are left out (logged). */
  private offersFor(targets: DialTarget[], offer: string): { targets: DialTarget[]; offers: string[] } {
    const out: { targets: DialTarget[]; offers: string[] } = { targets: [], offers: [] };
    for (const target of targets) {
      const body = target.codecs === undefined ? offer : narrowOffer(offer, target.codecs);
      if (body === null) {
        this.ctx.log.warn({ callId: this.id, target: target.uri, codecs: target.codecs }, 'not tried: no codec of the call is one the target takes');
        continue;
      }
      out.targets.push(target);
      out.offers.push(body);
    }
    return out;
  }

  /** A new id for a leg of this call (records and logs). */
  newLegId(): string {
    return `${this.id}-b${++this.legSeq}`;
  }

  private dialogOf(name: LegName): Dialog | undefined {
    return this.sides[name]?.leg.dialog;
  }

  // ------------------------------------------------------------------ verbs

  /**
   * Rings `targets` (one extension's terminals) and connects the first that answers. Resolves
   * with the outcome; on failure the caller has NOT been answered yet, so an app may go on
   * (voicemail) or give up with `reject`.
   */
  async dial(targets: DialTarget[], options: DialOptions & { party: Party }): Promise<ForkOutcome> {
    if (this.ended) return { answered: false, status: 487, reason: 'Request Terminated', disposition: 'cancelled' };
    const fork = this.ring(targets, options, this.caller, this.media.offerToward('b'), (leg, r) => void this.onProvisional(leg, r));
    this.fork = fork;
    const ringback = this.promptChannel !== undefined && options.ringback !== undefined ? this.promptChannel.play({ ...options.ringback, loop: true }) : undefined;
    const outcome = await fork.outcome;
    this.fork = undefined;
    if (ringback !== undefined && !outcome.answered) await this.promptChannel?.stopPlaying();
    if (!outcome.answered) return outcome;
    if (this.ended) {
      void outcome.leg.bye();
      return { answered: false, status: 487, reason: 'Request Terminated', disposition: 'cancelled' };
    }
    await this.connect(outcome.leg, options.party);
    return outcome;
  }

  /** Starts a fork of outbound legs offering `offer`, shown as coming from `from`. */
  ring(all: DialTarget[], options: DialOptions & { party: Party }, from: Party, offer: string, onProvisional: (leg: OutboundLeg, r: SipResponse) => void): Fork {
    const fromAddr: NameAddr = { ...(from.name ? { name: quoteName(from.name) } : {}), uri: this.fromUriFor(from.number), params: {} };
    const { targets, offers } = this.offersFor(all, offer);
    return new Fork({
      strategy: options.strategy,
      timeoutS: options.timeoutS,
      targets: targets.length,
      ...(all.length > 0 && targets.length === 0 ? { noTargets: { answered: false, status: 488, reason: 'Not Acceptable Here', disposition: 'failed' } } : {}),
      start: (index, events) => {
        const target = targets[index]!;
        const leg = new OutboundLeg(this.newLegId(), target, fromAddr, this.ctx.contactFor(target.peer.transport), this.ctx.transport);
        this.ctx.bus.emit('leg.started', {
          callId: this.id,
          legId: leg.id,
          at: this.ctx.now(),
          direction: 'outbound',
          party: options.party,
          target: target.uri,
          ...(target.forwarded ? { forwarded: true } : {}),
          ...(target.trunkId === undefined ? {} : { trunkId: target.trunkId }),
        });
        leg.start({ body: offers[index]! }, events);
        if (target.forwarded) callsForwarded.inc();
        if (index === 0 && this.state === 'ringing') callSetupSeconds.observe({ phase: 'route' }, (performance.now() - this.receivedAt) / 1000);
        return leg;
      },
      onProvisional,
      onForkEnded: (leg, r, why) => {
        const disposition: Disposition = why === 'cancelled' || why === 'completed-elsewhere' ? 'cancelled' : why === 'timeout' ? 'no-answer' : dispositionOf(r?.status ?? 500);
        this.ctx.bus.emit('leg.ended', {
          callId: this.id,
          legId: leg.id,
          at: this.ctx.now(),
          disposition,
          hangupBy: why === 'failed' ? 'callee' : 'system',
          ...(r ? { sipCode: r.status } : {}),
          ...(why === 'completed-elsewhere' ? { reason: 'call completed elsewhere' } : why === 'timeout' ? { reason: 'ring timeout' } : {}),
        });
      },
    });
  }

  // ------------------------------------------------------------------ the PBX as an endpoint (IVR)

  /**
   * Answers the caller with the PBX's own media (greeting, menu). Resolves false when the call
   * is gone or the caller never ACKed. Digits are collected from then on.
   */
  async answer(): Promise<boolean> {
    if (this.ended || this.inbound.isFinal) return !this.ended && this.inbound.isAnswered;
    let sdp: string;
    try {
      sdp = this.media.answerLocally();
    } catch (e) {
      this.reject(488, 'Not Acceptable Here', 'failed', 'system', { Warning: `399 tspbx "${(e as Error).message.replace(/"/g, "'")}"` });
      return false;
    }
    const prompts = new CallPrompts(this.media.engine, this.media.sessionId);
    this.promptChannel = prompts;
    const listening = prompts.listen().catch((e: unknown) => this.ctx.log.warn({ callId: this.id, err: (e as Error).message }, 'digit detection did not start'));
    const now = this.ctx.now();
    this.answeredAt = now;
    this.answeredLocally = true;
    this.state = 'answered';
    this.ctx.bus.emit('leg.answered', { callId: this.id, legId: `${this.id}-a`, at: now });
    this.ctx.bus.emit('call.answered', { callId: this.id, at: now, legId: `${this.id}-a` });
    const acked = await this.inbound.answer({ body: sdp, headers: { Allow: ALLOW, Supported: 'replaces, timer', ...this.extraAnswerHeaders } });
    await listening;
    if (!acked && !this.ended) {
      this.ctx.log.warn({ callId: this.id }, 'no ACK for our 200 OK: ending the call');
      void this.inbound.bye();
      await this.finish({ disposition: 'failed', hangupBy: 'system', sipCode: 408, reason: 'no ACK from the caller' });
    }
    return acked && !this.ended;
  }

  /** Plays to the answered caller (see CallPrompts.play). */
  async play(args: PlayArgs): Promise<PlayOutcome> {
    if (this.promptChannel === undefined) throw new Error('play before answer');
    try {
      return await this.promptChannel.play(args);
    } catch (e) {
      this.ctx.log.warn({ callId: this.id, err: (e as Error).message }, 'prompt not played');
      return this.ended ? 'ended' : 'failed';
    }
  }

  /** Collects digits from the answered caller (see CallPrompts.collect). */
  collect(o: CollectOptions): Promise<string> {
    if (this.promptChannel === undefined) throw new Error('collect before answer');
    return this.promptChannel.collect(o);
  }

  /** Records the answered caller's message (voicemail, see CallPrompts.recordMessage). */
  recordMessage(args: RecordMessageArgs): Promise<MessageOutcome> {
    if (this.promptChannel === undefined) throw new Error('recordMessage before answer');
    return this.promptChannel.recordMessage(args);
  }

  /** Forgets digits pressed so far. */
  clearDigits(): void {
    this.promptChannel?.clearDigits();
  }

  /** Media events of the call's session, routed here by call control. */
  get prompts(): CallPrompts | undefined {
    return this.promptChannel;
  }

  /** Ends a call the PBX answered itself (after an announcement): BYE, with how the record should read. */
  async end(reason: string, disposition: Disposition = 'answered'): Promise<void> {
    if (this.ended) return;
    if (!this.inbound.isAnswered) {
      this.reject(480, 'Temporarily Unavailable', disposition === 'answered' ? 'failed' : disposition, 'system');
      return;
    }
    void this.sides.a?.leg.bye({ Reason: `SIP;cause=200;text="${reason}"` });
    void this.sides.b?.leg.bye({ Reason: `SIP;cause=200;text="${reason}"` });
    await this.finish({ disposition, hangupBy: 'system', sipCode: 200, reason });
  }

  /** Refuses the call (nothing answered): a final response to the caller, the call ends. */
  reject(status: number, reason: string, disposition: Disposition, hangupBy: HangupBy = 'system', headers?: Record<string, string>): void {
    this.inbound.reject(status, reason, headers);
    void this.finish({ disposition, hangupBy, sipCode: status, reason });
  }

  /** Ends the call from the PBX's side (admin hang-up, RTP timeout, shutdown). */
  hangup(reason: string): void {
    if (this.ended) return;
    if (!this.inbound.isAnswered && this.sides.a?.leg === this.inbound) {
      this.fork?.cancel();
      this.inbound.reject(480, 'Temporarily Unavailable', { Reason: `SIP;cause=480;text="${reason}"` });
      void this.finish({ disposition: 'failed', hangupBy: 'system', sipCode: 480, reason });
      return;
    }
    const headers = { Reason: `SIP;cause=200;text="${reason}"` };
    void this.sides.a?.leg.bye(headers);
    void this.sides.b?.leg.bye(headers);
    void this.finish({ disposition: 'answered', hangupBy: 'system', sipCode: 200, reason });
  }

  // ------------------------------------------------------------------ ringing and answer

  private async onProvisional(leg: OutboundLeg, r: SipResponse): Promise<void> {
    if (this.ended || this.inbound.isFinal) return;
    if (r.content && (r.status === 183 || r.status === 180)) {
      // early media (ringback or announcements from the called side) goes through the relay
      try {
        const sdp = await this.media.fromSide('b', r.content);
        if (this.ended || this.inbound.isFinal) return;
        this.earlyMediaSent = true;
        await this.inbound.progress(183, { body: sdp });
      } catch (e) {
        this.ctx.log.info({ callId: this.id, leg: leg.id, err: (e as Error).message }, 'early media SDP ignored');
      }
      return;
    }
    if (!this.ringingSent && !this.earlyMediaSent) {
      this.ringingSent = true;
      await this.inbound.progress(180);
    }
  }

  private async connect(leg: OutboundLeg, party: Party): Promise<void> {
    const answeredAt = performance.now();
    this.sides.b = { leg, legId: leg.id, party };
    if (leg.dialog) this.ctx.registerDialog(leg.dialog.key, this, 'b');
    let answer: string;
    try {
      answer = await this.media.fromSide('b', leg.remoteSdp ?? '');
    } catch (e) {
      // the called phone answered with SDP we cannot use: end both sides cleanly
      const why = e instanceof UnacceptableSdpError ? e.message : 'media error';
      this.ctx.log.warn({ callId: this.id, err: why }, 'answer SDP unusable');
      void leg.bye({ Reason: 'SIP;cause=488;text="Not Acceptable Here"' });
      this.inbound.reject(488, 'Not Acceptable Here');
      await this.finish({ disposition: 'failed', hangupBy: 'system', sipCode: 488, reason: why });
      return;
    }
    if (this.ended) {
      void leg.bye(); // the caller went (CANCEL, hang-up) while we read the answer: the callee must not stay up
      return;
    }
    const now = this.ctx.now();
    this.state = 'answered';
    this.ctx.bus.emit('leg.answered', { callId: this.id, legId: leg.id, at: now });
    void this.startRecording();
    if (this.answeredLocally) {
      // the caller has been talking to the PBX (IVR): only the prompts stop, no new answer
      const prompts = this.promptChannel;
      this.promptChannel = undefined;
      await prompts?.stopPlaying();
      prompts?.close();
      void this.media.engine.stopDigits(this.media.sessionId, 'a').catch(() => undefined);
      callSetupSeconds.observe({ phase: 'answer' }, (performance.now() - answeredAt) / 1000);
      return;
    }
    this.answeredAt = now;
    this.ctx.bus.emit('leg.answered', { callId: this.id, legId: `${this.id}-a`, at: now });
    this.ctx.bus.emit('call.answered', { callId: this.id, at: now, legId: leg.id });
    const answering = this.inbound.answer({ body: answer, headers: { Allow: ALLOW, Supported: 'replaces, timer', ...this.extraAnswerHeaders } });
    callSetupSeconds.observe({ phase: 'answer' }, (performance.now() - answeredAt) / 1000);
    const acked = await answering;
    if (!acked && this.ended) void leg.bye(); // ended before our 200 went out (a CANCEL while waiting for a PRACK)
    if (!acked && !this.ended && this.sides.a?.leg === this.inbound) {
      this.ctx.log.warn({ callId: this.id }, 'no ACK for our 200 OK: ending the call');
      void this.sides.b?.leg.bye();
      void this.inbound.bye();
      await this.finish({ disposition: 'failed', hangupBy: 'system', sipCode: 408, reason: 'no ACK from the caller' });
    }
  }

  private async startRecording(): Promise<void> {
    const path = this.ctx.recordingPath(this);
    if (path === undefined) return;
    try {
      await this.media.record(path);
      this.recording = true;
      this.ctx.bus.emit('recording.started', { callId: this.id, tenantId: this.tenantId, at: this.ctx.now(), path });
    } catch (e) {
      this.ctx.log.error({ callId: this.id, path, err: (e as Error).message }, 'recording could not start');
    }
  }

  /** The caller CANCELled while ringing. */
  onCallerCancel(): void {
    if (this.ended || this.inbound.isAnswered) return;
    this.fork?.cancel('SIP;cause=487;text="Request Terminated"');
    this.inbound.reject(487, 'Request Terminated');
    void this.finish({ disposition: 'cancelled', hangupBy: 'caller', sipCode: 487 });
  }

  // ------------------------------------------------------------------ in-dialog requests

  /** A request inside one of the call's dialogs (`side` a = caller's side, b = called side). */
  onRequest(side: LegName, req: InDialogRequest): void {
    const m = req.request.method;
    const leg = this.sides[side]?.leg;
    if (m === 'ACK') {
      if (leg instanceof InboundLeg) leg.onAck();
      // the answer to an offer we made in a 200 (a re-INVITE that came without SDP)
      if (req.request.content && this.state !== 'ringing' && !this.ended) {
        this.media.fromSide(side, req.request.content).catch((e: unknown) => this.ctx.log.info({ callId: this.id, err: (e as Error).message }, 'SDP in ACK ignored'));
      }
      return;
    }
    const dialog = leg?.dialog;
    if (dialog === undefined) {
      req.respond(481, 'Call/Transaction Does Not Exist');
      return;
    }
    if (!dialog.acceptRemoteSeq(req.request)) {
      req.respond(500, 'Server Internal Error', { headers: { 'Retry-After': '1' } });
      return;
    }
    switch (m) {
      case 'BYE':
        req.respond(200, 'OK');
        void this.onBye(side, req.request);
        return;
      case 'INVITE':
      case 'UPDATE':
        void this.mirrorOffer(side, req);
        return;
      case 'INFO':
        void this.onInfo(side, req);
        return;
      case 'PRACK':
        if (leg instanceof InboundLeg) leg.onPrack(req.request, (s) => req.respond(s));
        else req.respond(481);
        return;
      case 'REFER':
        void handleRefer(this, side, req);
        return;
      case 'NOTIFY':
        // we never subscribe (we send no REFER): there is no subscription for it to report on
        req.respond(481, 'Subscription Does Not Exist');
        return;
      case 'OPTIONS':
        req.respond(200, 'OK', { headers: { Allow: ALLOW } });
        return;
      default:
        req.respond(405, 'Method Not Allowed', { headers: { Allow: ALLOW } });
    }
  }

  private async onBye(side: LegName, req: SipRequest): Promise<void> {
    const reason = typeof req.headers.reason === 'string' ? req.headers.reason : undefined;
    const gone = this.sides[side]!;
    if (gone.leg instanceof InboundLeg) gone.leg.close();
    else gone.leg.state = 'ended';
    void this.sides[other(side)]?.leg.bye(reason ? { Reason: reason } : undefined);
    await this.finish({ disposition: 'answered', hangupBy: side === 'a' ? 'caller' : 'callee', sipCode: 200 });
  }

  /** re-INVITE / UPDATE: hold, resume, codec change — mirrored to the other side with our SDP. */
  private async mirrorOffer(side: LegName, req: InDialogRequest): Promise<void> {
    const method = req.request.method;
    const dialog = this.dialogOf(side)!;
    if (this.offerInProgress) {
      req.respond(491, 'Request Pending');
      return;
    }
    dialog.refreshTarget(req.request.headers.contact);
    const extra = { Contact: `<${dialog.contact}>`, ...(this.sessionRefreshed?.(side, req.request) ?? {}) };
    if (!req.request.content) {
      // a refresh without an offer (session timer, or a late-offer re-INVITE): our current SDP
      const current = this.media.currentToward(side);
      if (method === 'INVITE' && current !== undefined) req.respond(200, 'OK', { headers: extra, body: current, contentType: 'application/sdp' });
      else req.respond(200, 'OK', { headers: extra });
      return;
    }
    const otherSide = other(side);
    const otherDialog = this.dialogOf(otherSide);
    if (otherDialog === undefined || this.ended) {
      // e.g. an UPDATE with SDP before the call is answered: nothing to mirror it to yet
      // (RFC 3311 §5.2: a UAS that cannot take the offer now answers 500 with Retry-After)
      if (this.ended) req.respond(481, 'Call/Transaction Does Not Exist');
      else req.respond(500, 'Server Internal Error', { headers: { 'Retry-After': '2' } });
      return;
    }
    let offer: string;
    try {
      offer = await this.media.fromSide(side, req.request.content);
    } catch (e) {
      req.respond(488, 'Not Acceptable Here', { headers: { Warning: `399 tspbx "${(e as Error).message.replace(/"/g, "'")}"` } });
      return;
    }
    this.offerInProgress = true;
    try {
      const response = await this.offer(otherDialog, method === 'INVITE' ? 'INVITE' : 'UPDATE', offer);
      if (response.status >= 200 && response.status < 300) {
        const answer = response.content ? await this.media.fromSide(otherSide, response.content) : (this.media.currentToward(side) ?? '');
        req.respond(200, 'OK', { headers: extra, body: answer, contentType: 'application/sdp' });
        this.state = /a=(sendonly|inactive)/.test(req.request.content) || /c=IN IP4 0\.0\.0\.0/.test(req.request.content) ? 'held' : 'answered';
      } else {
        req.respond(response.status, response.reason);
      }
    } catch (e) {
      req.respond(500, 'Server Internal Error');
      this.ctx.log.error({ callId: this.id, err: e }, 'mirroring an offer failed');
    } finally {
      this.offerInProgress = false;
    }
  }

  /** Sends an offer in a dialog (re-INVITE, ACKed on 2xx, or UPDATE); resolves with the final response. */
  async offer(dialog: Dialog, method: 'INVITE' | 'UPDATE', sdp: string): Promise<SipResponse> {
    if (method === 'UPDATE') return dialog.request('UPDATE', { body: sdp });
    let out = dialog.reinvite({ body: sdp });
    let response = await out.response;
    // a carrier that challenges re-INVITEs: once more with credentials (the ACK of a 2xx carries them too)
    const auth = dialog.authorization(response, 'INVITE');
    if (auth !== undefined) {
      out = dialog.reinvite({ body: sdp, headers: auth });
      response = await out.response;
    }
    if (response.status >= 200 && response.status < 300) dialog.ack(out.cseq, { headers: auth ?? {} });
    return response;
  }

  /** Runs `fn` as the one media change in progress (491 for others meanwhile); false if one is running. */
  async exclusively(fn: () => Promise<void>): Promise<boolean> {
    if (this.offerInProgress) return false;
    this.offerInProgress = true;
    try {
      await fn();
    } finally {
      this.offerInProgress = false;
    }
    return true;
  }

  /** SIP INFO: DTMF becomes RFC 4733 toward a side that has telephone-event, else the INFO is passed on. */
  private async onInfo(side: LegName, req: InDialogRequest): Promise<void> {
    const otherSide = other(side);
    const r = req.request;
    const parsed = parseDtmfInfo(typeof r.headers['content-type'] === 'string' ? r.headers['content-type'] : '', r.content);
    const dtmf = parsed.ok ? parsed.dtmf : undefined;
    if (dtmf !== undefined && side === 'a' && this.promptChannel !== undefined) {
      // the caller talks to the PBX (IVR): the digit is input, not something to pass on
      req.respond(200, 'OK');
      this.promptChannel.onDigit(dtmf.digit, true);
      return;
    }
    if (dtmf !== undefined && this.media.hasTelephoneEvent(otherSide)) {
      req.respond(200, 'OK');
      try {
        await this.media.engine.sendDtmf(this.media.sessionId, otherSide, dtmf.digit, dtmf.durationMs === undefined ? {} : { durationMs: dtmf.durationMs });
      } catch (e) {
        this.ctx.log.info({ callId: this.id, err: (e as Error).message }, 'DTMF from INFO not sent');
      }
      return;
    }
    const otherDialog = this.dialogOf(otherSide);
    if (otherDialog === undefined) {
      req.respond(481);
      return;
    }
    const opts: SendOptions = r.content ? { body: r.content, contentType: String(r.headers['content-type'] ?? 'application/octet-stream') } : {};
    const res = await otherDialog.request('INFO', opts);
    req.respond(res.status, res.reason);
  }

  // ------------------------------------------------------------------ transfer support

  /**
   * Puts `side` in the hands of a new leg that has answered (a transfer target): its dialog
   * now reaches this call, the old leg is forgotten (the caller BYEs it), records are told.
   */
  replaceSide(name: LegName, next: Side, reason: string): Side | undefined {
    const old = this.sides[name];
    if (old?.leg.dialog) this.ctx.unregisterDialog(old.leg.dialog.key);
    if (old) this.ctx.bus.emit('leg.ended', { callId: this.id, legId: old.legId, at: this.ctx.now(), disposition: 'answered', hangupBy: name === 'a' ? 'caller' : 'callee', reason });
    this.sides[name] = next;
    if (next.leg.dialog) this.ctx.registerDialog(next.leg.dialog.key, this, name);
    this.ctx.partiesChanged(this);
    return old;
  }

  /**
   * Gives up one side to another call (attended transfer: this call's other side is the
   * transferor, who is BYEd). This call ends; the released leg's dialog stays up.
   */
  async release(name: LegName, reason: string): Promise<Side | undefined> {
    const kept = this.sides[name];
    if (kept?.leg.dialog) this.ctx.unregisterDialog(kept.leg.dialog.key);
    this.sides[name] = undefined;
    void this.sides[other(name)]?.leg.bye({ Reason: `SIP;cause=200;text="${reason}"` });
    if (kept) this.ctx.bus.emit('leg.ended', { callId: this.id, legId: kept.legId, at: this.ctx.now(), disposition: 'answered', hangupBy: 'system', reason });
    await this.finish({ disposition: 'answered', hangupBy: 'system', sipCode: 200, reason });
    return kept;
  }

  // ------------------------------------------------------------------ the end

  /** Publishes the end once; frees media and dialogs. */
  async finish(end: CallEnd): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    this.state = 'ending';
    this.disposition = end.disposition;
    this.fork?.cancel();
    this.promptChannel?.close();
    this.inbound.close();
    const now = this.ctx.now();
    const legEnd = { at: now, disposition: end.disposition, hangupBy: end.hangupBy, ...(end.sipCode === undefined ? {} : { sipCode: end.sipCode }), ...(end.reason === undefined ? {} : { reason: end.reason }) };
    for (const name of ['b', 'a'] as const) {
      const s = this.sides[name];
      if (s === undefined) continue;
      const dialog = s.leg.dialog;
      if (dialog && s.leg instanceof InboundLeg && s.leg.awaitingAck) {
        // the caller's ACK must still find us: our BYE waits for it (RFC 3261 §15)
        void s.leg.ackSettledOrNow().then(() => this.ctx.unregisterDialog(dialog.key));
      } else if (dialog) {
        this.ctx.unregisterDialog(dialog.key);
      }
      this.ctx.bus.emit('leg.ended', { callId: this.id, legId: s.legId, ...legEnd });
    }
    try {
      await this.media.destroy();
    } catch (e) {
      this.ctx.log.warn({ callId: this.id, err: (e as Error).message }, 'media session teardown failed');
    }
    this.ctx.bus.emit('call.ended', { callId: this.id, ...legEnd });
    for (const fn of this.endHooks.splice(0)) {
      try {
        fn();
      } catch (e) {
        this.ctx.log.error({ callId: this.id, err: e }, 'call end hook failed');
      }
    }
    this.ctx.ended(this);
  }

  /** The From URI a called party sees: a number at the domain the caller dialled. */
  private fromUriFor(number: string): string {
    const to = parseUri(this.inbound.invite.headers.to.uri);
    return `sip:${number}@${to ? formatHost(to.host) : 'localhost'}`;
  }

  toLive(): LiveCall {
    return {
      id: this.id,
      tenantId: this.tenantId,
      direction: this.direction,
      state: this.state,
      caller: this.sides.a?.party ?? this.caller,
      callee: this.sides.b?.party ?? this.callee,
      startedAt: this.startedAt,
      ...(this.answeredAt === undefined ? {} : { answeredAt: this.answeredAt }),
      legs: (this.sides.a ? 1 : 0) + (this.sides.b ? 1 : (this.fork?.started.filter((l) => l.state === 'calling' || l.state === 'ringing').length ?? 0)),
      recording: this.recording,
    };
  }
}

export function other(leg: LegName): LegName {
  return leg === 'a' ? 'b' : 'a';
}

export function dispositionOf(status: number): Disposition {
  if (status >= 200 && status < 300) return 'answered';
  if (status === 486 || status === 600) return 'busy';
  if (status === 408 || status === 480) return 'no-answer';
  if (status === 487) return 'cancelled';
  if (status === 403 || status === 603 || status === 488) return 'rejected';
  return 'failed';
}

function quoteName(name: string): string {
  return '"' + name.replace(/["\\]/g, '') + '"';
}
