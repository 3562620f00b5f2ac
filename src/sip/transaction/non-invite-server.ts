// RFC 3261 §17.2.2 non-INVITE server transaction: Trying → Proceeding → Completed → Terminated.
// Retransmitted requests get the last response again; Timer J (64*T1, 0 on reliable transports)
// absorbs them after the final response. If the TU never answers, the stack answers 500
// after `serverNonInviteTimeout` so the state never leaks.
import type { Peer, SipRequest, SipResponse } from '../message.ts';
import { buildResponse, serialize } from '../serialize.ts';
import { isReliable, type TransactionContext } from './context.ts';
import { TimerSlot, timerJ } from './timers.ts';

export type NonInviteServerState = 'trying' | 'proceeding' | 'completed' | 'terminated';

export class NonInviteServerTransaction {
  readonly server = true;
  state: NonInviteServerState = 'trying';
  private last: Buffer | undefined;
  private readonly timer = new TimerSlot();
  private readonly reliable: boolean;
  private requestRef: SipRequest | undefined;

  constructor(
    readonly key: string,
    request: SipRequest,
    /** Where responses go (RFC 3261 §18.2.2 / RFC 3581), pinned to the connection if any. */
    readonly responsePeer: Peer,
    private readonly ctx: TransactionContext,
  ) {
    this.reliable = isReliable(responsePeer);
    this.requestRef = request;
    this.timer.set(ctx.timers.serverNonInviteTimeout, () => {
      const req = this.requestRef;
      if (req && (this.state === 'trying' || this.state === 'proceeding')) this.respond(buildResponse(req, 500, 'No Response From Application'));
    });
  }

  /** A retransmission of the request. */
  receiveRetransmission(): void {
    if ((this.state === 'proceeding' || this.state === 'completed') && this.last) this.ctx.send(this.responsePeer, this.last);
  }

  /** Sends a response from the TU; returns false if the transaction no longer accepts one. */
  respond(response: SipResponse): boolean {
    if (this.state === 'completed' || this.state === 'terminated') return false;
    this.last = serialize(response);
    this.ctx.send(this.responsePeer, this.last, () => this.terminate());
    if (response.status < 200) {
      this.state = 'proceeding';
      return true;
    }
    this.state = 'completed';
    // Only the bytes of the last response are needed from here on (Timer J lasts 32 s on UDP:
    // at thousands of requests per second, holding the parsed request would be most of the heap).
    this.requestRef = undefined;
    const j = timerJ(this.ctx.timers, this.reliable);
    if (j === 0) this.terminate();
    else this.timer.set(j, () => this.terminate());
    return true;
  }

  terminate(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.timer.clear();
    this.last = undefined;
    this.requestRef = undefined;
    this.ctx.terminated(this);
  }
}
