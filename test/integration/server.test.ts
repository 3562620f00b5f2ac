// Integration: the real server process on loopback, driven with raw SIP over UDP/TCP and
// with the CLI, as an operator would use it.
import dgram from 'node:dgram';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, startPbxProcess, tempDir, type PbxProcess } from '../support/pbx-process.ts';
import { freeTcpPort, freeUdpTcpPort } from '../support/free-port.ts';
import { optionsRequest, register, udpExchange, UdpPhone } from '../support/sip-client.ts';

describe('a running PBX', () => {
  let pbx: PbxProcess;
  beforeAll(async () => {
    pbx = await startPbxProcess();
    expect(pbx.cli('ext', 'add', '2001', '--password', 'secret-2001-pw').status).toBe(0);
  });
  afterAll(async () => {
    await pbx.stop();
  });

  it('accepts a SHA-256 digest as well as MD5', async () => {
    const sha = await register({ port: pbx.sipPort, user: '2001', password: 'secret-2001-pw', algorithm: 'SHA-256' });
    expect(sha !== 'drop' && sha.status).toBe(200);
    const md5 = await register({ port: pbx.sipPort, user: '2001', password: 'secret-2001-pw', algorithm: 'MD5', contactPort: 6001 });
    expect(md5 !== 'drop' && md5.status).toBe(200);
    // Both contacts are bindings of 2001 now, listed in the CLI with their source.
    const regs = JSON.parse(pbx.cli('reg', 'list', '--json').stdout) as Array<{ extension: string; contact: string }>;
    expect(regs.filter((r) => r.extension === '2001').map((r) => r.contact).sort()).toEqual([
      'sip:2001@127.0.0.1:5999',
      'sip:2001@127.0.0.1:6001',
    ]);
  });

  it('offers MD5 first and SHA-256 second in the challenge', async () => {
    const first = await register({ port: pbx.sipPort, user: '2001', password: 'wrong-password!' });
    expect(first !== 'drop' && first.status).toBe(401);
    const challenge = first !== 'drop' ? first.header('WWW-Authenticate') : [];
    expect(challenge[0]).toMatch(/algorithm=MD5/);
    expect(challenge[1]).toMatch(/algorithm=SHA-256/);
  });

  it('answers OPTIONS from anyone with 200 and no version banner', async () => {
    const reply = await udpExchange(pbx.sipPort, optionsRequest('Linphone/5.2'));
    expect(reply !== 'drop' && reply.status).toBe(200);
    expect(reply !== 'drop' && reply.header('Server')).toEqual([]);
    expect(reply !== 'drop' && reply.header('User-Agent')).toEqual([]);
  });

  it('drops scanners silently', async () => {
    for (const ua of ['friendly-scanner', 'sipvicious 0.3', 'VaxSIPUserAgent/3.1', 'sipcli/v1.8']) {
      expect(await udpExchange(pbx.sipPort, optionsRequest(ua), 500)).toBe('drop');
    }
    const metrics = await (await pbx.api('/metrics')).text();
    expect(metrics).toMatch(/^pbx_sip_scanner_dropped_total 4$/m);
  });

  it('exposes Prometheus metrics for requests by method and responses by class', async () => {
    const metrics = await (await pbx.api('/metrics')).text();
    expect(metrics).toMatch(/^pbx_sip_requests_total\{method="REGISTER"\} [1-9]/m);
    expect(metrics).toMatch(/^pbx_sip_responses_total\{class="2xx"\} [1-9]/m);
    expect(metrics).toMatch(/^pbx_registrations [1-9]/m);
  });
});

describe('holiday calendars at start-up', () => {
  it('warns about a tenant calendar without a day of the current year, and not about one that has one', async () => {
    const dir = tempDir();
    const year = new Date().getFullYear();
    fs.writeFileSync(path.join(dir, 'old.yaml'), 'name: Old\nholidays:\n  - { date: 2001-01-01 }\n');
    fs.writeFileSync(path.join(dir, 'now.yaml'), `name: Current\nholidays:\n  - { date: ${year}-07-01 }\n  - { date: ${year + 1}-01-01 }\n`);
    const tenant = (name: string, file: string) =>
      `  - name: ${name}\n    domain: ${name}.example\n    timezone: UTC\n    holiday_calendar: ${JSON.stringify(path.join(dir, file))}\n`;
    const pbx = await startPbxProcess({ extraYaml: 'tenants:\n' + tenant('old', 'old.yaml') + tenant('current', 'now.yaml') });
    try {
      const out = pbx.output();
      expect(out).toContain(`holiday calendar Old has no days of ${year}`);
      expect(out).not.toContain('holiday calendar Current');
    } finally {
      await pbx.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('restarts and failures', () => {
  const running: PbxProcess[] = [];
  afterEach(async () => {
    for (const p of running.splice(0)) await p.stop('SIGKILL');
  });

  it('keeps registrations across a restart, even after kill -9', async () => {
    const first = await startPbxProcess();
    running.push(first);
    expect(first.cli('ext', 'add', '3001', '--password', 'secret-3001-pw').status).toBe(0);
    const reply = await register({ port: first.sipPort, user: '3001', password: 'secret-3001-pw', expires: 900 });
    expect(reply !== 'drop' && reply.status).toBe(200);
    await first.stop('SIGKILL');

    const second = await startPbxProcess({ dataDir: first.dataDir });
    running.push(second);
    expect(second.output()).toMatch(/"restoredRegistrations":1/);
    const regs = JSON.parse(second.cli('reg', 'list', '--json').stdout) as Array<{ extension: string; expiresIn: number }>;
    expect(regs).toHaveLength(1);
    expect(regs[0]!.extension).toBe('3001');
  });

  it('blocks a source after 10 failed authentications, lists it, and lets the CLI clear it', async () => {
    const pbx = await startPbxProcess();
    running.push(pbx);
    expect(pbx.cli('ext', 'add', '4001', '--password', 'secret-4001-pw').status).toBe(0);
    for (let i = 0; i < 10; i++) {
      const r = await register({ port: pbx.sipPort, user: '4001', password: `guess-${i}-xx` });
      expect(r !== 'drop' && r.status).toBe(401);
    }
    // Now even the right password gets no answer at all from this source.
    expect(await register({ port: pbx.sipPort, user: '4001', password: 'secret-4001-pw' })).toBe('drop');
    const blocks = JSON.parse(pbx.cli('block', 'list', '--json').stdout) as Array<{ address: string }>;
    expect(blocks.map((b) => b.address)).toEqual(['127.0.0.1']);
    expect(pbx.cli('block', 'clear', '127.0.0.1').status).toBe(0);
    // The server notices the CLI's write (it polls the database's data_version every 2 s).
    let reply: Awaited<ReturnType<typeof register>> = 'drop';
    for (let i = 0; i < 20 && (reply === 'drop' || reply.status !== 200); i++) {
      await new Promise((r) => setTimeout(r, 250));
      reply = await register({ port: pbx.sipPort, user: '4001', password: 'secret-4001-pw' });
    }
    expect(reply !== 'drop' && reply.status).toBe(200);
  });

  it('forgets the registrations of an extension the CLI removes while it runs', async () => {
    const pbx = await startPbxProcess();
    running.push(pbx);
    expect(pbx.cli('ext', 'add', '6001', '--password', 'secret-6001-pw').status).toBe(0);
    const reply = await register({ port: pbx.sipPort, user: '6001', password: 'secret-6001-pw' });
    expect(reply !== 'drop' && reply.status).toBe(200);
    expect(await pbx.api('/metrics').then((r) => r.text())).toMatch(/^pbx_registrations 1$/m);
    expect(pbx.cli('ext', 'remove', '6001').status).toBe(0);
    let metrics = '';
    for (let i = 0; i < 20 && !/^pbx_registrations 0$/m.test(metrics); i++) {
      await new Promise((r) => setTimeout(r, 250));
      metrics = await pbx.api('/metrics').then((r) => r.text());
    }
    expect(metrics).toMatch(/^pbx_registrations 0$/m);
  });

  it('keeps NATed phones alive with OPTIONS and drops one that stops answering', async () => {
    // Short timers so a ping times out in 64*T1 = 3.2 s and rounds come every second.
    const pbx = await startPbxProcess({
      sipYaml: '  timers: { t1: 50, t2: 400 }\n  registrar: { keepalive_interval_s: 1, keepalive_failures: 2 }',
    });
    running.push(pbx);
    expect(pbx.cli('ext', 'add', '7001', '--password', 'secret-7001-pw').status).toBe(0);
    expect(pbx.cli('ext', 'add', '7002', '--password', 'secret-7002-pw').status).toBe(0);
    const alive = await UdpPhone.open();
    const silent = await UdpPhone.open();
    try {
      // Both advertise a Contact port they do not send from: the PBX sees them as NATed.
      const a = await alive.register({ port: pbx.sipPort, user: '7001', password: 'secret-7001-pw', contactPort: 5999 });
      const b = await silent.register({ port: pbx.sipPort, user: '7002', password: 'secret-7002-pw', contactPort: 5999 });
      expect(a !== 'drop' && a.status).toBe(200);
      expect(b !== 'drop' && b.status).toBe(200);
      silent.answering = false;
      const extensions = () => (JSON.parse(pbx.cli('reg', 'list', '--json').stdout) as Array<{ extension: string; natted: boolean }>);
      expect(extensions().every((r) => r.natted)).toBe(true);
      let left = extensions().map((r) => r.extension);
      for (let i = 0; i < 60 && left.includes('7002'); i++) {
        await new Promise((r) => setTimeout(r, 500));
        left = extensions().map((r) => r.extension);
      }
      expect(left).toEqual(['7001']);
      expect(alive.optionsReceived).toBeGreaterThan(0);
      expect(silent.optionsReceived).toBeGreaterThan(0);
      const dropLog = () => pbx.output().split('\n').filter((l) => l.includes('7002') && l.includes('unreachable'));
      for (let i = 0; i < 20 && dropLog().length === 0; i++) await new Promise((r) => setTimeout(r, 100));
      expect(dropLog().length).toBeGreaterThan(0); // the drop is logged
    } finally {
      alive.close();
      silent.close();
    }
  });

  it('stops with a clear message when the SIP port is taken', async () => {
    const port = await freeUdpTcpPort();
    const squatter = dgram.createSocket('udp4');
    await new Promise<void>((r) => squatter.bind(port, '127.0.0.1', r));
    try {
      const dir = tempDir();
      const config = path.join(dir, 'pbx.yaml');
      const apiPort = await freeTcpPort();
      fs.writeFileSync(
        config,
        `data_dir: ${dir}\nsip:\n  udp: { host: 127.0.0.1, port: ${port} }\n  tcp: { enabled: false }\napi: { port: ${apiPort} }\n`,
      );
      const r = spawnSync(path.join(repoRoot, 'bin/pbx'), ['start', '--config', config], { encoding: 'utf8', timeout: 30_000 });
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain(`cannot listen on UDP 127.0.0.1:${port}`);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    } finally {
      squatter.close();
    }
  });

  it('refuses a bad config at start with one line per problem, naming key path and line', () => {
    const dir = tempDir();
    const config = path.join(dir, 'pbx.yaml');
    fs.writeFileSync(config, ['sip:', '  udp:', '    port: 70000', '  colour: blue', 'api:', '  port: "eighty"', ''].join('\n'));
    const r = spawnSync(path.join(repoRoot, 'bin/pbx'), ['start', '--config', config], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/sip\.udp\.port.*line 3/);
    expect(r.stderr).toMatch(/sip\.colour.*line 4/);
    expect(r.stderr).toMatch(/api\.port.*line 6/);
  });
});
