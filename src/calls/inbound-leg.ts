// The caller's leg of a call: the INVITE we received (its server transaction) and, once we
// answer, the dialog (UAS side, RFC 3261 §12.1.1). It sends provisional and final responses
// — reliably (RFC 3262 100rel/PRACK) when the caller requires it — retransmits its 2xx until
// the ACK arrives (§13.3.1.4), and sends requests inside the dialog (BYE, re-INVITE, NOTIFY).
import type { Peer, SipRequest, SipResponse } from '../sip/message.ts';
import { newTag } from '../sip/random-id.ts';
import type { StackIncomingRequest } from '../sip/stack.ts';
import { contactUri, Dialog, routeSetOf, type DialogTransport, type SendOptions } from '../sip/dialog/dialog.ts';
import { hasOptionTag } from './sip-headers.ts';

export interface InboundLegTimers {
  T1: number;
  T2: number;
}

/** What the leg needs from the stack beyond the dialog's transport. */
export interface InboundTransport extends DialogTransport {
  sendStateless(message: SipRequest | SipResponse, target: Peer): void;
}

export class InboundLeg {
  readonly incoming: StackIncomingRequest;
  readonly invite: SipRequest;
  readonly dialog: Dialog;
  /** The caller wants reliable provisional responses (Require: 100rel). */
  readonly reliableProvisional: boolean;
  private readonly transport: InboundTransport;
  private readonly timers: InboundLegTimers;
  private answered = false;
  private finalSent = false;
  private acked = false;
  /** The ACK came, or the 2xx retransmissions gave up. */
  private ackSettled = false;
  /** A BYE waits for the ACK (RFC 3261 §15). */
  private byeAfterAck = false;
  private retransmit: NodeJS.Timeout | undefined;
  private rseq = Math.floor(Math.random() * 0x7fffffff);
  private pendingPrack: { rseq: number; withSdp: boolean; pracked: boolean; timer: NodeJS.Timeout | undefined; done: Promise<void>; settle: () => void } | undefined;
  private ackWaiters: Array<(acked: boolean) => void> = [];

  constructor(incoming: StackIncomingRequest, contact: string, transport: InboundTransport, timers: InboundLegTimers) {
    this.incoming = incoming;
    this.invite = incoming.request;
    this.transport = transport;
    this.timers = timers;
    const h = this.invite.headers;
    this.reliableProvisional = hasOptionTag(h.require, '100rel');
    const { tag: remoteTag, ...fromParams } = h.from.params;
    const { tag: _toTag, ...toParams } = h.to.params;
    this.dialog = new Dialog(
      {
        callId: h['call-id'],
        localTag: newTag(),
        remoteTag: remoteTag ?? '',
        local: { ...(h.to.name === undefined ? {} : { name: h.to.name }), uri: h.to.uri, params: toParams },
        remote: { ...(h.from.name === undefined ? {} : { name: h.from.name }), uri: h.from.uri, params: fromParams },
        localSeq: Math.floor(Math.random() * 10000) + 1,
        remoteSeq: h.cseq.seq,
        remoteTarget: contactUri(h.contact) ?? h.from.uri,
        routeSet: routeSetOf(this.invite, false),
        contact,
        peer: incoming.source,
      },
      transport,
    );
  }

  get isAnswered(): boolean {
    return this.answered;
  }

  get isFinal(): boolean {
    return this.finalSent;
  }

  /** 180/183 (with SDP for early media). Reliable ones resolve once PRACKed (or given up on). */
  async progress(status: 180 | 183, opts: SendOptions = {}): Promise<void> {
    if (this.finalSent) return;
    const headers: Record<string, string> = { Contact: `<${this.dialog.contact}>`, ...opts.headers };
    const contentType = opts.contentType ?? (opts.body ? 'application/sdp' : undefined);
    if (!this.reliableProvisional) {
      this.respond(status, undefined, { headers, body: opts.body, contentType });
      return;
    }
    // RFC 3262 §3: one unacknowledged reliable provisional at a time
    while (this.pendingPrack !== undefined) await this.pendingPrack.done;
    if (this.finalSent) return;
    const rseq = ++this.rseq;
    headers.Require = '100rel';
    headers.RSeq = String(rseq);
    const extras = { headers, toTag: this.dialog.localTag, body: opts.body, contentType };
    const response = this.incoming.respond(status, undefined, extras);
    let settle!: () => void;
    const done = new Promise<void>((resolve) => (settle = resolve));
    const pending = { rseq, withSdp: opts.body !== undefined && opts.body !== '', pracked: false, timer: undefined as NodeJS.Timeout | undefined, done, settle: () => {} };
    pending.settle = () => {
      clearTimeout(pending.timer);
      if (this.pendingPrack === pending) this.pendingPrack = undefined;
      settle();
    };
    this.pendingPrack = pending;
    let interval = this.timers.T1;
    let elapsed = 0;
    const again = (): void => {
      if (this.finalSent || this.pendingPrack !== pending) return pending.settle();
      elapsed += interval;
      if (elapsed >= 64 * this.timers.T1) return pending.settle(); // never PRACKed: go on without it
      if (response) this.transport.sendStateless(response, this.incoming.source);
      interval = Math.min(interval * 2, this.timers.T2);
      pending.timer = setTimeout(again, interval);
    };
    pending.timer = setTimeout(again, interval);
    await done;
  }

  /** A PRACK from the caller (RFC 3262 §4); answers it. */
  onPrack(req: SipRequest, respond: (status: number) => void): void {
    const rack = String(req.headers.rack ?? '').trim().split(/\s+/);
    const p = this.pendingPrack;
    if (p === undefined || Number(rack[0]) !== p.rseq) {
      respond(481);
      return;
    }
    respond(200);
    p.pracked = true;
    p.settle();
  }

  /**
   * 200 OK with our SDP; resolves true on the ACK, false when it never came (64*T1). A reliable
   * provisional that carried SDP must be PRACKed first (RFC 3262 §3): the 200 waits for it, and
   * when it never comes the caller gets 500 instead (and false).
   */
  async answer(opts: SendOptions & { headers?: Record<string, string> }): Promise<boolean> {
    if (this.finalSent) return false;
    const unacked = this.pendingPrack;
    if (unacked?.withSdp) {
      await unacked.done;
      if (this.finalSent) return false;
      if (!unacked.pracked) {
        this.reject(500, 'Server Internal Error', { Warning: '399 tspbx "no PRACK for a reliable provisional response with SDP"' });
        return false;
      }
    }
    this.pendingPrack?.settle();
    this.answered = true;
    this.finalSent = true;
    const headers = { Contact: `<${this.dialog.contact}>`, ...opts.headers };
    const extras = { headers, toTag: this.dialog.localTag, body: opts.body, contentType: opts.contentType ?? (opts.body ? 'application/sdp' : undefined) };
    const response = this.incoming.respond(200, 'OK', extras);
    return new Promise((resolve) => {
      this.ackWaiters.push(resolve);
      let interval = this.timers.T1;
      let elapsed = 0;
      const again = (): void => {
        if (this.acked) return;
        elapsed += interval;
        if (elapsed >= 64 * this.timers.T1) return this.settleAck(false);
        if (response) this.transport.sendStateless(response, this.incoming.source);
        interval = Math.min(interval * 2, this.timers.T2);
        this.retransmit = setTimeout(again, interval);
      };
      // reliable transports carry the 2xx once; only UDP needs the retransmissions
      if (this.incoming.source.transport === 'udp') this.retransmit = setTimeout(again, interval);
      else this.retransmit = setTimeout(() => this.settleAck(false), 64 * this.timers.T1);
    });
  }

  /** Answered, and the ACK for our 2xx has neither come nor been given up on. */
  get awaitingAck(): boolean {
    return this.answered && !this.ackSettled;
  }

  /** Resolves once the ACK came or the 2xx retransmissions gave up (at once if not waiting). */
  ackSettledOrNow(): Promise<void> {
    if (!this.awaitingAck) return Promise.resolve();
    return new Promise((resolve) => this.ackWaiters.push(() => resolve()));
  }

  /** The ACK for our 2xx. */
  onAck(): void {
    if (this.acked || !this.answered) return;
    this.settleAck(true);
  }

  private settleAck(acked: boolean): void {
    this.acked = acked;
    this.ackSettled = true;
    clearTimeout(this.retransmit);
    this.retransmit = undefined;
    for (const w of this.ackWaiters.splice(0)) w(acked);
  }

  /** A final non-2xx response (or none when the transaction already got one, e.g. after CANCEL). */
  reject(status: number, reason?: string, headers?: Record<string, string>): void {
    if (this.finalSent) return;
    this.finalSent = true;
    this.pendingPrack?.settle();
    this.respond(status, reason, { headers });
  }

  private respond(status: number, reason: string | undefined, opts: { headers?: Record<string, string>; body?: string; contentType?: string }): void {
    this.incoming.respond(status, reason, { headers: opts.headers, toTag: this.dialog.localTag, body: opts.body, contentType: opts.contentType ?? (opts.body ? 'application/sdp' : undefined) });
  }

  /**
   * Ends the answered dialog. RFC 3261 §15: no BYE before the caller's ACK for our 2xx (or until
   * it can no longer come); meanwhile the 2xx keeps being retransmitted.
   */
  async bye(headers?: Record<string, string>): Promise<SipResponse> {
    if (this.awaitingAck) {
      this.byeAfterAck = true;
      await this.ackSettledOrNow();
    }
    this.close();
    return this.dialog.request('BYE', { headers });
  }

  /** Stops timers (call over) — but not the 2xx retransmissions a waiting BYE depends on. */
  close(): void {
    if (this.byeAfterAck && !this.ackSettled) {
      this.pendingPrack?.settle();
      return;
    }
    clearTimeout(this.retransmit);
    this.retransmit = undefined;
    this.pendingPrack?.settle();
    for (const w of this.ackWaiters.splice(0)) w(this.acked);
  }
}
