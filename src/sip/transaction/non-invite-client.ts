// RFC 3261 §17.1.2 non-INVITE client transaction: Trying → Proceeding → Completed → Terminated.
// Timer E retransmits (unreliable only): T1, doubling, capped at T2; in Proceeding every T2.
// Timer F (64*T1) runs from the start and is NOT stopped by a 1xx (the `sip` package's leak):
// on expiry the TU gets a synthetic 408. Timer K (T4, 0 on reliable) absorbs retransmitted finals;
// it runs on the layer's shared expiry queue (same duration for every transaction).
import type { Peer, SipRequest, SipResponse } from '../message.ts';
import { buildResponse, serialize } from '../serialize.ts';
import { isReliable, type TransactionContext } from './context.ts';
import { TimerSlot, timeout64, timerIK } from './timers.ts';

export type NonInviteClientState = 'trying' | 'proceeding' | 'completed' | 'terminated';

export interface ClientListener {
  provisional?(response: SipResponse): void;
  /** Exactly once: the final response, or a synthetic 408 (timeout) / 503 (transport error). */
  final(response: SipResponse): void;
}

export class NonInviteClientTransaction {
  readonly server = false;
  state: NonInviteClientState = 'trying';
  private readonly data: Buffer;
  private readonly retransmit = new TimerSlot(); // Timer E
  private readonly timeout = new TimerSlot(); // Timer F, then K
  private interval: number;
  private readonly reliable: boolean;
  /** Handle in the shared Timer K queue; -1 when not in it. */
  private timerK = -1;

  constructor(
    readonly key: string,
    readonly request: SipRequest,
    readonly peer: Peer,
    private readonly ctx: TransactionContext,
    private readonly listener: ClientListener,
  ) {
    this.reliable = isReliable(peer);
    this.interval = ctx.timers.T1;
    this.data = serialize(request);
  }

  start(): void {
    this.ctx.send(this.peer, this.data, (err) => this.fail(503, 'Transport Error: ' + err.message));
    if (this.state === 'terminated') return;
    if (!this.reliable) this.scheduleE();
    this.timeout.set(timeout64(this.ctx.timers), () => this.fail(408, 'Request Timeout'));
  }

  private scheduleE(): void {
    this.retransmit.set(this.interval, () => {
      if (this.state !== 'trying' && this.state !== 'proceeding') return;
      this.ctx.send(this.peer, this.data);
      this.interval = this.state === 'proceeding' ? this.ctx.timers.T2 : Math.min(this.interval * 2, this.ctx.timers.T2);
      this.scheduleE();
    });
  }

  receive(response: SipResponse): void {
    if (this.state === 'completed' || this.state === 'terminated') return; // retransmitted final: absorbed
    if (response.status < 200) {
      if (this.state === 'trying') {
        this.state = 'proceeding';
        // RFC 3261 §17.1.2.2: in Proceeding, retransmit every T2. Timer F keeps running.
        if (!this.reliable) {
          this.interval = this.ctx.timers.T2;
          this.scheduleE();
        }
      }
      const p = this.listener.provisional;
      if (p) this.ctx.guard('provisional response handler', () => p(response));
      return;
    }
    this.state = 'completed';
    this.retransmit.clear();
    this.ctx.guard('response handler', () => this.listener.final(response));
    this.timeout.clear();
    if (this.state !== 'completed') return; // the handler aborted it (stack closed)
    if (timerIK(this.ctx.timers, this.reliable) === 0) this.terminate();
    else this.timerK = this.ctx.queues.timerK.add(this); // shared queue: no timer per transaction
  }

  private fail(status: number, reason: string): void {
    if (this.state === 'completed' || this.state === 'terminated') return;
    this.state = 'completed';
    this.ctx.guard('response handler', () => this.listener.final(buildResponse(this.request, status, reason)));
    this.terminate();
  }

  /** Stack shutdown: the TU gets a synthetic 503 if it is still waiting. */
  abort(): void {
    this.fail(503, 'Stack Closed');
    this.terminate();
  }

  terminate(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.retransmit.clear();
    this.timeout.clear();
    if (this.timerK !== -1) this.ctx.queues.timerK.cancel(this.timerK, this);
    this.timerK = -1;
    this.ctx.terminated(this);
  }
}
