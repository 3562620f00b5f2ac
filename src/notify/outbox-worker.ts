// The outbox worker: delivers due messages with their channel's provider, a bounded number at
// a time. Each attempt marks the row `sending` (attempts + 1) first; then `sent`, or back to
// `pending` with next_attempt_at = now + min(retry_base_s · 2^(attempts − 1), retry_max_s) plus a
// little jitter, or `dead` after max_attempts. Rows a killed process left `sending` go back to
// `pending` on start, so delivery is at least once (webhooks carry Idempotency-Key: outbox-<id>).
// It polls (the CLI's `pbx outbox retry` from another process is seen within poll_interval) and
// is woken at once by Outbox.enqueue/retry. Nothing escapes its loop: failures are logged once.
// One worker per database.
import type { PbxDb } from '../db/open.ts';
import type { Logger } from '../log.ts';
import { toOutboxItem, type Outbox, type OutboxChannel, type OutboxDbRow, type OutboxItem } from './outbox.ts';
import { errorText, type OutboxProvider } from './outbox-provider.ts';

export interface WorkerTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: WorkerTimers = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface OutboxWorkerOptions {
  db: PbxDb;
  providers: Record<OutboxChannel, OutboxProvider>;
  log: Logger;
  /** Attempts before a message is dead (notify.max_attempts). */
  maxAttempts?: number;
  /** Back-off after the first failure, doubling up to retryMaxS (notify.retry_base_s / retry_max_s). */
  retryBaseS?: number;
  retryMaxS?: number;
  /** One attempt may take this long (notify.timeout_ms). */
  timeoutMs?: number;
  /** Attempts in flight at once. */
  concurrency?: number;
  /** How often due rows are looked for without a wake-up. */
  pollIntervalMs?: number;
  now?: () => number;
  /** [0, 1): the jitter added to each back-off (up to 10 % of it, at most 30 s). */
  random?: () => number;
  timers?: WorkerTimers;
  /** Its enqueue and retry wake the worker at once. */
  outbox?: Outbox;
}

export class OutboxWorker {
  private readonly db: PbxDb;
  private readonly providers: Record<OutboxChannel, OutboxProvider>;
  private readonly log: Logger;
  readonly maxAttempts: number;
  readonly retryBaseS: number;
  readonly retryMaxS: number;
  readonly timeoutMs: number;
  readonly concurrency: number;
  private readonly pollIntervalMs: number;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly timers: WorkerTimers;
  private readonly outbox: Outbox | undefined;
  private readonly inFlight = new Map<number, Promise<void>>();
  private timer: unknown;
  private running = false;
  private unsubscribe: (() => void) | undefined;
  private loopFailed = false;

  constructor(opts: OutboxWorkerOptions) {
    this.db = opts.db;
    this.providers = opts.providers;
    this.log = opts.log;
    this.maxAttempts = opts.maxAttempts ?? 8;
    this.retryBaseS = opts.retryBaseS ?? 30;
    this.retryMaxS = opts.retryMaxS ?? 3600;
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.concurrency = Math.max(1, opts.concurrency ?? 8);
    this.pollIntervalMs = opts.pollIntervalMs ?? 1000;
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
    this.timers = opts.timers ?? realTimers;
    this.outbox = opts.outbox;
  }

  /** Rows left `sending` by a killed process go back to `pending` (due now); then the loop runs. */
  start(): void {
    if (this.running) return;
    this.running = true;
    const recovered = this.recover();
    if (recovered > 0) this.log.info({ recovered }, `outbox: ${recovered} message(s) interrupted by a restart will be sent again`);
    this.unsubscribe = this.outbox?.onWake(() => this.wake());
    this.schedule(0);
  }

  /** Stops polling and waits for the attempts in flight (each ends within timeout_ms). Close the database after. */
  async stop(): Promise<void> {
    this.running = false;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    await Promise.allSettled([...this.inFlight.values()]);
  }

  /** Look for due messages now (Outbox.enqueue calls this through onWake). */
  wake(): void {
    if (this.running) this.schedule(0);
  }

  get busy(): number {
    return this.inFlight.size;
  }

  /** `sending` → `pending`, due now; how many. */
  recover(): number {
    return this.db.sqlite.prepare<[number]>("UPDATE outbox SET status = 'pending', next_attempt_at = ? WHERE status = 'sending'").run(this.now()).changes;
  }

  /**
   * Claims the due messages (as many as there are free slots) and delivers them; resolves when
   * those attempts have ended, with how many there were. The loop calls it; tests may too.
   */
  async runOnce(): Promise<number> {
    const started = this.claimDue();
    await Promise.all(started);
    return started.length;
  }

  /** Marks due rows `sending` and starts their attempts (synchronous up to the providers). */
  private claimDue(): Array<Promise<void>> {
    const started: Array<Promise<void>> = [];
    const free = this.concurrency - this.inFlight.size;
    if (free <= 0) return started;
    const s = this.db.sqlite;
    const due = s
      .prepare<[number, number], OutboxDbRow>("SELECT * FROM outbox WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?")
      .all(this.now(), free);
    const claim = s.prepare<[number]>("UPDATE outbox SET status = 'sending', attempts = attempts + 1 WHERE id = ? AND status = 'pending'");
    for (const r of due) {
      if (this.inFlight.has(r.id) || claim.run(r.id).changes === 0) continue;
      const row = toOutboxItem({ ...r, status: 'sending', attempts: r.attempts + 1 });
      const p = this.deliver(row).finally(() => {
        this.inFlight.delete(row.id);
        this.wake(); // a slot is free: more may be due
      });
      this.inFlight.set(row.id, p);
      started.push(p);
    }
    return started;
  }

  /** The back-off after failed attempt number `attempts` (1-based), in ms, without jitter. */
  backoffMs(attempts: number): number {
    return Math.min(this.retryBaseS * 2 ** Math.max(0, attempts - 1), this.retryMaxS) * 1000;
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      this.tick();
    }, ms);
  }

  private tick(): void {
    if (!this.running) return;
    try {
      this.claimDue();
      this.loopFailed = false;
    } catch (e) {
      this.loopError(e);
    }
    this.schedule(this.pollIntervalMs);
  }

  private loopError(e: unknown): void {
    // e.g. the database is busy or closed: say it once until the loop works again
    if (this.loopFailed) return;
    this.loopFailed = true;
    this.log.error({ err: errorText(e) }, 'outbox: cannot read due messages; will keep trying');
  }

  private async deliver(row: OutboxItem): Promise<void> {
    const provider = this.providers[row.channel];
    const signal = AbortSignal.timeout(this.timeoutMs);
    let failure: string | undefined;
    try {
      if (!provider) throw new Error(`no provider for channel ${row.channel}`);
      await Promise.race([
        provider.send(row, signal),
        new Promise<never>((_, reject) => {
          if (signal.aborted) reject(signal.reason);
          signal.addEventListener('abort', () => reject(signal.reason), { once: true });
        }),
      ]);
    } catch (e) {
      failure = signal.aborted ? `no answer within ${this.timeoutMs} ms` : errorText(e);
    }
    try {
      this.record(row, failure);
    } catch (e) {
      this.log.error({ outboxId: row.id, err: errorText(e) }, 'outbox: cannot record the result of a delivery attempt');
    }
  }

  private record(row: OutboxItem, failure: string | undefined): void {
    const now = this.now();
    const s = this.db.sqlite;
    if (failure === undefined) {
      s.prepare<[number, number]>("UPDATE outbox SET status = 'sent', sent_at = ?, last_error = NULL WHERE id = ? AND status = 'sending'").run(now, row.id);
      this.log.debug({ outboxId: row.id, channel: row.channel, purpose: row.purpose, attempts: row.attempts }, 'outbox: sent');
      return;
    }
    const what = { outboxId: row.id, channel: row.channel, purpose: row.purpose, to: row.recipient, attempt: row.attempts, err: failure };
    if (row.attempts >= this.maxAttempts) {
      s.prepare<[string, number]>("UPDATE outbox SET status = 'dead', last_error = ? WHERE id = ? AND status = 'sending'").run(failure, row.id);
      this.log.error(what, `outbox: message ${row.id} is dead after ${row.attempts} attempts (pbx outbox retry ${row.id} sends it again)`);
      return;
    }
    const backoff = this.backoffMs(row.attempts);
    const jitter = Math.floor(this.random() * Math.min(backoff * 0.1, 30_000));
    const next = now + backoff + jitter;
    s.prepare<[number, string, number]>("UPDATE outbox SET status = 'pending', next_attempt_at = ?, last_error = ? WHERE id = ? AND status = 'sending'").run(next, failure, row.id);
    this.log.warn({ ...what, retryInS: Math.round((next - now) / 1000) }, `outbox: delivery of message ${row.id} failed; retrying later`);
  }
}
