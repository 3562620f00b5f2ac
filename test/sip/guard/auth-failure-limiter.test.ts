import { describe, expect, it } from 'vitest';
import { AuthFailureLimiter } from '../../../src/sip/guard/auth-failure-limiter.ts';
import { createLogger } from '../../../src/log.ts';
import { Clock, MemoryBlockStore } from '../../support/registrar-fakes.ts';

const log = createLogger('silent');

function setup(opts: Partial<ConstructorParameters<typeof AuthFailureLimiter>[0]> = {}) {
  const clock = new Clock();
  const store = new MemoryBlockStore();
  const limiter = new AuthFailureLimiter({ store, now: clock.now, log, ...opts });
  return { clock, store, limiter };
}

describe('AuthFailureLimiter', () => {
  it('blocks a source on its 10th failure within 60 s, and persists the block', () => {
    const { limiter, store } = setup();
    for (let i = 0; i < 9; i++) expect(limiter.recordFailure('203.0.113.7')).toBe(false);
    expect(limiter.isBlocked('203.0.113.7')).toBe(false);
    expect(limiter.recordFailure('203.0.113.7')).toBe(true);
    expect(limiter.isBlocked('203.0.113.7')).toBe(true);
    expect(limiter.isBlocked('203.0.113.8')).toBe(false);
    expect(store.rows.get('203.0.113.7')).toMatchObject({ address: '203.0.113.7', failures: 10 });
    expect(limiter.list().map((b) => b.address)).toEqual(['203.0.113.7']);
  });

  it('uses a sliding window: failures spread over more than 60 s do not block', () => {
    const { limiter, clock } = setup();
    for (let i = 0; i < 30; i++) {
      limiter.recordFailure('203.0.113.7');
      clock.advance(7_000); // ≤ 9 failures in any 60 s
    }
    expect(limiter.isBlocked('203.0.113.7')).toBe(false);
  });

  it('lifts the block after 15 minutes and removes it from the store', () => {
    const { limiter, clock, store } = setup();
    for (let i = 0; i < 10; i++) limiter.recordFailure('203.0.113.7');
    clock.advance(15 * 60_000 - 1);
    expect(limiter.isBlocked('203.0.113.7')).toBe(true);
    clock.advance(1);
    expect(limiter.isBlocked('203.0.113.7')).toBe(false);
    expect(store.rows.size).toBe(0);
    // a fresh start: one more failure does not block again
    expect(limiter.recordFailure('203.0.113.7')).toBe(false);
  });

  it('clear() lifts a block; reload() picks up blocks cleared or added by another process', () => {
    const { limiter, store, clock } = setup();
    for (let i = 0; i < 10; i++) limiter.recordFailure('203.0.113.7');
    expect(limiter.clear('203.0.113.7')).toBe(true);
    expect(limiter.isBlocked('203.0.113.7')).toBe(false);
    expect(limiter.clear('203.0.113.7')).toBe(false);

    for (let i = 0; i < 10; i++) limiter.recordFailure('198.51.100.1');
    store.remove('198.51.100.1'); // the CLI cleared it
    store.upsert({ address: '198.51.100.2', blockedAt: clock.t, until: clock.t + 60_000, failures: 0, reason: 'cli' });
    limiter.reload();
    expect(limiter.isBlocked('198.51.100.1')).toBe(false);
    expect(limiter.isBlocked('198.51.100.2')).toBe(true);
  });

  it('restores blocks from the store at start, skipping expired ones', () => {
    const store = new MemoryBlockStore();
    const clock = new Clock();
    store.upsert({ address: '198.51.100.3', blockedAt: clock.t - 1000, until: clock.t + 1000, failures: 10, reason: 'x' });
    store.upsert({ address: '198.51.100.4', blockedAt: clock.t - 2000, until: clock.t - 1, failures: 10, reason: 'x' });
    const limiter = new AuthFailureLimiter({ store, now: clock.now, log });
    expect(limiter.isBlocked('198.51.100.3')).toBe(true);
    expect(limiter.isBlocked('198.51.100.4')).toBe(false);
    expect(store.rows.has('198.51.100.4')).toBe(false);
  });

  it('treats IPv4-mapped IPv6 as the same source', () => {
    const { limiter } = setup();
    for (let i = 0; i < 10; i++) limiter.recordFailure('::ffff:203.0.113.9');
    expect(limiter.isBlocked('203.0.113.9')).toBe(true);
  });

  it('never blocks exempt addresses', () => {
    const { limiter } = setup({ exempt: ['192.0.2.1'] });
    for (let i = 0; i < 50; i++) limiter.recordFailure('192.0.2.1');
    expect(limiter.isBlocked('192.0.2.1')).toBe(false);
  });

  it('keeps memory bounded under a flood of distinct sources', () => {
    const { limiter } = setup({ maxTrackedSources: 1000 });
    for (let i = 0; i < 20_000; i++) limiter.recordFailure(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    expect(limiter.trackedSources).toBeLessThanOrEqual(1000);
  });

  it('honours configured limits', () => {
    const { limiter, clock } = setup({ maxFailures: 3, windowMs: 10_000, blockMs: 5_000 });
    for (let i = 0; i < 3; i++) limiter.recordFailure('203.0.113.7');
    expect(limiter.isBlocked('203.0.113.7')).toBe(true);
    clock.advance(5_000);
    expect(limiter.isBlocked('203.0.113.7')).toBe(false);
  });
});
