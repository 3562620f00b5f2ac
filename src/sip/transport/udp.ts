// UDP listener: one dgram socket per configured address. Every datagram is handed to the
// sink whole; exceptions from the sink are the stack's business (it catches per message).
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { Logger } from '../../log.ts';
import type { Peer } from '../message.ts';
import { bareHost } from '../uri.ts';
import { bindError, type InboundSink, type Listener } from './transport.ts';

export class UdpListener implements Listener {
  readonly kind = 'udp' as const;
  local: { address: string; port: number } = { address: '', port: 0 };
  private closed = false;

  private constructor(
    private readonly socket: dgram.Socket,
    private readonly logger: Logger,
  ) {}

  static async listen(host: string, port: number, sink: InboundSink, logger: Logger): Promise<UdpListener> {
    const bare = bareHost(host);
    const socket = dgram.createSocket({ type: isIPv6(bare) ? 'udp6' : 'udp4', reuseAddr: false });
    const listener = new UdpListener(socket, logger);
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => {
        socket.close();
        reject(bindError('udp', bare, port, err));
      };
      socket.once('error', onError);
      socket.bind({ address: bare, port, exclusive: true }, () => {
        socket.off('error', onError);
        resolve();
      });
    });
    // After binding, errors (e.g. ICMP-induced) are logged, never thrown.
    socket.on('error', (err) => logger.warn({ err: err.message }, 'udp socket error'));
    const addr = socket.address();
    listener.local = { address: addr.address, port: addr.port };
    socket.on('message', (data, rinfo) => {
      const source: Peer = { transport: 'udp', address: rinfo.address, port: rinfo.port };
      sink.message(data, source);
    });
    // Big receive buffer: bursts of REGISTERs should queue, not drop.
    try {
      socket.setRecvBufferSize(4 * 1024 * 1024);
    } catch {
      /* the OS may cap it; not fatal */
    }
    return listener;
  }

  /** True if this socket can reach the address family of `address`. */
  family(): 4 | 6 {
    return isIPv6(this.local.address) ? 6 : 4;
  }

  send(peer: Peer, data: Buffer, done?: (err?: Error) => void): void {
    if (this.closed) {
      done?.(new Error('udp socket closed'));
      return;
    }
    this.socket.send(data, peer.port, bareHost(peer.address), (err) => {
      if (err) this.logger.debug({ err: err.message, to: peer.address }, 'udp send failed');
      done?.(err ?? undefined);
    });
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    return new Promise((resolve) => {
      try {
        this.socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }
}
