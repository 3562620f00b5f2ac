// The connection-oriented half shared by TCP and TLS: a server, outbound connections, a table
// of connections by id and by remote address, framing, keep-alive pongs, idle timeout.
// Every socket and server has an 'error' listener; nothing thrown here reaches the event loop.
import type net from 'node:net';
import type { Logger } from '../../log.ts';
import type { Peer, TransportKind } from '../message.ts';
import { bareHost } from '../uri.ts';
import { StreamFramer, type FramerLimits } from './stream-framer.ts';
import { bindError, type InboundSink, type Listener } from './transport.ts';

export interface StreamOptions extends FramerLimits {
  /** Close a connection after this long without traffic (ms). */
  idleTimeout: number;
}

export const DEFAULT_STREAM_OPTIONS: StreamOptions = {
  maxHeaderSize: 32 * 1024,
  maxBodySize: 64 * 1024,
  idleTimeout: 10 * 60 * 1000, // longer than typical REGISTER refresh + keep-alive intervals
};

let nextConnectionId = 1;

export class Connection {
  readonly id = nextConnectionId++;
  readonly peer: Peer;
  private readonly framer: StreamFramer;
  private closed = false;
  /** Outbound data queued until the connection is up. */
  private pending: Buffer[] | undefined;

  constructor(
    readonly socket: net.Socket,
    kind: TransportKind,
    address: string,
    port: number,
    private readonly owner: StreamTransport,
    connecting: boolean,
  ) {
    this.peer = { transport: kind, address, port, connectionId: this.id };
    if (connecting) this.pending = [];
    this.framer = new StreamFramer(owner.options, {
      message: (data) => owner.sink.message(data, this.peer),
      ping: () => this.write(Buffer.from('\r\n')),
      error: (status, reason, head) => {
        owner.logger.debug({ peer: this.peer, status, reason }, 'stream framing error; closing');
        try {
          owner.sink.framingError(head, this.peer, status, reason);
        } finally {
          this.close();
        }
      },
    });
    socket.on('data', (chunk: Buffer) => this.framer.push(chunk));
    socket.on('error', (err) => owner.logger.debug({ err: err.message, peer: this.peer }, 'stream socket error'));
    socket.on('close', () => this.onClosed());
    socket.on('end', () => socket.end());
    socket.setTimeout(owner.options.idleTimeout, () => {
      owner.logger.debug({ peer: this.peer }, 'idle connection closed');
      this.close();
    });
    socket.setNoDelay(true);
  }

  /** Called when an outbound connect succeeded. */
  connected(): void {
    const queued = this.pending;
    this.pending = undefined;
    if (queued) for (const b of queued) this.socket.write(b);
  }

  write(data: Buffer, done?: (err?: Error) => void): void {
    if (this.closed) {
      done?.(new Error('connection closed'));
      return;
    }
    if (this.pending) {
      this.pending.push(data);
      done?.();
      return;
    }
    this.socket.write(data, (err) => done?.(err ?? undefined));
  }

  close(): void {
    if (this.closed) return;
    this.socket.end();
    // Do not wait forever for the peer's FIN.
    setTimeout(() => this.socket.destroy(), 2000).unref();
    this.onClosed();
  }

  destroy(): void {
    this.socket.destroy();
    this.onClosed();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private onClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.pending = undefined;
    this.owner.forget(this);
  }
}

export interface StreamFactory {
  kind: TransportKind;
  createServer(onSocket: (s: net.Socket) => void): net.Server;
  /** Opens an outbound socket; `onConnect` runs when it can carry data. */
  connect(address: string, port: number, onConnect: () => void): net.Socket;
}

export class StreamTransport implements Listener {
  readonly kind: TransportKind;
  local: { address: string; port: number } = { address: '', port: 0 };
  private readonly byId = new Map<number, Connection>();
  private readonly byRemote = new Map<string, Connection>();
  private server: net.Server | undefined;
  private closing = false;

  private constructor(
    private readonly factory: StreamFactory,
    readonly sink: InboundSink,
    readonly logger: Logger,
    readonly options: StreamOptions,
  ) {
    this.kind = factory.kind;
  }

  static async listen(factory: StreamFactory, host: string, port: number, sink: InboundSink, logger: Logger, options: StreamOptions): Promise<StreamTransport> {
    const t = new StreamTransport(factory, sink, logger, options);
    const bare = bareHost(host);
    const server = factory.createServer((socket) => t.accept(socket));
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => {
        server.close();
        reject(bindError(factory.kind, bare, port, err));
      };
      server.once('error', onError);
      server.listen({ host: bare, port, exclusive: true, ipv6Only: bare === '::' ? false : undefined }, () => {
        server.off('error', onError);
        resolve();
      });
    });
    server.on('error', (err) => logger.warn({ err: err.message, transport: factory.kind }, 'stream server error'));
    const addr = server.address() as net.AddressInfo;
    t.local = { address: addr.address, port: addr.port };
    t.server = server;
    return t;
  }

  private accept(socket: net.Socket): void {
    socket.on('error', () => {}); // replaced by the Connection's listener; guards the gap
    if (this.closing || socket.remoteAddress === undefined || socket.remotePort === undefined) {
      socket.destroy();
      return;
    }
    this.register(new Connection(socket, this.kind, normalise(socket.remoteAddress), socket.remotePort, this, false));
  }

  private register(c: Connection): void {
    this.byId.set(c.id, c);
    this.byRemote.set(remoteKey(c.peer.address, c.peer.port), c);
  }

  forget(c: Connection): void {
    if (this.byId.get(c.id) === c) this.byId.delete(c.id);
    const key = remoteKey(c.peer.address, c.peer.port);
    if (this.byRemote.get(key) === c) this.byRemote.delete(key);
  }

  hasConnection(id: number): boolean {
    return this.byId.has(id);
  }

  connectionCount(): number {
    return this.byId.size;
  }

  /** The connection of `peer.connectionId` if still open, else any open one to its address, else a new one. */
  private connectionFor(peer: Peer): Connection | undefined {
    if (peer.connectionId !== undefined) {
      const c = this.byId.get(peer.connectionId);
      if (c && !c.isClosed) return c;
    }
    const address = normalise(bareHost(peer.address));
    const existing = this.byRemote.get(remoteKey(address, peer.port));
    if (existing && !existing.isClosed) return existing;
    if (this.closing) return undefined;
    let conn: Connection | undefined;
    const socket = this.factory.connect(address, peer.port, () => conn?.connected());
    conn = new Connection(socket, this.kind, address, peer.port, this, true);
    this.register(conn);
    return conn;
  }

  send(peer: Peer, data: Buffer, done?: (err?: Error) => void): void {
    let conn: Connection | undefined;
    try {
      conn = this.connectionFor(peer);
    } catch (err) {
      done?.(err as Error);
      return;
    }
    if (!conn) {
      done?.(new Error('transport closing'));
      return;
    }
    conn.write(data, done);
  }

  /** Ends the connection with this id (e.g. after a framing error); no-op if unknown. */
  closeConnection(id: number): void {
    this.byId.get(id)?.close();
  }

  close(): Promise<void> {
    this.closing = true;
    for (const c of [...this.byId.values()]) c.destroy();
    const server = this.server;
    if (!server) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }
}

function remoteKey(address: string, port: number): string {
  return address + '|' + port;
}

/** `::ffff:1.2.3.4` (IPv4 on a dual-stack socket) → `1.2.3.4`. */
export function normalise(address: string): string {
  return address.startsWith('::ffff:') && address.indexOf('.') > 0 ? address.slice(7) : address;
}
