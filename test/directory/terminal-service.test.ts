import { afterEach, describe, expect, it } from 'vitest';
import { tempServices } from '../fixtures.ts';
import { applyConfig } from '../../src/config/index.ts';
import { ConfigManagedError, ConflictError, InvalidError, NotFoundError } from '../../src/errors.ts';
import { parseTerminalSpec } from '../../src/directory/terminal-service.ts';

let env: ReturnType<typeof tempServices>;
afterEach(() => env?.cleanup());

describe('TerminalService', () => {
  it('PSTN terminals of an extension: E.164, no duplicates, at most its max terminals (3), removed by number or id', () => {
    env = tempServices();
    const { terminals, extensions, tenants, audit } = env.services;
    const t = tenants.defaultTenant().id;
    extensions.add(t, { number: '1001', password: 'secret-1001', maxTerminals: 2 });
    const a = terminals.addToExtension(t, '1001', '13812345678', 'test');
    expect(a).toMatchObject({ kind: 'pstn', pstnNumber: '+8613812345678', extension: null, position: 0 });
    expect(audit.list()[0]).toMatchObject({ action: 'terminal.add', target: 'extension 1001', detail: { pstn: '+8613812345678' } });
    expect(() => terminals.addToExtension(t, '1001', '+8613812345678')).toThrow(ConflictError);
    terminals.addToExtension(t, '1001', '01088886666');
    expect(() => terminals.addToExtension(t, '1001', '13900000000')).toThrow(/already has 2 PSTN terminals \(its max terminals is 2\)/);
    expect(() => terminals.addToExtension(t, '1001', '110')).toThrow(InvalidError);
    expect(() => terminals.addToExtension(t, '9999', '13900000000')).toThrow(NotFoundError);
    expect(terminals.listForExtension(t, '1001').map((x) => x.pstnNumber)).toEqual(['+8613812345678', '+861088886666']);
    expect(terminals.removeFromExtension(t, '1001', '13812345678').id).toBe(a.id);
    const left = terminals.listForExtension(t, '1001')[0]!;
    terminals.removeFromExtension(t, '1001', left.id);
    expect(terminals.listForExtension(t, '1001')).toEqual([]);
    expect(() => terminals.removeFromExtension(t, '1001', '13812345678')).toThrow(/has no terminal/);
  });

  it('terminals of a direct-line number: only direct lines, at most 3, the last one stays', () => {
    env = tempServices();
    const { terminals, extensions, tenants, numbers } = env.services;
    const t = tenants.defaultTenant().id;
    extensions.add(t, { number: '1001', password: 'secret-1001' });
    extensions.add(t, { number: '1002', password: 'secret-1002' });
    const sw = numbers.add(t, { number: '+861088886600', mode: 'switchboard' });
    expect(() => terminals.addToNumber(sw.id, { pstn: '13812345678' })).toThrow(/only direct-line numbers have terminals/);
    const n = numbers.add(t, { number: '+861088886666', mode: 'direct', terminals: [{ extension: '1001' }] });
    terminals.addToNumber(n.id, { extension: '1002' });
    expect(() => terminals.addToNumber(n.id, { extension: '1002' })).toThrow(/ext:1002 is already a terminal/);
    expect(() => terminals.addToNumber(n.id, { extension: '7777' })).toThrow(/extension 7777 does not exist/);
    terminals.addToNumber(n.id, { pstn: '13812345678' });
    expect(() => terminals.addToNumber(n.id, { pstn: '13900000000' })).toThrow(/already has 3 terminals/);
    expect(terminals.listForNumber(n.id).map((x) => [x.kind, x.extension ?? x.pstnNumber, x.position])).toEqual([
      ['sip', '1001', 0],
      ['sip', '1002', 1],
      ['pstn', '+8613812345678', 2],
    ]);
    terminals.removeFromNumber(n.id, { extension: '1001' });
    terminals.removeFromNumber(n.id, { pstn: '+8613812345678' });
    expect(() => terminals.removeFromNumber(n.id, { extension: '1002' })).toThrow(/the only terminal of direct-line number/);
    // a device account that goes takes its terminal rows with it
    terminals.addToNumber(n.id, { pstn: '13812345678' });
    extensions.remove(t, '1002');
    expect(terminals.listForNumber(n.id).map((x) => x.pstnNumber)).toEqual(['+8613812345678']);
  });

  it('refuses config-managed owners; parses ext:/pstn: specs', () => {
    env = tempServices(
      'tenants:\n  - name: main\n    default: true\n    extensions:\n      - { number: 1001, password: from-config, pstn_terminals: ["13812345678"] }\n',
    );
    applyConfig(env.services.db, env.config, env.services.audit);
    const { terminals, tenants } = env.services;
    const t = tenants.defaultTenant().id;
    expect(terminals.listForExtension(t, '1001').map((x) => x.pstnNumber)).toEqual(['+8613812345678']);
    expect(() => terminals.addToExtension(t, '1001', '13900000000')).toThrow(ConfigManagedError);
    expect(() => terminals.removeFromExtension(t, '1001', '13812345678')).toThrow(ConfigManagedError);
    expect(parseTerminalSpec('ext:1001')).toEqual({ extension: '1001' });
    expect(parseTerminalSpec('PSTN:+8613812345678')).toEqual({ pstn: '+8613812345678' });
    expect(() => parseTerminalSpec('1001')).toThrow(/must be ext:<extension> or pstn:<number>/);
  });
});
