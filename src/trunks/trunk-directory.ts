// The trunks as call routing sees them: which trunk a request comes from (its source address,
// or the digest user a tenant PBX presents), where to send a call through a trunk, and how many
// calls each carries now (its limit). The trunk table is small and read on every call, so it is
// kept in memory and re-read at most once a second; host names are resolved when (re)read.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { asc } from 'drizzle-orm';
import type { PbxDb } from '../db/open.ts';
import type { Logger } from '../log.ts';
import type { Peer } from '../sip/message.ts';
import { trunk as trunkTable, type TrunkRow } from './schema.ts';
import { trunkCalls } from '../metrics.ts';

const RELOAD_MS = 1000;

export interface RoutableTrunk {
  id: number;
  name: string;
  kind: 'carrier' | 'gateway' | 'pbx';
  tenantId: number | undefined;
  host: string;
  port: number;
  transport: 'udp' | 'tcp' | 'tls';
  enabled: boolean;
  priority: number;
  maxCalls: number;
  credentials: { username: string; password: string } | undefined;
  inboundAuth: 'ip' | 'digest';
  inboundUsername: string | undefined;
  inboundPassword: string | undefined;
  addresses: string[];
  codecs: string[] | undefined;
  calledFormat: 'e164' | 'national' | 'international00';
  callerIdFormat: 'e164' | 'national' | 'international00';
  callerIdHeader: 'from' | 'pai' | 'both';
  diversion: boolean;
  rewrite: { match: string; replace: string }[];
  countryCode: string;
  register: boolean;
}

export class TrunkDirectory {
  private readonly readAll: () => TrunkRow[];
  private rows: TrunkRow[] = [];
  private trunks: RoutableTrunk[] = [];
  private byId = new Map<number, RoutableTrunk>();
  /** Source address → IP-authenticated trunk. */
  private bySource = new Map<string, RoutableTrunk>();
  private readonly resolved = new Map<string, string>();
  private readonly active = new Map<number, number>();
  private loadedAt = -Infinity;

  constructor(
    db: PbxDb,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
    /** Told whenever the trunk rows changed (outbound registrations follow). */
    private readonly onChange?: (rows: readonly TrunkRow[]) => void,
  ) {
    const query = db.orm.select().from(trunkTable).orderBy(asc(trunkTable.id)).prepare();
    this.readAll = () => query.all();
    this.reload();
  }

  /** Re-reads the table (at most once a second unless forced). */
  reload(force = false): void {
    const now = this.now();
    if (!force && now - this.loadedAt < RELOAD_MS) return;
    this.loadedAt = now;
    const rows = this.readAll();
    const changed = JSON.stringify(rows) !== JSON.stringify(this.rows);
    if (!changed) return;
    this.rows = rows;
    this.trunks = rows.map(toRoutable);
    this.byId = new Map(this.trunks.map((t) => [t.id, t]));
    this.indexSources();
    for (const t of this.trunks) if (isIP(t.host) === 0 && !this.resolved.has(t.host)) void this.resolve(t.host);
    this.onChange?.(rows);
  }

  private indexSources(): void {
    const map = new Map<string, RoutableTrunk>();
    for (const t of this.trunks) {
      if (!t.enabled || t.inboundAuth !== 'ip') continue;
      const hostAddress = isIP(t.host) !== 0 ? t.host : this.resolved.get(t.host);
      for (const a of [hostAddress, ...t.addresses]) if (a !== undefined && !map.has(normalizeAddress(a))) map.set(normalizeAddress(a), t);
    }
    this.bySource = map;
  }

  private async resolve(host: string): Promise<string | undefined> {
    try {
      const { address } = await lookup(host);
      this.resolved.set(host, address);
      this.indexSources();
      return address;
    } catch (e) {
      this.log.warn({ host, err: (e as Error).message }, 'trunk host does not resolve');
      return undefined;
    }
  }

  /** The rows as last read (the registrations start from them). */
  rowsNow(): readonly TrunkRow[] {
    return this.rows;
  }

  all(): readonly RoutableTrunk[] {
    this.reload();
    return this.trunks;
  }

  get(id: number): RoutableTrunk | undefined {
    this.reload();
    return this.byId.get(id);
  }

  /** The IP-authenticated trunk a request from `address` comes from. */
  fromSource(address: string): RoutableTrunk | undefined {
    this.reload();
    return this.bySource.get(normalizeAddress(address));
  }

  /** The digest-authenticated trunk (a tenant PBX) whose inbound user this is. */
  byInboundUser(username: string): RoutableTrunk | undefined {
    this.reload();
    return this.trunks.find((t) => t.enabled && t.inboundAuth === 'digest' && t.inboundUsername === username);
  }

  /** Where requests to the trunk go. */
  async peerOf(t: RoutableTrunk): Promise<Peer | undefined> {
    const address = isIP(t.host) !== 0 ? t.host : (this.resolved.get(t.host) ?? (await this.resolve(t.host)));
    return address === undefined ? undefined : { address, port: t.port, transport: t.transport };
  }

  activeCalls(trunkId: number): number {
    return this.active.get(trunkId) ?? 0;
  }

  /** Counts a call on the trunk; returns the release (call it once, when the leg ends). */
  acquire(t: RoutableTrunk): () => void {
    this.active.set(t.id, this.activeCalls(t.id) + 1);
    trunkCalls.set({ trunk: t.name }, this.activeCalls(t.id));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const n = this.activeCalls(t.id) - 1;
      if (n > 0) this.active.set(t.id, n);
      else this.active.delete(t.id);
      trunkCalls.set({ trunk: t.name }, Math.max(0, n));
    };
  }

  /** Whether the trunk may take one more call. */
  hasRoom(t: RoutableTrunk): boolean {
    return t.maxCalls === 0 || this.activeCalls(t.id) < t.maxCalls;
  }
}

function normalizeAddress(a: string): string {
  const s = a.toLowerCase();
  return s.startsWith('::ffff:') ? s.slice(7) : s;
}

function parseJson<T>(text: string | null, fallback: T): T {
  if (text === null) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

function toRoutable(r: TrunkRow): RoutableTrunk {
  return {
    id: r.id,
    name: r.name,
    kind: r.kind,
    tenantId: r.tenantId ?? undefined,
    host: r.host,
    port: r.port,
    transport: r.transport,
    enabled: r.enabled,
    priority: r.priority,
    maxCalls: r.maxCalls,
    credentials: r.username && r.password ? { username: r.username, password: r.password } : undefined,
    inboundAuth: r.inboundAuth,
    inboundUsername: r.inboundUsername ?? undefined,
    inboundPassword: r.inboundPassword ?? undefined,
    addresses: parseJson<string[]>(r.addresses, []),
    codecs: parseJson<string[] | undefined>(r.codecs, undefined),
    calledFormat: r.calledFormat,
    callerIdFormat: r.callerIdFormat,
    callerIdHeader: r.callerIdHeader,
    diversion: r.diversion,
    rewrite: parseJson<{ match: string; replace: string }[]>(r.rewrite, []),
    countryCode: r.countryCode,
    register: r.register,
  };
}
