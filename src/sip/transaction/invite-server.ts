// RFC 3261 §17.2.1 INVITE server transaction, with the RFC 6026 "Accepted" state:
// Proceeding → (2xx) Accepted → Terminated after 64*T1, absorbing INVITE retransmissions with
//            the 2xx (retransmitting the 2xx until ACK is the dialog layer's job; ACKs for 2xx
//            carry a new branch and go to the TU as new requests)
// Proceeding → (3xx-6xx) Completed: Timer G retransmits (unreliable only, doubling, capped at
//            T2), Timer H (64*T1) gives up waiting for the ACK; ACK → Confirmed, Timer I
//            (T4, 0 on reliable) → Terminated.
// If the TU never answers, the stack answers 500 after `serverInviteTimeout`.
import type { Peer, SipRequest, SipResponse } from '../message.ts';
import { buildResponse, serialize } from '../serialize.ts';
import { isReliable, type TransactionContext } from './context.ts';
import { TimerSlot, timeout64, timerIK } from './timers.ts';

export type InviteServerState = 'proceeding' | 'accepted' | 'completed' | 'confirmed' | 'terminated';

export class InviteServerTransaction {
  readonly server = true;
  state: InviteServerState = 'proceeding';
  private last: Buffer | undefined;
  private readonly retransmit = new TimerSlot(); // Timer G
  private readonly timeout = new TimerSlot(); // Timer H / I / TU guard / Accepted
  private interval: number;
  private readonly reliable: boolean;
  private cancelled = false;
  /** Set by the stack user: runs when a matching CANCEL arrives while no final response was sent. */
  onCancel: (() => void) | undefined;

  constructor(
    readonly key: string,
    readonly request: SipRequest,
    readonly responsePeer: Peer,
    private readonly ctx: TransactionContext,
  ) {
    this.reliable = isReliable(responsePeer);
    this.interval = ctx.timers.T1;
    this.timeout.set(ctx.timers.serverInviteTimeout, () => {
      if (this.state === 'proceeding') this.respond(buildResponse(request, 500, 'No Response From Application'));
    });
  }

  get isCancelled(): boolean {
    return this.cancelled;
  }

  receiveRetransmission(): void {
    if (this.last && (this.state === 'proceeding' || this.state === 'accepted' || this.state === 'completed')) {
      this.ctx.send(this.responsePeer, this.last);
    }
  }

  /** An ACK matching this transaction (i.e. for a non-2xx final). */
  receiveAck(): void {
    if (this.state !== 'completed') return;
    this.state = 'confirmed';
    this.retransmit.clear();
    const i = timerIK(this.ctx.timers, this.reliable);
    if (i === 0) this.terminate();
    else this.timeout.set(i, () => this.terminate());
  }

  /** A CANCEL matched this transaction; returns true if the INVITE was still pending. */
  cancel(): boolean {
    if (this.state !== 'proceeding') return false;
    this.cancelled = true;
    const hook = this.onCancel;
    if (hook) this.ctx.guard('onCancel', hook);
    return true;
  }

  respond(response: SipResponse): boolean {
    if (this.state !== 'proceeding') return false;
    this.last = serialize(response);
    this.ctx.send(this.responsePeer, this.last, () => this.terminate());
    const t = this.ctx.timers;
    if (response.status < 200) return true;
    if (response.status < 300) {
      this.state = 'accepted';
      this.timeout.set(timeout64(t), () => this.terminate());
      return true;
    }
    this.state = 'completed';
    if (!this.reliable) this.scheduleG();
    this.timeout.set(timeout64(t), () => this.terminate()); // Timer H: no ACK came
    return true;
  }

  private scheduleG(): void {
    this.retransmit.set(this.interval, () => {
      if (this.state !== 'completed' || !this.last) return;
      this.ctx.send(this.responsePeer, this.last);
      this.interval = Math.min(this.interval * 2, this.ctx.timers.T2);
      this.scheduleG();
    });
  }

  terminate(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.retransmit.clear();
    this.timeout.clear();
    this.last = undefined;
    this.onCancel = undefined;
    this.ctx.terminated(this);
  }
}
