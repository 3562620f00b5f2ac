// Call control's front door (ARCHITECTURE.md "call control: routing → apps → calls"): a new
// INVITE's sender is established (a trunk by its source address, else digest credentials of an
// extension or of a tenant PBX), routing plans the call, and the planned app runs on a new Call;
// requests inside a dialog find their call by Call-ID and our tag. It also holds the calls in
// progress (the live view) and counts them per extension (the concurrent-call limit).
import { randomUUID } from 'node:crypto';
import type { Logger } from '../log.ts';
import type { MediaEngine } from '../media/engine.ts';
import type { LegName } from '../media/media-protocol.ts';
import { PortsExhaustedError } from '../media/port-allocator.ts';
import { callsActive, callsEnded, mediaRtpPackets } from '../metrics.ts';
import type { RequestAuthenticator } from '../sip/request-authenticator.ts';
import type { LocationService } from '../sip/registrar/location.ts';
import type { AccountSource } from '../sip/registrar/ports.ts';
import type { SipStack, StackIncomingRequest } from '../sip/stack.ts';
import type { IncomingRequest } from '../sip/stack-api.ts';
import { bareHost, formatHost, parseUri } from '../sip/uri.ts';
import { dialogKey } from '../sip/dialog/dialog.ts';
import type { ExtensionLookup } from '../directory/extension-lookup.ts';
import { partyOf } from '../routing/route-call.ts';
import type { CallRouting } from '../routing/call-routing.ts';
import type { AppEnv } from '../apps/app-env.ts';
import { planCall, type CallOrigin } from '../routing/plan-call.ts';
import type { NumberLookup, RoutableNumber } from '../numbers/number-lookup.ts';
import type { TrunkDirectory } from '../trunks/trunk-directory.ts';
import type { CallEventBus } from './call-events.ts';
import { Call, type CallContext, type TransferTarget } from './call.ts';
import { CallMedia, UnacceptableSdpError } from './call-media.ts';
import { InboundLeg } from './inbound-leg.ts';
import type { LiveCall, LiveCalls } from './live-calls.ts';
import { decideSessionTimer, SessionTimer, sessionTimerHeaders } from './session-timer.ts';

export interface CallControlOptions {
  stack: SipStack;
  engine: MediaEngine;
  bus: CallEventBus;
  authenticator: RequestAuthenticator;
  accounts: AccountSource;
  location: LocationService;
  extensions: ExtensionLookup;
  numbers: NumberLookup;
  trunks: TrunkDirectory;
  /** Built by the server over this call control's counts (activeCallsOf). */
  routing: CallRouting;
  /** What apps use besides routing (voicemail boxes, notices). */
  apps: AppEnv;
  /** Where a call's recording goes (its folder created), or undefined when the tenant does not record. */
  recordingPath(call: { tenantId: number; callId: string; at: number }): string | undefined;
  codecs: readonly string[];
  /** media.symmetric_rtp */
  symmetricRtp: boolean;
  callWaiting: boolean;
  minSessionExpiresS: number;
  maxDurationS: number;
  timers: { T1: number; T2: number };
  log: Logger;
  now?: () => number;
}

interface DialogEntry {
  call: Call;
  side: LegName;
}

export class CallControl implements LiveCalls {
  private readonly o: CallControlOptions;
  private readonly now: () => number;
  private readonly calls = new Map<string, Call>();
  private readonly bySession = new Map<string, Call>();
  private readonly dialogs = new Map<string, DialogEntry>();
  /** Calls in progress per extension, and which extensions each call is counted for. */
  private readonly busy = new Map<number, number>();
  private readonly counted = new Map<string, number[]>();
  /** Calls in progress per sipTrunk number (its purchased concurrency). */
  private readonly numberCalls = new Map<number, number>();
  private readonly ctx: CallContext;
  private stopping = false;

  constructor(options: CallControlOptions) {
    this.o = options;
    this.now = options.now ?? Date.now;
    this.ctx = {
      transport: options.stack,
      bus: options.bus,
      log: options.log,
      now: this.now,
      contactFor: (transport) => this.contactFor(transport),
      recordingPath: (call) => this.recordingPath(call),
      registerDialog: (key, call, side) => this.dialogs.set(key, { call, side }),
      unregisterDialog: (key) => this.dialogs.delete(key),
      findDialog: (callId, localTag) => this.dialogs.get(dialogKey(callId, localTag)),
      transferTarget: (tenantId, user, toUri, by) => this.transferTarget(tenantId, user, toUri, by),
      ended: (call) => this.onEnded(call),
      partiesChanged: (call) => this.recount(call),
    };
    options.engine.on('rtpTimeout', (e) => {
      const call = this.bySession.get(e.sessionId);
      if (call !== undefined && call.state !== 'held' && call.state !== 'ringing') {
        options.log.info({ callId: call.id, leg: e.leg, silentMs: e.silentMs }, 'no RTP: ending the call');
        call.hangup('RTP timeout');
      }
    });
    options.engine.on('sessionEnded', (e) => this.bySession.get(e.sessionId)?.hangup('media failure'));
    // the PBX talking to a caller (IVR): its prompts ending and the digits pressed
    options.engine.on('playDone', (e) => this.bySession.get(e.sessionId)?.prompts?.onPlayDone(e));
    options.engine.on('dtmf', (e) => this.bySession.get(e.sessionId)?.prompts?.onDtmf(e));
    options.engine.on('messageDone', (e) => this.bySession.get(e.sessionId)?.prompts?.onMessageDone(e));
    // a recording is closed by the worker (destroy, stopRecord, a write error): its record is completed
    options.engine.on('recordDone', (e) => {
      const call = this.bySession.get(e.sessionId);
      if (call === undefined) return;
      call.recording = false;
      options.bus.emit('recording.finished', { callId: call.id, at: this.now(), path: e.path, seconds: e.seconds, ...(e.error === undefined ? {} : { error: e.error }) });
    });
  }

  // ------------------------------------------------------------------ SIP entry points

  /** INVITE: a new call, or a re-INVITE inside a dialog. */
  onInvite = (incoming: IncomingRequest): void => {
    const req = incoming.request;
    if (req.headers.to.params.tag !== undefined) {
      this.onInDialog(incoming);
      return;
    }
    void this.newCall(incoming as StackIncomingRequest).catch((err: unknown) => {
      this.o.log.error({ err, callId: req.headers['call-id'] }, 'call set-up failed');
      incoming.respond(500, 'Server Internal Error');
    });
  };

  /** BYE, ACK, INFO, UPDATE, PRACK, REFER, NOTIFY, OPTIONS with a To tag: find the dialog. */
  onInDialog = (incoming: IncomingRequest): void => {
    const req = incoming.request;
    const tag = req.headers.to.params.tag;
    const entry = tag ? this.dialogs.get(dialogKey(req.headers['call-id'], tag)) : undefined;
    if (entry === undefined) {
      if (req.method !== 'ACK') incoming.respond(481, 'Call/Transaction Does Not Exist');
      return;
    }
    entry.call.onRequest(entry.side, { request: req, respond: incoming.respond });
  };

  private async newCall(incoming: StackIncomingRequest): Promise<void> {
    const receivedAt = performance.now();
    const req = incoming.request;
    if (this.stopping) return void incoming.respond(503, 'Service Unavailable', { headers: { 'Retry-After': '30' } });
    const from = parseUri(req.headers.from.uri);
    if (!from) return void incoming.respond(400, 'Bad From Header');
    const origin = this.originOf(incoming, bareHost(from.host).toLowerCase());
    if (origin === undefined) return; // challenged (407), or refused
    const timer = decideSessionTimer(req, this.o.minSessionExpiresS);
    if (timer.kind === 'too-small') return void incoming.respond(422, 'Session Interval Too Small', { headers: { 'Min-SE': String(timer.minSe) } });
    if (!req.content) return void incoming.respond(488, 'Not Acceptable Here', { headers: { Warning: '399 tspbx "an SDP offer in the INVITE is required"' } });
    const codecs = (origin.kind === 'trunk' ? origin.trunk.codecs : undefined) ?? this.o.codecs;
    let offer;
    try {
      offer = CallMedia.parse(req.content, codecs);
    } catch (e) {
      if (e instanceof UnacceptableSdpError) return void incoming.respond(488, 'Not Acceptable Here', { headers: { Warning: `399 tspbx "${e.message.replace(/"/g, "'")}"` } });
      throw e;
    }
    const plan = await planCall(origin, req, { routing: this.o.routing, apps: this.o.apps, numbers: this.o.numbers, trunks: this.o.trunks, holdNumber: (line) => this.holdNumber(line) });
    if (!('run' in plan)) {
      if (plan.why !== undefined) this.o.log.info({ from: from.user, to: parseUri(req.uri)?.user, source: incoming.source.address, why: plan.why }, 'call refused');
      return void incoming.respond(plan.status, plan.reason, plan.headers ? { headers: plan.headers } : undefined);
    }
    const releaseHolds = () => plan.holds.forEach((h) => h());
    let media: CallMedia;
    try {
      media = await CallMedia.create(this.o.engine, offer, { codecs, symmetric: this.o.symmetricRtp });
    } catch (e) {
      releaseHolds();
      if (e instanceof PortsExhaustedError) {
        this.o.log.warn({ err: e.message }, 'no media ports: call refused');
        return void incoming.respond(503, 'Service Unavailable', { headers: { 'Retry-After': '5' } });
      }
      throw e;
    }
    if (incoming.cancelled) {
      releaseHolds();
      await media.destroy();
      return;
    }
    const inbound = new InboundLeg(incoming, this.contactFor(incoming.source.transport), this.o.stack, this.o.timers);
    // a carrier that challenges our BYE or re-INVITE gets the trunk's credentials
    if (origin.kind === 'trunk') inbound.dialog.credentials = origin.trunk.credentials;
    const call = new Call({
      id: randomUUID(),
      tenantId: plan.tenantId,
      direction: plan.direction,
      caller: plan.caller,
      callee: plan.callee,
      inbound,
      media,
      ctx: this.ctx,
      receivedAt,
      ...(plan.trunk === undefined ? {} : { trunkId: plan.trunk.id }),
    });
    call.onEnd(releaseHolds);
    this.calls.set(call.id, call);
    this.recount(call);
    this.bySession.set(media.sessionId, call);
    callsActive.set(this.calls.size);
    incoming.onCancel(() => call.onCallerCancel());
    if (timer.kind === 'timer') this.useSessionTimer(call, timer);
    if (this.o.maxDurationS > 0) {
      const limit = setTimeout(() => call.hangup('maximum call duration'), this.o.maxDurationS * 1000);
      limit.unref();
      call.onEnd(() => clearTimeout(limit));
    }
    this.o.log.info({ callId: call.id, direction: plan.direction, from: plan.caller.number, to: plan.callee.number, trunk: plan.trunk?.name }, 'call');
    await plan.run(call);
  }

  /**
   * Who sends a new INVITE: an IP-authenticated trunk by its source address; else the digest
   * credentials of an extension or of a tenant PBX (407 challenge when absent or wrong).
   */
  private originOf(incoming: StackIncomingRequest, domain: string): CallOrigin | undefined {
    const trunk = this.o.trunks.fromSource(incoming.source.address);
    if (trunk !== undefined) return { kind: 'trunk', trunk };
    const account = this.o.authenticator.authenticate(incoming, domain);
    if (!account) return undefined;
    if (account.trunkId !== undefined) {
      const t = this.o.trunks.get(account.trunkId);
      if (t === undefined || !t.enabled) {
        incoming.respond(403, 'Forbidden');
        return undefined;
      }
      return { kind: 'trunk', trunk: t };
    }
    const extension = this.o.extensions.byId(account.extensionId);
    if (extension === undefined) {
      incoming.respond(403, 'Forbidden');
      return undefined;
    }
    return { kind: 'extension', extension };
  }

  /** Counts a call of a sipTrunk number; undefined when it is at its purchased limit. */
  private holdNumber(line: RoutableNumber): (() => void) | undefined {
    const n = this.numberCalls.get(line.id) ?? 0;
    if (line.maxCalls > 0 && n >= line.maxCalls) return undefined;
    this.numberCalls.set(line.id, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.numberCalls.get(line.id) ?? 1) - 1;
      if (left > 0) this.numberCalls.set(line.id, left);
      else this.numberCalls.delete(line.id);
    };
  }

  private useSessionTimer(call: Call, d: Extract<ReturnType<typeof decideSessionTimer>, { kind: 'timer' }>): void {
    const headers = sessionTimerHeaders(d);
    call.extraAnswerHeaders = headers;
    const st = new SessionTimer(
      d,
      () => {
        this.o.log.info({ callId: call.id }, 'session timer expired: ending the call');
        call.hangup('session timer expired');
      },
      () => void call.inbound.dialog.request('UPDATE', { headers: { 'Session-Expires': `${d.seconds};refresher=uas` } }),
    );
    call.sessionRefreshed = (side) => {
      if (side !== 'a') return undefined;
      st.arm();
      return headers;
    };
    st.arm();
    call.onEnd(() => st.stop());
  }

  // ------------------------------------------------------------------ helpers

  /** Where a REFER may send a call in the tenant: an extension with a free call slot and a registered phone. */
  private transferTarget(tenantId: number, user: string, toUri: string, byExtensionId?: number): TransferTarget {
    const extension = this.o.routing.extension(tenantId, user);
    if (extension === undefined) return { status: 404, reason: 'Not Found' };
    if (byExtensionId !== undefined && this.o.routing.sameDirectLine(byExtensionId, extension.id)) return { status: 403, reason: 'Forbidden' };
    const busy = this.activeCallsOf(extension.id);
    if (busy >= extension.maxConcurrentCalls || (!this.o.callWaiting && busy > 0)) return { status: 486, reason: 'Busy Here' };
    const terminals = this.o.routing.phonesOf(extension.id, extension.number, toUri);
    if (terminals.length === 0) return { status: 480, reason: 'Temporarily Unavailable' };
    return { party: partyOf(extension), terminals, strategy: extension.ringStrategy, timeoutS: extension.ringTimeoutS };
  }

  /** Calls in progress of an extension (the concurrent-call limit; routing asks). */
  activeCallsOf(extensionId: number): number {
    return this.busy.get(extensionId) ?? 0;
  }

  /**
   * Keeps the per-extension count of calls in step with who is in `call` now (at start, after
   * a transfer, at the end): the limit check at set-up is one map lookup at any call volume.
   */
  private recount(call: Call, ended = false): void {
    for (const id of this.counted.get(call.id) ?? []) {
      const n = (this.busy.get(id) ?? 1) - 1;
      if (n > 0) this.busy.set(id, n);
      else this.busy.delete(id);
    }
    if (ended) {
      this.counted.delete(call.id);
      return;
    }
    const live = call.toLive();
    const ids = [...new Set([live.caller.extensionId, live.callee.extensionId].filter((x): x is number => x !== undefined))];
    for (const id of ids) this.busy.set(id, (this.busy.get(id) ?? 0) + 1);
    this.counted.set(call.id, ids);
  }

  private contactFor(transport: string): string {
    const t = (transport === 'udp' || transport === 'tcp' || transport === 'tls' ? transport : 'udp') as 'udp' | 'tcp' | 'tls';
    const local = this.o.stack.localAddress(t);
    return `sip:tspbx@${formatHost(local.address)}:${local.port}${t === 'udp' ? '' : `;transport=${t}`}`;
  }

  private recordingPath(call: Call): string | undefined {
    try {
      return this.o.recordingPath({ tenantId: call.tenantId, callId: call.id, at: call.startedAt });
    } catch (e) {
      this.o.log.error({ callId: call.id, err: (e as Error).message }, 'no recording: its folder cannot be made');
      return undefined;
    }
  }

  private onEnded(call: Call): void {
    this.recount(call, true);
    this.calls.delete(call.id);
    this.bySession.delete(call.media.sessionId);
    callsActive.set(this.calls.size);
    if (call.disposition !== undefined) callsEnded.inc({ disposition: call.disposition });
    const s = call.media.lastStats;
    if (s !== undefined) {
      mediaRtpPackets.inc({ direction: 'in' }, s.a.rtpIn + s.b.rtpIn);
      mediaRtpPackets.inc({ direction: 'out' }, s.a.rtpOut + s.b.rtpOut);
    }
  }

  // ------------------------------------------------------------------ live view

  list(tenantId?: number): LiveCall[] {
    const out: LiveCall[] = [];
    for (const c of this.calls.values()) if (tenantId === undefined || c.tenantId === tenantId) out.push(c.toLive());
    return out.sort((a, b) => a.startedAt - b.startedAt);
  }

  get(id: string): LiveCall | undefined {
    return this.calls.get(id)?.toLive();
  }

  hangup(id: string, reason = 'admin hangup'): boolean {
    const call = this.calls.get(id);
    if (call === undefined) return false;
    call.hangup(reason);
    return true;
  }

  get size(): number {
    return this.calls.size;
  }

  /** Shutdown: refuse new calls, end the ones in progress (BYE/CANCEL), wait briefly for their records. */
  async stop(timeoutMs = 2000): Promise<void> {
    this.stopping = true;
    for (const c of [...this.calls.values()]) c.hangup('server shutdown');
    const deadline = Date.now() + timeoutMs;
    while (this.calls.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  }
}
