// What a transaction needs from the layer around it: timer values, a way to send, a way to
// report errors, and the hook that removes it from every map when it terminates.
import type { Peer } from '../message.ts';
import type { NonInviteClientTransaction } from './non-invite-client.ts';
import type { NonInviteServerTransaction } from './non-invite-server.ts';
import type { ExpiryQueue, TimerConfig } from './timers.ts';

export interface TransactionContext {
  readonly timers: Required<TimerConfig>;
  /** Sends raw bytes; a transport failure is reported through `failed`. */
  send(peer: Peer, data: Buffer, failed?: (err: Error) => void): void;
  /** Runs a callback of the user (TU); its exceptions are caught and logged. */
  guard(what: string, fn: () => void): void;
  terminated(tx: { readonly key: string; readonly server: boolean }): void;
  /**
   * Shared expiry for the timers that last the same for every transaction of a kind and are
   * by far the most numerous (one per REGISTER/OPTIONS): no setTimeout per transaction.
   */
  readonly queues: {
    /** Non-INVITE server: the TU must answer within `serverNonInviteTimeout` (else 500). */
    readonly nonInviteServerGuard: ExpiryQueue<NonInviteServerTransaction>;
    /** Non-INVITE server, unreliable: Timer J (64*T1) in Completed. */
    readonly timerJ: ExpiryQueue<NonInviteServerTransaction>;
    /** Non-INVITE client, unreliable: Timer K (T4) in Completed. */
    readonly timerK: ExpiryQueue<NonInviteClientTransaction>;
  };
}

export function isReliable(peer: Peer): boolean {
  return peer.transport !== 'udp';
}
