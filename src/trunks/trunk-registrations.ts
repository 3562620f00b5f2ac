// The outbound registrations of every trunk that registers (register = true, enabled), kept in
// step with the trunk list by `sync`, their status for the admin API, and the one question
// outbound routing asks: may a call go through this trunk now?
import { log as defaultLog, type Logger } from '../log.ts';
import { trunkRegistered } from '../metrics.ts';
import type { SipStackApi } from '../sip/stack-api.ts';
import type { TrunkRow } from './schema.ts';
import { registrationKey, systemLookup, TrunkRegistration, type TrunkRegistrationContext, type TrunkRegistrationStatus } from './trunk-registration.ts';

export type { TrunkRegistrationState, TrunkRegistrationStatus } from './trunk-registration.ts';

export interface TrunkRegistrationsOptions {
  stack: Pick<SipStackApi, 'request' | 'localAddress'>;
  log?: Logger;
  /** Clock, ms since epoch (status times). Default Date.now. */
  now?: () => number;
  /** Timers for refreshes, retries and the stop() bound. Default setTimeout (unref'd) / clearTimeout. */
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
  /** Host name → address. Default the system resolver (node:dns lookup). */
  lookup?: (host: string) => Promise<string>;
  /** Digest cnonce source. Default crypto-random. */
  cnonce?: () => string;
}

/** How long stop() waits for the unregisters (best effort: shutdown must not hang on a dead carrier). */
const STOP_WAIT_MS = 1000;

export class TrunkRegistrations {
  private readonly ctx: TrunkRegistrationContext;
  private readonly byTrunk = new Map<number, TrunkRegistration>();
  private stopped = false;

  constructor(o: TrunkRegistrationsOptions) {
    this.ctx = {
      stack: o.stack,
      log: o.log ?? defaultLog,
      now: o.now ?? Date.now,
      setTimer: o.setTimer ?? ((fn, ms) => setTimeout(fn, ms).unref()),
      clearTimer: o.clearTimer ?? ((h) => clearTimeout(h as NodeJS.Timeout)),
      lookup: o.lookup ?? systemLookup,
      onChange: (s) => trunkRegistered.set({ trunk: s.name }, s.state === 'registered' ? 1 : 0),
    };
    if (o.cnonce) this.ctx.cnonce = o.cnonce;
  }

  /** Starts, restarts (host/credentials/expires changed) or stops the registration of each trunk: call again whenever the trunk list changes. */
  sync(trunks: readonly TrunkRow[]): void {
    if (this.stopped) return;
    const wanted = new Map(trunks.filter((t) => t.register && t.enabled).map((t) => [t.id, t]));
    for (const [id, reg] of this.byTrunk) {
      const t = wanted.get(id);
      if (t && registrationKey(t) === reg.key) continue;
      this.byTrunk.delete(id);
      void this.retire(reg);
    }
    for (const [id, t] of wanted) {
      if (this.byTrunk.has(id)) continue;
      const reg = new TrunkRegistration(t, this.ctx);
      this.byTrunk.set(id, reg);
      reg.start();
    }
  }

  status(): TrunkRegistrationStatus[] {
    return [...this.byTrunk.values()].map((r) => r.status()).sort((a, b) => a.trunkId - b.trunkId);
  }

  /** False only for a trunk that registers and is not registered now (outbound calls skip it). */
  isUsable(trunkId: number): boolean {
    const reg = this.byTrunk.get(trunkId);
    return reg === undefined || reg.registered;
  }

  /** Unregisters (Expires: 0) every registered trunk, best effort within ~1 s, and stops timers. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const all = Promise.all([...this.byTrunk.values()].map((r) => this.retire(r)));
    this.byTrunk.clear();
    let timer: unknown;
    await Promise.race([all, new Promise<void>((resolve) => (timer = this.ctx.setTimer(resolve, STOP_WAIT_MS)))]);
    this.ctx.clearTimer(timer);
  }

  /** Stops one registration (unregistering it) and drops its metric series. */
  private async retire(reg: TrunkRegistration): Promise<void> {
    const name = reg.status().name;
    await reg.stop();
    // a restarted trunk keeps its name: its new registration owns the series now
    if (![...this.byTrunk.values()].some((r) => r.status().name === name)) trunkRegistered.remove({ trunk: name });
  }
}
