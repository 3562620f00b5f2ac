// `pbx trunk`, `pbx number`, `pbx ext terminal|rule` and `pbx tenant settings` spawned as a user
// would, on a temporary data directory; `pbx trunk status` against a control socket served by
// this test (the admin API with a trunkStatus function), and without one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { controlSocketPath, createApiApp, serveControlSocket, type ControlSocket } from '../../src/api/index.ts';
import { applyConfig } from '../../src/config/index.ts';
import { tempDir, tempServices } from '../fixtures.ts';

const PBX = fileURLToPath(new URL('../../bin/pbx', import.meta.url));
let env: ReturnType<typeof tempServices>;
let sock: ControlSocket;
let configPath: string;

/** Asynchronous: the control socket is served by this process, which must stay free to answer. */
function pbx(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(PBX, [...args, '--config', configPath], { encoding: 'utf8', timeout: 60_000, cwd: env.dir, env: { ...process.env, PBX_CONFIG: '' } }, (err, stdout, stderr) =>
      resolve({ status: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr }),
    );
  });
}

const DECLARED = `
trunks:
  - { name: cfg-carrier, kind: carrier, host: sip.example }
tenants:
  - name: main
    default: true
    extensions:
      - { number: 1001, password: from-config }
    numbers:
      - { number: "+861055550000", mode: switchboard }
`;

beforeAll(async () => {
  env = tempServices(DECLARED);
  applyConfig(env.services.db, env.config, env.services.audit);
  const acme = env.services.tenants.add({ name: 'acme', domain: 'acme.example' });
  env.services.extensions.add(acme.id, { number: '800', password: 'secret-800' });
  env.services.extensions.add(acme.id, { number: '1001', password: 'secret-1001' });
  const trunkStatus = () =>
    env.services.trunks.list().map((t) => ({
      trunkId: t.id,
      name: t.name,
      kind: t.kind,
      ...(t.register ? { registration: { state: 'registered', lastStatus: 200, expiresAt: Date.UTC(2030, 0, 1) } } : {}),
      activeCalls: t.kind === 'carrier' ? 3 : 0,
    }));
  sock = await serveControlSocket(createApiApp({ services: env.services, trunkStatus }), controlSocketPath(env.dir));
  configPath = join(env.dir, 'pbx.yaml');
  writeFileSync(configPath, `data_dir: ${JSON.stringify(env.dir)}\n`);
});
afterAll(async () => {
  await sock?.close();
  env.cleanup();
});

describe('bin/pbx trunk', { timeout: 120_000 }, () => {
  it('add, list (secrets masked), show, set, status from the running PBX, remove', async () => {
    const add = await pbx('trunk', 'add', 'carrier-a', '--kind', 'carrier', '--host', 'sip.carrier.example', '--register', '--username', 'u1', '--password', 'pw-secret', '--priority', '10');
    expect(add.stderr).toBe('');
    expect(add.stdout).toMatch(/^trunk carrier-a added \(id \d+, carrier\)$/m);
    const pbxTrunk = await pbx('trunk', 'add', 'acme-pbx', '--kind', 'pbx', '-t', 'acme', '--host', '198.51.100.7', '--inbound-auth', 'digest', '--inbound-username', 'acme', '--inbound-password', 'acme-secret', '--rewrite', '^0086=00', '--json');
    expect(JSON.parse(pbxTrunk.stdout)).toMatchObject({ name: 'acme-pbx', tenant: 'acme', inboundPassword: '***', rewrite: [{ match: '^0086', replace: '00' }] });

    const list = await pbx('trunk', 'list');
    const lines = list.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+KIND\s+TENANT\s+ADDRESS\s+REGISTER\s+INBOUND\s+MAX CALLS\s+PRIORITY\s+ENABLED\s+SOURCE$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual(['carrier-a', 'cfg-carrier', 'acme-pbx']);
    expect(list.stdout).toMatch(/^acme-pbx\s+pbx\s+acme\s+198\.51\.100\.7:5060\/udp\s+no\s+digest/m);
    const json = await pbx('trunk', 'list', '--json');
    expect(json.stdout).not.toContain('pw-secret');
    expect(JSON.parse(json.stdout)[0]).toMatchObject({ name: 'carrier-a', password: '***', register: true });

    const set = await pbx('trunk', 'set', 'carrier-a', '--port', '5080', '--address', '203.0.113.9', '--codecs', 'PCMA,PCMU');
    expect(set.stdout).toMatch(/address\s+sip\.carrier\.example:5080 \(udp\)/);
    expect(set.stdout).toMatch(/codecs\s+PCMA, PCMU/);
    expect((await pbx('trunk', 'show', 'carrier-a')).stdout).toMatch(/credentials\s+u1 \/ \*\*\*/);

    const status = await pbx('trunk', 'status');
    expect(status.stderr).toBe('');
    expect(status.stdout).toMatch(/^NAME\s+KIND\s+REGISTRATION\s+LAST ANSWER\s+EXPIRES\s+NEXT ATTEMPT\s+CALLS$/m);
    expect(status.stdout).toMatch(/^carrier-a\s+carrier\s+registered\s+200\s+2030-01-01T00:00:00Z\s+-\s+3$/m);
    expect(status.stdout).toMatch(/^acme-pbx\s+pbx\s+\(not registering\)/m);
    expect(JSON.parse((await pbx('trunk', 'status', '--json')).stdout)[0]).toMatchObject({ name: 'carrier-a', registration: { expiresAt: '2030-01-01T00:00:00Z' } });

    expect((await pbx('trunk', 'remove', 'carrier-a')).stdout.trim()).toBe('trunk carrier-a removed');
  });

  it('user errors: one line, exit 1; config-managed trunks refused', async () => {
    for (const [args, msg] of [
      [['trunk', 'add', 'x', '--kind', 'pbx', '--host', 'h'], 'error: trunk x: a pbx trunk belongs to a tenant; name it'],
      [['trunk', 'add', 'x', '--kind', 'carrier'], 'error: --host is required: the host name or address of the trunk'],
      [['trunk', 'set', 'cfg-carrier', '--port', '5070'], 'error: trunk cfg-carrier is declared in the config file; edit the config instead'],
      [['trunk', 'remove', 'nope'], 'error: trunk nope does not exist'],
    ] as Array<[string[], string]>) {
      const r = await pbx(...args);
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stderr.trim(), args.join(' ')).toBe(msg);
    }
  });

  it('status without a running PBX says so, exit 1', async () => {
    const other = tempDir('pbx-cli-nosrv-');
    try {
      const cfg = join(other.dir, 'pbx.yaml');
      writeFileSync(cfg, `data_dir: ${JSON.stringify(other.dir)}\n`);
      const r = await new Promise<{ code: number; stderr: string }>((resolve) =>
        execFile(PBX, ['trunk', 'status', '--config', cfg], { encoding: 'utf8', env: { ...process.env, PBX_CONFIG: '' } }, (err, _out, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stderr })),
      );
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toMatch(/^error: the PBX is not running \(no control socket at .*pbx\.sock\); start it with `pbx start`$/);
    } finally {
      other.cleanup();
    }
  });
});

describe('bin/pbx number, ext terminal|rule, tenant settings', { timeout: 120_000 }, () => {
  it('number add/list/show/set/remove, block add/list/remove, terminal add/list/remove', async () => {
    expect((await pbx('number', 'add', '01088886666', '-t', 'acme', '--mode', 'switchboard', '--main')).stdout.trim()).toBe('number +861088886666 added to tenant acme (switchboard, main)');
    const direct = await pbx('number', 'add', '+861088886667', '-t', 'acme', '--mode', 'direct', '--terminal', 'ext:1001', 'pstn:13812345678', '--json');
    expect(JSON.parse(direct.stdout)).toMatchObject({ number: '+861088886667', mode: 'direct', terminals: [{ terminal: 'ext:1001' }, { terminal: 'pstn:+8613812345678' }] });
    const list = await pbx('number', 'list', '-t', 'acme');
    expect(list.stdout).toMatch(/^\+861088886666\s+acme\s+switchboard\s+yes\s+switchboard/m);
    expect(list.stdout).toMatch(/^\+861088886667\s+acme\s+direct\s+ext:1001, pstn:\+8613812345678/m);

    expect((await pbx('number', 'block', 'add', '01088886666', '0755*', '-t', 'acme', '--note', 'spam')).stdout.trim()).toBe('0755* blacklisted on +861088886666');
    expect((await pbx('number', 'block', 'list', '+861088886666')).stdout).toMatch(/^0755\*\s+prefix\s+spam/m);
    expect((await pbx('number', 'block', 'remove', '+861088886666', '0755*')).stdout.trim()).toBe('0755* is no longer blacklisted');

    expect((await pbx('number', 'terminal', 'add', '+861088886667', 'pstn:13900000000')).stdout.trim()).toBe('terminal pstn:+8613900000000 added');
    expect((await pbx('number', 'terminal', 'list', '+861088886667')).stdout).toMatch(/^\d+\s+3\s+pstn:\+8613900000000$/m);
    expect((await pbx('number', 'terminal', 'remove', '+861088886667', 'ext:1001')).stdout.trim()).toBe('terminal ext:1001 removed');

    const set = await pbx('number', 'set', '+861088886667', '--ring-strategy', 'simultaneous', '--block-action', 'drop');
    expect(set.stdout).toMatch(/ring\s+simultaneous, 20 s each/);
    expect(set.stdout).toMatch(/blocked callers get\s+drop/);
    expect((await pbx('number', 'remove', '+861088886667')).stdout.trim()).toBe('number +861088886667 removed from tenant acme');

    const managed = await pbx('number', 'block', 'add', '+861055550000', '139*');
    expect(managed.status).toBe(1);
    expect(managed.stderr.trim()).toBe('error: number +861055550000 is declared in the config file; edit the config instead');
    const bad = await pbx('number', 'terminal', 'add', '+861088886666', '1001');
    expect(bad.stderr.trim()).toBe('error: terminal "1001" must be ext:<extension> or pstn:<number>');
  });

  it('ext terminal and ext rule', async () => {
    expect((await pbx('ext', 'terminal', 'add', '1001', '13812345678', '-t', 'acme')).stdout.trim()).toBe('extension 1001 rings +8613812345678 too');
    expect((await pbx('ext', 'terminal', 'list', '1001', '-t', 'acme')).stdout).toMatch(/^\d+\s+1\s+\+8613812345678$/m);
    expect((await pbx('ext', 'terminal', 'remove', '1001', '13812345678', '-t', 'acme')).stdout.trim()).toBe('extension 1001 no longer rings +8613812345678');

    expect((await pbx('ext', 'rule', 'add', '1001', 'outbound', 'deny', '00', '-t', 'acme')).stdout.trim()).toBe('extension 1001: outbound deny 00');
    expect((await pbx('ext', 'rule', 'add', '1001', 'inbound', 'allow', '80', '-t', 'acme')).status).toBe(0);
    const rules = JSON.parse((await pbx('ext', 'rule', 'list', '1001', '-t', 'acme', '--json')).stdout) as Array<{ id: number; scope: string; pattern: string }>;
    expect(rules.map((r) => `${r.scope} ${r.pattern}`)).toEqual(['outbound 00', 'inbound 80']);
    expect((await pbx('ext', 'rule', 'remove', '1001', 'outbound', 'deny', '00', '-t', 'acme')).stdout.trim()).toBe('extension 1001: rule outbound deny 00 removed');
    expect((await pbx('ext', 'rule', 'remove', '1001', String(rules[1]!.id), '-t', 'acme')).status).toBe(0);
    const bad = await pbx('ext', 'rule', 'add', '1001', 'sideways', 'deny', '00', '-t', 'acme');
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim()).toBe('error: rule scope must be outbound or inbound, not "sideways"');
    expect((await pbx('ext', 'terminal', 'add', '1001', '13812345678')).stderr.trim()).toBe('error: extension 1001 is declared in the config file; edit the config instead');
  });

  it('tenant settings: shows, changes, refuses bad values', async () => {
    const shown = await pbx('tenant', 'settings', 'acme');
    expect(shown.stdout).toMatch(/^operator\s+\(none\)$/m);
    expect(shown.stdout).toMatch(/^service hours\s+mon 09:00-18:00$/m);
    const set = await pbx(
      'tenant', 'settings', 'acme',
      '--operator', '800',
      '--service-hours', 'mon-fri=09:00-12:00,13:00-18:00', 'sat=closed',
      '--timezone', 'Asia/Shanghai',
      '--holiday-calendar', 'media/calendars/cn-2026.yaml',
      '--international', 'on', '--allow-country', '44', '852',
      '--outside-line-prefix', '9',
      '--outbound-trunks', 'cfg-carrier',
    );
    expect(set.stderr).toBe('');
    expect(set.stdout).toMatch(/^operator\s+800$/m);
    expect(set.stdout).toMatch(/^\s+fri 09:00-12:00,13:00-18:00$/m);
    expect(set.stdout).toMatch(/^\s+sat closed$/m);
    expect(set.stdout).toMatch(/^international\s+on to \+44 \+852$/m);
    expect(set.stdout).toMatch(/^outside line prefix\s+9$/m);
    expect(set.stdout).toMatch(/^holiday calendar\s+media\/calendars\/cn-2026\.yaml$/m);
    const json = JSON.parse((await pbx('tenant', 'settings', 'acme', '--json')).stdout) as { settings: { outbound_trunks: string[]; service_hours: { thu: string[] } } };
    expect(json.settings.outbound_trunks).toEqual(['cfg-carrier']);
    expect(json.settings.service_hours.thu).toEqual(['09:00-12:00', '13:00-18:00']);
    const bad = await pbx('tenant', 'settings', 'acme', '--service-hours', 'mon=18:00-09:00');
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim()).toBe('error: settings of tenant acme: service_hours.mon.0: the end must be after the start');
    expect((await pbx('tenant', 'settings', 'acme', '--service-hours', 'funday=09:00-10:00')).stderr).toMatch(/^error: --service-hours "funday=09:00-10:00" must be DAY=/);
    expect((await pbx('tenant', 'settings', 'main', '--operator', '1001')).stderr.trim()).toBe('error: tenant main is declared in the config file; edit the config instead');
  });
});
