// The outbox worker over a real database: delivery, back-off with an injected clock, dead after
// max attempts, retry, restart with a `sending` row, the loop woken by enqueue, the bound on
// attempts in flight, timeouts, and one log line per failure.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Outbox, OutboxWorker, WebhookProvider, startOutbox, type OutboxItem, type OutboxProvider } from '../../src/notify/index.ts';
import { tempServices } from '../fixtures.ts';
import { captureLog, startReceiver, until, type Receiver } from './receiver.ts';

let env: ReturnType<typeof tempServices>;
let clock: number;
let outbox: Outbox;
let worker: OutboxWorker | undefined;
let receiver: Receiver | undefined;
const T0 = Date.UTC(2026, 2, 1, 8, 0, 0);

/** A provider the test steers: records each attempt, fails while `failing` is set. */
function scripted() {
  const calls: OutboxItem[] = [];
  const p = {
    calls,
    failing: undefined as string | undefined,
    async send(row: OutboxItem) {
      calls.push(row);
      if (p.failing) throw new Error(p.failing);
    },
  };
  return p;
}

beforeEach(() => {
  clock = T0;
  env = tempServices();
  outbox = new Outbox(env.services.db, { now: () => clock });
});
afterEach(async () => {
  await worker?.stop();
  worker = undefined;
  await receiver?.close();
  receiver = undefined;
  env.cleanup();
});

function makeWorker(providers: { sms?: OutboxProvider; webhook?: OutboxProvider }, over: Partial<ConstructorParameters<typeof OutboxWorker>[0]> = {}) {
  const cap = captureLog();
  worker = new OutboxWorker({
    db: env.services.db,
    providers: { sms: providers.sms ?? scripted(), webhook: providers.webhook ?? new WebhookProvider() },
    log: cap.log,
    maxAttempts: 4,
    retryBaseS: 30,
    retryMaxS: 100,
    timeoutMs: 2000,
    now: () => clock,
    random: () => 0,
    ...over,
  });
  return { worker, lines: cap.lines };
}

const enqueueSms = (over: Partial<Parameters<Outbox['enqueue']>[0]> = {}) => (outbox.enqueue({ channel: 'sms', purpose: 'missed-call', recipient: '13800000000', body: 'missed call', ...over }) as { id: number }).id;

describe('OutboxWorker', () => {
  it('delivers a due message once and marks it sent', async () => {
    const sms = scripted();
    const { worker: w } = makeWorker({ sms });
    const id = enqueueSms();
    expect(await w.runOnce()).toBe(1);
    expect(sms.calls.map((r) => [r.id, r.recipient, r.body, r.status, r.attempts])).toEqual([[id, '13800000000', 'missed call', 'sending', 1]]);
    expect(outbox.get(id)).toMatchObject({ status: 'sent', attempts: 1, sentAt: T0, lastError: null });
    expect(await w.runOnce()).toBe(0);
    expect(sms.calls.length).toBe(1);
  });

  it('retries with doubling back-off up to retry_max_s, then dead after max_attempts; retry revives it', async () => {
    const sms = scripted();
    sms.failing = 'gateway down';
    const { worker: w, lines } = makeWorker({ sms });
    const id = enqueueSms();
    const expected = [30_000, 60_000, 100_000]; // 30, 60, then capped at 100 (not 120)
    for (const [i, wait] of expected.entries()) {
      expect(await w.runOnce()).toBe(1);
      expect(outbox.get(id)).toMatchObject({ status: 'pending', attempts: i + 1, nextAttemptAt: clock + wait, lastError: 'gateway down' });
      clock += wait - 1;
      expect(await w.runOnce()).toBe(0); // not yet due
      clock += 1;
    }
    expect(await w.runOnce()).toBe(1); // attempt 4 of 4
    expect(outbox.get(id)).toMatchObject({ status: 'dead', attempts: 4, lastError: 'gateway down' });
    clock += 10_000_000;
    expect(await w.runOnce()).toBe(0);
    // one log line per failed attempt: three warnings, then the dead one
    const failures = lines.filter((l) => l.outboxId === id && (l.level === 40 || l.level === 50));
    expect(failures.map((l) => l.level)).toEqual([40, 40, 40, 50]);
    expect(failures[0]).toMatchObject({ err: 'gateway down', attempt: 1, retryInS: 30 });

    outbox.retry(id);
    sms.failing = undefined;
    expect(await w.runOnce()).toBe(1);
    expect(outbox.get(id)).toMatchObject({ status: 'sent', attempts: 1 });
    expect(sms.calls.length).toBe(5);
  });

  it('adds a small jitter (up to 10 % of the back-off)', async () => {
    const sms = scripted();
    sms.failing = 'x';
    const { worker: w } = makeWorker({ sms }, { random: () => 0.5 });
    const id = enqueueSms();
    await w.runOnce();
    expect(outbox.get(id).nextAttemptAt).toBe(T0 + 30_000 + 1_500);
    expect(w.backoffMs(1)).toBe(30_000);
    expect(w.backoffMs(3)).toBe(100_000);
  });

  it('on start, a row a killed process left `sending` goes back to pending and is delivered', async () => {
    const sms = scripted();
    const id = enqueueSms();
    env.services.db.sqlite.prepare("UPDATE outbox SET status = 'sending', attempts = 1, next_attempt_at = ? WHERE id = ?").run(T0 + 999_999, id);
    const { worker: w, lines } = makeWorker({ sms }, { now: Date.now, pollIntervalMs: 50 });
    w.start();
    await until(() => outbox.get(id).status === 'sent', 5000, 'the recovered message sent');
    expect(sms.calls.length).toBe(1);
    expect(outbox.get(id).attempts).toBe(2);
    expect(lines.some((l) => l.recovered === 1)).toBe(true);
  });

  it('the running loop is woken by enqueue (no waiting for the poll) and by retry', async () => {
    const sms = scripted();
    const { worker: w } = makeWorker({ sms }, { now: Date.now, outbox, pollIntervalMs: 60_000 });
    clock = Date.now();
    w.start();
    await new Promise((r) => setTimeout(r, 20));
    const id = enqueueSms();
    await until(() => outbox.get(id).status === 'sent', 2000, 'the woken worker to send');
    env.services.db.sqlite.prepare("UPDATE outbox SET status = 'dead' WHERE id = ?").run(id);
    outbox.retry(id);
    await until(() => sms.calls.length === 2 && outbox.get(id).status === 'sent', 2000, 'the retried message sent');
  });

  it('keeps at most `concurrency` attempts in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const release: Array<() => void> = [];
    const slow: OutboxProvider = {
      send: () =>
        new Promise<void>((resolve) => {
          inFlight++;
          most = Math.max(most, inFlight);
          release.push(() => {
            inFlight--;
            resolve();
          });
        }),
    };
    const { worker: w } = makeWorker({ sms: slow }, { now: Date.now, concurrency: 3, outbox, pollIntervalMs: 20 });
    for (let i = 0; i < 10; i++) enqueueSms({ recipient: `1380000000${i}` });
    w.start();
    await until(() => release.length === 3, 2000, 'three in flight');
    await new Promise((r) => setTimeout(r, 100));
    expect(w.busy).toBe(3);
    expect(outbox.counts()).toMatchObject({ sending: 3, pending: 7 });
    while (outbox.counts().sent < 10) {
      release.shift()?.();
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(most).toBe(3);
  });

  it('an attempt that does not end within timeout_ms fails; a provider that throws at once fails; neither escapes', async () => {
    const hanging: OutboxProvider = { send: () => new Promise<void>(() => {}) };
    const { worker: w } = makeWorker({ sms: hanging }, { timeoutMs: 100 });
    const id = enqueueSms();
    await w.runOnce();
    expect(outbox.get(id)).toMatchObject({ status: 'pending', lastError: 'no answer within 100 ms' });
    const throwing: OutboxProvider = {
      send: () => {
        throw new TypeError('synchronous bug');
      },
    };
    const { worker: w2 } = makeWorker({ sms: throwing });
    clock += 60_000;
    await w2.runOnce();
    expect(outbox.get(id)).toMatchObject({ status: 'pending', attempts: 2, lastError: 'synchronous bug' });
  });

  it('a loop that cannot read the database logs it once and keeps running', async () => {
    const { worker: w, lines } = makeWorker({}, { now: Date.now, pollIntervalMs: 10 });
    w.start();
    env.services.db.sqlite.exec('ALTER TABLE outbox RENAME TO outbox_moved');
    await new Promise((r) => setTimeout(r, 100));
    expect(lines.filter((l) => l.level === 50).length).toBe(1);
    env.services.db.sqlite.exec('ALTER TABLE outbox_moved RENAME TO outbox');
    const id = enqueueSms();
    clock = Date.now();
    await until(() => outbox.get(id).status === 'sent', 2000, 'delivery after the database came back');
  });

  it('stop() waits for the attempts in flight', async () => {
    receiver = await startReceiver();
    receiver.reply = () => ({ delayMs: 150 });
    const { worker: w } = makeWorker({}, { now: Date.now, outbox });
    w.start();
    const id = (outbox.enqueue({ channel: 'webhook', purpose: 'voicemail', recipient: `${receiver.url}/hook`, body: '{"event":"voicemail"}' }) as { id: number }).id;
    await receiver.waitFor(1);
    await w.stop();
    expect(outbox.get(id).status).toBe('sent');
  });
});

describe('startOutbox', () => {
  it('builds the outbox and a started worker from notify.*; enqueue is delivered through the webhook provider', async () => {
    receiver = await startReceiver();
    const cfg = { ...env.config, notify: { ...env.config.notify, max_attempts: 2, retry_base_s: 1, timeout_ms: 1000 } };
    const cap = captureLog();
    const started = startOutbox({ db: env.services.db, config: cfg, log: cap.log });
    worker = started.worker;
    expect(started.worker.maxAttempts).toBe(2);
    expect(started.worker.timeoutMs).toBe(1000);
    const { id } = started.outbox.enqueue({ channel: 'webhook', purpose: 'test', recipient: `${receiver.url}/x`, body: '{"event":"test"}' }) as { id: number };
    await receiver.waitFor(1);
    await until(() => started.outbox.get(id).status === 'sent', 2000, 'sent');
    // the embedded default SMS provider writes to the log
    const { id: smsId } = started.outbox.enqueue({ channel: 'sms', purpose: 'test', recipient: '13800000000', body: 'hello' }) as { id: number };
    await until(() => started.outbox.get(smsId).status === 'sent', 2000, 'sms logged');
    expect(cap.lines.find((l) => l.outboxId === smsId && l.body === 'hello')).toMatchObject({ component: 'outbox', to: '13800000000', channel: 'sms' });
  });
});
