// Numbers (DIDs) of a tenant in one of SPEC.md's three modes, and the caller blacklist of each.
// Numbers are stored as E.164, read with the owning tenant's country (and area) code; a tenant
// has at most one main number (marking one clears the other); a sipTrunk number hands its calls
// to a trunk of kind pbx of the same tenant; a direct-line number has 1–3 terminals (kept by
// TerminalService). The rules are the config's (numberDecl in config/schema.ts). Numbers
// declared in the config file are refused with ConfigManagedError, their blacklists too.
import type { PbxDb } from '../db/open.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { ConfigManagedError, ConflictError, InvalidError, NotFoundError, isUniqueViolation } from '../errors.ts';
import { numberDecl, type NumberDecl } from '../config/schema.ts';
import { normalizeNumber } from '../routing/numbers/normalize-number.ts';
import { isNumberError } from '../routing/numbers/normalized-number.ts';
import { parseTenantSettings } from '../tenancy/tenant-settings.ts';
import { TerminalService, type NumberHome, type Terminal, type TerminalSpec } from '../directory/terminal-service.ts';
import type { BLOCK_ACTIONS, NUMBER_MODES } from './schema.ts';
import { checkGreetingFile } from './greeting-file.ts';

export type NumberMode = (typeof NUMBER_MODES)[number];
export type BlockAction = (typeof BLOCK_ACTIONS)[number];

export interface DidNumber {
  id: number;
  tenantId: number;
  tenant: string;
  /** E.164. */
  number: string;
  mode: NumberMode;
  isMain: boolean;
  trunkId: number | null;
  trunk: string | null;
  maxCalls: number;
  greeting: string | null;
  blockAction: BlockAction;
  ringStrategy: 'sequential' | 'simultaneous';
  ringTimeoutS: number;
  configManaged: boolean;
  createdAt: number;
}

export interface NumberInput {
  /** E.164, or as dialled in the tenant's country (010…, 400…). */
  number: string;
  mode: NumberMode;
  isMain?: boolean;
  /** sipTrunk mode: the tenant's PBX trunk (name or id). */
  trunk?: string | number | null;
  maxCalls?: number;
  greeting?: string | null;
  blockAction?: BlockAction;
  ringStrategy?: 'sequential' | 'simultaneous';
  ringTimeoutS?: number;
  /** direct mode: 1–3 terminals. */
  terminals?: TerminalSpec[];
}

/** The number itself stays; `terminals` replaces them all. Leaving direct mode drops the terminals. */
export type NumberPatch = Partial<Omit<NumberInput, 'number'>>;

export interface BlacklistEntry {
  id: number;
  /** As typed: 13812345678, or 0755* for a prefix. */
  entry: string;
  pattern: string;
  match: 'exact' | 'prefix';
  note: string | null;
  createdAt: number;
}

/** The E.164 form of a DID, read with the tenant's country and area code. */
export function normalizeDid(input: string, home: NumberHome): string {
  const n = normalizeNumber(String(input), { countryCode: home.country_code, ...(home.area_code ? { areaCode: home.area_code } : {}) });
  if (isNumberError(n)) throw new InvalidError(`number ${input}: ${n.message}`);
  if (n.e164 === undefined || n.kind === 'short' || n.kind === 'emergency')
    throw new InvalidError(`number ${input} cannot be a DID (${n.kind === 'landline' ? 'a local number without area code: give it with the area code or in E.164' : `a ${n.kind} number`})`);
  return n.e164;
}

/**
 * A blacklist entry: 'digits' (one number) or 'digits*' (every number starting so). Patterns
 * are matched against the caller's national form (13812345678, 075512345678), or with a leading
 * '+' against its E.164 form. A whole number is stored the way it will be matched.
 */
export function parseBlockEntry(entry: string, home: NumberHome): { pattern: string; match: 'exact' | 'prefix' } {
  const text = String(entry).trim();
  const m = /^(\+?[0-9]{1,20})(\*?)$/.exec(text);
  if (!m) throw new InvalidError(`blacklist entry ${JSON.stringify(entry)} must be a number, or a prefix ending in * (0755*)`);
  if (m[2] === '*') return { pattern: m[1]!, match: 'prefix' };
  const n = normalizeNumber(m[1]!, { countryCode: home.country_code });
  if (isNumberError(n)) return { pattern: m[1]!, match: 'exact' };
  if (n.kind === 'international') return { pattern: n.e164 ?? m[1]!, match: 'exact' };
  return { pattern: n.national, match: 'exact' };
}

export const blockEntryText = (b: { pattern: string; match: 'exact' | 'prefix' }): string => (b.match === 'prefix' ? `${b.pattern}*` : b.pattern);

interface Row {
  id: number;
  tenant_id: number;
  tenant: string;
  number: string;
  mode: NumberMode;
  is_main: number;
  trunk_id: number | null;
  trunk: string | null;
  max_calls: number;
  greeting: string | null;
  block_action: BlockAction;
  ring_strategy: 'sequential' | 'simultaneous';
  ring_timeout_s: number;
  config_managed: number;
  created_at: number;
}

const SELECT = 'SELECT d.*, t.name AS tenant, k.name AS trunk FROM did_number d JOIN tenant t ON t.id = d.tenant_id LEFT JOIN trunk k ON k.id = d.trunk_id';

function toNumber(r: Row): DidNumber {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    tenant: r.tenant,
    number: r.number,
    mode: r.mode,
    isMain: r.is_main === 1,
    trunkId: r.trunk_id,
    trunk: r.trunk,
    maxCalls: r.max_calls,
    greeting: r.greeting,
    blockAction: r.block_action,
    ringStrategy: r.ring_strategy,
    ringTimeoutS: r.ring_timeout_s,
    configManaged: r.config_managed === 1,
    createdAt: r.created_at,
  };
}

/** Checks a number with the config's rules (mode, terminals, trunk present); the message names the number. */
function checkDecl(raw: Record<string, unknown>, what: string): NumberDecl {
  const r = numberDecl.safeParse(raw);
  if (r.success) return r.data;
  const camel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  const msgs = r.error.issues.map((i) => {
    if (i.code === 'unrecognized_keys') return `unknown field ${i.keys.map(camel).join(', ')}`;
    const path = i.path.map((p) => (typeof p === 'string' ? camel(p) : String(p))).join('.');
    return path ? `${path}: ${i.message}` : i.message;
  });
  throw new InvalidError(`${what}: ${msgs.join('; ')}`);
}

export class NumberService {
  constructor(
    private readonly db: PbxDb,
    private readonly audit: AuditLog,
    private readonly terminals: TerminalService,
    private readonly now: () => number = Date.now,
  ) {}

  add(tenantId: number, input: NumberInput, actor = 'system'): DidNumber {
    const home = this.home(tenantId);
    const e164 = normalizeDid(input.number, home);
    const what = `number ${e164}`;
    const trunk = this.trunkFor(tenantId, input.trunk, what);
    const greeting = input.greeting ? checkGreetingFile(input.greeting) : input.greeting;
    const d = checkDecl(this.declOf({ ...input, greeting, number: e164 }, trunk?.name), what);
    if (d.mode !== 'sipTrunk' && trunk) throw new InvalidError(`${what}: only sipTrunk numbers have a trunk`);
    const owner = this.ownerOf(e164);
    if (owner) throw new ConflictError(`number ${e164} already exists${owner.tenant_id === tenantId ? '' : ` (tenant ${owner.tenant})`}`);
    const run = this.db.sqlite.transaction(() => {
      if (d.main) this.db.sqlite.prepare('UPDATE did_number SET is_main = 0 WHERE tenant_id = ?').run(tenantId);
      const id = Number(
        this.db.sqlite
          .prepare(
            `INSERT INTO did_number (tenant_id, number, mode, is_main, trunk_id, max_calls, greeting, block_action, ring_strategy, ring_timeout_s, config_managed, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)`,
          )
          .run(tenantId, e164, d.mode, d.main ? 1 : 0, trunk?.id ?? null, d.max_calls, d.greeting ?? null, d.block_action, d.ring_strategy, d.ring_timeout_s, this.now()).lastInsertRowid,
      );
      if (d.mode === 'direct') this.terminals.replaceForNumber(id, d.terminals);
      return id;
    });
    let id: number;
    try {
      id = run.immediate();
    } catch (e) {
      if (isUniqueViolation(e)) throw new ConflictError(`number ${e164} already exists`);
      throw e;
    }
    this.audit.record({ actor, action: 'number.add', target: e164, tenantId, detail: { ...input, number: e164 } });
    return this.get(id);
  }

  /** Every number (by tenant, then number); with a tenant id, only that tenant's. */
  list(opts: { tenantId?: number } = {}): DidNumber[] {
    const rows =
      opts.tenantId === undefined
        ? this.db.sqlite.prepare<[], Row>(`${SELECT} ORDER BY d.tenant_id, d.number`).all()
        : this.db.sqlite.prepare<[number], Row>(`${SELECT} WHERE d.tenant_id = ? ORDER BY d.number`).all(opts.tenantId);
    return rows.map(toNumber);
  }

  /**
   * A number by id (a JS number) or by the number itself (a string: E.164, or as dialled in the
   * tenant's country). With a tenant id, another tenant's number is "does not exist". Throws NotFoundError.
   */
  get(ref: number | string, tenantId?: number): DidNumber {
    return toNumber(this.row(ref, tenantId));
  }

  update(ref: number | string, patch: NumberPatch, actor = 'system', tenantId?: number): DidNumber {
    const row = this.editable(ref, tenantId);
    const what = `number ${row.number}`;
    const cur = toNumber(row);
    const mode = patch.mode ?? cur.mode;
    let terminals: TerminalSpec[] | undefined = patch.terminals;
    if (terminals === undefined && mode === 'direct')
      terminals = this.terminals.listForNumber(row.id).map((t) => (t.kind === 'sip' ? { extension: t.extension! } : { pstn: t.pstnNumber! }));
    if (mode !== 'direct' && patch.terminals === undefined) terminals = [];
    // the trunk stays only while the number stays a sipTrunk number, unless the patch names one
    const trunkRef = patch.trunk !== undefined ? patch.trunk : mode === 'sipTrunk' ? cur.trunkId : null;
    const trunk = this.trunkFor(row.tenant_id, trunkRef, what);
    const merged: NumberInput = {
      number: row.number,
      mode,
      isMain: patch.isMain ?? cur.isMain,
      maxCalls: patch.maxCalls ?? cur.maxCalls,
      greeting: patch.greeting !== undefined ? (patch.greeting ? checkGreetingFile(patch.greeting) : patch.greeting) : cur.greeting,
      blockAction: patch.blockAction ?? cur.blockAction,
      ringStrategy: patch.ringStrategy ?? cur.ringStrategy,
      ringTimeoutS: patch.ringTimeoutS ?? cur.ringTimeoutS,
      terminals,
    };
    const d = checkDecl(this.declOf(merged, trunk?.name), what);
    if (d.mode !== 'sipTrunk' && trunk) throw new InvalidError(`${what}: only sipTrunk numbers have a trunk`);
    this.db.sqlite.transaction(() => {
      if (d.main && !cur.isMain) this.db.sqlite.prepare('UPDATE did_number SET is_main = 0 WHERE tenant_id = ?').run(row.tenant_id);
      this.db.sqlite
        .prepare('UPDATE did_number SET mode = ?, is_main = ?, trunk_id = ?, max_calls = ?, greeting = ?, block_action = ?, ring_strategy = ?, ring_timeout_s = ? WHERE id = ?')
        .run(d.mode, d.main ? 1 : 0, trunk?.id ?? null, d.max_calls, d.greeting ?? null, d.block_action, d.ring_strategy, d.ring_timeout_s, row.id);
      if (patch.terminals !== undefined || d.mode !== cur.mode) this.terminals.replaceForNumber(row.id, d.terminals);
    }).immediate();
    this.audit.record({ actor, action: 'number.update', target: row.number, tenantId: row.tenant_id, detail: patch });
    return this.get(row.id);
  }

  remove(ref: number | string, actor = 'system', tenantId?: number): DidNumber {
    const row = this.editable(ref, tenantId);
    this.db.sqlite.prepare('DELETE FROM did_number WHERE id = ?').run(row.id);
    this.audit.record({ actor, action: 'number.remove', target: row.number, tenantId: row.tenant_id });
    return toNumber(row);
  }

  // ---- direct-line terminals (the number's side of TerminalService)

  terminalsOf(ref: number | string, tenantId?: number): Terminal[] {
    return this.terminals.listForNumber(this.row(ref, tenantId).id);
  }

  addTerminal(ref: number | string, spec: TerminalSpec, actor = 'system', tenantId?: number): Terminal {
    return this.terminals.addToNumber(this.row(ref, tenantId).id, spec, actor);
  }

  removeTerminal(ref: number | string, which: number | TerminalSpec, actor = 'system', tenantId?: number): Terminal {
    return this.terminals.removeFromNumber(this.row(ref, tenantId).id, which, actor);
  }

  // ---- blacklist

  blacklist(ref: number | string, tenantId?: number): BlacklistEntry[] {
    const row = this.row(ref, tenantId);
    return this.db.sqlite
      .prepare<[number], { id: number; pattern: string; match: 'exact' | 'prefix'; note: string | null; created_at: number }>(
        'SELECT id, pattern, match, note, created_at FROM number_block WHERE number_id = ? ORDER BY pattern, match',
      )
      .all(row.id)
      .map((b) => ({ id: b.id, entry: blockEntryText(b), pattern: b.pattern, match: b.match, note: b.note, createdAt: b.created_at }));
  }

  block(ref: number | string, entry: string, note: string | null = null, actor = 'system', tenantId?: number): BlacklistEntry {
    const row = this.editable(ref, tenantId);
    const b = parseBlockEntry(entry, this.home(row.tenant_id));
    if (note !== null && (typeof note !== 'string' || note.length > 200)) throw new InvalidError('a blacklist note is at most 200 characters');
    try {
      this.db.sqlite
        .prepare('INSERT INTO number_block (tenant_id, number_id, pattern, match, note, created_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(row.tenant_id, row.id, b.pattern, b.match, note || null, this.now());
    } catch (e) {
      if (isUniqueViolation(e)) throw new ConflictError(`${blockEntryText(b)} is already on the blacklist of number ${row.number}`);
      throw e;
    }
    this.audit.record({ actor, action: 'number.block', target: row.number, tenantId: row.tenant_id, detail: { entry: blockEntryText(b), ...(note ? { note } : {}) } });
    return this.blacklist(row.id).find((x) => x.pattern === b.pattern && x.match === b.match)!;
  }

  unblock(ref: number | string, entry: string, actor = 'system', tenantId?: number): BlacklistEntry {
    const row = this.editable(ref, tenantId);
    const b = parseBlockEntry(entry, this.home(row.tenant_id));
    const found = this.blacklist(row.id).find((x) => x.pattern === b.pattern && x.match === b.match);
    if (!found) throw new NotFoundError(`${blockEntryText(b)} is not on the blacklist of number ${row.number}`);
    this.db.sqlite.prepare('DELETE FROM number_block WHERE id = ?').run(found.id);
    this.audit.record({ actor, action: 'number.unblock', target: row.number, tenantId: row.tenant_id, detail: { entry: found.entry } });
    return found;
  }

  // ----

  /** The declaration the config would hold for this input (the same zod rules check both). */
  private declOf(i: NumberInput, trunkName: string | undefined): Record<string, unknown> {
    const raw: Record<string, unknown> = { number: i.number, mode: i.mode };
    if (i.isMain !== undefined) raw.main = i.isMain;
    if (i.greeting !== undefined && i.greeting !== null && i.greeting !== '') raw.greeting = i.greeting;
    if (i.blockAction !== undefined) raw.block_action = i.blockAction;
    if (i.terminals !== undefined) raw.terminals = i.terminals;
    if (i.ringStrategy !== undefined) raw.ring_strategy = i.ringStrategy;
    if (i.ringTimeoutS !== undefined) raw.ring_timeout_s = i.ringTimeoutS;
    if (trunkName !== undefined) raw.trunk = trunkName;
    if (i.maxCalls !== undefined) raw.max_calls = i.maxCalls;
    return raw;
  }

  /** The trunk a sipTrunk number goes to: a trunk of kind pbx of the same tenant. */
  private trunkFor(tenantId: number, ref: string | number | null | undefined, what: string): { id: number; name: string } | undefined {
    if (ref === undefined || ref === null || ref === '') return undefined;
    const s = this.db.sqlite;
    const t =
      typeof ref === 'number' || /^[0-9]+$/.test(ref)
        ? s.prepare<[number], { id: number; name: string; kind: string; tenant_id: number | null }>('SELECT id, name, kind, tenant_id FROM trunk WHERE id = ?').get(Number(ref))
        : s.prepare<[string], { id: number; name: string; kind: string; tenant_id: number | null }>('SELECT id, name, kind, tenant_id FROM trunk WHERE name = ?').get(ref);
    if (!t) throw new NotFoundError(`${what}: trunk ${ref} does not exist`);
    if (t.kind !== 'pbx' || t.tenant_id !== tenantId) throw new InvalidError(`${what}: trunk ${t.name} is not a PBX trunk of this tenant; a sipTrunk number goes to a trunk of kind pbx of its own tenant`);
    return { id: t.id, name: t.name };
  }

  private ownerOf(e164: string): { tenant_id: number; tenant: string } | undefined {
    return this.db.sqlite
      .prepare<[string], { tenant_id: number; tenant: string }>('SELECT d.tenant_id, t.name AS tenant FROM did_number d JOIN tenant t ON t.id = d.tenant_id WHERE d.number = ?')
      .get(e164);
  }

  private row(ref: number | string, tenantId?: number): Row {
    let r: Row | undefined;
    if (typeof ref === 'number') r = this.db.sqlite.prepare<[number], Row>(`${SELECT} WHERE d.id = ?`).get(ref);
    else {
      const home = this.home(tenantId ?? this.defaultTenantId());
      let e164: string;
      try {
        e164 = normalizeDid(ref, home);
      } catch {
        throw new NotFoundError(`number ${ref} does not exist`);
      }
      r = this.db.sqlite.prepare<[string], Row>(`${SELECT} WHERE d.number = ?`).get(e164);
    }
    if (!r || (tenantId !== undefined && r.tenant_id !== tenantId)) throw new NotFoundError(`number ${ref} does not exist`);
    return r;
  }

  private editable(ref: number | string, tenantId?: number): Row {
    const r = this.row(ref, tenantId);
    if (r.config_managed === 1) throw new ConfigManagedError(`number ${r.number}`);
    return r;
  }

  private defaultTenantId(): number {
    return this.db.sqlite.prepare<[], number>('SELECT id FROM tenant WHERE is_default = 1').pluck().get() ?? 0;
  }

  private home(tenantId: number): NumberHome {
    return parseTenantSettings(this.db.sqlite.prepare<[number], string>('SELECT settings FROM tenant WHERE id = ?').pluck().get(tenantId));
  }
}
