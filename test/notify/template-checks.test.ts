// The SMS length check where templates are set: tenant settings through the service (CLI, API)
// and tenants declared in the config file.
import { afterEach, describe, expect, it } from 'vitest';
import { applyConfig } from '../../src/config/index.ts';
import { ConfigError } from '../../src/config/load.ts';
import { InvalidError } from '../../src/errors.ts';
import { tempServices } from '../fixtures.ts';

let env: ReturnType<typeof tempServices> | undefined;
afterEach(() => env?.cleanup());

const chinese = (n: number) => '您'.repeat(n);

describe('message templates are refused when they cannot fit the SMS limit', () => {
  it('TenantService.updateSettings: a too-long text is refused with the field, the limit and the length', () => {
    env = tempServices();
    const t = env.services.tenants.add({ name: 'acme', domain: 'acme.example' });
    // 3 segments = 201 UCS-2 characters; {caller} takes 20, {company} the tenant name (4)
    env.services.tenants.updateSettings(t.id, { messages: { hangup_sms: { enabled: true, period_h: 24, text: chinese(177) + '{caller}{company}' } } });
    let err: unknown;
    try {
      env.services.tenants.updateSettings(t.id, { messages: { hangup_sms: { enabled: true, period_h: 24, text: chinese(178) + '{caller}{company}' } } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidError);
    expect((err as Error).message).toBe(
      'settings of tenant acme: messages.hangup_sms.text: 3 SMS segments at most (70 characters each for Chinese text, 67 per part when split; this text can reach 202 characters with {caller} and {company} filled in); shorten it by at least 1 character',
    );
    // a long company name counts against the templates that use it
    expect(() => env!.services.tenants.updateSettings(t.id, { company: '北'.repeat(64) })).toThrow(/messages\.hangup_sms\.text: 3 SMS segments at most/);
    expect(env.services.tenants.settings(t.id).messages.hangup_sms.text).toBe(chinese(177) + '{caller}{company}');
  });

  it('TenantService.updateSettings: the limit is notify.sms.max_segments, not the default 3', () => {
    env = tempServices('notify:\n  sms:\n    max_segments: 1\n');
    const t = env.services.tenants.add({ name: 'acme', domain: 'acme.example' });
    // 1 segment = 70 UCS-2 characters; {caller} takes 20, {company} 4
    env.services.tenants.updateSettings(t.id, { messages: { hangup_sms: { enabled: true, period_h: 24, text: chinese(46) + '{caller}{company}' } } });
    expect(() => env!.services.tenants.updateSettings(t.id, { messages: { hangup_sms: { enabled: true, period_h: 24, text: chinese(47) + '{caller}{company}' } } })).toThrow(
      /messages\.hangup_sms\.text: 1 SMS segment at most \(70 characters for Chinese text; this text can reach 71 characters/,
    );
  });

  it('config apply: a declared tenant with a too-long template is a config problem with its key path', () => {
    const yaml = (segments: number) =>
      `notify:\n  sms:\n    max_segments: ${segments}\ntenants:\n  - name: acme\n    domain: acme.example\n    company: 某某公司\n    messages:\n      missed_call_sms:\n        text: "${chinese(50)}{caller}{time}"\n`;
    env = tempServices(yaml(1));
    let err: unknown;
    try {
      applyConfig(env.services.db, env.config, env.services.audit);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).lines().join('\n')).toContain('tenants[0].messages.missed_call_sms.text: 1 SMS segment at most (70 characters for Chinese text; this text can reach 86 characters with {caller} and {time} filled in)');
    env.cleanup();
    env = tempServices(yaml(2));
    expect(applyConfig(env.services.db, env.config, env.services.audit).tenants.added).toBe(1);
  });
});
