// Trunks (carriers, IAD gateways, tenants' own PBXs): add, list, show, update, remove. The rules
// are the config's (trunkDecl in config/schema.ts): the CLI, the API and the config file check a
// trunk the same way. Secrets are never shown: list/get give `password: '***'` when one is set.
// Trunks declared in the config file are refused with ConfigManagedError.
import type { PbxDb } from '../db/open.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { ConfigManagedError, ConflictError, InvalidError, NotFoundError, isUniqueViolation } from '../errors.ts';
import { trunkDecl, type TrunkDecl } from '../config/schema.ts';
import type { TRUNK_KINDS, TRUNK_TRANSPORTS, TRUNK_NUMBER_FORMATS, CALLER_ID_HEADERS, INBOUND_AUTH } from './schema.ts';

export type TrunkKind = (typeof TRUNK_KINDS)[number];
export type TrunkTransport = (typeof TRUNK_TRANSPORTS)[number];
export type TrunkNumberFormat = (typeof TRUNK_NUMBER_FORMATS)[number];
export type CallerIdHeader = (typeof CALLER_ID_HEADERS)[number];
export type InboundAuth = (typeof INBOUND_AUTH)[number];
export interface RewriteRule {
  match: string;
  replace: string;
}

/** What list/get show for a secret that is set. */
export const SECRET_MASK = '***';

/** A trunk as shown to admins: secrets masked. */
export interface Trunk {
  id: number;
  name: string;
  kind: TrunkKind;
  tenantId: number | null;
  host: string;
  port: number;
  transport: TrunkTransport;
  register: boolean;
  registerExpiresS: number;
  username: string | null;
  /** '***' when set, else null. */
  password: string | null;
  inboundAuth: InboundAuth;
  inboundUsername: string | null;
  /** '***' when set, else null. */
  inboundPassword: string | null;
  addresses: string[];
  maxCalls: number;
  codecs: string[] | null;
  calledFormat: TrunkNumberFormat;
  callerIdFormat: TrunkNumberFormat;
  callerIdHeader: CallerIdHeader;
  diversion: boolean;
  rewrite: RewriteRule[];
  priority: number;
  countryCode: string;
  enabled: boolean;
  configManaged: boolean;
  createdAt: number;
}

/** A trunk's live state as the running server reports it (`pbx trunk status`, GET /trunks/status). */
export interface TrunkStatus {
  trunkId: number;
  name: string;
  kind: TrunkKind;
  registration?: { state: string; lastStatus?: number; lastError?: string; expiresAt?: number; nextAttemptAt?: number };
  activeCalls: number;
}

export interface TrunkInput {
  name: string;
  kind: TrunkKind;
  /** Owner of a gateway or pbx trunk; carriers have none. */
  tenantId?: number | null;
  host: string;
  port?: number;
  transport?: TrunkTransport;
  register?: boolean;
  registerExpiresS?: number;
  username?: string | null;
  password?: string | null;
  inboundAuth?: InboundAuth;
  inboundUsername?: string | null;
  inboundPassword?: string | null;
  addresses?: string[];
  maxCalls?: number;
  codecs?: string[] | null;
  calledFormat?: TrunkNumberFormat;
  callerIdFormat?: TrunkNumberFormat;
  callerIdHeader?: CallerIdHeader;
  diversion?: boolean;
  rewrite?: RewriteRule[];
  priority?: number;
  countryCode?: string;
  enabled?: boolean;
}

/** Kind and owner are fixed once added. null clears an optional field; a secret given as '***' stays as it is. */
export type TrunkPatch = Partial<Omit<TrunkInput, 'kind' | 'tenantId'>>;

/** The database columns of a trunk (snake_case, JSON as text), from a validated declaration. */
export interface TrunkValues {
  name: string;
  kind: TrunkKind;
  tenant_id: number | null;
  host: string;
  port: number;
  transport: TrunkTransport;
  register: number;
  register_expires_s: number;
  username: string | null;
  password: string | null;
  inbound_auth: InboundAuth;
  inbound_username: string | null;
  inbound_password: string | null;
  addresses: string;
  max_calls: number;
  codecs: string | null;
  called_format: TrunkNumberFormat;
  caller_id_format: TrunkNumberFormat;
  caller_id_header: CallerIdHeader;
  diversion: number;
  rewrite: string;
  priority: number;
  country_code: string;
  enabled: number;
}

export interface TrunkDbRow extends TrunkValues {
  id: number;
  config_managed: number;
  created_at: number;
}

export const TRUNK_COLUMNS = [
  'name',
  'kind',
  'tenant_id',
  'host',
  'port',
  'transport',
  'register',
  'register_expires_s',
  'username',
  'password',
  'inbound_auth',
  'inbound_username',
  'inbound_password',
  'addresses',
  'max_calls',
  'codecs',
  'called_format',
  'caller_id_format',
  'caller_id_header',
  'diversion',
  'rewrite',
  'priority',
  'country_code',
  'enabled',
] as const satisfies ReadonlyArray<keyof TrunkValues>;

/** Columns of a declared (validated) trunk. */
export function trunkValues(d: TrunkDecl, tenantId: number | null): TrunkValues {
  return {
    name: d.name,
    kind: d.kind,
    tenant_id: tenantId,
    host: d.host,
    port: d.port,
    transport: d.transport,
    register: d.register ? 1 : 0,
    register_expires_s: d.register_expires_s,
    username: d.username ?? null,
    password: d.password ?? null,
    inbound_auth: d.inbound_auth,
    inbound_username: d.inbound_username ?? null,
    inbound_password: d.inbound_password ?? null,
    addresses: JSON.stringify(d.addresses),
    max_calls: d.max_calls,
    codecs: d.codecs === undefined ? null : JSON.stringify(d.codecs),
    called_format: d.called_format,
    caller_id_format: d.caller_id_format,
    caller_id_header: d.caller_id_header,
    diversion: d.diversion ? 1 : 0,
    rewrite: JSON.stringify(d.rewrite),
    priority: d.priority,
    country_code: d.country_code,
    enabled: d.enabled ? 1 : 0,
  };
}

const camel = (snake: string) => snake.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
const snake = (camelName: string) => camelName.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Checks a trunk with the config's rules; the message names the field as the API spells it. */
export function checkTrunk(input: TrunkInput): TrunkDecl {
  const raw: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(input)) {
    if (v === undefined || v === null || k === 'tenantId') continue;
    raw[snake(k)] = v;
  }
  // the owner is checked by id elsewhere; the declaration's rule only needs to know there is one
  if (input.tenantId !== undefined && input.tenantId !== null) raw.tenant = String(input.tenantId);
  const r = trunkDecl.safeParse(raw);
  const what = typeof input.name === 'string' && input.name !== '' ? `trunk ${input.name}` : 'trunk';
  if (!r.success) {
    const msgs = r.error.issues.map((i) => {
      const path = i.path.map((p) => (typeof p === 'string' ? camel(p) : String(p))).join('.');
      if (i.code === 'unrecognized_keys') return `unknown field ${i.keys.map(camel).join(', ')}`;
      if (path === 'tenantId' || path === 'tenant') return i.message;
      return path ? `${path}: ${i.message}` : i.message;
    });
    throw new InvalidError(`${what}: ${msgs.join('; ')}`);
  }
  if (r.data.kind === 'carrier' && r.data.tenant !== undefined) throw new InvalidError(`${what}: a carrier trunk is shared by every tenant and has no tenant (gateway and pbx trunks have one)`);
  return r.data;
}

function parseJson<T>(text: string | null, fallback: T): T {
  if (text === null) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

function toTrunk(r: TrunkDbRow): Trunk {
  return {
    id: r.id,
    name: r.name,
    kind: r.kind,
    tenantId: r.tenant_id,
    host: r.host,
    port: r.port,
    transport: r.transport,
    register: r.register === 1,
    registerExpiresS: r.register_expires_s,
    username: r.username,
    password: r.password === null ? null : SECRET_MASK,
    inboundAuth: r.inbound_auth,
    inboundUsername: r.inbound_username,
    inboundPassword: r.inbound_password === null ? null : SECRET_MASK,
    addresses: parseJson<string[]>(r.addresses, []),
    maxCalls: r.max_calls,
    codecs: parseJson<string[] | null>(r.codecs, null),
    calledFormat: r.called_format,
    callerIdFormat: r.caller_id_format,
    callerIdHeader: r.caller_id_header,
    diversion: r.diversion === 1,
    rewrite: parseJson<RewriteRule[]>(r.rewrite, []),
    priority: r.priority,
    countryCode: r.country_code,
    enabled: r.enabled === 1,
    configManaged: r.config_managed === 1,
    createdAt: r.created_at,
  };
}

/** The input that would produce this row (secrets in clear), the base an update is merged onto. */
function toInput(r: TrunkDbRow): TrunkInput {
  const t = toTrunk(r);
  return {
    name: t.name,
    kind: t.kind,
    tenantId: t.tenantId,
    host: t.host,
    port: t.port,
    transport: t.transport,
    register: t.register,
    registerExpiresS: t.registerExpiresS,
    username: t.username,
    password: r.password,
    inboundAuth: t.inboundAuth,
    inboundUsername: t.inboundUsername,
    inboundPassword: r.inbound_password,
    addresses: t.addresses,
    maxCalls: t.maxCalls,
    codecs: t.codecs,
    calledFormat: t.calledFormat,
    callerIdFormat: t.callerIdFormat,
    callerIdHeader: t.callerIdHeader,
    diversion: t.diversion,
    rewrite: t.rewrite,
    priority: t.priority,
    countryCode: t.countryCode,
    enabled: t.enabled,
  };
}

/** The audit detail of an input: what changed, secrets only as "set". */
function auditDetail(i: Partial<TrunkInput>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...i };
  for (const k of ['password', 'inboundPassword'] as const) if (k in out) out[k] = out[k] === null ? null : 'set';
  return out;
}

export class TrunkService {
  constructor(
    private readonly db: PbxDb,
    private readonly audit: AuditLog,
    private readonly now: () => number = Date.now,
  ) {}

  add(input: TrunkInput, actor = 'system'): Trunk {
    const tenantId = this.checkOwner(input.kind, input.tenantId ?? null, input.name);
    const d = checkTrunk({ ...input, tenantId });
    if (this.find(d.name)) throw new ConflictError(`trunk ${d.name} already exists`);
    const v = trunkValues(d, tenantId);
    try {
      const cols = [...TRUNK_COLUMNS, 'config_managed', 'created_at'];
      const id = Number(
        this.db.sqlite
          .prepare(`INSERT INTO trunk (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`)
          .run(...TRUNK_COLUMNS.map((c) => v[c]), 0, this.now()).lastInsertRowid,
      );
      this.audit.record({ actor, action: 'trunk.add', target: d.name, tenantId, detail: auditDetail({ ...input, tenantId }) });
      return this.get(id);
    } catch (e) {
      if (isUniqueViolation(e)) throw new ConflictError(`trunk ${d.name} already exists`);
      throw e;
    }
  }

  /** Every trunk (carriers first, then by priority and name); with a tenant id, only that tenant's. */
  list(opts: { tenantId?: number } = {}): Trunk[] {
    const order = "ORDER BY kind <> 'carrier', priority, name";
    const rows =
      opts.tenantId === undefined
        ? this.db.sqlite.prepare<[], TrunkDbRow>(`SELECT * FROM trunk ${order}`).all()
        : this.db.sqlite.prepare<[number], TrunkDbRow>(`SELECT * FROM trunk WHERE tenant_id = ? ${order}`).all(opts.tenantId);
    return rows.map(toTrunk);
  }

  /** By id (a number, or digits) or by name. Throws NotFoundError. */
  get(ref: string | number): Trunk {
    return toTrunk(this.row(ref));
  }

  /** By name or id; undefined when there is none. */
  find(ref: string | number): Trunk | undefined {
    const r = this.lookup(ref);
    return r ? toTrunk(r) : undefined;
  }

  update(ref: string | number, patch: TrunkPatch, actor = 'system'): Trunk {
    const row = this.editable(ref);
    const merged: TrunkInput = { ...toInput(row) };
    for (const [k, v] of Object.entries(patch) as Array<[keyof TrunkPatch, unknown]>) {
      if (v === undefined) continue;
      if ((k === 'password' || k === 'inboundPassword') && v === SECRET_MASK) continue; // shown masked, sent back unchanged
      (merged as unknown as Record<string, unknown>)[k] = v;
    }
    const d = checkTrunk(merged);
    if (d.name !== row.name && this.find(d.name)) throw new ConflictError(`trunk ${d.name} already exists`);
    const v = trunkValues(d, row.tenant_id);
    try {
      this.db.sqlite.prepare(`UPDATE trunk SET ${TRUNK_COLUMNS.map((c) => `${c} = ?`).join(', ')} WHERE id = ?`).run(...TRUNK_COLUMNS.map((c) => v[c]), row.id);
    } catch (e) {
      if (isUniqueViolation(e)) throw new ConflictError(`trunk ${d.name} already exists`);
      throw e;
    }
    if (d.name !== row.name) this.renameInSettings(row.name, d.name);
    this.audit.record({ actor, action: 'trunk.update', target: row.name, tenantId: row.tenant_id, detail: auditDetail(patch) });
    return this.get(row.id);
  }

  /** Removes a trunk no number and no tenant's outbound list uses any more. */
  remove(ref: string | number, actor = 'system'): Trunk {
    const row = this.editable(ref);
    const numbers = this.db.sqlite.prepare<[number], string>('SELECT number FROM did_number WHERE trunk_id = ? ORDER BY number').pluck().all(row.id);
    if (numbers.length > 0) throw new ConflictError(`trunk ${row.name} is the trunk of number${numbers.length > 1 ? 's' : ''} ${numbers.join(', ')}; change or remove ${numbers.length > 1 ? 'them' : 'it'} first`);
    const users = this.tenantsListing(row.name);
    if (users.length > 0) throw new ConflictError(`trunk ${row.name} is in the outbound trunks of tenant ${users.join(', ')}; take it out of their settings first`);
    this.db.sqlite.prepare('DELETE FROM trunk WHERE id = ?').run(row.id);
    this.audit.record({ actor, action: 'trunk.remove', target: row.name, tenantId: row.tenant_id });
    return toTrunk(row);
  }

  /** Names of the tenants whose outbound_trunks setting names this trunk. */
  private tenantsListing(name: string): string[] {
    const rows = this.db.sqlite.prepare<[], { name: string; settings: string }>('SELECT name, settings FROM tenant').all();
    return rows
      .filter((t) => {
        const list = parseJson<{ outbound_trunks?: unknown }>(t.settings, {}).outbound_trunks;
        return Array.isArray(list) && list.includes(name);
      })
      .map((t) => t.name);
  }

  /** A renamed trunk keeps its place in the tenants' outbound lists. */
  private renameInSettings(from: string, to: string): void {
    const rows = this.db.sqlite.prepare<[], { id: number; settings: string }>('SELECT id, settings FROM tenant').all();
    const write = this.db.sqlite.prepare('UPDATE tenant SET settings = ? WHERE id = ?');
    for (const t of rows) {
      const s = parseJson<Record<string, unknown>>(t.settings, {});
      if (!Array.isArray(s.outbound_trunks) || !s.outbound_trunks.includes(from)) continue;
      s.outbound_trunks = s.outbound_trunks.map((n: unknown) => (n === from ? to : n));
      write.run(JSON.stringify(s), t.id);
    }
  }

  private checkOwner(kind: unknown, tenantId: number | null, name: unknown): number | null {
    const what = typeof name === 'string' && name !== '' ? `trunk ${name}` : 'trunk';
    if (kind === 'carrier') {
      if (tenantId !== null) throw new InvalidError(`${what}: a carrier trunk is shared by every tenant and has no tenant (gateway and pbx trunks have one)`);
      return null;
    }
    if (tenantId === null) throw new InvalidError(`${what}: a ${String(kind)} trunk belongs to a tenant; name it`);
    const exists = this.db.sqlite.prepare<[number], number>('SELECT id FROM tenant WHERE id = ?').pluck().get(tenantId);
    if (exists === undefined) throw new NotFoundError(`tenant ${tenantId} does not exist`);
    return tenantId;
  }

  private lookup(ref: string | number): TrunkDbRow | undefined {
    const s = this.db.sqlite;
    if (typeof ref === 'number' || /^[0-9]+$/.test(ref)) return s.prepare<[number], TrunkDbRow>('SELECT * FROM trunk WHERE id = ?').get(Number(ref));
    return s.prepare<[string], TrunkDbRow>('SELECT * FROM trunk WHERE name = ?').get(ref);
  }

  private row(ref: string | number): TrunkDbRow {
    const r = this.lookup(ref);
    if (!r) throw new NotFoundError(`trunk ${ref} does not exist`);
    return r;
  }

  private editable(ref: string | number): TrunkDbRow {
    const r = this.row(ref);
    if (r.config_managed === 1) throw new ConfigManagedError(`trunk ${r.name}`);
    return r;
  }
}
