// Notifications (R-NOTIFY-1): the durable outbox of SMS and webhooks, its worker and providers,
// and the message templates of tenant settings. The server calls startOutbox() once and
// `await worker.stop()` before closing the database; everything else enqueues through Outbox.
import type { Config } from '../config/schema.ts';
import type { PbxDb } from '../db/open.ts';
import type { Logger } from '../log.ts';
import { Outbox } from './outbox.ts';
import { OutboxWorker, type WorkerTimers } from './outbox-worker.ts';
import { LogProvider } from './log-provider.ts';
import { HttpSmsProvider } from './http-sms-provider.ts';
import { WebhookProvider } from './webhook-provider.ts';
import type { OutboxProvider } from './outbox-provider.ts';

export * from './outbox.ts';
export { OutboxWorker, type OutboxWorkerOptions, type WorkerTimers } from './outbox-worker.ts';
export { errorText, type OutboxProvider } from './outbox-provider.ts';
export { LogProvider } from './log-provider.ts';
export { HttpSmsProvider, type HttpSmsConfig } from './http-sms-provider.ts';
export { WebhookProvider, robotBody, robotError, webhookBody } from './webhook-provider.ts';
export * from './message-template.ts';

export interface StartOutboxOptions {
  db: PbxDb;
  config: Config;
  log: Logger;
  now?: () => number;
  /** Use this Outbox (e.g. Services.outbox) so its enqueues wake the worker; a new one otherwise. */
  outbox?: Outbox;
  /** Replace a channel's provider (tests). */
  providers?: Partial<Record<'sms' | 'webhook', OutboxProvider>>;
  random?: () => number;
  timers?: WorkerTimers;
  pollIntervalMs?: number;
}

/** The SMS provider the config names: log (default) or the HTTP gateway. */
export function smsProviderFor(config: Config, log: Logger): OutboxProvider {
  const sms = config.notify.sms;
  return sms.provider === 'http' && sms.http ? new HttpSmsProvider(sms.http) : new LogProvider(log);
}

/** Builds the outbox and its worker from notify.* and starts the worker. Stop it with `await worker.stop()`. */
export function startOutbox(opts: StartOutboxOptions): { outbox: Outbox; worker: OutboxWorker } {
  const { db, config } = opts;
  const log = opts.log.child({ component: 'outbox' });
  const outbox = opts.outbox ?? new Outbox(db, opts.now ? { now: opts.now } : {});
  const n = config.notify;
  const worker = new OutboxWorker({
    db,
    log,
    outbox,
    providers: { sms: opts.providers?.sms ?? smsProviderFor(config, log), webhook: opts.providers?.webhook ?? new WebhookProvider() },
    maxAttempts: n.max_attempts,
    retryBaseS: n.retry_base_s,
    retryMaxS: n.retry_max_s,
    timeoutMs: n.timeout_ms,
    ...(opts.now ? { now: opts.now } : {}),
    ...(opts.random ? { random: opts.random } : {}),
    ...(opts.timers ? { timers: opts.timers } : {}),
    ...(opts.pollIntervalMs !== undefined ? { pollIntervalMs: opts.pollIntervalMs } : {}),
  });
  worker.start();
  return { outbox, worker };
}
