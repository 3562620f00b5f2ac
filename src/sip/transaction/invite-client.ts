// RFC 3261 §17.1.1 INVITE client transaction (with RFC 6026 Accepted):
// Calling: Timer A retransmits (unreliable only; T1 doubling), Timer B (64*T1) → synthetic 408.
// Proceeding (after a 1xx): no retransmission. RFC 3261 stops Timer B here because a call may
//   ring for minutes; instead a Timer C-like guard (`clientProvisionalTimeout`, default 3 min)
//   yields a synthetic 408 so the transaction can never leak.
// 300-699 → the transaction ACKs it itself (same branch) → Completed; Timer D (32 s, 0 on
//   reliable) re-ACKs retransmitted finals. 2xx → Accepted for 64*T1: retransmitted 2xx go to
//   `retransmitted2xx` so the TU can re-send its ACK (the ACK for 2xx is the TU's job).
import type { Peer, SipRequest, SipResponse } from '../message.ts';
import { buildResponse, serialize } from '../serialize.ts';
import { isReliable, type TransactionContext } from './context.ts';
import type { ClientListener } from './non-invite-client.ts';
import { TimerSlot, timeout64, timerD } from './timers.ts';

export type InviteClientState = 'calling' | 'proceeding' | 'accepted' | 'completed' | 'terminated';

export interface InviteClientListener extends ClientListener {
  retransmitted2xx?(response: SipResponse): void;
}

export class InviteClientTransaction {
  readonly server = false;
  state: InviteClientState = 'calling';
  private readonly data: Buffer;
  private ack: Buffer | undefined;
  private readonly retransmit = new TimerSlot(); // Timer A
  private readonly timeout = new TimerSlot(); // Timer B, C-like, D, Accepted
  private interval: number;
  private readonly reliable: boolean;

  constructor(
    readonly key: string,
    readonly request: SipRequest,
    readonly peer: Peer,
    private readonly ctx: TransactionContext,
    private readonly listener: InviteClientListener,
  ) {
    this.reliable = isReliable(peer);
    this.interval = ctx.timers.T1;
    this.data = serialize(request);
  }

  start(): void {
    this.ctx.send(this.peer, this.data, (err) => this.fail(503, 'Transport Error: ' + err.message));
    if (this.state === 'terminated') return;
    if (!this.reliable) this.scheduleA();
    this.timeout.set(timeout64(this.ctx.timers), () => this.fail(408, 'Request Timeout'));
  }

  private scheduleA(): void {
    this.retransmit.set(this.interval, () => {
      if (this.state !== 'calling') return;
      this.ctx.send(this.peer, this.data);
      this.interval *= 2; // Timer A is not capped (RFC 3261 §17.1.1.2)
      this.scheduleA();
    });
  }

  receive(response: SipResponse): void {
    const s = response.status;
    if (this.state === 'terminated') return;
    if (this.state === 'completed') {
      if (s >= 300 && this.ack) this.ctx.send(this.peer, this.ack);
      return;
    }
    if (this.state === 'accepted') {
      const r = this.listener.retransmitted2xx;
      if (s >= 200 && s < 300 && r) this.ctx.guard('2xx retransmission handler', () => r(response));
      return;
    }
    if (s < 200) {
      if (this.state === 'calling') {
        this.state = 'proceeding';
        this.retransmit.clear();
        this.timeout.set(this.ctx.timers.clientProvisionalTimeout, () => this.fail(408, 'Request Timeout'));
      }
      const p = this.listener.provisional;
      if (p) this.ctx.guard('provisional response handler', () => p(response));
      return;
    }
    this.retransmit.clear();
    if (s < 300) {
      this.state = 'accepted';
      this.timeout.set(timeout64(this.ctx.timers), () => this.terminate());
    } else {
      this.state = 'completed';
      this.ack = serialize(buildAck(this.request, response));
      this.ctx.send(this.peer, this.ack);
      const d = timerD(this.ctx.timers, this.reliable);
      if (d === 0) this.terminate();
      else this.timeout.set(d, () => this.terminate());
    }
    this.ctx.guard('response handler', () => this.listener.final(response));
  }

  private fail(status: number, reason: string): void {
    if (this.state !== 'calling' && this.state !== 'proceeding') return;
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
    this.ack = undefined;
    this.ctx.terminated(this);
  }
}

/** RFC 3261 §17.1.1.3: the ACK for a non-2xx final, inside the INVITE's transaction. */
export function buildAck(invite: SipRequest, response: SipResponse): SipRequest {
  const h = invite.headers;
  const headers: SipRequest['headers'] = {
    via: h.via.slice(0, 1),
    to: response.headers.to,
    from: h.from,
    'call-id': h['call-id'],
    cseq: { seq: h.cseq.seq, method: 'ACK' },
    'max-forwards': '70',
  };
  if (h.route) headers.route = h.route;
  return { method: 'ACK', uri: invite.uri, version: '2.0', headers, content: '' };
}
