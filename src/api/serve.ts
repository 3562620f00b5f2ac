// Serving the admin API over HTTP on the configured host/port (@hono/node-server).
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { Hono } from 'hono';
import { UserError } from '../errors.ts';

export interface RunningApi {
  host: string;
  port: number; // the real port (useful when configured as 0)
  close(): Promise<void>;
}

export function serveApi(app: Pick<Hono, 'fetch'>, listen: { host: string; port: number }): Promise<RunningApi> {
  const server = createAdaptorServer({ fetch: app.fetch });
  return new Promise((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => {
      const why = e.code === 'EADDRINUSE' ? 'the address is already in use' : e.code === 'EACCES' ? 'permission denied' : e.code === 'EADDRNOTAVAIL' ? 'no such local address' : e.message;
      reject(new UserError(`admin API cannot listen on ${listen.host}:${listen.port}: ${why} (see api.host / api.port in the config)`, 500, 'listen_failed'));
    };
    server.once('error', onError);
    server.listen(listen.port, listen.host, () => {
      server.off('error', onError);
      server.on('error', () => {}); // per-connection errors must not crash the process
      const port = (server.address() as AddressInfo).port;
      resolve({
        host: listen.host,
        port,
        close: () =>
          new Promise<void>((res) => {
            (server as { closeAllConnections?: () => void }).closeAllConnections?.();
            server.close(() => res());
          }),
      });
    });
  });
}
