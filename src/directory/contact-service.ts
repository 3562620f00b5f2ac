// External contacts of a tenant (R-DIR-1): name, company, one or more numbers and the employee
// who manages them (the account manager). Numbers are kept normalised the way call records are
// matched against them (numberKey: national form for numbers of the tenant's own country,
// E.164 for foreign ones), so "is this caller a contact?" is one lookup on the
// (tenant_id, number) index. A number belongs to at most one contact of a tenant, so a caller
// is never two people. A contact can be made from a call record: the call's outside party
// (the caller of an inbound call, the callee of an outbound one) becomes its number.
import type Database from 'better-sqlite3';
import type { PbxDb } from '../db/open.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { ConflictError, InvalidError, NotFoundError } from '../errors.ts';
import { normalizeNumber } from '../routing/numbers/normalize-number.ts';
import { isNumberError, type NormalizedNumber, type NumberContext } from '../routing/numbers/normalized-number.ts';
import { parseTenantSettings } from '../tenancy/tenant-settings.ts';
import type { Page } from './extension-service.ts';

export interface Contact {
  id: number;
  tenantId: number;
  name: string;
  company: string | null;
  /** The account manager: the employee's row id, employee id and name (null: none, or they left). */
  ownerEmployeeId: number | null;
  owner: { employeeNo: string; name: string } | null;
  /** Normalised: national form at home (13812345678, 01088886666), E.164 abroad. */
  numbers: string[];
  createdAt: number;
}

export interface ContactInput {
  name: string;
  company?: string | null;
  /** As typed: 138 1234 5678, +86 10 8888 6666, 010-88886666, 88886666 (with the tenant's area code). */
  numbers: readonly string[];
  /** The owning employee's employee id (E001); null or absent for none. */
  owner?: string | null;
}

export type ContactPatch = Partial<ContactInput>;

/** A tenant's home conventions for reading numbers (its settings' country and area code). */
export function tenantNumberContext(db: PbxDb, tenantId: number): NumberContext {
  const s = parseTenantSettings(db.sqlite.prepare<[number], string>('SELECT settings FROM tenant WHERE id = ?').pluck().get(tenantId));
  return { countryCode: s.country_code, ...(s.area_code ? { areaCode: s.area_code } : {}) };
}

/**
 * How the directory keeps and matches a number: the national form for a number of the home
 * country (13812345678, 01088886666, 4008001234), E.164 for a foreign one; undefined for short
 * and emergency codes, which are nobody's number.
 */
export function numberKey(n: NormalizedNumber, homeCountryCode = '86'): string | undefined {
  if (n.kind === 'short' || n.kind === 'emergency') return undefined;
  if (n.kind !== 'international' && n.countryCode === homeCountryCode) return n.national;
  return n.e164;
}

/** The key of a number as a call record has it (any form a carrier sends), or undefined. */
export function callNumberKey(number: string, ctx: NumberContext): string | undefined {
  const n = normalizeNumber(number, ctx);
  return isNumberError(n) ? undefined : numberKey(n, ctx.countryCode ?? '86');
}

/** A number a person typed, as the directory keeps it; InvalidError saying what is wrong. */
export function directoryNumber(input: string, ctx: NumberContext, what: string): string {
  const n = normalizeNumber(String(input), ctx);
  if (isNumberError(n)) throw new InvalidError(`${what} ${JSON.stringify(input)}: ${n.message}`);
  if (n.kind === 'landline' && n.e164 === undefined) throw new InvalidError(`${what} ${input} is a local number without area code; give the area code (or set the tenant's area_code)`);
  const key = numberKey(n, ctx.countryCode ?? '86');
  if (key === undefined) throw new InvalidError(`${what} ${input} is a ${n.kind} number, not one a person or company has`);
  return key;
}

function checkName(v: unknown): string {
  const s = typeof v === 'string' ? v.trim() : v;
  if (typeof s !== 'string' || s === '') throw new InvalidError('a contact needs a name');
  if (s.length > 100 || /[\x00-\x1f\x7f]/.test(s)) throw new InvalidError('a contact name must be at most 100 characters without control characters');
  return s;
}

function checkCompany(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  const s = typeof v === 'string' ? v.trim() : v;
  if (s === '') return null;
  if (typeof s !== 'string' || s.length > 100 || /[\x00-\x1f\x7f]/.test(s)) throw new InvalidError('a company must be at most 100 characters without control characters');
  return s;
}

interface Row {
  id: number;
  tenant_id: number;
  name: string;
  company: string | null;
  owner_employee_id: number | null;
  owner_no: string | null;
  owner_name: string | null;
  created_at: number;
}

const SELECT = `SELECT c.*, e.employee_no AS owner_no, e.name AS owner_name FROM contact c LEFT JOIN employee e ON e.id = c.owner_employee_id`;

export class ContactService {
  private readonly numbersOf: Database.Statement<[number], string>;
  private readonly holder: Database.Statement<[number, string], { id: number; name: string }>;

  constructor(
    private readonly db: PbxDb,
    private readonly audit: AuditLog,
    private readonly now: () => number = Date.now,
  ) {
    const s = db.sqlite;
    this.numbersOf = s.prepare<[number], string>('SELECT number FROM contact_number WHERE contact_id = ? ORDER BY id').pluck();
    this.holder = s.prepare('SELECT c.id, c.name FROM contact_number n JOIN contact c ON c.id = n.contact_id WHERE n.tenant_id = ? AND n.number = ? LIMIT 1');
  }

  add(tenantId: number, input: ContactInput, actor = 'system'): Contact {
    const name = checkName(input.name);
    const company = checkCompany(input.company);
    const run = this.db.sqlite.transaction((): number => {
      const numbers = this.numbers(tenantId, input.numbers, undefined);
      const owner = this.owner(tenantId, input.owner);
      const id = Number(
        this.db.sqlite.prepare('INSERT INTO contact (tenant_id, name, company, owner_employee_id, created_at) VALUES (?, ?, ?, ?, ?)').run(tenantId, name, company, owner, this.now())
          .lastInsertRowid,
      );
      this.writeNumbers(tenantId, id, numbers);
      return id;
    });
    const c = this.get(tenantId, run.immediate());
    this.audit.record({ actor, action: 'contact.add', target: c.name, tenantId, detail: { id: c.id, company: c.company, numbers: c.numbers, owner: c.owner?.employeeNo ?? null } });
    return c;
  }

  /**
   * "Add this caller as a contact": the outside party of a call record of the tenant (the caller
   * of an inbound call, the callee of an outbound one) becomes the contact's number.
   */
  addFromCall(tenantId: number, callId: string, input: Omit<ContactInput, 'numbers'> & { numbers?: readonly string[] }, actor = 'system'): Contact {
    const call = this.db.sqlite
      .prepare<[string], { tenant_id: number; direction: string; caller_number: string; callee_number: string }>('SELECT tenant_id, direction, caller_number, callee_number FROM call WHERE id = ?')
      .get(callId);
    if (!call || call.tenant_id !== tenantId) throw new NotFoundError(`call ${callId} does not exist`);
    if (call.direction === 'internal') throw new InvalidError(`call ${callId} is an internal call between extensions; it has no outside party to add as a contact`);
    const outside = call.direction === 'inbound' ? call.caller_number : call.callee_number;
    if (!/[0-9]/.test(outside)) throw new InvalidError(`the ${call.direction === 'inbound' ? 'caller' : 'callee'} of call ${callId} gave no number (${outside})`);
    return this.add(tenantId, { ...input, numbers: [outside, ...(input.numbers ?? [])] }, actor);
  }

  get(tenantId: number, id: number): Contact {
    const r = Number.isSafeInteger(id) ? this.db.sqlite.prepare<[number, number], Row>(`${SELECT} WHERE c.tenant_id = ? AND c.id = ?`).get(tenantId, id) : undefined;
    if (!r) throw new NotFoundError(`contact ${id} does not exist`);
    return this.view(r);
  }

  /** Contacts by name, with pagination; `owner` (employee id) limits to one account manager's. */
  list(tenantId: number, opts: { limit?: number; offset?: number; owner?: string } = {}): Page<Contact> {
    const limit = Math.min(Math.max(Math.trunc(opts.limit ?? 100), 1), 1000);
    const offset = Math.max(Math.trunc(opts.offset ?? 0), 0);
    const where = ['c.tenant_id = @tenantId'];
    const params: Record<string, unknown> = { tenantId, limit, offset };
    if (opts.owner !== undefined && opts.owner !== '') {
      where.push('c.owner_employee_id = @owner');
      params.owner = this.owner(tenantId, opts.owner);
    }
    const s = this.db.sqlite;
    const items = s.prepare<[Record<string, unknown>], Row>(`${SELECT} WHERE ${where.join(' AND ')} ORDER BY c.name COLLATE NOCASE, c.id LIMIT @limit OFFSET @offset`).all(params).map((r) => this.view(r));
    const total = s.prepare<[Record<string, unknown>], number>(`SELECT count(*) FROM contact c WHERE ${where.join(' AND ')}`).pluck().get(params) ?? 0;
    return { items, total, limit, offset };
  }

  /**
   * Contacts whose name starts with `q` (ASCII letters in either case), or one of whose numbers
   * starts with `q` read as a number (138 1234, +86138…, 0108888): both on indexes. At most
   * `limit` (default 20), by name.
   */
  search(tenantId: number, q: string, limit = 20): Contact[] {
    const text = String(q).trim();
    if (text === '') throw new InvalidError('search for a name or a number (the start of it)');
    const lim = Math.min(Math.max(Math.trunc(limit), 1), 200);
    const s = this.db.sqlite;
    const ids = new Set<number>(
      s
        .prepare<[number, string, string, number], number>('SELECT id FROM contact WHERE tenant_id = ? AND name >= ? COLLATE NOCASE AND name < ? COLLATE NOCASE ORDER BY name COLLATE NOCASE, id LIMIT ?')
        .pluck()
        .all(tenantId, text, `${text}\u{10FFFF}`, lim),
    );
    const digits = text.replace(/[\s\-.()]/g, '');
    if (/^\+?[0-9]{2,}$/.test(digits)) {
      const prefixes = new Set<string>([digits]);
      const ctx = tenantNumberContext(this.db, tenantId);
      // +8613812… / 008613812… typed for a home number: kept in national form
      const cc = ctx.countryCode ?? '86';
      for (const intl of ['+', '00']) if (digits.startsWith(intl + cc)) prefixes.add(digits.slice(intl.length + cc.length)).add(`0${digits.slice(intl.length + cc.length)}`);
      const stmt = s.prepare<[number, string, string, number], number>('SELECT contact_id FROM contact_number WHERE tenant_id = ? AND number >= ? AND number < ? ORDER BY number LIMIT ?').pluck();
      for (const p of prefixes) for (const id of stmt.all(tenantId, p, `${p}\u{10FFFF}`, lim)) ids.add(id);
    }
    if (ids.size === 0) return [];
    return s
      .prepare<[number, string, number], Row>(`${SELECT} WHERE c.tenant_id = ? AND c.id IN (SELECT value FROM json_each(?)) ORDER BY c.name COLLATE NOCASE, c.id LIMIT ?`)
      .all(tenantId, JSON.stringify([...ids]), lim)
      .map((r) => this.view(r));
  }

  /** The contact a number (any form) belongs to, if any. */
  findByNumber(tenantId: number, number: string): Contact | undefined {
    const key = callNumberKey(number, tenantNumberContext(this.db, tenantId));
    const hit = key === undefined ? undefined : this.holder.get(tenantId, key);
    return hit ? this.get(tenantId, hit.id) : undefined;
  }

  /** Changes name, company, owner (null: none) or the numbers (replaces them all). */
  update(tenantId: number, id: number, patch: ContactPatch, actor = 'system'): Contact {
    const run = this.db.sqlite.transaction(() => {
      const cur = this.get(tenantId, id);
      const name = patch.name === undefined ? cur.name : checkName(patch.name);
      const company = patch.company === undefined ? cur.company : checkCompany(patch.company);
      const owner = patch.owner === undefined ? cur.ownerEmployeeId : this.owner(tenantId, patch.owner);
      this.db.sqlite.prepare('UPDATE contact SET name = ?, company = ?, owner_employee_id = ? WHERE id = ?').run(name, company, owner, cur.id);
      if (patch.numbers !== undefined) {
        const numbers = this.numbers(tenantId, patch.numbers, cur.id);
        this.db.sqlite.prepare('DELETE FROM contact_number WHERE contact_id = ?').run(cur.id);
        this.writeNumbers(tenantId, cur.id, numbers);
      }
    });
    run.immediate();
    const c = this.get(tenantId, id);
    this.audit.record({ actor, action: 'contact.update', target: c.name, tenantId, detail: { id: c.id, ...patch } });
    return c;
  }

  remove(tenantId: number, id: number, actor = 'system'): Contact {
    const c = this.get(tenantId, id);
    this.db.sqlite.prepare('DELETE FROM contact WHERE id = ? AND tenant_id = ?').run(c.id, tenantId); // numbers cascade
    this.audit.record({ actor, action: 'contact.remove', target: c.name, tenantId, detail: { id: c.id, numbers: c.numbers } });
    return c;
  }

  private view(r: Row): Contact {
    return {
      id: r.id,
      tenantId: r.tenant_id,
      name: r.name,
      company: r.company,
      ownerEmployeeId: r.owner_employee_id,
      owner: r.owner_no === null ? null : { employeeNo: r.owner_no, name: r.owner_name ?? '' },
      numbers: this.numbersOf.all(r.id),
      createdAt: r.created_at,
    };
  }

  /** Normalised, duplicates dropped, none another contact's (`self`: the contact being changed). */
  private numbers(tenantId: number, inputs: readonly string[] | undefined, self: number | undefined): string[] {
    if (!Array.isArray(inputs) || inputs.length === 0) throw new InvalidError('a contact needs at least one number');
    if (inputs.length > 20) throw new InvalidError('a contact has at most 20 numbers');
    const ctx = tenantNumberContext(this.db, tenantId);
    const out: string[] = [];
    for (const input of inputs) {
      const key = directoryNumber(String(input), ctx, 'contact number');
      if (out.includes(key)) continue;
      const other = this.holder.get(tenantId, key);
      if (other && other.id !== self) throw new ConflictError(`${key} is already a number of contact ${other.name} (id ${other.id})`);
      out.push(key);
    }
    return out;
  }

  private writeNumbers(tenantId: number, contactId: number, numbers: readonly string[]): void {
    const ins = this.db.sqlite.prepare('INSERT INTO contact_number (tenant_id, contact_id, number) VALUES (?, ?, ?)');
    for (const n of numbers) ins.run(tenantId, contactId, n);
  }

  /** The owning employee's row id from their employee id; null for none. */
  private owner(tenantId: number, employeeNo: string | null | undefined): number | null {
    if (employeeNo === undefined || employeeNo === null || employeeNo === '') return null;
    const id = this.db.sqlite.prepare<[number, string], number>('SELECT id FROM employee WHERE tenant_id = ? AND employee_no = ?').pluck().get(tenantId, String(employeeNo).trim());
    if (id === undefined) throw new NotFoundError(`employee ${employeeNo} does not exist`);
    return id;
  }
}
