// Tenants: the default tenant (exists always, takes any SIP domain) and named tenants selected
// by their SIP domain. Both the CLI and the admin API go through this service.
import type Database from 'better-sqlite3';
import { asc, eq } from 'drizzle-orm';
import type { PbxDb } from '../db/open.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { ConfigManagedError, ConflictError, InvalidError, NotFoundError, isUniqueViolation } from '../errors.ts';
import { sipDomain, tenantName } from '../config/schema.ts';
import { tenant, type TenantRow } from './schema.ts';
import { parseTenantSettings, tenantSettingsSchema, type TenantSettings } from './tenant-settings.ts';
import { checkMessageTemplates } from '../notify/message-template.ts';

export interface Tenant {
  id: number;
  name: string;
  domain: string | null;
  isDefault: boolean;
  status: 'active' | 'suspended';
  configManaged: boolean;
  /** Every call of the tenant is recorded (R-BASIC-1). */
  recordingEnabled: boolean;
  /** Recordings older than this many days are deleted by the retention job. */
  recordingRetentionDays: number;
  createdAt: number;
}

/** Settings of a tenant that the CLI and the API may change (not for config-declared tenants). */
export interface TenantPatch {
  recordingEnabled?: boolean;
  recordingRetentionDays?: number;
}

/** What call control asks before recording a call, and what the retention job keeps. */
export interface RecordingPolicy {
  enabled: boolean;
  retentionDays: number;
}

/**
 * A change of call settings: the keys given replace the stored ones (service_hours, ivr and
 * international merge key by key); null removes a key (back to its default).
 */
export type TenantSettingsPatch = {
  [K in keyof TenantSettings]?: (TenantSettings[K] extends readonly unknown[] ? TenantSettings[K] : TenantSettings[K] extends object ? Partial<TenantSettings[K]> : TenantSettings[K]) | null;
};

export const RETENTION_DAYS = { min: 1, max: 3650, default: 183 } as const;

export interface TenantInput {
  name: string;
  domain?: string | null;
}

export const DEFAULT_TENANT_NAME = 'default';

function toTenant(r: TenantRow): Tenant {
  return {
    id: r.id,
    name: r.name,
    domain: r.sipDomain,
    isDefault: r.isDefault,
    status: r.status,
    configManaged: r.configManaged,
    recordingEnabled: r.recordingEnabled,
    recordingRetentionDays: r.recordingRetentionDays,
    createdAt: r.createdAt,
  };
}

export function checkTenantName(name: unknown): string {
  const r = tenantName.safeParse(name);
  if (!r.success) throw new InvalidError(`tenant name ${JSON.stringify(name)} ${r.error.issues[0]!.message}`);
  return r.data;
}

export function checkDomain(domain: unknown): string {
  const r = sipDomain.safeParse(domain);
  if (!r.success) throw new InvalidError(`SIP domain ${JSON.stringify(domain)} ${r.error.issues[0]!.message}`);
  return r.data;
}

export function checkRetentionDays(v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < RETENTION_DAYS.min || v > RETENTION_DAYS.max)
    throw new InvalidError(`recording retention must be a whole number of days from ${RETENTION_DAYS.min} to ${RETENTION_DAYS.max}`);
  return v;
}

export class TenantService {
  private readonly policyStmt: Database.Statement<[number], { recording_enabled: number; recording_retention_days: number }>;

  constructor(
    private readonly db: PbxDb,
    private readonly audit: AuditLog,
    private readonly now: () => number = Date.now,
    /** notify.sms.max_segments: the longest SMS a message template may fill. */
    private readonly smsMaxSegments?: number,
  ) {
    this.policyStmt = db.sqlite.prepare('SELECT recording_enabled, recording_retention_days FROM tenant WHERE id = ?');
  }

  /** Creates the default tenant if there is none; returns it. Called at every start. */
  ensureDefault(): Tenant {
    const existing = this.db.orm.select().from(tenant).where(eq(tenant.isDefault, true)).get();
    if (existing) return toTenant(existing);
    let name = DEFAULT_TENANT_NAME;
    for (let i = 2; this.db.orm.select({ id: tenant.id }).from(tenant).where(eq(tenant.name, name)).get(); i++) name = `${DEFAULT_TENANT_NAME}-${i}`;
    const row = this.db.orm.insert(tenant).values({ name, isDefault: true, createdAt: this.now() }).returning().get();
    this.audit.record({ actor: 'system', action: 'tenant.add', target: name, tenantId: row.id, detail: { default: true } });
    return toTenant(row);
  }

  /** The default tenant (created on the fly if missing). */
  defaultTenant(): Tenant {
    return this.ensureDefault();
  }

  add(input: TenantInput, actor = 'system'): Tenant {
    const name = checkTenantName(input.name);
    if (input.domain === undefined || input.domain === null || input.domain === '')
      throw new InvalidError(`tenant ${name} needs a SIP domain (only the default tenant has none)`);
    const domain = checkDomain(input.domain);
    if (this.findByName(name)) throw new ConflictError(`tenant ${name} already exists`);
    if (this.findByDomain(domain)) throw new ConflictError(`SIP domain ${domain} already belongs to tenant ${this.findByDomain(domain)!.name}`);
    try {
      const row = this.db.orm.insert(tenant).values({ name, sipDomain: domain, createdAt: this.now() }).returning().get();
      this.audit.record({ actor, action: 'tenant.add', target: name, tenantId: row.id, detail: { domain } });
      return toTenant(row);
    } catch (e) {
      if (isUniqueViolation(e)) throw new ConflictError(`tenant ${name} or domain ${domain} already exists`);
      throw e;
    }
  }

  list(): Tenant[] {
    return this.db.orm.select().from(tenant).orderBy(asc(tenant.id)).all().map(toTenant);
  }

  get(id: number): Tenant | undefined {
    const r = this.db.orm.select().from(tenant).where(eq(tenant.id, id)).get();
    return r ? toTenant(r) : undefined;
  }

  findByName(name: string): Tenant | undefined {
    const r = this.db.orm.select().from(tenant).where(eq(tenant.name, name)).get();
    return r ? toTenant(r) : undefined;
  }

  /** The tenant owning exactly this SIP domain (no default fallback; see AccountSource for that). */
  findByDomain(domain: string): Tenant | undefined {
    const r = this.db.orm.select().from(tenant).where(eq(tenant.sipDomain, domain.toLowerCase())).get();
    return r ? toTenant(r) : undefined;
  }

  /**
   * A tenant named by the user: undefined → the default tenant; digits → by id; else by name.
   * Throws NotFoundError.
   */
  resolve(ref?: string | number): Tenant {
    if (ref === undefined || ref === '') return this.defaultTenant();
    const t = typeof ref === 'number' || /^[0-9]+$/.test(ref) ? this.get(Number(ref)) : this.findByName(ref);
    if (!t) throw new NotFoundError(`tenant ${ref} does not exist`);
    return t;
  }

  /**
   * Whether the tenant's calls are recorded and for how long recordings are kept. One prepared
   * statement on the primary key: call control asks once per call. Unknown tenant: undefined.
   */
  recordingPolicy(tenantId: number): RecordingPolicy | undefined {
    const r = this.policyStmt.get(tenantId);
    return r ? { enabled: r.recording_enabled === 1, retentionDays: r.recording_retention_days } : undefined;
  }

  /** Changes a tenant's settings (recording switch, retention). Config-declared tenants are refused. */
  update(ref: string | number, patch: TenantPatch, actor = 'system'): Tenant {
    const t = this.resolve(ref);
    if (t.configManaged) throw new ConfigManagedError(`tenant ${t.name}`);
    const set: Partial<Pick<TenantRow, 'recordingEnabled' | 'recordingRetentionDays'>> = {};
    if (patch.recordingEnabled !== undefined) {
      if (typeof patch.recordingEnabled !== 'boolean') throw new InvalidError('recording must be on or off (true or false)');
      set.recordingEnabled = patch.recordingEnabled;
    }
    if (patch.recordingRetentionDays !== undefined) set.recordingRetentionDays = checkRetentionDays(patch.recordingRetentionDays);
    if (Object.keys(set).length === 0) return t;
    this.db.orm.update(tenant).set(set).where(eq(tenant.id, t.id)).run();
    this.audit.record({ actor, action: 'tenant.update', target: t.name, tenantId: t.id, detail: set });
    return this.get(t.id)!;
  }

  /** The tenant's call settings (tenant-settings.ts), defaults filled in. */
  settings(ref: string | number): TenantSettings {
    const t = this.resolve(ref);
    return parseTenantSettings(this.storedSettings(t.id));
  }

  /**
   * Changes call settings: merged onto the stored ones and checked whole with the config's
   * rules; outbound trunks must be carrier trunks, the operator an extension of the tenant.
   * Config-declared tenants are refused.
   */
  updateSettings(ref: string | number, patch: TenantSettingsPatch, actor = 'system'): TenantSettings {
    const t = this.resolve(ref);
    if (t.configManaged) throw new ConfigManagedError(`tenant ${t.name}`);
    let stored: Record<string, unknown> = {};
    try {
      const raw: unknown = JSON.parse(this.storedSettings(t.id));
      if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) stored = raw as Record<string, unknown>;
    } catch {
      stored = {};
    }
    const merged: Record<string, unknown> = { ...stored };
    for (const [k, v] of Object.entries(patch)) {
      if (v === undefined) continue;
      if (v === null) delete merged[k];
      else if (typeof v === 'object' && !Array.isArray(v)) {
        const cur = merged[k];
        merged[k] = { ...(cur !== null && typeof cur === 'object' && !Array.isArray(cur) ? cur : {}), ...v };
      } else merged[k] = v;
    }
    const r = tenantSettingsSchema.safeParse(merged);
    if (!r.success) {
      const msgs = r.error.issues.map((i) => {
        if (i.code === 'unrecognized_keys') return i.keys.map((k) => `${[...i.path.map(String), k].join('.')}: unknown setting`).join('; ');
        const path = i.path.map(String).join('.');
        return path ? `${path}: ${i.message}` : i.message;
      });
      throw new InvalidError(`settings of tenant ${t.name}: ${msgs.join('; ')}`);
    }
    const s = this.db.sqlite;
    for (const name of r.data.outbound_trunks) {
      const kind = s.prepare<[string], string>('SELECT kind FROM trunk WHERE name = ?').pluck().get(name);
      if (kind === undefined) throw new InvalidError(`settings of tenant ${t.name}: outbound trunk ${name} does not exist`);
      if (kind !== 'carrier') throw new InvalidError(`settings of tenant ${t.name}: outbound trunk ${name} is a ${kind} trunk; outbound calls go out through carrier trunks`);
    }
    if (r.data.operator !== undefined && s.prepare<[number, string], number>('SELECT id FROM extension WHERE tenant_id = ? AND number = ?').pluck().get(t.id, r.data.operator) === undefined)
      throw new InvalidError(`settings of tenant ${t.name}: operator ${r.data.operator} is not an extension of the tenant; add it first`);
    checkMessageTemplates(r.data, { tenant: t.name, ...(this.smsMaxSegments !== undefined && { maxSegments: this.smsMaxSegments }) }); // SMS length of messages.*.text
    s.prepare('UPDATE tenant SET settings = ? WHERE id = ?').run(JSON.stringify(merged), t.id);
    this.audit.record({ actor, action: 'tenant.settings', target: t.name, tenantId: t.id, detail: patch });
    return r.data;
  }

  private storedSettings(tenantId: number): string {
    return this.db.sqlite.prepare<[number], string>('SELECT settings FROM tenant WHERE id = ?').pluck().get(tenantId) ?? '{}';
  }

  /** Removes a tenant and everything it owns. The default tenant and config-declared ones cannot be removed. */
  remove(ref: string | number, actor = 'system'): Tenant {
    const t = this.resolve(ref);
    if (t.configManaged) throw new ConfigManagedError(`tenant ${t.name}`);
    if (t.isDefault) throw new ConflictError(`tenant ${t.name} is the default tenant and cannot be removed`);
    this.db.orm.delete(tenant).where(eq(tenant.id, t.id)).run();
    this.audit.record({ actor, action: 'tenant.remove', target: t.name, tenantId: t.id });
    return t;
  }
}
