// What a transaction needs from the layer around it: timer values, a way to send, a way to
// report errors, and the hook that removes it from every map when it terminates.
import type { Peer } from '../message.ts';
import type { TimerConfig } from './timers.ts';

export interface TransactionContext {
  readonly timers: Required<TimerConfig>;
  /** Sends raw bytes; a transport failure is reported through `failed`. */
  send(peer: Peer, data: Buffer, failed?: (err: Error) => void): void;
  /** Runs a callback of the user (TU); its exceptions are caught and logged. */
  guard(what: string, fn: () => void): void;
  terminated(tx: { readonly key: string; readonly server: boolean }): void;
}

export function isReliable(peer: Peer): boolean {
  return peer.transport !== 'udp';
}
