import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type Database from 'better-sqlite3';
import { tempServices } from '../fixtures.ts';
import { DirectorySearch, queryPlan, usesIndexOnly, type DirectoryEntry } from '../../src/directory/directory-search.ts';
import { ExtensionLookup } from '../../src/directory/extension-lookup.ts';
import { InvalidError } from '../../src/errors.ts';

let env: ReturnType<typeof tempServices>;
let search: DirectorySearch;
let t: number;
let other: number;
afterEach(() => env?.cleanup());

/** Employees 张/李/王 + i with extensions 8xxx (every third none), a function extension, and an employee in another tenant. */
beforeEach(() => {
  env = tempServices();
  const { db, tenants, extensions } = env.services;
  t = tenants.defaultTenant().id;
  other = tenants.add({ name: 'acme', domain: 'acme.example' }).id;
  const dept = db.sqlite.prepare('INSERT INTO department (tenant_id, name, parent_id, created_at) VALUES (?, ?, ?, 0)');
  const sales = Number(dept.run(t, 'Sales', null).lastInsertRowid);
  const east = Number(dept.run(t, 'East', sales).lastInsertRowid);
  const emp = db.sqlite.prepare('INSERT INTO employee (tenant_id, employee_no, name, department_id, mobile, title, active, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0)');
  const ext = db.sqlite.prepare("INSERT INTO extension (tenant_id, number, kind, employee_id, display_name, sip_password, created_at) VALUES (?, ?, 'employee', ?, ?, 'pw-12345678', 0)");
  const surnames = ['张', '李', '王'];
  for (let i = 0; i < 90; i++) {
    const name = `${surnames[i % 3]}${String(i).padStart(2, '0')}`;
    const id = Number(emp.run(t, `E${i}`, name, i % 2 ? east : sales, `138000000${String(i).padStart(2, '0')}`, null, i % 7 ? 1 : 0).lastInsertRowid);
    if (i % 3 !== 2) ext.run(t, String(8000 + i), id, name);
  }
  // five employees with the same name: pages must not skip or repeat them
  for (let i = 0; i < 5; i++) emp.run(t, `S${i}`, '张三', null, null, null, 1);
  extensions.add(t, { number: '800', displayName: 'Reception' });
  const o = Number(emp.run(other, 'X1', '张外', null, null, null, 1).lastInsertRowid);
  ext.run(other, '8001', o, '张外');
  search = new DirectorySearch(db);
});

const numbers = (items: DirectoryEntry[]) => items.map((i) => i.extension?.number ?? null);
const names = (items: DirectoryEntry[]) => items.map((i) => i.employee?.name ?? null);

/** Every page of a listing, following the cursors. */
function all(opts: Parameters<DirectorySearch['search']>[1], tenant = t): DirectoryEntry[][] {
  const pages: DirectoryEntry[][] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = search.search(tenant, { ...opts, ...(cursor ? { cursor } : {}) });
    pages.push(page.items);
    if (page.nextCursor === null) return pages;
    cursor = page.nextCursor;
  }
}

describe('DirectorySearch', () => {
  it('lists every extension of the tenant by number with its employee and department path', () => {
    const first = search.search(t, { limit: 3 });
    expect(first.items[0]).toEqual({ extension: { id: expect.any(Number), number: '800', kind: 'function', displayName: 'Reception', configManaged: false }, employee: null, department: null });
    expect(first.items[1]).toMatchObject({
      extension: { number: '8000', kind: 'employee', displayName: '张00' },
      employee: { employeeNo: 'E0', name: '张00', mobile: '13800000000', title: null, active: false },
      department: 'Sales',
    });
    expect(first.items[2]).toMatchObject({ extension: { number: '8001' }, employee: { name: '李01', active: true }, department: 'Sales/East' });
    const pages = all({ limit: 7 });
    const listed = pages.flat();
    expect(listed).toHaveLength(61); // 60 employees' extensions and the reception
    expect(numbers(listed)).toEqual([...numbers(listed)].sort());
    expect(new Set(numbers(listed)).size).toBe(61);
    expect(pages.slice(0, -1).every((p) => p.length === 7)).toBe(true);
    expect(numbers(all({}, other).flat())).toEqual(['8001']);
  });

  it('searches by number prefix', () => {
    expect(numbers(search.search(t, { search: '801' }).items)).toEqual(['8010', '8012', '8013', '8015', '8016', '8018', '8019']);
    expect(numbers(search.search(t, { search: '800' }).items)).toEqual(['800', '8000', '8001', '8003', '8004', '8006', '8007', '8009']);
    expect(numbers(all({ search: '80', limit: 4 }).flat())).toHaveLength(61);
    expect(search.search(t, { search: '7' }).items).toEqual([]);
    expect(search.search(t, { search: '8089' }).items).toHaveLength(0); // 89 % 3 == 2: no extension
  });

  it('searches by name prefix, employees without an extension too, in name order', () => {
    const zhang = all({ search: '张', limit: 4 }).flat();
    expect(zhang).toHaveLength(35); // 30 张xx and five 张三
    expect(names(zhang)).toEqual([...names(zhang)].sort());
    expect(zhang.filter((e) => e.employee!.name === '张三').map((e) => e.employee!.employeeNo)).toEqual(['S0', 'S1', 'S2', 'S3', 'S4']);
    expect(search.search(t, { search: '王02' }).items).toEqual([
      { extension: null, employee: expect.objectContaining({ employeeNo: 'E2', name: '王02' }), department: 'Sales' }, // no extension
    ]);
    expect(names(search.search(t, { search: '李1' }).items)).toEqual(['李10', '李13', '李16', '李19']);
    expect(names(search.search(t, { search: '王89' }).items)).toEqual(['王89']);
    expect(search.search(t, { search: '赵' }).items).toEqual([]);
    // digits are a number search unless asked otherwise
    expect(search.search(t, { search: '8', by: 'name' }).items).toEqual([]);
  });

  it('pages through equal names one at a time without skipping or repeating', () => {
    const pages = all({ search: '张三', limit: 1 });
    expect(pages.flat().map((e) => e.employee!.employeeNo)).toEqual(['S0', 'S1', 'S2', 'S3', 'S4']);
    expect(pages).toHaveLength(5);
  });

  it('matches Latin names in either case and pages through them in one order', () => {
    const emp = env.services.db.sqlite.prepare('INSERT INTO employee (tenant_id, employee_no, name, active, created_at) VALUES (?, ?, ?, 1, 0)');
    for (const [no, name] of [['L1', 'Zhang Wei'], ['L2', 'zhang li'], ['L3', 'ZHANG MIN'], ['L4', 'Zhao Yun'], ['L5', 'Zhang Wei']]) emp.run(t, no, name);
    const expected = ['zhang li', 'ZHANG MIN', 'Zhang Wei', 'Zhang Wei'];
    for (const q of ['zhang', 'ZHANG', 'Zhang']) expect(names(search.search(t, { search: q }).items)).toEqual(expected);
    // a page at a time, the cursor's name in another case than the prefix
    expect(all({ search: 'zHaNg', limit: 1 }).flat().map((e) => e.employee!.employeeNo)).toEqual(['L2', 'L3', 'L1', 'L5']);
    expect(names(search.search(t, { search: 'zhang w', by: 'name' }).items)).toEqual(['Zhang Wei', 'Zhang Wei']);
  });

  it('refuses a bad cursor, a cursor of another order, and a bad limit', () => {
    expect(() => search.search(t, { cursor: 'nonsense' })).toThrow(InvalidError);
    const byName = search.search(t, { search: '张', limit: 1 }).nextCursor!;
    expect(() => search.search(t, { cursor: byName })).toThrow(/another order/);
    expect(() => search.search(t, { limit: 0 })).toThrow(InvalidError);
    expect(() => search.search(t, { limit: 1001 })).toThrow(InvalidError);
  });

  it('a cursor from another prefix starts at the prefix', () => {
    const early = search.search(t, { search: '800', limit: 1 }).nextCursor!;
    expect(numbers(search.search(t, { search: '803', cursor: early }).items)).toEqual(['8030', '8031', '8033', '8034', '8036', '8037', '8039']);
  });

  it('stays on its indexes; so does routing’s lookup of an extension by number', () => {
    const plans = search.plans(t);
    expect(plans.number.join(' ')).toMatch(/USING INDEX extension_tenant_number/);
    expect(plans.numberAfter.join(' ')).toMatch(/USING INDEX extension_tenant_number/);
    // the index range has both ends (a row value alone does not give SQLite its start)
    expect(plans.name.join(' ')).toMatch(/USING INDEX employee_tenant_name_nocase \(tenant_id=\? AND name>\? AND name<\?\)/);
    for (const p of Object.values(plans)) expect(usesIndexOnly(p)).toBe(true);
    // the statement ExtensionLookup really prepares (call routing's hot path)
    const lookup = new ExtensionLookup(env.services.db) as unknown as { byNumberStmt?: Database.Statement };
    expect(lookup.byNumberStmt?.source, 'ExtensionLookup.byNumberStmt moved: update this check').toMatch(/FROM extension WHERE tenant_id = \? AND number = \?/);
    const plan = queryPlan(env.services.db, lookup.byNumberStmt!.source, [t, '8001']);
    expect(plan.join(' ')).toMatch(/SEARCH extension USING INDEX extension_tenant_number \(tenant_id=\? AND number=\?\)/);
    expect(usesIndexOnly(plan)).toBe(true);
    expect(usesIndexOnly(['SCAN extension'])).toBe(false);
  });
});
