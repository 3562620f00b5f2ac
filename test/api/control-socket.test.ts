import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { spawnSync } from 'node:child_process';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { controlSocketPath, createApiApp, serveApi, serveControlSocket } from '../../src/api/index.ts';
import { tempServices } from '../fixtures.ts';
import { FakeLiveCalls, liveCall } from '../support/fake-live-calls.ts';

let env: ReturnType<typeof tempServices>;
let calls: FakeLiveCalls;
let app: ReturnType<typeof createApiApp>;
let path: string;

beforeEach(() => {
  env = tempServices();
  calls = new FakeLiveCalls([liveCall({ id: 'c1', tenantId: env.services.tenants.defaultTenant().id })]);
  app = createApiApp({ services: env.services, calls });
  path = controlSocketPath(env.dir);
});
afterEach(() => env.cleanup());

/** One request over the Unix socket, no Authorization header. */
function overSocket(method: string, urlPath: string, socketPath = path): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path: urlPath, method }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('control socket', () => {
  it('serves the API at <data_dir>/pbx.sock, mode 0600, as a full-access local admin without a token', async () => {
    expect(path).toBe(join(env.dir, 'pbx.sock'));
    const sock = await serveControlSocket(app, path);
    try {
      expect(sock.path).toBe(path);
      expect(statSync(path).isSocket()).toBe(true);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      const list = await overSocket('GET', '/calls');
      expect(list).toEqual({ status: 200, body: { items: [expect.objectContaining({ id: 'c1', tenant: 'default' })] } });
      expect((await overSocket('GET', '/tokens')).status).toBe(200); // platform-admin routes too
      expect(await overSocket('POST', '/calls/c1/hangup')).toEqual({ status: 200, body: { id: 'c1', hungUp: true } });
      expect(env.services.audit.list()[0]).toMatchObject({ actor: 'local-cli', action: 'call.hangup', target: 'c1' });
      expect((await overSocket('POST', '/calls/c1/hangup')).status).toBe(404);
    } finally {
      await sock.close();
    }
  });

  it('the same app over TCP still requires a bearer token', async () => {
    const sock = await serveControlSocket(app, path);
    const tcp = await serveApi(app, { host: '127.0.0.1', port: 0 });
    try {
      expect((await fetch(`http://127.0.0.1:${tcp.port}/calls`)).status).toBe(401);
      expect((await overSocket('GET', '/calls')).status).toBe(200);
    } finally {
      await tcp.close();
      await sock.close();
    }
  });

  it('close() unlinks the socket file (and may be called twice)', async () => {
    const sock = await serveControlSocket(app, path);
    await sock.close();
    await sock.close();
    expect(existsSync(path)).toBe(false);
    await expect(overSocket('GET', '/calls')).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('removes a stale socket file left by a dead server', async () => {
    // A server killed with SIGKILL leaves its socket file behind, with nobody listening.
    const killed = spawnSync(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`]);
    expect(killed.signal).toBe('SIGKILL');
    expect(statSync(path).isSocket()).toBe(true);
    await expect(overSocket('GET', '/calls')).rejects.toMatchObject({ code: 'ECONNREFUSED' });

    const sock = await serveControlSocket(app, path);
    try {
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect((await overSocket('GET', '/calls')).status).toBe(200);
    } finally {
      await sock.close();
    }
  });

  it('refuses to start beside a live socket, and leaves non-socket files alone', async () => {
    const first = await serveControlSocket(app, path);
    try {
      await expect(serveControlSocket(app, path)).rejects.toThrow(`another PBX is already running on this data directory (its control socket ${path} answers)`);
      expect((await overSocket('GET', '/calls')).status).toBe(200); // the first is untouched
    } finally {
      await first.close();
    }
    const file = join(env.dir, 'not-a-socket');
    writeFileSync(file, 'x');
    await expect(serveControlSocket(app, file)).rejects.toThrow(`control socket path ${file} exists and is not a socket; move it away`);
    expect(existsSync(file)).toBe(true);
  });
});
