import { afterEach, describe, expect, it } from 'vitest';
import { tempServices } from '../fixtures.ts';

let env: ReturnType<typeof tempServices>;
afterEach(() => env?.cleanup());

describe('SqliteBlockStore and BlockAdmin', () => {
  it('round-trips, lists active blocks, clears one or all', () => {
    let now = 5_000_000;
    env = tempServices('', () => now);
    const { blockStore, blocks, audit } = env.services;
    const a = { address: '198.51.100.7', blockedAt: now, until: now + 900_000, failures: 10, reason: 'auth failures' };
    blockStore.upsert(a);
    blockStore.upsert({ ...a, address: '198.51.100.8', until: now + 1000 });
    expect(blockStore.loadAll()).toHaveLength(2);
    blockStore.upsert({ ...a, failures: 12 });
    expect(blockStore.loadAll().find((b) => b.address === a.address)?.failures).toBe(12);
    now += 2000;
    expect(blocks.list().map((b) => b.address)).toEqual(['198.51.100.7']);
    expect(blocks.clear('198.51.100.7', 'cli:test')).toBe(1);
    expect(blocks.clear('198.51.100.7')).toBe(0);
    expect(blocks.clear()).toBe(1);
    expect(blockStore.loadAll()).toEqual([]);
    expect(audit.list()[0]).toMatchObject({ action: 'block.clear', target: '*' });
  });
});
