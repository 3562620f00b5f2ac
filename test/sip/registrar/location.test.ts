import { describe, expect, it } from 'vitest';
import { contactKey, LocationService, type LocationEvent } from '../../../src/sip/registrar/location.ts';
import type { Binding } from '../../../src/sip/registrar/ports.ts';
import { registry } from '../../../src/metrics.ts';
import { Clock, MemoryBindingStore } from '../../support/registrar-fakes.ts';
import { log } from './harness.ts';

function binding(clock: Clock, over: Partial<Binding> = {}): Binding {
  return {
    tenantId: 1, extensionId: 100, user: '100', contact: 'sip:100@192.0.2.10:5060', callId: 'c1', cseq: 1,
    expiresAt: clock.t + 60_000, registeredAt: clock.t, source: { transport: 'udp', address: '192.0.2.10', port: 5060 }, natted: false,
    ...over,
  };
}

async function gauge(): Promise<number> {
  const m = await registry.getSingleMetric('pbx_registrations')!.get();
  return m.values[0]?.value ?? 0;
}

describe('LocationService', () => {
  it('expires bindings on time: hidden at once, removed from memory and store by the sweep', async () => {
    const clock = new Clock();
    const store = new MemoryBindingStore();
    const loc = new LocationService({ store, now: clock.now, log });
    const events: LocationEvent[] = [];
    loc.onChange((e) => events.push(e));
    loc.save(binding(clock));
    loc.save(binding(clock, { extensionId: 101, user: '101', contact: 'sip:101@192.0.2.11', expiresAt: clock.t + 120_000 }));
    expect(await gauge()).toBe(2);
    clock.advance(59_999);
    expect(loc.contactsOf(100)).toHaveLength(1);
    clock.advance(1);
    expect(loc.contactsOf(100)).toEqual([]);
    expect(loc.sweep()).toBe(1);
    expect(store.rows.size).toBe(1);
    expect(loc.size).toBe(1);
    expect(await gauge()).toBe(1);
    expect(events.map((e) => e.change)).toEqual(['registered', 'registered', 'expired']);
  });

  it('restores bindings from the store after a restart, dropping expired ones', () => {
    const clock = new Clock();
    const store = new MemoryBindingStore();
    const before = new LocationService({ store, now: clock.now, log });
    before.save(binding(clock, { expiresAt: clock.t + 3_600_000, natted: true, source: { transport: 'tcp', address: '203.0.113.5', port: 40_000, connectionId: 7 } }));
    before.save(binding(clock, { extensionId: 102, user: '102', contact: 'sip:102@192.0.2.12', expiresAt: clock.t + 30_000 }));
    clock.advance(60_000);
    const after = new LocationService({ store, now: clock.now, log });
    expect(after.load()).toBe(1);
    expect(after.contactsOf(100)).toMatchObject([{ natted: true, source: { address: '203.0.113.5', port: 40_000 } }]);
    expect(after.contactsOf(102)).toEqual([]);
    expect(store.rows.size).toBe(1);
  });

  it('matches contacts by URI identity, not by text', () => {
    expect(contactKey('sip:100@PC.Example.com:5060;ob')).toBe(contactKey('sip:100@pc.example.com:5060'));
    expect(contactKey('sip:100@pc.example.com:5060;transport=TCP')).not.toBe(contactKey('sip:100@pc.example.com:5060'));
    expect(contactKey('sip:100@pc.example.com:5060')).not.toBe(contactKey('sip:100@pc.example.com:5062'));
    const clock = new Clock();
    const loc = new LocationService({ store: new MemoryBindingStore(), now: clock.now, log });
    loc.save(binding(clock));
    expect(loc.save(binding(clock, { contact: 'sip:100@192.0.2.10:5060;rinstance=x', cseq: 2 }))).toBe('refreshed');
    expect(loc.find(100, 'sip:100@192.0.2.10:5060')?.cseq).toBe(2);
    expect(loc.remove(100, 'sip:100@192.0.2.10:5060', 'unregistered')?.cseq).toBe(2);
    expect(loc.size).toBe(0);
  });
});
