// The signalling stack: listeners → guarded parsing → transaction layer → the TU's handler.
// Users see SipStackApi (plus a few extras: boundPorts, transactionCount, sendStateless).
// Nothing a peer sends can throw past this file: every inbound message is handled inside a
// try/catch, malformed input is answered or dropped and counted.
import { networkInterfaces } from 'node:os';
import { isIPv6 } from 'node:net';
import { log as defaultLogger, type Logger } from '../log.ts';
import { sipMalformed, sipRequests, sipResponses } from '../metrics.ts';
import { isRequest, KNOWN_METHODS, type Peer, type SipRequest, type SipResponse, type TransportKind, type Via } from './message.ts';
import { DEFAULT_MAX_MESSAGE_SIZE, parseMessage } from './parse.ts';
import { newBranch } from './random-id.ts';
import { buildResponse, serialize } from './serialize.ts';
import type { IncomingRequest, OutgoingRequestOptions, RequestHandler, ResponseExtras, SipStackApi } from './stack-api.ts';
import { InviteServerTransaction } from './transaction/invite-server.ts';
import type { TimerConfig } from './transaction/timers.ts';
import { flowOf, TransactionLayer, type ServerTransaction } from './transaction/transaction-layer.ts';
import { DEFAULT_STREAM_OPTIONS, type StreamOptions, type StreamTransport } from './transport/stream-transport.ts';
import { listenTcp } from './transport/tcp.ts';
import { listenTls, type TlsCredentials } from './transport/tls.ts';
import type { InboundSink, Listener } from './transport/transport.ts';
import { UdpListener } from './transport/udp.ts';
import { bareHost, formatHost } from './uri.ts';

export interface ListenAddress {
  host: string;
  port: number;
}

export interface SipStackOptions {
  udp?: ListenAddress[];
  tcp?: ListenAddress[];
  tls?: Array<ListenAddress & TlsCredentials>;
  /** Largest message accepted (bytes, default 64 KiB); larger ones are answered 513 or dropped. */
  maxMessageSize?: number;
  timers?: Partial<TimerConfig>;
  /** Stream limits and idle timeout. */
  stream?: Partial<StreamOptions>;
  logger?: Logger;
  /** Put in a User-Agent header of requests the stack sends (responses: the TU adds Server). */
  userAgent?: string;
  /**
   * UDP: answer to the source port even without `;rport` (Asterisk's force_rport). Default true:
   * phones behind NAT are the common case for a PBX, and the source port is where they listen.
   */
  forceRport?: boolean;
  /** Address to advertise in Via/Contact when a listener is bound to a wildcard address. */
  advertisedAddress?: string;
}

/** The IncomingRequest handed to the TU, with CANCEL awareness for INVITEs. */
export interface StackIncomingRequest extends IncomingRequest {
  /** As IncomingRequest.respond; returns the response sent (a TU that retransmits a 2xx itself needs it). */
  respond(status: number, reason?: string, extra?: ResponseExtras): SipResponse | undefined;
  /** Registers a callback for a CANCEL of this INVITE (runs at most once; the stack then answers 487 if the TU did not). */
  onCancel(fn: () => void): void;
  readonly cancelled: boolean;
}


/** An INVITE sent by `SipStack.invite`. */
export interface OutgoingInvite {
  /** The request as sent (top Via = ours). */
  readonly request: SipRequest;
  /** The final response (a synthetic 408/503 on timeout or transport failure). */
  readonly response: Promise<SipResponse>;
  /** CANCELs the INVITE (extra headers, e.g. Reason); does nothing once a final response arrived. */
  cancel(headers?: Record<string, string>): void;
}

export interface StackStats {
  handlerErrors: number;
  strayResponses: number;
}

export class SipStack implements SipStackApi {
  private handler: RequestHandler | undefined;
  private readonly layer: TransactionLayer;
  private readonly udp: UdpListener[] = [];
  private readonly streams: StreamTransport[] = [];
  private readonly logger: Logger;
  private readonly maxMessageSize: number;
  private closed = false;
  readonly stats: StackStats = { handlerErrors: 0, strayResponses: 0 };

  private constructor(private readonly options: SipStackOptions) {
    this.logger = options.logger ?? defaultLogger;
    this.maxMessageSize = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
    this.layer = new TransactionLayer({
      timers: options.timers,
      send: (peer, data, failed) => this.sendRaw(peer, data, failed),
      guard: (what, fn) => this.guard(what, fn),
    });
  }

  /** Binds every configured listener; rejects with a TransportError naming the one that failed (the others are closed). */
  static async start(options: SipStackOptions): Promise<SipStack> {
    const stack = new SipStack(options);
    const streamOptions: StreamOptions = { ...DEFAULT_STREAM_OPTIONS, maxBodySize: stack.maxMessageSize, ...options.stream };
    const sink = stack.sink();
    try {
      for (const a of options.udp ?? []) stack.udp.push(await UdpListener.listen(a.host, a.port, sink, stack.logger));
      for (const a of options.tcp ?? []) stack.streams.push(await listenTcp(a.host, a.port, sink, stack.logger, streamOptions));
      for (const a of options.tls ?? []) stack.streams.push(await listenTls(a.host, a.port, a, sink, stack.logger, streamOptions));
    } catch (err) {
      await stack.close();
      throw err;
    }
    return stack;
  }

  onRequest(handler: RequestHandler): void {
    this.handler = handler;
  }

  /** Actual bound ports per transport (port 0 resolved), in configuration order. */
  boundPorts(): Record<'udp' | 'tcp' | 'tls', number[]> {
    return {
      udp: this.udp.map((u) => u.local.port),
      tcp: this.streams.filter((s) => s.kind === 'tcp').map((s) => s.local.port),
      tls: this.streams.filter((s) => s.kind === 'tls').map((s) => s.local.port),
    };
  }

  /** Live server + client transactions (for leak tests and metrics). */
  transactionCount(): number {
    const c = this.layer.count();
    return c.server + c.client;
  }

  localAddress(transport: TransportKind): { address: string; port: number } {
    const l: Listener | undefined = transport === 'udp' ? this.udp[0] : this.streams.find((s) => s.kind === transport);
    if (!l) throw new Error(`no ${transport} listener configured`);
    let address = l.local.address;
    if (address === '0.0.0.0' || address === '::') address = this.options.advertisedAddress ?? defaultAddress(address === '::');
    return { address, port: l.local.port };
  }

  request(req: Omit<SipRequest, 'version'> & { version?: string }, options: OutgoingRequestOptions): Promise<SipResponse> {
    return this.requestWith(req, options.target, {});
  }

  /** `request` with a callback for provisional responses. */
  requestWith(
    req: Omit<SipRequest, 'version'> & { version?: string },
    target: Peer,
    hooks: { provisional?: (r: SipResponse) => void; retransmitted2xx?: (r: SipResponse) => void },
  ): Promise<SipResponse> {
    return this.send(this.stamp(req, target), target, hooks);
  }

  /**
   * Sends an INVITE and returns it as sent (with its Via) and a handle to CANCEL it (RFC 3261
   * §9.1): the CANCEL goes out once a provisional response has arrived (at once if one has),
   * never after a final one.
   */
  invite(
    req: Omit<SipRequest, 'version'> & { version?: string },
    target: Peer,
    hooks: { provisional?: (r: SipResponse) => void; retransmitted2xx?: (r: SipResponse) => void } = {},
  ): OutgoingInvite {
    const sent = this.stamp(req, target);
    let provisional = false;
    let final = false;
    let cancelHeaders: Record<string, string> | undefined;
    const sendCancel = (headers: Record<string, string>): void => {
      const h = sent.headers;
      const cancel: SipRequest = {
        method: 'CANCEL',
        uri: sent.uri,
        version: '2.0',
        headers: { via: h.via.slice(0, 1), to: h.to, from: h.from, 'call-id': h['call-id'], cseq: { seq: h.cseq.seq, method: 'CANCEL' }, 'max-forwards': '70' },
        content: '',
      };
      if (h.route) cancel.headers.route = h.route;
      for (const [k, v] of Object.entries(headers)) cancel.headers[k.toLowerCase()] = v;
      void this.send(cancel, target, {});
    };
    const response = this.send(sent, target, {
      ...hooks,
      provisional: (r) => {
        if (!provisional && !final) {
          provisional = true;
          if (cancelHeaders !== undefined) sendCancel(cancelHeaders);
        }
        hooks.provisional?.(r);
      },
    }).then((r) => {
      final = true;
      return r;
    });
    return {
      request: sent,
      response,
      cancel: (headers = {}) => {
        if (final || cancelHeaders !== undefined) return;
        cancelHeaders = headers;
        if (provisional) sendCancel(headers);
      },
    };
  }

  /** Sends a request outside any transaction with a fresh Via (the ACK for a 2xx). */
  sendStatelessRequest(req: Omit<SipRequest, 'version'> & { version?: string }, target: Peer): void {
    if (this.closed) return;
    this.sendRaw(target, serialize(this.stamp(req, target)));
  }

  /** Sends a message outside any transaction (a stateless response, or a request already stamped). */
  sendStateless(message: SipRequest | SipResponse, target: Peer): void {
    this.sendRaw(target, serialize(message));
  }

  /** Our Via (new branch), Max-Forwards and User-Agent on a request about to leave. */
  private stamp(req: Omit<SipRequest, 'version'> & { version?: string }, target: Peer): SipRequest {
    const full: SipRequest = { ...req, version: req.version ?? '2.0', headers: { ...req.headers } };
    const local = this.localAddress(target.transport);
    const via: Via = { version: '2.0', protocol: target.transport.toUpperCase(), host: formatHost(local.address), port: local.port, params: { branch: newBranch(), rport: null } };
    full.headers.via = [via, ...(Array.isArray(req.headers.via) ? req.headers.via : [])];
    if (full.headers['max-forwards'] === undefined) full.headers['max-forwards'] = '70';
    if (this.options.userAgent && full.headers['user-agent'] === undefined) full.headers['user-agent'] = this.options.userAgent;
    return full;
  }

  private send(full: SipRequest, target: Peer, hooks: { provisional?: (r: SipResponse) => void; retransmitted2xx?: (r: SipResponse) => void }): Promise<SipResponse> {
    if (this.closed) return Promise.resolve(buildResponse(full, 503, 'Stack Closed'));
    return new Promise((resolve) => {
      this.layer.createClient(full, target, { final: resolve, ...hooks });
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.layer.clear();
    await Promise.all([...this.udp.map((u) => u.close()), ...this.streams.map((s) => s.close())]);
  }

  // ---- inbound -------------------------------------------------------------------------

  private sink(): InboundSink {
    return {
      message: (data, source) => {
        try {
          this.receive(data, source);
        } catch (err) {
          this.stats.handlerErrors++;
          this.logger.error({ err, source }, 'error while handling an inbound SIP message');
        }
      },
      framingError: (head, source, status, reason) => {
        try {
          sipMalformed.inc({ transport: source.transport, reaction: head ? String(status) : 'drop' });
          if (!head) return;
          const parsed = parseMessage(head, { maxMessageSize: this.maxMessageSize, stream: true });
          const req = parsed.kind === 'reject' ? parsed.request : parsed.kind === 'message' && isRequest(parsed.message) ? parsed.message : undefined;
          if (req && req.method !== 'ACK') this.respondStateless(req, source, status, reason);
        } catch (err) {
          this.logger.error({ err, source }, 'error while answering a framing error');
        }
      },
    };
  }

  private receive(data: Buffer, source: Peer): void {
    if (this.closed) return;
    const parsed = parseMessage(data, { maxMessageSize: this.maxMessageSize, stream: source.transport !== 'udp' });
    if (parsed.kind === 'drop') {
      if (parsed.why !== 'empty') {
        sipMalformed.inc({ transport: source.transport, reaction: 'drop' });
        this.logger.debug({ source, why: parsed.why }, 'dropped malformed SIP message');
      }
      return;
    }
    if (parsed.kind === 'reject') {
      sipMalformed.inc({ transport: source.transport, reaction: String(parsed.status) });
      if (parsed.request.method !== 'ACK') {
        this.stampVia(parsed.request, source);
        this.respondStateless(parsed.request, source, parsed.status, parsed.reason);
      }
      return;
    }
    const m = parsed.message;
    if (!isRequest(m)) {
      if (!this.layer.receiveResponse(m)) this.stats.strayResponses++;
      return;
    }
    sipRequests.inc({ method: KNOWN_METHODS.has(m.method) ? m.method : 'other' });
    this.stampVia(m, source);

    const flow = flowOf(source);
    if (m.method === 'ACK') {
      const tx = this.layer.findServer(m, flow);
      if (tx instanceof InviteServerTransaction && tx.state === 'completed') {
        tx.receiveAck();
        return;
      }
      if (tx instanceof InviteServerTransaction && tx.state === 'confirmed') return; // retransmitted ACK
      this.deliver(m, source, undefined); // ACK for a 2xx: the TU's, without a transaction
      return;
    }

    const existing = this.layer.findServer(m, flow);
    if (existing) {
      existing.receiveRetransmission();
      return;
    }
    if (m.method === 'CANCEL') {
      this.handleCancel(m, source, flow);
      return;
    }
    const tx = this.layer.createServer(m, flow, this.responsePeer(m, source));
    if (tx instanceof InviteServerTransaction) this.sendVia(tx, buildResponse(m, 100));
    this.deliver(m, source, tx);
  }

  /** RFC 3261 §9.2: a CANCEL is answered in its own transaction; the INVITE gets 487 unless the TU answered. */
  private handleCancel(cancel: SipRequest, source: Peer, flow: string): void {
    const cancelTx = this.layer.createServer(cancel, flow, this.responsePeer(cancel, source));
    const invite = this.layer.findInviteForCancel(cancel, flow);
    if (!invite || invite.state === 'terminated') {
      this.sendVia(cancelTx, buildResponse(cancel, 481));
      return;
    }
    this.sendVia(cancelTx, buildResponse(cancel, 200));
    if (invite.cancel() && invite.state === 'proceeding') this.sendVia(invite, buildResponse(invite.request, 487));
  }

  private deliver(req: SipRequest, source: Peer, tx: ServerTransaction | undefined): void {
    const handler = this.handler;
    const incoming: StackIncomingRequest = {
      request: req,
      source,
      respond: (status: number, reason?: string, extra?: ResponseExtras) => {
        if (!tx || req.method === 'ACK') return undefined; // nothing to answer (ACK)
        const res = buildResponse(req, status, reason, extra);
        this.sendVia(tx, res);
        return res;
      },
      onCancel: (fn) => {
        if (tx instanceof InviteServerTransaction) tx.onCancel = fn;
      },
      get cancelled() {
        return tx instanceof InviteServerTransaction && tx.isCancelled;
      },
    };
    if (!handler) {
      incoming.respond(503, 'No Handler');
      return;
    }
    try {
      handler(incoming);
    } catch (err) {
      this.stats.handlerErrors++;
      this.logger.error({ err, method: req.method }, 'request handler threw');
      incoming.respond(500);
    }
  }

  private sendVia(tx: ServerTransaction, res: SipResponse): void {
    if (tx.respond(res)) sipResponses.inc({ class: Math.floor(res.status / 100) + 'xx' });
  }

  private respondStateless(req: SipRequest, source: Peer, status: number, reason: string): void {
    const res = buildResponse(req, status, reason);
    sipResponses.inc({ class: Math.floor(status / 100) + 'xx' });
    this.sendRaw(this.responsePeer(req, source), serialize(res));
  }

  /** RFC 3261 §18.2.1 + RFC 3581: note where the request really came from in the top Via. */
  private stampVia(req: SipRequest, source: Peer): void {
    const via = req.headers.via[0];
    if (!via) return;
    if ('rport' in via.params || (source.transport === 'udp' && this.options.forceRport !== false)) {
      via.params.received = source.address;
      via.params.rport = String(source.port);
    } else if (bareHost(via.host) !== source.address) {
      via.params.received = source.address;
    }
  }

  /** RFC 3261 §18.2.2 + RFC 3581: where responses to this request go. */
  private responsePeer(req: SipRequest, source: Peer): Peer {
    if (source.transport !== 'udp') return source; // same connection (or a new one to the same address)
    const via = req.headers.via[0]!;
    const rport = via.params.rport;
    const port = rport ? Number(rport) : (via.port ?? 5060);
    return { transport: 'udp', address: source.address, port };
  }

  // ---- outbound ------------------------------------------------------------------------

  private sendRaw(peer: Peer, data: Buffer, failed?: (err: Error) => void): void {
    const done = failed
      ? (err?: Error) => {
          if (err) this.guard('transport failure', () => failed(err));
        }
      : undefined;
    if (peer.transport === 'udp') {
      const v6 = isIPv6(bareHost(peer.address));
      const sock = this.udp.find((u) => (u.family() === 6) === v6) ?? this.udp[0];
      if (!sock) return done?.(new Error('no UDP listener'));
      sock.send(peer, data, done);
      return;
    }
    const candidates = this.streams.filter((s) => s.kind === peer.transport);
    const owner = (peer.connectionId !== undefined && candidates.find((s) => s.hasConnection(peer.connectionId!))) || candidates[0];
    if (!owner) return done?.(new Error(`no ${peer.transport} listener`));
    owner.send(peer, data, done);
  }

  private guard(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.stats.handlerErrors++;
      this.logger.error({ err }, `${what} threw`);
    }
  }
}

function defaultAddress(v6: boolean): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      if (!a.internal && (a.family === 'IPv6') === v6) return a.address;
    }
  }
  return v6 ? '::1' : '127.0.0.1';
}
