import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import { ConfigError, configSchema, defaultConfig, loadConfigFile, parseConfig } from '../../src/config/index.ts';
import { extensionDecl, numberDecl, tenantDecl, trunkDecl } from '../../src/config/schema.ts';
import { tenantSettingsSchema } from '../../src/tenancy/tenant-settings.ts';

const EXAMPLE = fileURLToPath(new URL('../../config.example.yaml', import.meta.url));

function problems(yaml: string): string[] {
  try {
    parseConfig(yaml, 'bad.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).lines();
  }
  throw new Error('expected a ConfigError');
}

describe('config loading', () => {
  it('loads and validates config.example.yaml', () => {
    const c = loadConfigFile(EXAMPLE);
    expect(c.sip.udp.port).toBe(5060);
    expect(c.api.host).toBe('127.0.0.1');
    expect(c.tenants[0]!.extensions[0]!.number).toBe('1001');
  });

  it('documents every key of the schema in the example (the example with defaults equals the embedded default)', () => {
    const c = loadConfigFile(EXAMPLE);
    const d = defaultConfig();
    expect({ ...c, data_dir: '', tenants: [], trunks: [] }).toEqual({ ...d, data_dir: '', tenants: [], trunks: [] });
  });

  it('documents every key of trunks, tenants (with their settings), extensions and numbers, and declares each kind of example', () => {
    const text = readFileSync(EXAMPLE, 'utf8');
    const keys = (s: z.ZodType): string[] => Object.keys((s as unknown as { shape: Record<string, unknown> }).shape ?? {});
    const unwrap = (s: z.ZodType): z.ZodType => {
      let cur = s as unknown as { def: { type: string; innerType?: z.ZodType; in?: z.ZodType; out?: z.ZodType } };
      while (['default', 'prefault', 'optional', 'pipe'].includes(cur.def.type)) cur = (cur.def.innerType ?? cur.def.in) as unknown as typeof cur;
      return cur as unknown as z.ZodType;
    };
    const missing: string[] = [];
    const check = (where: string, s: z.ZodType) => {
      for (const k of keys(unwrap(s))) if (!new RegExp(`^\\s*(#\\s*)?(- )?${k}:`, 'm').test(text)) missing.push(`${where}.${k}`);
    };
    check('trunks[]', trunkDecl);
    check('tenants[]', tenantDecl);
    check('tenants[].extensions[]', extensionDecl);
    check('tenants[].numbers[]', numberDecl);
    for (const nested of ['service_hours', 'ivr', 'international'] as const) check(`tenants[].${nested}`, tenantSettingsSchema.shape[nested]);
    expect(missing).toEqual([]);

    const c = loadConfigFile(EXAMPLE);
    expect(c.trunks.map((t) => [t.kind, t.register, t.inbound_auth])).toEqual([
      ['carrier', true, 'ip'],
      ['carrier', false, 'ip'],
      ['pbx', false, 'digest'],
    ]);
    const acme = c.tenants.find((t) => t.name === 'acme')!;
    // relative to the config file (the example sits at the repository's root), and shipped
    expect(acme.holiday_calendar).toBe(join(process.cwd(), 'media/calendars/cn-2026.yaml'));
    expect(existsSync(acme.holiday_calendar!)).toBe(true);
    expect(acme.numbers.map((n) => [n.mode, n.main, n.blacklist.length > 0])).toEqual([
      ['switchboard', true, true],
      ['direct', false, false],
      ['sipTrunk', false, false],
    ]);
  });

  it('the embedded default validates and matches R-CORE-1', () => {
    const d = defaultConfig();
    expect(configSchema.safeParse(d).success).toBe(true);
    expect(d.data_dir).toBe('./data');
    expect(d.sip.udp).toEqual({ enabled: true, host: '0.0.0.0', port: 5060 });
    expect(d.sip.tcp).toEqual({ enabled: true, host: '0.0.0.0', port: 5060 });
    expect(d.sip.tls.enabled).toBe(false);
    expect(d.api).toEqual({ enabled: true, host: '127.0.0.1', port: 8080 });
    expect(d.sip.auth.algorithms).toEqual(['MD5', 'SHA-256']);
  });

  it('an empty file is the default', () => {
    expect(parseConfig('', 'x', '/tmp').sip).toEqual(defaultConfig().sip);
  });

  it('wrong type: names the key path and line', () => {
    expect(problems('sip:\n  tcp:\n    enabled: "yes"\n')).toEqual(['bad.yaml: sip.tcp.enabled (line 3): Invalid input: expected boolean, received string']);
  });

  it('unknown key: names the key path and line', () => {
    expect(problems('api:\n  port: 8080\n  hots: 1.2.3.4\n')).toEqual(['bad.yaml: api.hots (line 3): unknown key']);
  });

  it('port out of range: names the key path and line', () => {
    const lines = problems('sip:\n  udp:\n    port: 70000\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^bad\.yaml: sip\.udp\.port \(line 3\): .*65535/);
  });

  it('duplicate extension: names the key path and line', () => {
    const yaml = ['tenants:', '  - name: acme', '    domain: acme.example', '    extensions:', '      - number: 1001', '        password: secret123', '      - number: "1001"', '        password: secret456', ''].join('\n');
    const lines = problems(yaml);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^bad\.yaml: tenants\[0\]\.extensions\[1\]\.number \(line 7\): duplicate extension 1001/);
  });

  it('reports every problem, one line each', () => {
    const lines = problems('sip:\n  udp:\n    port: -1\n  tcp:\n    port: "x"\napi:\n  bogus: 1\n');
    expect(lines).toHaveLength(3);
    expect(lines.join('\n')).toMatch(/sip\.udp\.port \(line 3\)/);
    expect(lines.join('\n')).toMatch(/sip\.tcp\.port \(line 5\)/);
    expect(lines.join('\n')).toMatch(/api\.bogus \(line 7\): unknown key/);
  });

  it('semantic rules: tls without cert, two defaults, tenant without domain, duplicate domain, port clash', () => {
    const yaml = [
      'sip:',
      '  tls:',
      '    enabled: true',
      'api:',
      '  host: 0.0.0.0',
      '  port: 5060',
      'tenants:',
      '  - name: a',
      '    default: true',
      '  - name: b',
      '    default: true',
      '  - name: c',
      '  - name: d',
      '    domain: x.example',
      '  - name: e',
      '    domain: X.example',
      '',
    ].join('\n');
    const text = problems(yaml).join('\n');
    expect(text).toMatch(/sip\.tls\.cert \(line 2\): required when sip\.tls\.enabled is true/);
    expect(text).toMatch(/tenants\[1\]\.default \(line 11\): only one tenant/);
    expect(text).toMatch(/tenants\[2\]\.domain \(line 12\): required for a tenant that is not the default/);
    expect(text).toMatch(/tenants\[4\]\.domain \(line 16\): duplicate tenant domain "x\.example"/);
    expect(text).toMatch(/api\.port \(line 6\): port 5060 is already used by sip\.tcp/);
  });

  it('YAML syntax errors carry a line', () => {
    expect(problems('sip:\n  udp: [1,\n')[0]).toMatch(/^bad\.yaml: line \d+: /);
  });

  it('allows port 0 (free port, for tests)', () => {
    expect(parseConfig('sip:\n  udp:\n    port: 0\n').sip.udp.port).toBe(0);
  });

  it('a missing file is one clear problem', () => {
    expect(() => loadConfigFile('/nonexistent/pbx.yaml')).toThrow(/cannot read the file \(ENOENT\)/);
  });

  it('relative data_dir is resolved against the file directory', () => {
    expect(parseConfig('data_dir: db', 'x', '/srv/pbx').data_dir).toBe('/srv/pbx/db');
  });
});
