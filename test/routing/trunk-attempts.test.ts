// CallRouting.trunkAttempts over a real trunk directory: a trunk's concurrent-call limit holds
// when call set-ups overlap while the trunk's host name is being resolved.
import { afterEach, describe, expect, it } from 'vitest';
import { applyConfig } from '../../src/config/index.ts';
import { createLogger } from '../../src/log.ts';
import { CallRouting } from '../../src/routing/call-routing.ts';
import { normalizeNumber } from '../../src/routing/numbers/normalize-number.ts';
import type { NormalizedNumber } from '../../src/routing/numbers/normalized-number.ts';
import { TenantSettingsLookup } from '../../src/tenancy/tenant-settings-lookup.ts';
import { TrunkDirectory } from '../../src/trunks/trunk-directory.ts';
import { tempServices } from '../fixtures.ts';

let env: ReturnType<typeof tempServices> | undefined;
afterEach(() => env?.cleanup());

const YAML = `
trunks:
  - { name: by-name, kind: carrier, host: localhost, port: 5070, max_calls: 1, priority: 1 }
tenants:
  - name: main
    default: true
`;

describe('trunkAttempts', () => {
  it('never counts more calls on a trunk than max_calls, also when two set-ups overlap', async () => {
    env = tempServices(YAML);
    applyConfig(env.services.db, env.config, env.services.audit);
    const log = createLogger('silent');
    const trunks = new TrunkDirectory(env.services.db, log);
    const routing = new CallRouting({
      extensions: {} as never,
      rules: {} as never,
      numbers: {} as never,
      location: {} as never,
      settings: new TenantSettingsLookup(env.services.db),
      trunks,
      activeCallsOf: () => 0,
      trunkUsable: () => true,
      callWaiting: false,
      log,
      now: Date.now,
    });
    const tenantId = env.services.tenants.resolve('main').id;
    const called = normalizeNumber('13700000001') as NormalizedNumber;
    // both start before the name "localhost" is resolved: both see the trunk free
    const [first, second] = await Promise.all([
      routing.trunkAttempts(tenantId, called, { presented: undefined }),
      routing.trunkAttempts(tenantId, called, { presented: undefined }),
    ]);
    // whichever resolved first has the trunk; the other finds it full
    const holders = [first, second].filter((attempts) => attempts.length > 0);
    expect(holders).toHaveLength(1);
    const [held] = holders[0]!;
    expect(held!.trunk.name).toBe('by-name');
    expect(trunks.activeCalls(held!.trunk.id)).toBe(1);
    held!.release();
    expect((await routing.trunkAttempts(tenantId, called, { presented: undefined })).map((a) => a.trunk.name)).toEqual(['by-name']);
  });
});
