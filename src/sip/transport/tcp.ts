// TCP: plain sockets under the shared stream transport.
import net from 'node:net';
import type { Logger } from '../../log.ts';
import { StreamTransport, type StreamOptions } from './stream-transport.ts';
import type { InboundSink } from './transport.ts';

export function listenTcp(host: string, port: number, sink: InboundSink, logger: Logger, options: StreamOptions): Promise<StreamTransport> {
  return StreamTransport.listen(
    {
      kind: 'tcp',
      createServer: (onSocket) => net.createServer({ noDelay: true }, onSocket),
      connect: (address, p, onConnect) => net.connect({ host: address, port: p, noDelay: true }, onConnect),
    },
    host, port, sink, logger, options,
  );
}
