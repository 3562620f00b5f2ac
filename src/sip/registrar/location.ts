// The location service: where each extension's registered terminals can be reached.
// In memory (Map extensionId → its ≤ 3 bindings) and written through to the BindingStore, so
// registrations survive a restart (`load()` at start). Lookups never scan: call control asks
// `contactsOf(extensionId)`. Expired bindings are never returned, and a periodic sweep
// (default every 5 s) removes them from memory and from the store and logs them.
import type { Binding, BindingStore } from './ports.ts';
import { parseUri, bareHost } from '../uri.ts';
import { registrations } from '../../metrics.ts';
import { log as defaultLog, type Logger } from '../../log.ts';

export type BindingChange =
  | 'registered' // a new contact
  | 'refreshed' // an existing contact re-registered
  | 'unregistered' // removed by the phone (Expires: 0 / Contact: *)
  | 'expired' // not refreshed in time
  | 'replaced' // pushed out by a newer terminal over the extension's limit
  | 'unreachable' // NAT keep-alive got no answer
  | 'removed'; // removed by an operator or another component

export interface LocationEvent {
  change: BindingChange;
  binding: Binding;
}

export type LocationListener = (event: LocationEvent) => void;

export interface LocationServiceOptions {
  store: BindingStore;
  now?: () => number;
  log?: Logger;
  /** Period of the expiry sweep started by `start()`, ms. Default 5 000. */
  sweepIntervalMs?: number;
}

/**
 * The identity of a Contact for matching re-registrations (RFC 3261 §10.3 step 7 compares
 * URIs per §19.1.4): scheme, user, host (case-insensitive), port, transport. Other parameters
 * (`ob`, `rinstance`, …) do not make a different contact.
 */
export function contactKey(uri: string): string {
  const u = parseUri(uri);
  if (!u) return uri;
  const transport = u.params.transport;
  return `${u.scheme}:${u.user ?? ''}@${bareHost(u.host).toLowerCase()}:${u.port ?? ''};${transport ? transport.toLowerCase() : ''}`;
}

interface Entry {
  key: string;
  binding: Binding;
}

export class LocationService {
  private readonly byExtension = new Map<number, Entry[]>();
  private readonly store: BindingStore;
  private readonly now: () => number;
  private readonly log: Logger;
  private readonly sweepIntervalMs: number;
  private readonly listeners: LocationListener[] = [];
  private count = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(options: LocationServiceOptions) {
    this.store = options.store;
    this.now = options.now ?? Date.now;
    this.log = options.log ?? defaultLog;
    this.sweepIntervalMs = options.sweepIntervalMs ?? 5_000;
  }

  /** Loads the stored bindings (start-up); already expired ones are deleted. Returns how many are active. */
  load(): number {
    const now = this.now();
    let dropped = 0;
    for (const b of this.store.loadAll()) {
      if (b.expiresAt <= now) {
        this.write(() => this.store.remove(b.extensionId, b.contact));
        dropped++;
        continue;
      }
      this.put(b, contactKey(b.contact));
    }
    this.log.info({ active: this.count, expired: dropped }, 'registrations restored');
    return this.count;
  }

  /** The extension's live bindings (a new array; expired ones are left out). */
  contactsOf(extensionId: number): Binding[] {
    const entries = this.byExtension.get(extensionId);
    if (entries === undefined) return [];
    const now = this.now();
    const out: Binding[] = [];
    for (const e of entries) if (e.binding.expiresAt > now) out.push(e.binding);
    return out;
  }

  /** The live binding of one contact of an extension. */
  find(extensionId: number, contact: string): Binding | undefined {
    const entries = this.byExtension.get(extensionId);
    if (entries === undefined) return undefined;
    const key = contactKey(contact);
    const e = entries.find((x) => x.key === key);
    return e && e.binding.expiresAt > this.now() ? e.binding : undefined;
  }

  /** Every live binding (for the API, CLI and keep-alive; not for per-call work). */
  all(): Binding[] {
    const now = this.now();
    const out: Binding[] = [];
    for (const entries of this.byExtension.values()) for (const e of entries) if (e.binding.expiresAt > now) out.push(e.binding);
    return out;
  }

  /** Number of bindings held (including expired ones not swept yet). */
  get size(): number {
    return this.count;
  }

  /** Adds or replaces (same contact) a binding and writes it through. */
  save(binding: Binding): BindingChange {
    const key = contactKey(binding.contact);
    const entries = this.byExtension.get(binding.extensionId);
    const old = entries?.find((e) => e.key === key);
    if (old && old.binding.contact !== binding.contact) {
      // Same contact written differently (e.g. parameters changed): the store keys by text.
      const previous = old.binding.contact;
      this.write(() => this.store.remove(binding.extensionId, previous));
    }
    const change: BindingChange = old && old.binding.expiresAt > this.now() ? 'refreshed' : 'registered';
    if (old) old.binding = binding;
    else this.put(binding, key);
    this.write(() => this.store.upsert(binding));
    if (change === 'registered') {
      this.log.info(
        { extensionId: binding.extensionId, user: binding.user, tenantId: binding.tenantId, contact: binding.contact, source: binding.source.address, natted: binding.natted },
        'binding registered',
      );
    }
    this.emit(change, binding);
    return change;
  }

  /** Removes one contact of an extension. */
  remove(extensionId: number, contact: string, change: BindingChange = 'removed'): Binding | undefined {
    const entries = this.byExtension.get(extensionId);
    if (entries === undefined) return undefined;
    const key = contactKey(contact);
    const i = entries.findIndex((e) => e.key === key);
    if (i < 0) return undefined;
    return this.removeAt(extensionId, entries, i, change);
  }

  /** Removes every contact of an extension. */
  removeAll(extensionId: number, change: BindingChange = 'removed'): Binding[] {
    const entries = this.byExtension.get(extensionId);
    if (entries === undefined) return [];
    const out: Binding[] = [];
    while (entries.length > 0) out.push(this.removeAt(extensionId, entries, entries.length - 1, change));
    return out;
  }

  /** Removes expired bindings from memory and store; returns how many. */
  sweep(): number {
    const now = this.now();
    let n = 0;
    for (const [extensionId, entries] of this.byExtension) {
      for (let i = entries.length - 1; i >= 0; i--) {
        if (entries[i].binding.expiresAt <= now) {
          this.removeAt(extensionId, entries, i, 'expired');
          n++;
        }
      }
    }
    return n;
  }

  /** Runs `fn` when every change made so far is durable in the store. */
  afterPersist(fn: () => void): void {
    if (this.store.afterCommit) this.store.afterCommit(fn);
    else fn();
  }

  /**
   * Drops bindings that another process deleted from the store (the CLI removing an
   * extension while the server runs). Reads the whole store: call it on an external write,
   * not per request. Removing from the store again is harmless.
   */
  reconcile(): number {
    const stored = new Set<string>();
    for (const b of this.store.loadAll()) stored.add(b.extensionId + ' ' + contactKey(b.contact));
    let n = 0;
    for (const [extensionId, entries] of this.byExtension) {
      for (let i = entries.length - 1; i >= 0; i--) {
        if (!stored.has(extensionId + ' ' + entries[i].key)) {
          this.removeAt(extensionId, entries, i, 'removed');
          n++;
        }
      }
    }
    return n;
  }

  /** Subscribes to changes (for the call event bus: registration.*). Returns an unsubscribe function. */
  onChange(listener: LocationListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** Starts the periodic expiry sweep (unref'd timer). */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.sweep(), this.sweepIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private put(binding: Binding, key: string): void {
    let entries = this.byExtension.get(binding.extensionId);
    if (entries === undefined) {
      entries = [];
      this.byExtension.set(binding.extensionId, entries);
    }
    const existing = entries.find((e) => e.key === key);
    if (existing) {
      existing.binding = binding;
      return;
    }
    entries.push({ key, binding });
    this.count++;
    registrations.set(this.count);
  }

  private removeAt(extensionId: number, entries: Entry[], i: number, change: BindingChange): Binding {
    const [{ binding }] = entries.splice(i, 1);
    if (entries.length === 0) this.byExtension.delete(extensionId);
    this.count--;
    registrations.set(this.count);
    this.write(() => this.store.remove(extensionId, binding.contact));
    const fields = { extensionId, user: binding.user, tenantId: binding.tenantId, contact: binding.contact, source: binding.source.address };
    if (change === 'unregistered' || change === 'removed') this.log.debug(fields, `binding ${change}`);
    else this.log.info(fields, `binding ${change}`);
    this.emit(change, binding);
    return binding;
  }

  private emit(change: BindingChange, binding: Binding): void {
    for (const l of this.listeners) {
      try {
        l({ change, binding });
      } catch (err) {
        this.log.error({ err }, 'location listener failed');
      }
    }
  }

  private write(op: () => void): void {
    try {
      op();
    } catch (err) {
      this.log.error({ err }, 'could not write binding to the store');
    }
  }
}
