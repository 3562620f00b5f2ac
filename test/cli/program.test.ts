// Spawns bin/pbx as a user would, on a temporary data directory named by a temp config file.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../fixtures.ts';

const PBX = fileURLToPath(new URL('../../bin/pbx', import.meta.url));
let tmp: ReturnType<typeof tempDir>;
let configPath: string;

function pbx(...args: string[]) {
  const r = spawnSync(PBX, args, { encoding: 'utf8', timeout: 60_000, cwd: tmp.dir, env: { ...process.env, PBX_CONFIG: '' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  tmp = tempDir('pbx-cli-');
  configPath = join(tmp.dir, 'pbx.yaml');
  writeFileSync(configPath, 'data_dir: ./data\ntenants:\n  - name: main\n    default: true\n    extensions:\n      - { number: 1001, password: from-config }\n');
});
afterAll(() => tmp.cleanup());

describe('bin/pbx', () => {
  it('--help lists the commands', () => {
    const r = pbx('--help');
    expect(r.status).toBe(0);
    for (const c of ['start', 'config', 'migrate', 'tenant', 'ext', 'dept', 'employee', 'contact', 'reg', 'token', 'block']) expect(r.stdout).toMatch(new RegExp(`^  ${c}\\b`, 'm'));
    expect(pbx('ext', '--help').stdout).toMatch(/add \[options\] <number>[\s\S]*set-password/);
  });

  it('ext add prints a generated password; list --json; show; set-password; remove', () => {
    const add = pbx('ext', 'add', '2001', '--name', 'Alice', '--max-terminals', '2', '--ring-strategy', 'sequential', '--ring-timeout', '15', '--config', configPath);
    expect(add.status).toBe(0);
    expect(add.stdout).toMatch(/^SIP password: [A-Za-z0-9]{16}\b/m);

    const list = pbx('ext', 'list', '--json', '--config', configPath);
    expect(list.status).toBe(0);
    const parsed = JSON.parse(list.stdout) as { total: number; items: Array<{ number: string; maxTerminals: number; ringStrategy: string; ringTimeoutS: number }> };
    expect(parsed.items.find((e) => e.number === '2001')).toMatchObject({ maxTerminals: 2, ringStrategy: 'sequential', ringTimeoutS: 15 });

    expect(pbx('ext', 'show', '2001', '--config', configPath).stdout).toMatch(/ring strategy\s+sequential/);
    expect(pbx('ext', 'set-password', '2001', '--password', 'new-secret-1', '--config', configPath).status).toBe(0);
    expect(pbx('ext', 'remove', '2001', '--config', configPath).stdout).toMatch(/extension 2001 removed/);
  });

  it('token create prints the token once; token list does not show it', () => {
    const r = pbx('token', 'create', 'ci', '--config', configPath);
    expect(r.status).toBe(0);
    const token = /^(pbx_[A-Za-z0-9_-]+)$/m.exec(r.stdout)?.[1];
    expect(token).toBeDefined();
    const list = pbx('token', 'list', '--json', '--config', configPath);
    expect(list.stdout).toContain('"name": "ci"');
    expect(list.stdout).not.toContain(token!);
  });

  it('user errors: one line on stderr, exit 1, no stack trace', () => {
    for (const args of [
      ['ext', 'add', '0abc', '--config', configPath],
      ['ext', 'show', '9999', '--config', configPath],
      ['ext', 'add', '3000', '--max-terminals', '4', '--config', configPath],
      ['tenant', 'add', 'x', '--domain', 'bad domain!', '--config', configPath],
      ['ext', 'list', '--config', join(tmp.dir, 'missing.yaml')],
      ['nosuchcommand'],
    ]) {
      const r = pbx(...args);
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('refuses to edit config-managed extensions, saying so', () => {
    pbx('migrate', '--config', configPath);
    // config-managed rows are applied at start; apply them the same way start does
    const apply = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', `import { bootServices } from './src/services.ts'; import { loadConfigFile } from './src/config/load.ts'; bootServices(loadConfigFile(${JSON.stringify(configPath)})).services.close();`],
      { cwd: fileURLToPath(new URL('../..', import.meta.url)), encoding: 'utf8' },
    );
    expect(apply.status, apply.stderr).toBe(0);
    const r = pbx('ext', 'set-password', '1001', '--config', configPath);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe('error: extension 1001 is declared in the config file; edit the config instead');
  });

  it('config check: OK for the example, one line per problem with key path and line otherwise', () => {
    expect(pbx('config', 'check', fileURLToPath(new URL('../../config.example.yaml', import.meta.url))).stdout).toMatch(/OK/);
    const bad = join(tmp.dir, 'bad.yaml');
    writeFileSync(bad, 'sip:\n  udp:\n    port: 70000\n  bogus: true\n');
    const r = pbx('config', 'check', bad);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/sip\.udp\.port \(line 3\)/), `${bad}: sip.bogus (line 4): unknown key`]);
  });

  it('start with a bad config stops with the problems and a non-zero exit', () => {
    const bad = join(tmp.dir, 'bad-start.yaml');
    writeFileSync(bad, 'api:\n  port: "8080"\n');
    const r = pbx('start', '--config', bad);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/api\.port \(line 2\): .*expected number/);
  });

  it('block list / clear and reg list work on the same database', () => {
    expect(pbx('block', 'list', '--json', '--config', configPath).stdout.trim()).toBe('[]');
    expect(pbx('block', 'clear', '198.51.100.1', '--config', configPath).stdout).toMatch(/was not blocked/);
    expect(pbx('reg', 'list', '--json', '--config', configPath).stdout.trim()).toBe('[]');
  });
});
