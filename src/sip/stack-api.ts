// The contract between the signalling stack (src/sip/stack.ts) and its users (registrar,
// later call control). Users never see sockets or transaction state machines.
import type { Peer, SipRequest, SipResponse } from './message.ts';

/** One received request inside its server transaction. */
export interface IncomingRequest {
  readonly request: SipRequest;
  readonly source: Peer;
  /** Sends a response through the server transaction (retransmissions, Via handling done). */
  respond(status: number, reason?: string, extra?: ResponseExtras): void;
}

export interface ResponseExtras {
  /** Extra headers, already in their final text form, e.g. { 'WWW-Authenticate': ['Digest …'] }. */
  headers?: Record<string, string | string[]>;
  contentType?: string;
  body?: string;
  /** To-tag to add to the To header of a final response (generated when omitted for non-100). */
  toTag?: string;
}

export type RequestHandler = (incoming: IncomingRequest) => void;

export interface OutgoingRequestOptions {
  /** Where to send it; if omitted, taken from the Request-URI. */
  target: Peer;
}

export interface SipStackApi {
  /** Handler for every new request that passed the guards (retransmissions are absorbed). */
  onRequest(handler: RequestHandler): void;
  /**
   * Sends a request in a new client transaction and resolves with the final response
   * (a synthetic 408 on Timer B/F expiry, 503 on transport error). Via, branch, Max-Forwards,
   * Content-Length are filled in by the stack.
   */
  request(req: Omit<SipRequest, 'version'> & { version?: string }, options: OutgoingRequestOptions): Promise<SipResponse>;
  /** The address/port a Contact or Via should carry for a transport. */
  localAddress(transport: Peer['transport']): { address: string; port: number };
  close(): Promise<void>;
}
