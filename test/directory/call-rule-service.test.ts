import { afterEach, describe, expect, it } from 'vitest';
import { tempServices } from '../fixtures.ts';
import { applyConfig } from '../../src/config/index.ts';
import { ConfigManagedError, ConflictError, InvalidError, NotFoundError } from '../../src/errors.ts';

let env: ReturnType<typeof tempServices>;
afterEach(() => env?.cleanup());

describe('CallRuleService', () => {
  it('adds, lists (outbound first, allow before deny), removes by id or by rule; audited', () => {
    env = tempServices();
    const { callRules, extensions, tenants, audit } = env.services;
    const t = tenants.defaultTenant().id;
    extensions.add(t, { number: '1001', password: 'secret-1001' });
    callRules.add(t, '1001', { scope: 'inbound', action: 'allow', pattern: '10' }, 'test');
    const deny = callRules.add(t, '1001', { scope: 'outbound', action: 'deny', pattern: '00' });
    callRules.add(t, '1001', { scope: 'outbound', action: 'allow', pattern: '010' });
    expect(callRules.list(t, '1001').map((r) => `${r.scope} ${r.action} ${r.pattern}`)).toEqual(['outbound allow 010', 'outbound deny 00', 'inbound allow 10']);
    expect(audit.list().at(-1)).toBeDefined();
    expect(audit.list().find((a) => a.action === 'call_rule.add')).toMatchObject({ target: 'extension 1001' });
    expect(() => callRules.add(t, '1001', { scope: 'outbound', action: 'deny', pattern: '00' })).toThrow(ConflictError);
    expect(() => callRules.add(t, '1001', { scope: 'outbound', action: 'deny', pattern: '00*' })).toThrow(InvalidError);
    expect(() => callRules.add(t, '1001', { scope: 'inbound', action: 'deny', pattern: '+86' })).toThrow(/must be an extension number or its first digits/);
    expect(() => callRules.add(t, '1001', { scope: 'sideways' as 'inbound', action: 'deny', pattern: '1' })).toThrow(/scope must be outbound or inbound/);
    expect(() => callRules.add(t, '9999', { scope: 'inbound', action: 'deny', pattern: '1' })).toThrow(NotFoundError);
    expect(callRules.remove(t, '1001', deny.id).pattern).toBe('00');
    expect(callRules.remove(t, '1001', { scope: 'inbound', action: 'allow', pattern: '10' }).scope).toBe('inbound');
    expect(() => callRules.remove(t, '1001', { scope: 'inbound', action: 'allow', pattern: '10' })).toThrow(/has no rule inbound allow 10/);
    expect(callRules.list(t, '1001')).toHaveLength(1);
  });

  it('config-managed extensions: rules come from the config, edits are refused', () => {
    env = tempServices(
      'tenants:\n  - name: main\n    default: true\n    extensions:\n      - { number: 1001, password: from-config, outbound_deny: ["00"], callers_allow: [10] }\n',
    );
    applyConfig(env.services.db, env.config, env.services.audit);
    const { callRules, tenants } = env.services;
    const t = tenants.defaultTenant().id;
    expect(callRules.list(t, '1001').map((r) => `${r.scope} ${r.action} ${r.pattern}`)).toEqual(['outbound deny 00', 'inbound allow 10']);
    expect(() => callRules.add(t, '1001', { scope: 'outbound', action: 'deny', pattern: '01' })).toThrow(ConfigManagedError);
  });
});
