// The Outbox service over a real SQLite database: enqueue in the caller's transaction, dedupe,
// the throttle query, listing, get and retry.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError, InvalidError, NotFoundError } from '../../src/errors.ts';
import { Outbox } from '../../src/notify/index.ts';
import { tempServices } from '../fixtures.ts';

let env: ReturnType<typeof tempServices>;
let clock: number;
let outbox: Outbox;
let tenant: number;
let other: number;
const T0 = Date.UTC(2026, 2, 1, 8, 0, 0);

beforeEach(() => {
  clock = T0;
  env = tempServices();
  outbox = new Outbox(env.services.db, { now: () => clock, audit: env.services.audit });
  tenant = env.services.tenants.add({ name: 'acme', domain: 'acme.example' }).id;
  other = env.services.tenants.add({ name: 'beta', domain: 'beta.example' }).id;
});
afterEach(() => env.cleanup());

const sms = (over: Partial<Parameters<Outbox['enqueue']>[0]> = {}) => ({ tenantId: tenant, channel: 'sms' as const, purpose: 'hangup-sms' as const, recipient: '13812345678', body: 'Thank you', ...over });

describe('Outbox.enqueue', () => {
  it('inserts a pending message due now and wakes the listeners', () => {
    let woken = 0;
    outbox.onWake(() => woken++);
    const r = outbox.enqueue(sms({ callId: 'c1' }));
    expect(r).toEqual({ id: expect.any(Number) });
    const row = outbox.get((r as { id: number }).id);
    expect(row).toMatchObject({ tenantId: tenant, channel: 'sms', purpose: 'hangup-sms', recipient: '13812345678', body: 'Thank you', format: null, status: 'pending', attempts: 0, nextAttemptAt: T0, createdAt: T0, sentAt: null, callId: 'c1', lastError: null });
    expect(woken).toBe(1);
    const w = outbox.enqueue({ channel: 'webhook', purpose: 'voicemail', recipient: 'https://example.com/hook', body: '{"a":1}' });
    expect(outbox.get((w as { id: number }).id)).toMatchObject({ tenantId: null, format: 'json' });
  });

  it('a dedupe key seen before inserts nothing; messages without a key never collide', () => {
    expect(outbox.enqueue(sms({ dedupeKey: 'hangup-sms:c1' }))).toHaveProperty('id');
    expect(outbox.enqueue(sms({ dedupeKey: 'hangup-sms:c1', body: 'other' }))).toEqual({ duplicate: true });
    outbox.enqueue(sms());
    outbox.enqueue(sms());
    expect(outbox.list().length).toBe(3);
  });

  it("commits and rolls back with the caller's transaction", () => {
    const s = env.services.db.sqlite;
    expect(() =>
      s.transaction(() => {
        outbox.enqueue(sms({ dedupeKey: 'k' }));
        throw new Error('the caller failed');
      })(),
    ).toThrow('the caller failed');
    expect(outbox.list()).toEqual([]);
    s.transaction(() => outbox.enqueue(sms({ dedupeKey: 'k' })))();
    expect(outbox.list().length).toBe(1);
  });

  it('refuses malformed messages', () => {
    expect(() => outbox.enqueue(sms({ recipient: ' ' }))).toThrow(InvalidError);
    expect(() => outbox.enqueue(sms({ body: '' }))).toThrow(InvalidError);
    expect(() => outbox.enqueue(sms({ format: 'json' }))).toThrow('an SMS has no format');
    expect(() => outbox.enqueue({ channel: 'webhook', purpose: 'voicemail', recipient: 'ftp://x', body: 'x' })).toThrow(/http\(s\) URL/);
    expect(() => outbox.enqueue({ channel: 'webhook', purpose: 'voicemail', recipient: 'http://x', body: 'x', format: 'slack' as 'json' })).toThrow(/webhook format must be one of json, wecom, dingtalk, feishu/);
    expect(() => outbox.enqueue(sms({ purpose: 'spam' as 'test' }))).toThrow(/outbox purpose must be one of/);
  });
});

describe('Outbox.sentRecently (the hang-up SMS throttle)', () => {
  it('sees pending, sending and sent messages of the tenant, purpose and recipient within the window; not dead ones', () => {
    const period = 24 * 3_600_000;
    expect(outbox.sentRecently(tenant, 'hangup-sms', '13812345678', period)).toBe(false);
    const { id } = outbox.enqueue(sms()) as { id: number };
    expect(outbox.sentRecently(tenant, 'hangup-sms', '13812345678', period)).toBe(true);
    expect(outbox.sentRecently(other, 'hangup-sms', '13812345678', period)).toBe(false);
    expect(outbox.sentRecently(tenant, 'missed-call', '13812345678', period)).toBe(false);
    expect(outbox.sentRecently(tenant, 'hangup-sms', '13900000000', period)).toBe(false);
    clock = T0 + period;
    expect(outbox.sentRecently(tenant, 'hangup-sms', '13812345678', period)).toBe(true);
    clock = T0 + period + 1;
    expect(outbox.sentRecently(tenant, 'hangup-sms', '13812345678', period)).toBe(false);
    clock = T0;
    env.services.db.sqlite.prepare("UPDATE outbox SET status = 'dead' WHERE id = ?").run(id);
    expect(outbox.sentRecently(tenant, 'hangup-sms', '13812345678', period)).toBe(false);
    env.services.db.sqlite.prepare("UPDATE outbox SET status = 'sent' WHERE id = ?").run(id);
    expect(outbox.sentRecently(tenant, 'hangup-sms', '13812345678', period)).toBe(true);
  });
});

describe('Outbox.list, get, retry', () => {
  it('lists newest first with filters, a limit and pages', () => {
    const ids = [
      outbox.enqueue(sms()),
      outbox.enqueue(sms({ tenantId: other, purpose: 'missed-call' })),
      outbox.enqueue({ tenantId: tenant, channel: 'webhook', purpose: 'voicemail', recipient: 'http://127.0.0.1:9/hook', body: '{}' }),
    ].map((r) => (r as { id: number }).id);
    env.services.db.sqlite.prepare("UPDATE outbox SET status = 'dead' WHERE id = ?").run(ids[0]);
    expect(outbox.list().map((m) => m.id)).toEqual([...ids].reverse());
    expect(outbox.list({ tenantId: tenant }).map((m) => m.id)).toEqual([ids[2], ids[0]]);
    expect(outbox.list({ status: 'dead' }).map((m) => m.id)).toEqual([ids[0]]);
    expect(outbox.list({ purpose: 'missed-call' }).map((m) => m.id)).toEqual([ids[1]]);
    expect(outbox.list({ channel: 'webhook' }).map((m) => m.id)).toEqual([ids[2]]);
    expect(outbox.list({ limit: 1 }).map((m) => m.id)).toEqual([ids[2]]);
    expect(outbox.list({ limit: 1, beforeId: ids[2] }).map((m) => m.id)).toEqual([ids[1]]);
    expect(() => outbox.list({ status: 'lost' as 'dead' })).toThrow(/status must be one of pending, sending, sent, dead/);
    expect(outbox.counts()).toEqual({ pending: 2, sending: 0, sent: 0, dead: 1 });
    expect(outbox.counts(other)).toEqual({ pending: 1, sending: 0, sent: 0, dead: 0 });
  });

  it("get: a missing message, or another tenant's, is NotFound", () => {
    const { id } = outbox.enqueue(sms()) as { id: number };
    expect(() => outbox.get(id + 1)).toThrow(NotFoundError);
    expect(() => outbox.get(id, other)).toThrow(`outbox message ${id} does not exist`);
    expect(outbox.get(id, tenant).id).toBe(id);
  });

  it('retry: a dead message is pending again, due now, with its attempts back; sent and sending ones are refused', () => {
    const { id } = outbox.enqueue(sms()) as { id: number };
    env.services.db.sqlite.prepare("UPDATE outbox SET status = 'dead', attempts = 8, next_attempt_at = 0, last_error = 'boom' WHERE id = ?").run(id);
    let woken = 0;
    outbox.onWake(() => woken++);
    clock = T0 + 3_600_000;
    expect(outbox.retry(id, { actor: 'cli:test' })).toMatchObject({ status: 'pending', attempts: 0, nextAttemptAt: clock, lastError: 'boom' });
    expect(woken).toBe(1);
    expect(env.services.audit.list({ limit: 1 })[0]).toMatchObject({ actor: 'cli:test', action: 'outbox.retry', target: `outbox:${id}`, tenantId: tenant });
    // pending with attempts left: due now, attempts kept
    env.services.db.sqlite.prepare("UPDATE outbox SET attempts = 2, next_attempt_at = ? WHERE id = ?").run(clock + 60_000, id);
    expect(outbox.retry(id)).toMatchObject({ status: 'pending', attempts: 2, nextAttemptAt: clock });
    expect(() => outbox.retry(id, { tenantId: other })).toThrow(NotFoundError);
    env.services.db.sqlite.prepare("UPDATE outbox SET status = 'sending' WHERE id = ?").run(id);
    expect(() => outbox.retry(id)).toThrow(ConflictError);
    env.services.db.sqlite.prepare("UPDATE outbox SET status = 'sent' WHERE id = ?").run(id);
    expect(() => outbox.retry(id)).toThrow(`outbox message ${id} was already sent; nothing to retry`);
  });
});
