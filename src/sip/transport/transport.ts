// What every transport offers the stack, and the typed error for bind failures.
import type { Peer, TransportKind } from '../message.ts';

/** Bind/listen failure (EADDRINUSE, EACCES, …) with a message naming transport, host and port. */
export class TransportError extends Error {
  constructor(
    readonly transport: TransportKind,
    readonly host: string,
    readonly port: number,
    readonly code: string | undefined,
    detail: string,
  ) {
    super(`cannot listen on ${transport.toUpperCase()} ${host.includes(':') ? '[' + host + ']' : host}:${port}: ${detail}`);
    this.name = 'TransportError';
  }
}

export function bindError(transport: TransportKind, host: string, port: number, err: unknown): TransportError {
  const e = err as NodeJS.ErrnoException;
  const hint =
    e.code === 'EADDRINUSE' ? 'address already in use (another SIP server running?)'
    : e.code === 'EACCES' ? 'permission denied (ports below 1024 need privileges)'
    : e.code === 'EADDRNOTAVAIL' ? 'address not available on this host'
    : String(e.message ?? e);
  return new TransportError(transport, host, port, e.code, hint);
}

export interface InboundSink {
  /** One datagram or one framed stream message. `data` is only valid during the call. */
  message(data: Buffer, source: Peer): void;
  /**
   * A stream framing violation. `head` (start line + headers) is given when they were read,
   * so the stack can answer `status`; the transport closes the connection right after.
   */
  framingError(head: Buffer | undefined, source: Peer, status: number, reason: string): void;
}

export interface Listener {
  readonly kind: TransportKind;
  /** The address and port actually bound (port 0 resolved). */
  readonly local: { address: string; port: number };
  /** Sends; errors are reported through the callback (never thrown). */
  send(peer: Peer, data: Buffer, done?: (err?: Error) => void): void;
  close(): Promise<void>;
}
