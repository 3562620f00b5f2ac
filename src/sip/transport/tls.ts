// TLS: the stream transport over node:tls. Certificates are PEM text or buffers. Outbound
// connections do not verify the peer by default (trunks often use self-signed certificates);
// pass `rejectUnauthorized: true` to verify.
import tls from 'node:tls';
import type { Logger } from '../../log.ts';
import { StreamTransport, type StreamOptions } from './stream-transport.ts';
import type { InboundSink } from './transport.ts';

export interface TlsCredentials {
  cert: string | Buffer;
  key: string | Buffer;
  ca?: string | Buffer;
  rejectUnauthorized?: boolean;
}

export function listenTls(host: string, port: number, creds: TlsCredentials, sink: InboundSink, logger: Logger, options: StreamOptions): Promise<StreamTransport> {
  return StreamTransport.listen(
    {
      kind: 'tls',
      createServer: (onSocket) => {
        const server = tls.createServer({ cert: creds.cert, key: creds.key, ca: creds.ca }, onSocket);
        // A failed handshake must not take the server down: log it and move on.
        server.on('tlsClientError', (err) => logger.debug({ err: err.message }, 'tls handshake failed'));
        return server;
      },
      connect: (address, p, onConnect) =>
        tls.connect({ host: address, port: p, ca: creds.ca, rejectUnauthorized: creds.rejectUnauthorized ?? false, servername: undefined }, onConnect),
    },
    host, port, sink, logger, options,
  );
}
