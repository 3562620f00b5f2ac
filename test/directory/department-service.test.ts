// Departments as a tree: add under a parent, paths, rename, move without cycles, remove only
// when empty, names unique among siblings (top level too), audit.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempServices } from '../fixtures.ts';
import { ConflictError, InvalidError, NotFoundError } from '../../src/errors.ts';
import { splitDepartmentPath } from '../../src/directory/department-service.ts';

let env: ReturnType<typeof tempServices>;
let t: number;
beforeEach(() => {
  env = tempServices();
  t = env.services.tenants.defaultTenant().id;
});
afterEach(() => env.cleanup());

describe('DepartmentService', () => {
  it('adds a tree and lists it depth-first with paths, depths and counts', () => {
    const { departments: d } = env.services;
    const sales = d.add(t, { name: 'Sales' });
    expect(sales).toMatchObject({ name: 'Sales', parentId: null, path: 'Sales', depth: 0, employees: 0, children: 0 });
    const east = d.add(t, { name: 'East', parent: 'Sales' });
    expect(east).toMatchObject({ parentId: sales.id, path: 'Sales/East', depth: 1 });
    d.add(t, { name: 'West', parent: sales.id });
    d.add(t, { name: 'Shanghai', parent: '/Sales/East/' });
    d.add(t, { name: 'Admin' });
    expect(d.list(t).map((x) => [x.path, x.depth, x.children])).toEqual([
      ['Admin', 0, 0],
      ['Sales', 0, 2],
      ['Sales/East', 1, 1],
      ['Sales/East/Shanghai', 2, 0],
      ['Sales/West', 1, 0],
    ]);
    expect(d.get(t, 'Sales/East/Shanghai').path).toBe('Sales/East/Shanghai');
    expect(d.get(t, String(east.id)).path).toBe('Sales/East');
    expect(env.services.audit.list()[0]).toMatchObject({ action: 'department.add', target: 'Admin', tenantId: t });
    // another tenant's tree is apart
    const acme = env.services.tenants.add({ name: 'acme', domain: 'acme.example' });
    d.add(acme.id, { name: 'Sales' });
    expect(d.list(acme.id).map((x) => x.path)).toEqual(['Sales']);
    expect(() => d.get(acme.id, east.id)).toThrow(NotFoundError);
  });

  it('refuses bad names, unknown parents and duplicate names among siblings (top level too)', () => {
    const { departments: d } = env.services;
    d.add(t, { name: 'Sales' });
    d.add(t, { name: 'East', parent: 'Sales' });
    expect(() => d.add(t, { name: 'Sales' })).toThrow(ConflictError);
    expect(() => d.add(t, { name: ' Sales ' })).toThrow(/department Sales already exists/);
    expect(() => d.add(t, { name: 'East', parent: 'Sales' })).toThrow(/department Sales\/East already exists/);
    d.add(t, { name: 'East' }); // the same name elsewhere is fine
    expect(() => d.add(t, { name: 'A/B' })).toThrow(/may not contain "\/"/);
    expect(() => d.add(t, { name: '' })).toThrow(InvalidError);
    expect(() => d.add(t, { name: 'x'.repeat(65) })).toThrow(/longer than 64/);
    expect(() => d.add(t, { name: 'Tab\tbed' })).toThrow(/control characters/);
    expect(() => d.add(t, { name: 'North', parent: 'Sales/Nowhere' })).toThrow(/department Sales\/Nowhere does not exist/);
    expect(() => d.add(t, { name: 'North', parent: 999 })).toThrow(NotFoundError);
    expect(() => splitDepartmentPath('Sales//East')).toThrow(InvalidError);
    // a name of digits is reached by its path with a leading "/"
    const y = d.add(t, { name: '2024' });
    expect(d.get(t, '/2024').id).toBe(y.id);
    expect(() => d.get(t, '2024')).toThrow(/department 2024 does not exist \(a department whose name is only digits is named by its path: \/2024\)/);
  });

  it('renames (siblings stay unique) and moves without cycles', () => {
    const { departments: d } = env.services;
    d.add(t, { name: 'Sales' });
    d.add(t, { name: 'East', parent: 'Sales' });
    d.add(t, { name: 'Shanghai', parent: 'Sales/East' });
    d.add(t, { name: 'Support' });
    expect(d.rename(t, 'Sales/East', 'Eastern')).toMatchObject({ path: 'Sales/Eastern' });
    expect(d.get(t, 'Sales/Eastern/Shanghai').path).toBe('Sales/Eastern/Shanghai');
    expect(() => d.rename(t, 'Support', 'Sales')).toThrow(/department Sales already exists/);
    expect(() => d.rename(t, 'Support', 'a/b')).toThrow(InvalidError);
    expect(env.services.audit.list()[0]).toMatchObject({ action: 'department.rename', target: 'Sales/East', detail: { path: 'Sales/Eastern' } });

    expect(() => d.move(t, 'Sales', 'Sales')).toThrow(/cannot move Sales under Sales: that is the department itself/);
    expect(() => d.move(t, 'Sales', 'Sales/Eastern/Shanghai')).toThrow(/one of its own sub-departments/);
    expect(d.move(t, 'Sales/Eastern', 'Support')).toMatchObject({ path: 'Support/Eastern', depth: 1 });
    expect(d.get(t, 'Support/Eastern/Shanghai').depth).toBe(2);
    expect(d.move(t, 'Support/Eastern/Shanghai', null)).toMatchObject({ path: 'Shanghai', parentId: null });
    expect(env.services.audit.list()[0]).toMatchObject({ action: 'department.move', target: 'Support/Eastern/Shanghai', detail: { path: 'Shanghai' } });
    d.add(t, { name: 'Shanghai', parent: 'Support' });
    expect(() => d.move(t, 'Support/Shanghai', null)).toThrow(/department Shanghai already exists/);
  });

  it('removes only empty departments, saying what is left', () => {
    const { departments: d, employees } = env.services;
    d.add(t, { name: 'Sales' });
    d.add(t, { name: 'East', parent: 'Sales' });
    employees.add(t, { employeeNo: 'E1', name: 'Ann', department: 'Sales', active: false });
    employees.add(t, { employeeNo: 'E2', name: 'Bob', department: 'Sales', active: false });
    expect(() => d.remove(t, 'Sales')).toThrow(ConflictError);
    expect(() => d.remove(t, 'Sales')).toThrow('department Sales still has 2 employees and 1 sub-department; move or remove them first');
    d.remove(t, 'Sales/East');
    employees.update(t, 'E1', { department: null });
    expect(() => d.remove(t, 'Sales')).toThrow('department Sales still has 1 employee; move or remove it first');
    employees.remove(t, 'E2');
    expect(d.remove(t, 'Sales')).toMatchObject({ path: 'Sales' });
    expect(d.list(t)).toEqual([]);
    expect(env.services.audit.list()[0]).toMatchObject({ action: 'department.remove', target: 'Sales' });
    expect(() => d.remove(t, 'Sales')).toThrow(NotFoundError);
  });

  it('keeps the tree at most 32 deep, also when moving a branch', () => {
    const { departments: d } = env.services;
    let parent: number | null = null;
    for (let i = 0; i < 32; i++) parent = d.add(t, { name: `L${i}`, parent }).id;
    expect(() => d.add(t, { name: 'deeper', parent })).toThrow(/at most 32 deep/);
    const top = d.add(t, { name: 'Top' });
    d.add(t, { name: 'Child', parent: top.id });
    expect(() => d.move(t, 'Top', 'L0/L1/L2/L3/L4/L5/L6/L7/L8/L9/L10/L11/L12/L13/L14/L15/L16/L17/L18/L19/L20/L21/L22/L23/L24/L25/L26/L27/L28/L29/L30')).toThrow(/at most 32 deep/);
    expect(d.move(t, 'Top', 'L0').path).toBe('L0/Top');
  });
});
