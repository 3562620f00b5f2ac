// `pbx calls` and `pbx calls hangup` spawned as a user would, against a control socket served by
// this test (the admin API over a fake LiveCalls) in the data directory the config names.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { controlSocketPath, createApiApp, serveControlSocket, type ControlSocket } from '../../src/api/index.ts';
import { tempServices } from '../fixtures.ts';
import { FakeLiveCalls, liveCall } from '../support/fake-live-calls.ts';

const PBX = fileURLToPath(new URL('../../bin/pbx', import.meta.url));
let env: ReturnType<typeof tempServices>;
let calls: FakeLiveCalls;
let sock: ControlSocket;
let configPath: string;

/** Asynchronous: the socket is served by this process, which must stay free to answer. */
function pbx(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(PBX, args, { encoding: 'utf8', timeout: 60_000, cwd: env.dir, env: { ...process.env, PBX_CONFIG: '' } }, (err, stdout, stderr) =>
      resolve({ status: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr }),
    );
  });
}

beforeAll(async () => {
  env = tempServices();
  const acme = env.services.tenants.add({ name: 'acme', domain: 'acme.example' });
  const now = Date.now();
  calls = new FakeLiveCalls([
    liveCall({ id: 'call-1', tenantId: env.services.tenants.defaultTenant().id, startedAt: now - 125_000, caller: { number: '1001', name: 'Alice' }, callee: { number: '1002' } }),
    liveCall({ id: 'call-2', tenantId: acme.id, startedAt: now - 5_000, answeredAt: undefined, state: 'ringing', caller: { number: '+4930123456' }, callee: { number: '200' }, direction: 'inbound', recording: true }),
  ]);
  sock = await serveControlSocket(createApiApp({ services: env.services, calls }), controlSocketPath(env.dir));
  configPath = join(env.dir, 'pbx.yaml');
  writeFileSync(configPath, `data_dir: ${JSON.stringify(env.dir)}\n`);
});
afterAll(async () => {
  await sock?.close();
  env.cleanup();
});

describe('bin/pbx calls', () => {
  it('lists calls in progress as a table', async () => {
    const r = await pbx('calls', '--config', configPath);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ID\s+TENANT\s+STATE\s+CALLER\s+CALLEE\s+STARTED\s+DURATION\s+RECORDING$/);
    expect(lines[1]).toMatch(/^call-1\s+default\s+answered\s+1001 \(Alice\)\s+1002\s+\d{4}-\d\d-\d\dT\S+Z\s+2:\d\d$/);
    expect(lines[2]).toMatch(/^call-2\s+acme\s+ringing\s+\+4930123456\s+200\s+\S+Z\s+0:0\d\s+yes$/);
  });

  it('--json and --tenant', async () => {
    const r = await pbx('calls', '--json', '--tenant', 'acme', '--config', configPath);
    expect(r.status).toBe(0);
    const items = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    expect(items).toEqual([
      expect.objectContaining({ id: 'call-2', tenant: 'acme', state: 'ringing', direction: 'inbound', recording: true, answeredAt: null, startedAt: expect.stringMatching(/Z$/) }),
    ]);
    const nf = await pbx('calls', '--tenant', 'nope', '--config', configPath);
    expect(nf.status).toBe(1);
    expect(nf.stderr.trim()).toBe('error: tenant nope does not exist');
  });

  it('hangup ends a call; an unknown id is one line on stderr and exit 1', async () => {
    const r = await pbx('calls', 'hangup', 'call-1', '--reason', 'test over', '--config', configPath);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('call call-1 hung up');
    expect(calls.hungUp).toEqual([{ id: 'call-1', reason: 'test over' }]);
    expect(env.services.audit.list()[0]).toMatchObject({ actor: 'local-cli', action: 'call.hangup', target: 'call-1' });

    const again = await pbx('calls', '--config', configPath, 'hangup', 'call-1'); // --config before the subcommand works too
    expect(again.status).toBe(1);
    expect(again.stderr.trim()).toBe('error: no call call-1 in progress');
    expect(again.stdout).toBe('');
  });

  it('the PBX not running: one clear line, exit 1, no stack trace', async () => {
    const elsewhere = join(env.dir, 'stopped');
    const cfg = join(env.dir, 'stopped.yaml');
    writeFileSync(cfg, `data_dir: ${JSON.stringify(elsewhere)}\n`);
    const sockPath = join(elsewhere, 'pbx.sock');
    const check = async (args: string[]) => {
      const r = await pbx(...args);
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stderr.trim(), args.join(' ')).toBe(`error: the PBX is not running (no control socket at ${sockPath}); start it with \`pbx start\``);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    };
    await check(['calls', '--config', cfg]); // no socket file
    await check(['calls', 'hangup', 'call-2', '--config', cfg]);
    // a socket file left by a killed server: connection refused
    mkdirSync(elsewhere);
    const killed = spawnSync(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(sockPath)}, () => process.kill(process.pid, 'SIGKILL'))`]);
    expect(killed.signal).toBe('SIGKILL');
    await check(['calls', '--config', cfg]);
  });
});
