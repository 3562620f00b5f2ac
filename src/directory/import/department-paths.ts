// A tenant's department tree as paths ("Sales/East"), both ways: the file names departments by
// path, the database by id. Departments are few next to employees, so the whole tree is read at
// once; a cycle (which the service never makes) is cut where it repeats.
import type { PbxDb } from '../../db/open.ts';
import { joinDepartmentPath } from './directory-columns.ts';

export interface DepartmentPaths {
  pathOf: Map<number, string>;
  idOf: Map<string, number>;
}

export function loadDepartmentPaths(db: PbxDb, tenantId: number): DepartmentPaths {
  const rows = db.sqlite
    .prepare<[number], { id: number; name: string; parent_id: number | null }>('SELECT id, name, parent_id FROM department WHERE tenant_id = ?')
    .all(tenantId);
  const byId = new Map(rows.map((r) => [r.id, r]));
  const pathOf = new Map<number, string>();
  const idOf = new Map<string, number>();
  for (const r of rows) {
    const names: string[] = [];
    const seen = new Set<number>();
    for (let d: typeof r | undefined = r; d !== undefined && !seen.has(d.id); d = d.parent_id === null ? undefined : byId.get(d.parent_id)) {
      seen.add(d.id);
      names.unshift(d.name.trim());
    }
    const path = joinDepartmentPath(names);
    pathOf.set(r.id, path);
    if (!idOf.has(path)) idOf.set(path, r.id);
  }
  return { pathOf, idOf };
}
