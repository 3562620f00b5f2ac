// End to end with a real softphone: baresip (Debian 12's 1.0, on libre 1.1) registers against
// the running PBX and unregisters when it quits. This client aborts on a SHA-256 challenge,
// so it also proves the single-challenge quirk list (sip.auth.single_challenge_user_agents).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPbxProcess, tempDir, type PbxProcess } from '../support/pbx-process.ts';
import { freeUdpTcpPort } from '../support/free-port.ts';

interface Registration {
  extension: string;
  userAgent?: string;
}

describe('baresip', () => {
  let pbx: PbxProcess;
  beforeAll(async () => {
    pbx = await startPbxProcess();
    expect(pbx.cli('ext', 'add', '1101', '--password', 'baresip-secret-1').status).toBe(0);
  });
  afterAll(async () => {
    await pbx.stop();
  });

  it('registers, shows up in `pbx reg list`, and unregisters on quit', async () => {
    const dir = tempDir('baresip-');
    const port = await freeUdpTcpPort();
    fs.writeFileSync(path.join(dir, 'accounts'), `<sip:1101@127.0.0.1:${pbx.sipPort}>;auth_pass=baresip-secret-1;regint=600\n`);
    fs.writeFileSync(
      path.join(dir, 'config'),
      [`sip_listen 127.0.0.1:${port}`, 'module_path /usr/lib/baresip/modules', 'module account.so', 'module g711.so', ''].join('\n'),
    );
    const phone = spawn('baresip', ['-f', dir, '-t', '6'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    phone.stdout.on('data', (d) => (out += d));
    phone.stderr.on('data', (d) => (out += d));
    const exited = new Promise<void>((resolve) => phone.once('exit', () => resolve()));

    let registered: Registration[] = [];
    for (let i = 0; i < 40 && registered.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      registered = JSON.parse(pbx.cli('reg', 'list', '--json').stdout) as Registration[];
    }
    expect(registered.map((r) => r.extension), out).toEqual(['1101']);
    expect(registered[0]!.userAgent).toMatch(/baresip/);

    await exited;
    expect(out).not.toMatch(/Register: /); // baresip prints "Register: <error>" on failure
    expect(JSON.parse(pbx.cli('reg', 'list', '--json').stdout)).toEqual([]);
  });
});
