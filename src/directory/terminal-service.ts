// Terminals that are not registrations (ARCHITECTURE.md "terminal"): the PSTN numbers an
// extension rings besides its phones (an employee's mobile), and the 1–3 terminals of a
// direct-line number — a device account (an extension of the same tenant) or a PSTN number.
// At most 3 per owner; an extension's PSTN terminals also count against its max_terminals.
// Owners declared in the config file are refused with ConfigManagedError.
import type { PbxDb } from '../db/open.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { ConfigManagedError, ConflictError, InvalidError, NotFoundError } from '../errors.ts';
import { normalizeNumber } from '../routing/numbers/normalize-number.ts';
import { isNumberError } from '../routing/numbers/normalized-number.ts';
import { parseTenantSettings } from '../tenancy/tenant-settings.ts';

export const MAX_TERMINALS = 3;

/** A terminal as the config declares it: a device account (extension number) or a PSTN number. */
export type TerminalSpec = { extension: string } | { pstn: string };

export interface Terminal {
  id: number;
  kind: 'sip' | 'pstn';
  /** kind sip: the device account (extension number) whose registrations ring. */
  extension: string | null;
  /** kind pstn: E.164. */
  pstnNumber: string | null;
  position: number;
  createdAt: number;
}

/** The home-country conventions a number is read with (a tenant's settings). */
export interface NumberHome {
  country_code: string;
  area_code?: string | undefined;
}

/** A PSTN number to ring, as E.164 (typed at home, 00…, or +…). Short and emergency codes are refused. */
export function normalizePstn(input: string, home: NumberHome, what = 'PSTN terminal'): string {
  const n = normalizeNumber(String(input), { countryCode: home.country_code, ...(home.area_code ? { areaCode: home.area_code } : {}) });
  if (isNumberError(n)) throw new InvalidError(`${what} ${input}: ${n.message}`);
  if (n.e164 === undefined) throw new InvalidError(`${what} ${input} is not a number that can be called from outside (a ${n.kind} number${n.kind === 'landline' ? ' without area code; give the area code' : ''})`);
  return n.e164;
}

/** `ext:1001` / `extension:1001` / `pstn:13812345678` (the CLI's way of naming a terminal). */
export function parseTerminalSpec(text: string): TerminalSpec {
  const m = /^(ext|extension|pstn):(.+)$/i.exec(text.trim());
  if (!m) throw new InvalidError(`terminal ${JSON.stringify(text)} must be ext:<extension> or pstn:<number>`);
  return m[1]!.toLowerCase() === 'pstn' ? { pstn: m[2]! } : { extension: m[2]! };
}

export function formatTerminal(t: Pick<Terminal, 'kind' | 'extension' | 'pstnNumber'>): string {
  return t.kind === 'sip' ? `ext:${t.extension}` : `pstn:${t.pstnNumber}`;
}

interface Row {
  id: number;
  tenant_id: number;
  kind: 'sip' | 'pstn';
  pstn_number: string | null;
  device_extension_id: number | null;
  extension: string | null;
  position: number;
  created_at: number;
}

interface ExtRow {
  id: number;
  number: string;
  max_terminals: number;
  config_managed: number;
}

interface NumRow {
  id: number;
  tenant_id: number;
  number: string;
  mode: string;
  config_managed: number;
}

const toTerminal = (r: Row): Terminal => ({ id: r.id, kind: r.kind, extension: r.extension, pstnNumber: r.pstn_number, position: r.position, createdAt: r.created_at });

const SELECT = 'SELECT t.*, e.number AS extension FROM terminal t LEFT JOIN extension e ON e.id = t.device_extension_id';

export class TerminalService {
  constructor(
    private readonly db: PbxDb,
    private readonly audit: AuditLog,
    private readonly now: () => number = Date.now,
  ) {}

  // ---- PSTN terminals of an extension

  listForExtension(tenantId: number, extension: string): Terminal[] {
    const ext = this.extension(tenantId, extension);
    return this.db.sqlite.prepare<[number], Row>(`${SELECT} WHERE t.owner_extension_id = ? ORDER BY t.position, t.id`).all(ext.id).map(toTerminal);
  }

  addToExtension(tenantId: number, extension: string, pstn: string, actor = 'system'): Terminal {
    const ext = this.extension(tenantId, extension);
    if (ext.config_managed === 1) throw new ConfigManagedError(`extension ${ext.number}`);
    const e164 = normalizePstn(pstn, this.home(tenantId));
    const have = this.listForExtension(tenantId, extension);
    if (have.some((t) => t.pstnNumber === e164)) throw new ConflictError(`${e164} is already a terminal of extension ${ext.number}`);
    const limit = Math.min(MAX_TERMINALS, ext.max_terminals);
    if (have.length >= limit) throw new ConflictError(`extension ${ext.number} already has ${have.length} PSTN terminal${have.length > 1 ? 's' : ''} (its max terminals is ${ext.max_terminals}); remove one or raise --max-terminals first`);
    const id = this.insert(tenantId, { ownerExtensionId: ext.id, kind: 'pstn', pstn: e164 }, nextPosition(have));
    this.audit.record({ actor, action: 'terminal.add', target: `extension ${ext.number}`, tenantId, detail: { pstn: e164 } });
    return this.byId(id);
  }

  /** `which`: the terminal's id, or its PSTN number. */
  removeFromExtension(tenantId: number, extension: string, which: number | string, actor = 'system'): Terminal {
    const ext = this.extension(tenantId, extension);
    if (ext.config_managed === 1) throw new ConfigManagedError(`extension ${ext.number}`);
    const have = this.listForExtension(tenantId, extension);
    const t = typeof which === 'number' ? have.find((x) => x.id === which) : have.find((x) => x.pstnNumber === normalizePstn(which, this.home(tenantId)));
    if (!t) throw new NotFoundError(`extension ${ext.number} has no terminal ${which}`);
    this.db.sqlite.prepare('DELETE FROM terminal WHERE id = ?').run(t.id);
    this.audit.record({ actor, action: 'terminal.remove', target: `extension ${ext.number}`, tenantId, detail: { pstn: t.pstnNumber } });
    return t;
  }

  // ---- terminals of a direct-line number

  listForNumber(numberId: number): Terminal[] {
    return this.db.sqlite.prepare<[number], Row>(`${SELECT} WHERE t.owner_number_id = ? ORDER BY t.position, t.id`).all(numberId).map(toTerminal);
  }

  addToNumber(numberId: number, spec: TerminalSpec, actor = 'system'): Terminal {
    const num = this.number(numberId);
    if (num.config_managed === 1) throw new ConfigManagedError(`number ${num.number}`);
    if (num.mode !== 'direct') throw new InvalidError(`number ${num.number} is a ${num.mode} number; only direct-line numbers have terminals`);
    const have = this.listForNumber(num.id);
    if (have.length >= MAX_TERMINALS) throw new ConflictError(`number ${num.number} already has ${MAX_TERMINALS} terminals; remove one first`);
    const value = this.resolveSpec(num, spec);
    if (have.some((t) => sameTerminal(t, value))) throw new ConflictError(`${formatTerminal(value)} is already a terminal of number ${num.number}`);
    const id = this.insert(num.tenant_id, { ownerNumberId: num.id, ...value }, nextPosition(have));
    this.audit.record({ actor, action: 'terminal.add', target: `number ${num.number}`, tenantId: num.tenant_id, detail: { terminal: formatTerminal(value) } });
    return this.byId(id);
  }

  /** `which`: the terminal's id, or what it is (ext:… / pstn:…). The last terminal of a direct line stays. */
  removeFromNumber(numberId: number, which: number | TerminalSpec, actor = 'system'): Terminal {
    const num = this.number(numberId);
    if (num.config_managed === 1) throw new ConfigManagedError(`number ${num.number}`);
    const have = this.listForNumber(num.id);
    let t: Terminal | undefined;
    if (typeof which === 'number') t = have.find((x) => x.id === which);
    else {
      const value = 'extension' in which ? { kind: 'sip' as const, extension: String(which.extension), pstnNumber: null } : { kind: 'pstn' as const, extension: null, pstnNumber: normalizePstn(which.pstn, this.home(num.tenant_id)) };
      t = have.find((x) => sameTerminal(x, value));
    }
    if (!t) throw new NotFoundError(`number ${num.number} has no terminal ${typeof which === 'number' ? which : 'extension' in which ? `ext:${which.extension}` : `pstn:${which.pstn}`}`);
    if (num.mode === 'direct' && have.length === 1) throw new ConflictError(`${formatTerminal(t)} is the only terminal of direct-line number ${num.number}; add another first (a direct line needs 1 to 3)`);
    this.db.sqlite.prepare('DELETE FROM terminal WHERE id = ?').run(t.id);
    this.audit.record({ actor, action: 'terminal.remove', target: `number ${num.number}`, tenantId: num.tenant_id, detail: { terminal: formatTerminal(t) } });
    return t;
  }

  /**
   * Replaces a number's terminals (NumberService, inside its transaction; no audit of its own).
   * Checks each spec (extension of the tenant, PSTN number) and duplicates; the count is the caller's.
   */
  replaceForNumber(numberId: number, specs: readonly TerminalSpec[]): void {
    const num = this.number(numberId);
    const values = specs.map((s) => this.resolveSpec(num, s));
    values.forEach((v, i) => {
      if (values.findIndex((w) => sameTerminal(w, v)) !== i) throw new InvalidError(`${formatTerminal(v)} is given twice as a terminal of number ${num.number}`);
    });
    this.db.sqlite.prepare('DELETE FROM terminal WHERE owner_number_id = ?').run(num.id);
    values.forEach((v, i) => this.insert(num.tenant_id, { ownerNumberId: num.id, ...v }, i));
  }

  private resolveSpec(num: NumRow, spec: TerminalSpec): { kind: 'sip'; extension: string; deviceExtensionId: number; pstnNumber: null } | { kind: 'pstn'; extension: null; pstn: string; pstnNumber: string } {
    if ('extension' in spec) {
      const n = String(spec.extension);
      const ext = this.db.sqlite.prepare<[number, string], ExtRow>('SELECT id, number, max_terminals, config_managed FROM extension WHERE tenant_id = ? AND number = ?').get(num.tenant_id, n);
      if (!ext) throw new NotFoundError(`extension ${n} does not exist in the tenant of number ${num.number}; a SIP terminal of a direct line is an extension (device account) of the same tenant`);
      return { kind: 'sip', extension: ext.number, deviceExtensionId: ext.id, pstnNumber: null };
    }
    const e164 = normalizePstn(spec.pstn, this.home(num.tenant_id));
    return { kind: 'pstn', extension: null, pstn: e164, pstnNumber: e164 };
  }

  private insert(
    tenantId: number,
    t: { ownerExtensionId?: number; ownerNumberId?: number; kind: 'sip' | 'pstn'; pstn?: string; deviceExtensionId?: number },
    position: number,
  ): number {
    return Number(
      this.db.sqlite
        .prepare('INSERT INTO terminal (tenant_id, owner_extension_id, owner_number_id, kind, pstn_number, device_extension_id, position, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(tenantId, t.ownerExtensionId ?? null, t.ownerNumberId ?? null, t.kind, t.pstn ?? null, t.deviceExtensionId ?? null, position, this.now()).lastInsertRowid,
    );
  }

  private byId(id: number): Terminal {
    return toTerminal(this.db.sqlite.prepare<[number], Row>(`${SELECT} WHERE t.id = ?`).get(id)!);
  }

  private extension(tenantId: number, number: string): ExtRow {
    const r = this.db.sqlite.prepare<[number, string], ExtRow>('SELECT id, number, max_terminals, config_managed FROM extension WHERE tenant_id = ? AND number = ?').get(tenantId, String(number));
    if (!r) throw new NotFoundError(`extension ${number} does not exist`);
    return r;
  }

  private number(id: number): NumRow {
    const r = this.db.sqlite.prepare<[number], NumRow>('SELECT id, tenant_id, number, mode, config_managed FROM did_number WHERE id = ?').get(id);
    if (!r) throw new NotFoundError(`number ${id} does not exist`);
    return r;
  }

  private home(tenantId: number): NumberHome {
    return parseTenantSettings(this.db.sqlite.prepare<[number], string>('SELECT settings FROM tenant WHERE id = ?').pluck().get(tenantId));
  }
}

function nextPosition(have: readonly Terminal[]): number {
  return have.reduce((m, t) => Math.max(m, t.position + 1), 0);
}

function sameTerminal(a: { kind: string; extension: string | null; pstnNumber: string | null }, b: { kind: string; extension: string | null; pstnNumber: string | null }): boolean {
  return a.kind === b.kind && (a.kind === 'sip' ? a.extension === b.extension : a.pstnNumber === b.pstnNumber);
}
