// Call control's front door (ARCHITECTURE.md "call control: routing → apps → calls"): new
// INVITEs are authenticated, routed and handed to an app; requests inside a dialog find their
// call by Call-ID and our tag. It also holds the calls in progress (the live view) and
// applies the per-extension concurrent-call limit.
import { randomUUID } from 'node:crypto';
import type { Logger } from '../log.ts';
import type { MediaEngine } from '../media/engine.ts';
import type { LegName } from '../media/media-protocol.ts';
import { PortsExhaustedError } from '../media/port-allocator.ts';
import { callsActive, callsEnded, mediaRtpPackets } from '../metrics.ts';
import type { Peer } from '../sip/message.ts';
import type { RequestAuthenticator } from '../sip/request-authenticator.ts';
import type { LocationService } from '../sip/registrar/location.ts';
import type { AccountSource } from '../sip/registrar/ports.ts';
import type { SipStack, StackIncomingRequest } from '../sip/stack.ts';
import type { IncomingRequest } from '../sip/stack-api.ts';
import { bareHost, formatHost, parseUri } from '../sip/uri.ts';
import { dialogKey } from '../sip/dialog/dialog.ts';
import type { DialableExtension, ExtensionLookup } from '../directory/extension-lookup.ts';
import { dialExtension } from '../apps/dial-extension.ts';
import { partyOf, routeFromExtension } from '../routing/route-call.ts';
import type { CallEventBus } from './call-events.ts';
import { Call, type CallContext, type TransferTarget } from './call.ts';
import { CallMedia, UnacceptableSdpError } from './call-media.ts';
import { InboundLeg } from './inbound-leg.ts';
import type { LiveCall, LiveCalls } from './live-calls.ts';
import type { OutboundTarget } from './outbound-leg.ts';
import { decideSessionTimer, SessionTimer, sessionTimerHeaders } from './session-timer.ts';

export interface CallControlOptions {
  stack: SipStack;
  engine: MediaEngine;
  bus: CallEventBus;
  authenticator: RequestAuthenticator;
  accounts: AccountSource;
  location: LocationService;
  extensions: ExtensionLookup;
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
  private readonly cleanups = new Map<string, Array<() => void>>();
  /** Calls in progress per extension, and which extensions each call is counted for. */
  private readonly busy = new Map<number, number>();
  private readonly counted = new Map<string, number[]>();
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
      transferTarget: (tenantId, user, toUri) => this.transferTarget(tenantId, user, toUri),
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
    const account = this.o.authenticator.authenticate(incoming, bareHost(from.host).toLowerCase());
    if (!account) return; // challenged (407), or refused
    const timer = decideSessionTimer(req, this.o.minSessionExpiresS);
    if (timer.kind === 'too-small') return void incoming.respond(422, 'Session Interval Too Small', { headers: { 'Min-SE': String(timer.minSe) } });
    if (!req.content) return void incoming.respond(488, 'Not Acceptable Here', { headers: { Warning: '399 tspbx "an SDP offer in the INVITE is required"' } });
    let offer;
    try {
      offer = CallMedia.parse(req.content, this.o.codecs);
    } catch (e) {
      if (e instanceof UnacceptableSdpError) return void incoming.respond(488, 'Not Acceptable Here', { headers: { Warning: `399 tspbx "${e.message.replace(/"/g, "'")}"` } });
      throw e;
    }
    const ruri = parseUri(req.uri);
    const target = this.reachable(account.tenantId, ruri?.user ?? '', req.headers.to.uri);
    if ('status' in target) {
      if (target.why !== undefined) this.o.log.info({ from: account.user, to: ruri?.user, why: target.why }, 'call refused');
      return void incoming.respond(target.status, target.reason);
    }
    const { extension: callee, terminals } = target;
    const caller = this.o.extensions.byId(account.extensionId);
    let media: CallMedia;
    try {
      media = await CallMedia.create(this.o.engine, offer, { codecs: this.o.codecs, symmetric: this.o.symmetricRtp });
    } catch (e) {
      if (e instanceof PortsExhaustedError) {
        this.o.log.warn({ err: e.message }, 'no media ports: call refused');
        return void incoming.respond(503, 'Service Unavailable', { headers: { 'Retry-After': '5' } });
      }
      throw e;
    }
    if (incoming.cancelled) {
      await media.destroy();
      return;
    }
    const inbound = new InboundLeg(incoming, this.contactFor(incoming.source.transport), this.o.stack, this.o.timers);
    const call = new Call({
      id: randomUUID(),
      tenantId: account.tenantId,
      direction: 'internal',
      caller: caller ? partyOf(caller) : { number: account.user, extensionId: account.extensionId },
      callee: partyOf(callee),
      inbound,
      media,
      ctx: this.ctx,
      receivedAt,
    });
    this.calls.set(call.id, call);
    this.recount(call);
    this.bySession.set(media.sessionId, call);
    callsActive.set(this.calls.size);
    incoming.onCancel(() => call.onCallerCancel());
    if (timer.kind === 'timer') this.useSessionTimer(call, timer);
    if (this.o.maxDurationS > 0) {
      const limit = setTimeout(() => call.hangup('maximum call duration'), this.o.maxDurationS * 1000);
      limit.unref();
      this.onEnd(call, () => clearTimeout(limit));
    }
    this.o.log.info({ callId: call.id, from: account.user, to: callee.number, terminals: terminals.length }, 'call');
    await dialExtension(call, { extension: callee, terminals });
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
    this.onEnd(call, () => st.stop());
  }

  // ------------------------------------------------------------------ helpers

  /** Where a REFER may send a call in the tenant: an extension with a free call slot and a registered terminal. */
  private transferTarget(tenantId: number, user: string, toUri: string): TransferTarget {
    const t = this.reachable(tenantId, user, toUri);
    if ('status' in t) return { status: t.status, reason: t.reason };
    return { party: partyOf(t.extension), terminals: t.terminals, strategy: t.extension.ringStrategy, timeoutS: t.extension.ringTimeoutS };
  }

  /**
   * The extension `user` dials in the tenant with its registered terminals, or what the caller
   * hears instead: 404 (no such extension, `why` says so), 486 (its call limit), 480 (nothing registered).
   */
  private reachable(tenantId: number, user: string, toUri: string): { extension: DialableExtension; terminals: OutboundTarget[] } | { status: number; reason: string; why?: string } {
    const route = routeFromExtension(tenantId, user, this.o.extensions);
    if ('reject' in route) return { status: route.reject, reason: route.reason, why: route.why };
    const extension = route.extension;
    const busy = this.activeCallsOf(extension.id);
    if (busy >= extension.maxConcurrentCalls || (!this.o.callWaiting && busy > 0)) return { status: 486, reason: 'Busy Here' };
    const terminals = this.terminalsOf(extension.id, extension.number, toUri);
    if (terminals.length === 0) return { status: 480, reason: 'Temporarily Unavailable' };
    return { extension, terminals };
  }

  /** The extension's registered contacts as call targets (sent to where each registered from). */
  private terminalsOf(extensionId: number, number: string, toUri: string): OutboundTarget[] {
    const to = parseUri(toUri);
    const domain = to ? to.host : 'localhost';
    return this.o.location.contactsOf(extensionId).map((b) => ({
      uri: b.contact,
      peer: b.source as Peer,
      to: { uri: `sip:${number}@${domain}`, params: {} },
    }));
  }

  private activeCallsOf(extensionId: number): number {
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

  /** Runs `fn` when the call ends (timers of the call). */
  private onEnd(call: Call, fn: () => void): void {
    const list = this.cleanups.get(call.id);
    if (list === undefined) this.cleanups.set(call.id, [fn]);
    else list.push(fn);
  }

  private onEnded(call: Call): void {
    for (const fn of this.cleanups.get(call.id) ?? []) fn();
    this.cleanups.delete(call.id);
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
