// Talking to the running server: commands that need its live state (`pbx calls`) send admin API
// requests over the control socket in the data directory (src/api/control-socket.ts). No token:
// being able to open the socket (the PBX's own user) is the permission.
import { request } from 'node:http';
import type { Config } from '../config/schema.ts';
import { controlSocketPath } from '../api/control-socket.ts';
import { UserError } from '../errors.ts';

const TIMEOUT_MS = 10_000;

/** Sends one request to the running PBX and returns its JSON answer; API errors become UserErrors with the server's message. */
export function controlRequest<T>(config: Pick<Config, 'data_dir'>, method: string, path: string, body?: unknown): Promise<T> {
  const socketPath = controlSocketPath(config.data_dir);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise<T>((resolve, reject) => {
    const req = request(
      {
        socketPath,
        path,
        method,
        headers: { Accept: 'application/json', ...(payload !== undefined ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } : {}) },
        timeout: TIMEOUT_MS,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e) => reject(new UserError(`the PBX's answer was cut off (${e.message})`)));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            return reject(new UserError(`the PBX answered ${method} ${path} with ${res.statusCode} and no JSON`));
          }
          const status = res.statusCode ?? 500;
          if (status >= 200 && status < 300) return resolve(parsed as T);
          const err = (parsed as { error?: { code?: string; message?: string } }).error;
          reject(new UserError(err?.message ?? `the PBX answered ${method} ${path} with ${status}`, status, err?.code ?? 'error'));
        });
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', (e: NodeJS.ErrnoException) => reject(unreachable(socketPath, e)));
    req.end(payload);
  });
}

function unreachable(socketPath: string, e: NodeJS.ErrnoException): UserError {
  if (e.code === 'ENOENT' || e.code === 'ECONNREFUSED' || e.code === 'ENOTSOCK')
    return new UserError(`the PBX is not running (no control socket at ${socketPath}); start it with \`pbx start\``, 503, 'not_running');
  if (e.code === 'EACCES' || e.code === 'EPERM')
    return new UserError(`permission denied on the control socket ${socketPath}; run this command as the user the PBX runs as`, 403, 'forbidden');
  if (e.code === 'ETIMEDOUT') return new UserError(`the PBX did not answer on ${socketPath} within ${TIMEOUT_MS / 1000} s`, 504, 'timeout');
  return new UserError(`cannot reach the PBX over its control socket ${socketPath}: ${e.code ?? e.message}`, 503, 'unreachable');
}
