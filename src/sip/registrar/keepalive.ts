// NAT keep-alive: OPTIONS to every natted binding, sent to the address the phone registered
// from (its NAT mapping), which keeps the mapping open and tells us when a phone is gone.
// Any response — even 404/405/481 — proves the path works. A timeout (the stack's synthetic
// 408), a transport error (the stack's synthetic 503) or a rejected promise is a failure;
// after `maxFailures` consecutive failures the binding is dropped and logged. A binding
// refreshed by a REGISTER while a ping was out is not dropped (the REGISTER proves it alive).
//
// Load is bounded: each round (every `intervalMs`, default 30 s) takes a snapshot of the
// natted bindings and spreads their pings evenly over the round, ticking every `tickMs`
// (default 100 ms), with at most `maxInFlight` pings outstanding.
import { randomBytes } from 'node:crypto';
import type { SipRequest } from '../message.ts';
import type { SipStackApi } from '../stack-api.ts';
import type { Binding } from './ports.ts';
import { contactKey, type LocationService } from './location.ts';
import { formatHost } from '../uri.ts';
import { log as defaultLog, type Logger } from '../../log.ts';

export interface NatKeepaliveOptions {
  stack: Pick<SipStackApi, 'request' | 'localAddress'>;
  location: LocationService;
  /** Round period, ms. Default 30 000. */
  intervalMs?: number;
  /** Consecutive failures before a binding is dropped. Default 3. */
  maxFailures?: number;
  /** Most pings outstanding at once. Default 200. */
  maxInFlight?: number;
  /** Scheduler granularity, ms. Default 100. */
  tickMs?: number;
  now?: () => number;
  log?: Logger;
}

export class NatKeepalive {
  readonly intervalMs: number;
  readonly maxFailures: number;
  private readonly maxInFlight: number;
  private readonly tickMs: number;
  private readonly stack: NatKeepaliveOptions['stack'];
  private readonly location: LocationService;
  private readonly now: () => number;
  private readonly log: Logger;
  private readonly failures = new Map<string, number>();
  private queue: Binding[] = [];
  private next = 0;
  private perTick = 0;
  private roundStartedAt = -Infinity;
  private inFlight = 0;
  private seq = 0;
  private readonly callIdBase = randomBytes(6).toString('hex');
  private timer: NodeJS.Timeout | undefined;

  constructor(options: NatKeepaliveOptions) {
    this.stack = options.stack;
    this.location = options.location;
    this.intervalMs = options.intervalMs ?? 30_000;
    this.maxFailures = Math.max(1, options.maxFailures ?? 3);
    this.maxInFlight = Math.max(1, options.maxInFlight ?? 200);
    this.tickMs = Math.max(1, options.tickMs ?? 100);
    this.now = options.now ?? Date.now;
    this.log = options.log ?? defaultLog;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), this.tickMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One scheduler step: starts a new round when due, then sends this step's share of pings. */
  tick(): void {
    const now = this.now();
    if (this.next >= this.queue.length && now - this.roundStartedAt >= this.intervalMs) this.startRound(now);
    let sent = 0;
    while (this.next < this.queue.length && sent < this.perTick && this.inFlight < this.maxInFlight) {
      void this.ping(this.queue[this.next++]);
      sent++;
    }
  }

  /** Pings every natted binding now (bounded by maxInFlight) and resolves when all answered. */
  async pingAll(): Promise<void> {
    const targets = this.location.all().filter((b) => b.natted);
    let i = 0;
    const worker = async (): Promise<void> => {
      while (i < targets.length) await this.ping(targets[i++]);
    };
    await Promise.all(Array.from({ length: Math.min(this.maxInFlight, targets.length) }, worker));
  }

  /** Sends one OPTIONS; returns true if the binding answered. Applies the failure rule. */
  async ping(binding: Binding): Promise<boolean> {
    const current = this.location.find(binding.extensionId, binding.contact);
    if (!current || !current.natted) return true; // gone or no longer natted: nothing to do
    const key = `${current.extensionId}\n${contactKey(current.contact)}`;
    this.inFlight++;
    let alive: boolean;
    try {
      const res = await this.stack.request(this.options(current), { target: current.source });
      alive = res.status !== 408 && res.status !== 503;
    } catch {
      alive = false;
    } finally {
      this.inFlight--;
    }
    if (alive) {
      this.failures.delete(key);
      return true;
    }
    const latest = this.location.find(current.extensionId, current.contact);
    if (!latest) {
      this.failures.delete(key);
      return false;
    }
    if (latest.expiresAt !== current.expiresAt || latest.registeredAt !== current.registeredAt) {
      this.failures.delete(key); // re-registered meanwhile: it is alive
      return false;
    }
    const n = (this.failures.get(key) ?? 0) + 1;
    if (n < this.maxFailures) {
      this.failures.set(key, n);
      return false;
    }
    this.failures.delete(key);
    this.log.warn(
      { extensionId: latest.extensionId, user: latest.user, contact: latest.contact, source: `${latest.source.address}:${latest.source.port}`, failures: n },
      'NATed contact unreachable: binding dropped',
    );
    this.location.remove(latest.extensionId, latest.contact, 'unreachable');
    return false;
  }

  private startRound(now: number): void {
    this.queue = this.location.all().filter((b) => b.natted);
    this.next = 0;
    this.roundStartedAt = now;
    const ticks = Math.max(1, Math.floor(this.intervalMs / this.tickMs));
    this.perTick = Math.max(1, Math.ceil(this.queue.length / ticks));
    // Forget failure counts of bindings that are gone.
    if (this.failures.size > 0) {
      const live = new Set(this.queue.map((b) => `${b.extensionId}\n${contactKey(b.contact)}`));
      for (const k of this.failures.keys()) if (!live.has(k)) this.failures.delete(k);
    }
  }

  private options(b: Binding): Omit<SipRequest, 'version'> {
    const local = this.stack.localAddress(b.source.transport);
    const n = ++this.seq;
    return {
      method: 'OPTIONS',
      uri: b.contact,
      headers: {
        via: [],
        to: { uri: b.contact, params: {} },
        from: { uri: `sip:keepalive@${formatHost(local.address)}:${local.port}`, params: { tag: `ka${n.toString(36)}` } },
        'call-id': `ka-${this.callIdBase}-${n.toString(36)}`,
        cseq: { seq: 1, method: 'OPTIONS' },
        'max-forwards': '70',
      },
      content: '',
    };
  }
}
