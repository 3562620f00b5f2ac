// RFC 3261 §17.2.2 non-INVITE server transaction: Trying → Proceeding → Completed → Terminated.
// Retransmitted requests get the last response again; Timer J (64*T1, 0 on reliable transports)
// absorbs them after the final response. If the TU never answers, the stack answers 500
// after `serverNonInviteTimeout` so the state never leaks.
// Both timers last the same for every transaction, so they run on the layer's shared expiry
// queues (context.ts): at thousands of REGISTERs per second, ~64*T1*rate transactions sit in
// Completed at once, and each then holds only its key, the response bytes and where to send them.
import type { Peer, SipRequest, SipResponse } from '../message.ts';
import { buildResponse, serialize } from '../serialize.ts';
import { isReliable, type TransactionContext } from './context.ts';
import { timerJ } from './timers.ts';

export type NonInviteServerState = 'trying' | 'proceeding' | 'completed' | 'terminated';

export class NonInviteServerTransaction {
  state: NonInviteServerState = 'trying';
  private last: Buffer | undefined;
  private requestRef: SipRequest | undefined;
  /** Handle in the queue the transaction waits in (TU guard, then Timer J); -1 when none. */
  private expiry: number;

  constructor(
    readonly key: string,
    request: SipRequest,
    /** Where responses go (RFC 3261 §18.2.2 / RFC 3581), pinned to the connection if any. */
    readonly responsePeer: Peer,
    private readonly ctx: TransactionContext,
  ) {
    this.requestRef = request;
    this.expiry = ctx.queues.nonInviteServerGuard.add(this);
  }

  get server(): true {
    return true;
  }

  /** A retransmission of the request. */
  receiveRetransmission(): void {
    if ((this.state === 'proceeding' || this.state === 'completed') && this.last) this.ctx.send(this.responsePeer, this.last);
  }

  /** The TU did not answer in time (shared guard queue). */
  guardExpired(): void {
    this.expiry = -1;
    const req = this.requestRef;
    if (req && (this.state === 'trying' || this.state === 'proceeding')) this.respond(buildResponse(req, 500, 'No Response From Application'));
  }

  /** Sends a response from the TU; returns false if the transaction no longer accepts one. */
  respond(response: SipResponse): boolean {
    if (this.state === 'completed' || this.state === 'terminated') return false;
    this.last = serialize(response);
    this.ctx.send(this.responsePeer, this.last, () => this.terminate());
    if ((this.state as NonInviteServerState) === 'terminated') return true; // the transport failed at once
    if (response.status < 200) {
      this.state = 'proceeding';
      return true;
    }
    this.state = 'completed';
    this.stopGuard();
    // Only the bytes of the last response are needed from here on (Timer J lasts 32 s on UDP:
    // at thousands of requests per second, holding the parsed request would be most of the heap).
    this.requestRef = undefined;
    if (timerJ(this.ctx.timers, isReliable(this.responsePeer)) === 0) this.terminate();
    else this.expiry = this.ctx.queues.timerJ.add(this);
    return true;
  }

  terminate(): void {
    if (this.state === 'terminated') return;
    const wasCompleted = this.state === 'completed';
    this.state = 'terminated';
    if (this.expiry !== -1) {
      if (wasCompleted) this.ctx.queues.timerJ.cancel(this.expiry, this);
      else this.ctx.queues.nonInviteServerGuard.cancel(this.expiry, this);
      this.expiry = -1;
    }
    this.last = undefined;
    this.requestRef = undefined;
    this.ctx.terminated(this);
  }

  private stopGuard(): void {
    if (this.expiry !== -1) this.ctx.queues.nonInviteServerGuard.cancel(this.expiry, this);
    this.expiry = -1;
  }
}
