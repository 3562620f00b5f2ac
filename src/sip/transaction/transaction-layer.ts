// Matching of messages to transactions (RFC 3261 §17.1.3, §17.2.3) and the maps that hold
// them. Server key: top-Via branch + sent-by + method, with ACK folded onto INVITE and CANCEL
// kept apart; a branch without the RFC 3261 magic cookie falls back to an RFC 2543-style key
// (Call-ID, CSeq number, From tag, sent-by). Client key: branch + CSeq method.
// A terminated transaction removes itself from its map (no leak): see `terminated`.
import type { Peer, SipRequest, SipResponse, Via } from '../message.ts';
import type { TransactionContext } from './context.ts';
import { InviteClientTransaction, type InviteClientListener } from './invite-client.ts';
import { InviteServerTransaction } from './invite-server.ts';
import { NonInviteClientTransaction, type ClientListener } from './non-invite-client.ts';
import { NonInviteServerTransaction } from './non-invite-server.ts';
import { ExpiryQueue, resolveTimers, timeout64, type TimerConfig } from './timers.ts';

export type ServerTransaction = InviteServerTransaction | NonInviteServerTransaction;
export type ClientTransaction = InviteClientTransaction | NonInviteClientTransaction;

export interface TransactionLayerOptions {
  timers?: Partial<TimerConfig>;
  send: TransactionContext['send'];
  guard: TransactionContext['guard'];
}

const MAGIC = 'z9hG4bK';

function sentBy(via: Via): string {
  return via.host.toLowerCase() + ':' + (via.port ?? '');
}

/**
 * The server transaction key of a request received from `flow` (see `flowOf`), for `method`
 * (ACK → INVITE). The flow is part of the key: a retransmission comes from the same socket, so
 * a request from elsewhere that reuses a branch (RFC 4475 vectors do; so can an attacker) is a
 * new transaction, and its answer goes where it came from.
 */
export function serverKey(req: SipRequest, flow: string, method: string = req.method === 'ACK' ? 'INVITE' : req.method): string {
  const h = req.headers;
  const via = h.via[0]!;
  const branch = via.params.branch;
  // Built with join, not `+`: join copies into one flat string, while `+` makes a tree of
  // concatenated strings that keeps every part alive, and the branch is a slice of the whole
  // received message. A completed UDP transaction keeps its key 32 s (Timer J): measured with
  // `+`, the key pinned ~800 bytes per transaction (bench/transaction-memory.ts).
  if (typeof branch === 'string' && branch.startsWith(MAGIC) && branch.length > MAGIC.length) {
    return [branch, sentBy(via), method, flow].join('|');
  }
  // RFC 2543 fallback: no usable branch.
  return ['2543', h['call-id'], h.cseq.seq, h.from.params.tag ?? '', sentBy(via), method, flow].join('|');
}

/** Where a request came from, as used in server keys: UDP socket address, or the stream peer's address. */
export function flowOf(source: Peer): string {
  return source.transport === 'udp' ? 'udp|' + source.address + '|' + source.port : source.transport + '|' + source.address;
}

export function clientKey(branch: string, method: string): string {
  return branch + '|' + (method === 'ACK' ? 'INVITE' : method);
}

export class TransactionLayer {
  private readonly servers = new Map<string, ServerTransaction>();
  private readonly clients = new Map<string, ClientTransaction>();
  readonly ctx: TransactionContext;

  constructor(options: TransactionLayerOptions) {
    const timers = resolveTimers(options.timers);
    this.ctx = {
      timers,
      send: options.send,
      guard: options.guard,
      terminated: (tx) => {
        const map = tx.server ? this.servers : this.clients;
        if (map.get(tx.key) === tx) map.delete(tx.key);
      },
      queues: {
        nonInviteServerGuard: new ExpiryQueue<NonInviteServerTransaction>(timers.serverNonInviteTimeout, guardExpired, EXPIRY_GRANULARITY_MS),
        timerJ: new ExpiryQueue<NonInviteServerTransaction>(timeout64(timers), terminate, EXPIRY_GRANULARITY_MS),
        timerK: new ExpiryQueue<NonInviteClientTransaction>(timers.T4, terminate, EXPIRY_GRANULARITY_MS),
      },
    };
  }

  count(): { server: number; client: number } {
    return { server: this.servers.size, client: this.clients.size };
  }

  findServer(req: SipRequest, flow: string): ServerTransaction | undefined {
    return this.servers.get(serverKey(req, flow));
  }

  /** The INVITE server transaction a CANCEL refers to (same branch and sent-by). */
  findInviteForCancel(cancel: SipRequest, flow: string): InviteServerTransaction | undefined {
    const tx = this.servers.get(serverKey(cancel, flow, 'INVITE'));
    return tx instanceof InviteServerTransaction ? tx : undefined;
  }

  createServer(req: SipRequest, flow: string, responsePeer: Peer): ServerTransaction {
    const key = serverKey(req, flow);
    const tx =
      req.method === 'INVITE'
        ? new InviteServerTransaction(key, req, responsePeer, this.ctx)
        : new NonInviteServerTransaction(key, req, responsePeer, this.ctx);
    this.servers.set(key, tx);
    return tx;
  }

  /** Starts a client transaction; the request must already carry its top Via with a fresh branch. */
  createClient(req: SipRequest, peer: Peer, listener: ClientListener | InviteClientListener): ClientTransaction {
    const branch = req.headers.via[0]!.params.branch as string;
    const key = clientKey(branch, req.method);
    const tx =
      req.method === 'INVITE'
        ? new InviteClientTransaction(key, req, peer, this.ctx, listener)
        : new NonInviteClientTransaction(key, req, peer, this.ctx, listener);
    this.clients.set(key, tx);
    tx.start();
    return tx;
  }

  /** Routes a response to its client transaction; false if none matched (stray response). */
  receiveResponse(res: SipResponse): boolean {
    const via = res.headers.via[0];
    const branch = via?.params.branch;
    if (typeof branch !== 'string') return false;
    const tx = this.clients.get(clientKey(branch, res.headers.cseq.method));
    if (!tx) return false;
    tx.receive(res);
    return true;
  }

  /** Terminates everything (stack shutdown): clears every timer. */
  clear(): void {
    for (const tx of [...this.servers.values()]) tx.terminate();
    for (const tx of [...this.clients.values()]) tx.abort();
    this.servers.clear();
    this.clients.clear();
    const q = this.ctx.queues;
    q.nonInviteServerGuard.clear();
    q.timerJ.clear();
    q.timerK.clear();
  }

  /** Entries held by the shared expiry queues (leak tests). */
  queuedExpiries(): number {
    const q = this.ctx.queues;
    return q.nonInviteServerGuard.length + q.timerJ.length + q.timerK.length;
  }
}

/** How late (at most) a batch of queued expiries may run under load; see ExpiryQueue. */
const EXPIRY_GRANULARITY_MS = 100;
const guardExpired = (tx: NonInviteServerTransaction): void => tx.guardExpired();
const terminate = (tx: { terminate(): void }): void => tx.terminate();
