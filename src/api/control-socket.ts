// The local control channel: the admin API app served on a Unix domain socket
// (<data_dir>/pbx.sock) for `bin/pbx` commands that need the running server's live state
// (`pbx calls`). The socket is created with mode 0600, so only the PBX's own user can connect:
// the file permission is the authentication (like Asterisk's asterisk.ctl), and every request on
// it is a full-access local admin, audited as "local-cli". The TCP API is not affected: the flag
// travels in the request's bindings, which only this server sets.
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import type { Hono } from 'hono';
import { UserError } from '../errors.ts';
import { LOCAL_ADMIN, type ApiEnv } from './context.ts';

export interface ControlSocket {
  path: string;
  close(): Promise<void>;
}

/** Where the control socket of a data directory lives (the server and the CLI agree on it). */
export function controlSocketPath(dataDir: string): string {
  return join(dataDir, 'pbx.sock');
}

export async function serveControlSocket(app: Pick<Hono<ApiEnv>, 'fetch'>, path: string): Promise<ControlSocket> {
  await removeStaleSocket(path);
  const server = createAdaptorServer({
    fetch: (request, env) => app.fetch(request, { ...env, [LOCAL_ADMIN]: true }),
    hostname: 'localhost', // requests without a Host header still get a URL
  }) as Server;
  await new Promise<void>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => {
      const why = e.code === 'EADDRINUSE' ? 'the path is in use' : e.code === 'EACCES' ? 'permission denied' : e.message;
      reject(new UserError(`control socket cannot listen on ${path}: ${why}`, 500, 'listen_failed'));
    };
    server.once('error', onError);
    // The socket file is created by bind() inside listen(): a umask of 077 makes it 0600 from the
    // first moment (no window in which another user could connect). The chmod below covers
    // worker threads, where the umask cannot be changed.
    let oldMask: number | undefined;
    try {
      oldMask = process.umask(0o177);
    } catch {
      oldMask = undefined;
    }
    try {
      server.listen(path, () => {
        server.off('error', onError);
        server.on('error', () => {}); // per-connection errors must not crash the process
        resolve();
      });
    } finally {
      if (oldMask !== undefined) process.umask(oldMask);
    }
  });
  try {
    chmodSync(path, 0o600);
  } catch (e) {
    await new Promise<void>((res) => server.close(() => res()));
    throw new UserError(`control socket ${path}: cannot set its mode to 0600 (${(e as Error).message})`, 500, 'listen_failed');
  }
  let closed: Promise<void> | undefined;
  return {
    path,
    close: () =>
      (closed ??= new Promise<void>((res) => {
        server.closeAllConnections();
        server.close(() => {
          unlinkQuietly(path);
          res();
        });
      })),
  };
}

/**
 * A socket file left by a server that died is removed; one that still answers belongs to a
 * running PBX on the same data directory, and starting a second one is refused. Anything that is
 * not a socket is left alone.
 */
async function removeStaleSocket(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  if (!isSocket) throw new UserError(`control socket path ${path} exists and is not a socket; move it away`, 500, 'listen_failed');
  const answers = await new Promise<boolean | string>((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED' || e.code === 'ENOENT' ? false : (e.code ?? e.message)));
  });
  if (typeof answers === 'string') throw new UserError(`control socket ${path} exists but cannot be checked (${answers}); is another user's PBX running on this data directory?`, 500, 'listen_failed');
  if (answers) throw new UserError(`another PBX is already running on this data directory (its control socket ${path} answers)`, 500, 'listen_failed');
  unlinkQuietly(path);
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
