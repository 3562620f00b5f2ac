import { describe, expect, it } from 'vitest';
import { NatKeepalive } from '../../../src/sip/registrar/keepalive.ts';
import { LocationService } from '../../../src/sip/registrar/location.ts';
import type { Binding } from '../../../src/sip/registrar/ports.ts';
import type { Peer, SipRequest, SipResponse } from '../../../src/sip/message.ts';
import type { OutgoingRequestOptions, SipStackApi } from '../../../src/sip/stack-api.ts';
import { Clock, MemoryBindingStore } from '../../support/registrar-fakes.ts';
import { log } from './harness.ts';

type Answer = number | 'throw' | ((req: SipRequest) => number);

class FakeStack implements Pick<SipStackApi, 'request' | 'localAddress'> {
  readonly sent: Array<{ req: Omit<SipRequest, 'version'>; target: Peer }> = [];
  answers = new Map<string, Answer>(); // by target address
  async request(req: Omit<SipRequest, 'version'>, options: OutgoingRequestOptions): Promise<SipResponse> {
    this.sent.push({ req, target: options.target });
    const a = this.answers.get(options.target.address) ?? 408;
    if (a === 'throw') throw new Error('transport gone');
    const status = typeof a === 'function' ? a(req as SipRequest) : a;
    return { status, reason: '', version: '2.0', headers: req.headers, content: '' };
  }
  localAddress(): { address: string; port: number } {
    return { address: '198.51.100.1', port: 5060 };
  }
}

function natted(clock: Clock, n: number, over: Partial<Binding> = {}): Binding {
  return {
    tenantId: 1, extensionId: 100 + n, user: String(100 + n), contact: `sip:${100 + n}@192.168.1.${n}:5060`, callId: `c${n}`, cseq: 1,
    expiresAt: clock.t + 3_600_000, registeredAt: clock.t, source: { transport: 'udp', address: `203.0.113.${n}`, port: 40_000 + n }, natted: true,
    ...over,
  };
}

function setup() {
  const clock = new Clock();
  const store = new MemoryBindingStore();
  const location = new LocationService({ store, now: clock.now, log });
  const stack = new FakeStack();
  const keepalive = new NatKeepalive({ stack, location, now: clock.now, log, intervalMs: 1000, tickMs: 100 });
  return { clock, store, location, stack, keepalive };
}

describe('NatKeepalive', () => {
  it('sends OPTIONS for the contact to the address the phone registered from', async () => {
    const { location, stack, keepalive, clock } = setup();
    location.save(natted(clock, 1));
    location.save(natted(clock, 2, { natted: false }));
    stack.answers.set('203.0.113.1', 200);
    await keepalive.pingAll();
    expect(stack.sent).toHaveLength(1);
    const { req, target } = stack.sent[0];
    expect(req.method).toBe('OPTIONS');
    expect(req.uri).toBe('sip:101@192.168.1.1:5060');
    expect(req.headers.cseq).toEqual({ seq: 1, method: 'OPTIONS' });
    expect(target).toEqual({ transport: 'udp', address: '203.0.113.1', port: 40_001 });
  });

  it('drops a binding after 3 consecutive failures and keeps one that answers (even 404)', async () => {
    const { location, stack, keepalive, clock, store } = setup();
    location.save(natted(clock, 1));
    location.save(natted(clock, 2));
    location.save(natted(clock, 3));
    stack.answers.set('203.0.113.1', 404);
    stack.answers.set('203.0.113.2', 408);
    stack.answers.set('203.0.113.3', 'throw');
    await keepalive.pingAll();
    await keepalive.pingAll();
    expect(location.size).toBe(3);
    await keepalive.pingAll();
    expect(location.all().map((b) => b.user)).toEqual(['101']);
    expect([...store.rows.values()].map((b) => b.user)).toEqual(['101']);
  });

  it('counts consecutive failures only: an answer in between resets the count', async () => {
    const { location, stack, keepalive, clock } = setup();
    location.save(natted(clock, 1));
    const script = [408, 408, 200, 408, 408];
    let i = 0;
    stack.answers.set('203.0.113.1', () => script[i++]);
    for (let k = 0; k < script.length; k++) await keepalive.pingAll();
    expect(location.size).toBe(1);
  });

  it('does not drop a binding that re-registered while its ping was out', async () => {
    const { location, stack, keepalive, clock } = setup();
    location.save(natted(clock, 1));
    await keepalive.pingAll();
    await keepalive.pingAll();
    stack.answers.set('203.0.113.1', () => {
      clock.advance(10);
      location.save(natted(clock, 1, { cseq: 2 }));
      return 408;
    });
    await keepalive.pingAll();
    expect(location.size).toBe(1);
  });

  it('spreads a round of pings over the interval', () => {
    const { location, stack, keepalive, clock } = setup();
    for (let n = 1; n <= 30; n++) location.save(natted(clock, n));
    keepalive.tick();
    expect(stack.sent).toHaveLength(3); // 30 pings over 10 ticks
    for (let t = 0; t < 9; t++) {
      clock.advance(100);
      keepalive.tick();
    }
    expect(stack.sent).toHaveLength(30);
    clock.advance(50);
    keepalive.tick(); // round not due yet
    expect(stack.sent).toHaveLength(30);
    clock.advance(50);
    keepalive.tick();
    expect(stack.sent).toHaveLength(33);
  });
});
