import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type PbxDb } from '../../../src/db/open.ts';
import { migrate } from '../../../src/db/migrate.ts';
import { ExtensionNumbering, displayNameOf } from '../../../src/directory/numbering/numbering-service.ts';
import { ConflictError, NotFoundError } from '../../../src/errors.ts';

const opened: { db: PbxDb; dir: string }[] = [];
afterEach(() => {
  for (const o of opened.splice(0)) {
    o.db.close();
    rmSync(o.dir, { recursive: true, force: true });
  }
});

function setup(settings: object = {}): { db: PbxDb; tenantId: number } {
  const dir = mkdtempSync(join(tmpdir(), 'pbx-numbering-'));
  const db = openDatabase(dir);
  opened.push({ db, dir });
  migrate(db);
  const tenantId = Number(
    db.sqlite.prepare("INSERT INTO tenant (name, sip_domain, settings, created_at) VALUES (?, ?, ?, 0)").run(`t-${Math.random()}`, `${Math.random()}.example`, JSON.stringify(settings)).lastInsertRowid,
  );
  return { db, tenantId };
}

function addEmployees(d: PbxDb, tenantId: number, nos: readonly string[], active = true): number[] {
  const ins = d.sqlite.prepare('INSERT INTO employee (tenant_id, employee_no, name, active, created_at) VALUES (?, ?, ?, ?, 0)');
  return d.sqlite.transaction(() => nos.map((no) => Number(ins.run(tenantId, no, `Name ${no}`, active ? 1 : 0).lastInsertRowid)))();
}

function addExtension(d: PbxDb, tenantId: number, number: string, kind = 'function', employeeId: number | null = null): void {
  d.sqlite.prepare("INSERT INTO extension (tenant_id, number, kind, employee_id, sip_password, created_at) VALUES (?, ?, ?, ?, 'secret-secret', 0)").run(tenantId, number, kind, employeeId);
}

const range = (n: number, from = 1) => Array.from({ length: n }, (_, i) => String(from + i));
const numberOf = (d: PbxDb, employeeId: number) => d.sqlite.prepare('SELECT number FROM extension WHERE employee_id = ?').pluck().get(employeeId) as string | undefined;

describe('ExtensionNumbering', () => {
  it('numbers every activated employee without an extension, in employee-id order, as employee extensions', () => {
    const { db, tenantId } = setup();
    const ids = addEmployees(db, tenantId, ['10', '2', '1']);
    const numbering = new ExtensionNumbering(db, { now: () => 1234 });
    const r = numbering.assignMissing(tenantId);
    expect(r.assigned).toBe(3);
    expect([...r.numbers.entries()]).toEqual([
      [ids[2], '800'],
      [ids[1], '801'],
      [ids[0], '802'],
    ]);
    const rows = db.sqlite.prepare('SELECT number, kind, employee_id, display_name, sip_password, created_at FROM extension WHERE tenant_id = ? ORDER BY id').all(tenantId) as {
      number: string;
      kind: string;
      employee_id: number;
      display_name: string;
      sip_password: string;
      created_at: number;
    }[];
    expect(rows.map((x) => [x.number, x.kind, x.employee_id, x.display_name, x.created_at])).toEqual([
      ['800', 'employee', ids[2], 'Name 1', 1234],
      ['801', 'employee', ids[1], 'Name 2', 1234],
      ['802', 'employee', ids[0], 'Name 10', 1234],
    ]);
    for (const x of rows) expect(x.sip_password).toMatch(/^[A-Za-z0-9]{16,}$/);
    expect(new Set(rows.map((x) => x.sip_password)).size).toBe(3);
    expect(numbering.assignMissing(tenantId)).toEqual({ assigned: 0, numbers: new Map() });
  });

  it('neither counts nor numbers inactive employees', () => {
    const { db, tenantId } = setup();
    addEmployees(db, tenantId, range(100));
    const inactive = addEmployees(db, tenantId, range(5, 101), false);
    const r = new ExtensionNumbering(db).assignMissing(tenantId);
    expect(r.assigned).toBe(100);
    expect([...r.numbers.values()].every((n) => n.length === 3)).toBe(true);
    for (const id of inactive) expect(numberOf(db, id)).toBeUndefined();
  });

  it('crossing 100 → 101 gives the new employee 4 digits and leaves the existing numbers alone', () => {
    const { db, tenantId } = setup();
    const numbering = new ExtensionNumbering(db);
    addEmployees(db, tenantId, range(100));
    const before = numbering.assignMissing(tenantId).numbers;
    expect([...before.values()].at(-1)).toBe('910');
    const [newcomer] = addEmployees(db, tenantId, ['101']);
    expect(numbering.assignOne(tenantId, newcomer!)).toBe('8000');
    for (const [id, n] of before) expect(numberOf(db, id)).toBe(n);
  });

  it('crossing 1000 → 1001 gives 5 digits and leaves the 4-digit numbers alone', () => {
    const { db, tenantId } = setup();
    const numbering = new ExtensionNumbering(db);
    addEmployees(db, tenantId, range(1000));
    const before = numbering.assignMissing(tenantId).numbers;
    expect([...before.values()].every((n) => n.length === 4)).toBe(true);
    const [newcomer] = addEmployees(db, tenantId, ['1001']);
    expect(numbering.assignOne(tenantId, newcomer!)).toBe('80000');
    const [second] = addEmployees(db, tenantId, ['1002']);
    expect(numbering.assignOne(tenantId, second!)).toBe('80001');
    expect(db.sqlite.prepare("SELECT count(*) FROM extension WHERE tenant_id = ? AND length(number) = 4").pluck().get(tenantId)).toBe(1000);
    for (const [id, n] of [...before].slice(0, 50)) expect(numberOf(db, id)).toBe(n);
  });

  it('skips hand-set, operator and function numbers of any length and keeps hand-set employee numbers', () => {
    const { db, tenantId } = setup({ operator: '805' });
    const [handSet, ...others] = addEmployees(db, tenantId, ['1', '2', '3', '4', '5']);
    addExtension(db, tenantId, '801', 'employee', handSet!);
    addExtension(db, tenantId, '800', 'operator');
    addExtension(db, tenantId, '802', 'function');
    addExtension(db, tenantId, '8003', 'function');
    const r = new ExtensionNumbering(db).assignMissing(tenantId);
    expect(r.assigned).toBe(4);
    expect(others.map((id) => r.numbers.get(id))).toEqual(['803', '806', '807', '808']);
    expect(numberOf(db, handSet!)).toBe('801');
  });

  it('rolls a full 8 range into 9 and then 1, never giving x4 nor an emergency number', () => {
    const { db, tenantId } = setup();
    for (let n = 800; n <= 899; n++) if (n % 10 !== 4) addExtension(db, tenantId, String(n));
    const numbering = new ExtensionNumbering(db);
    const [first] = addEmployees(db, tenantId, ['1']);
    expect(numbering.assignOne(tenantId, first!)).toBe('900');
    for (let n = 901; n <= 999; n++) if (n % 10 !== 4) addExtension(db, tenantId, String(n));
    const ids = addEmployees(db, tenantId, range(12, 2));
    const r = numbering.assignMissing(tenantId);
    expect(ids.map((id) => r.numbers.get(id))).toEqual(['100', '101', '102', '103', '105', '106', '107', '108', '109', '111', '112', '113']);
  });

  it('skips the emergency numbers of the tenant country', () => {
    const { db, tenantId } = setup({ country_code: '1' });
    for (let n = 800; n <= 910; n++) if (n % 10 !== 4) addExtension(db, tenantId, String(n));
    const ids = addEmployees(db, tenantId, ['1', '2']);
    const r = new ExtensionNumbering(db).assignMissing(tenantId);
    expect(ids.map((id) => r.numbers.get(id))).toEqual(['912', '913']);
  });

  it('assignOne: the next free number at once; existing kept; unknown and inactive refused', () => {
    const { db, tenantId } = setup();
    const numbering = new ExtensionNumbering(db, { password: () => 'injected-password-1' });
    const [a, b] = addEmployees(db, tenantId, ['1', '2']);
    expect(numbering.assignOne(tenantId, b!)).toBe('800');
    expect(numbering.assignOne(tenantId, a!)).toBe('801');
    expect(numbering.assignOne(tenantId, a!)).toBe('801');
    expect(db.sqlite.prepare('SELECT sip_password FROM extension WHERE employee_id = ?').pluck().get(a)).toBe('injected-password-1');
    const [off] = addEmployees(db, tenantId, ['3'], false);
    expect(() => numbering.assignOne(tenantId, off!)).toThrow(ConflictError);
    expect(() => numbering.assignOne(tenantId, 99_999)).toThrow(NotFoundError);
    const other = setup();
    expect(() => new ExtensionNumbering(other.db).assignOne(other.tenantId, a!)).toThrow(NotFoundError);
  });

  it('keeps tenants apart: the same numbers in two tenants', () => {
    const { db, tenantId } = setup();
    const t2 = Number(db.sqlite.prepare("INSERT INTO tenant (name, sip_domain, created_at) VALUES ('other', 'other.example', 0)").run().lastInsertRowid);
    addEmployees(db, tenantId, ['1', '2']);
    addEmployees(db, t2, ['1']);
    addExtension(db, t2, '801');
    const numbering = new ExtensionNumbering(db);
    expect([...numbering.assignMissing(tenantId).numbers.values()]).toEqual(['800', '801']);
    expect([...numbering.assignMissing(t2).numbers.values()]).toEqual(['800']);
  });

  it('makes a SIP-safe display name of the employee name', () => {
    expect(displayNameOf('张三')).toBe('张三');
    expect(displayNameOf(' A "B" \\C\n ')).toBe('A B C');
    expect(displayNameOf('  ')).toBeNull();
    expect(displayNameOf('x'.repeat(100))).toHaveLength(64);
  });
});
