import { afterEach, describe, expect, it } from 'vitest';
import { tempServices } from '../fixtures.ts';
import type { Binding } from '../../src/sip/registrar/ports.ts';

let env: ReturnType<typeof tempServices>;
afterEach(() => env?.cleanup());

describe('SqliteBindingStore', () => {
  it('round-trips bindings, upserts on (extension, contact), lists live ones, removes', () => {
    let now = 1_000_000;
    env = tempServices('', () => now);
    const { extensions, tenants, bindings } = env.services;
    const t = tenants.defaultTenant().id;
    const ext = extensions.add(t, { number: '1001' }).extension;
    const b: Binding = {
      tenantId: t,
      extensionId: ext.id,
      user: '1001',
      contact: 'sip:1001@10.0.0.5:5062;transport=udp',
      callId: 'abc@10.0.0.5',
      cseq: 1,
      expiresAt: now + 3600_000,
      registeredAt: now,
      source: { transport: 'udp', address: '203.0.113.9', port: 40000 },
      natted: true,
      userAgent: 'Yealink T46U',
    };
    bindings.upsert(b);
    expect(bindings.loadAll()).toEqual([b]);
    bindings.upsert({ ...b, cseq: 2, expiresAt: now + 60_000 });
    expect(bindings.loadAll()).toEqual([{ ...b, cseq: 2, expiresAt: now + 60_000 }]);
    const { userAgent: _ua, ...noUa } = b;
    bindings.upsert({ ...noUa, contact: 'sip:1001@10.0.0.6' });
    expect(bindings.listLive(t)).toHaveLength(2);
    expect(bindings.listLive()[0]!.tenantName).toBe('default');
    now += 120_000;
    expect(bindings.listLive().map((r) => r.contact)).toEqual(['sip:1001@10.0.0.6']);
    bindings.remove(ext.id, 'sip:1001@10.0.0.6');
    expect(bindings.loadAll()).toHaveLength(1);
    expect(bindings.purgeExpired()).toBe(1);
    // removing the extension removes its bindings
    bindings.upsert({ ...b, expiresAt: now + 3600_000 });
    extensions.remove(t, '1001');
    expect(bindings.loadAll()).toEqual([]);
  });
});
