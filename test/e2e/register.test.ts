// End to end: the real PBX process (bin/pbx start) and SIPp as the phone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPbxProcess, type PbxProcess } from '../support/pbx-process.ts';
import { runSipp } from '../support/sipp.ts';

const authLine = (user: string, password: string) => `${user};${password};[authentication username=${user} password=${password}]`;

describe('registration with SIPp', () => {
  let pbx: PbxProcess;

  beforeAll(async () => {
    pbx = await startPbxProcess();
    const added = pbx.cli('ext', 'add', '1001', '--name', 'Alice', '--password', 'alice-secret-1');
    expect(added.status, added.stderr).toBe(0);
  });

  afterAll(async () => {
    expect(await pbx.stop()).toBe(0); // SIGTERM is a clean shutdown
  });

  it('registers with digest auth and unregisters', async () => {
    const r = await runSipp({
      scenario: 'test/e2e/register-auth.xml',
      target: `127.0.0.1:${pbx.sipPort}`,
      injection: `SEQUENTIAL\n${authLine('1001', 'alice-secret-1')}\n`,
    });
    expect(r.code, r.log).toBe(0);
    // The scenario ends with Expires: 0, so nothing is left registered.
    const list = pbx.cli('reg', 'list', '--json');
    expect(list.status, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual([]);
  });

  it('refuses a wrong password with a fresh challenge', async () => {
    const r = await runSipp({
      scenario: 'test/e2e/register-wrong-password.xml',
      target: `127.0.0.1:${pbx.sipPort}`,
      injection: `SEQUENTIAL\n${authLine('1001', 'not-the-password')}\n`,
    });
    expect(r.code, r.log).toBe(0);
    const metrics = await (await pbx.api('/metrics')).text();
    expect(metrics).toMatch(/^pbx_auth_failures_total [1-9]/m);
  });

  it('answers an unknown user exactly like a wrong password (same scenario passes)', async () => {
    const r = await runSipp({
      scenario: 'test/e2e/register-wrong-password.xml',
      target: `127.0.0.1:${pbx.sipPort}`,
      injection: `SEQUENTIAL\n${authLine('7777', 'whatever-pass')}\n`,
    });
    expect(r.code, r.log).toBe(0);
  });

  it('registers over TCP too', async () => {
    const r = await runSipp({
      scenario: 'test/e2e/register-auth.xml',
      target: `127.0.0.1:${pbx.sipPort}`,
      transport: 't1',
      injection: `SEQUENTIAL\n${authLine('1001', 'alice-secret-1')}\n`,
    });
    expect(r.code, r.log).toBe(0);
  });
});
