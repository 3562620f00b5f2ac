import { afterEach, describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { tempServices } from '../../fixtures.ts';
import { readCsvRows } from '../../../src/directory/import/index.ts';
import { HEADER, exportBuffer, importText, importXlsx, makeDepartments, snapshot, xlsxRows } from './directory-fixture.ts';

const envs: Array<ReturnType<typeof tempServices>> = [];
afterEach(() => {
  for (const e of envs.splice(0)) e.cleanup();
});

const DEPARTMENTS = ['销售部/华东', '销售部/华北', 'R&D', 'Support/Level 1/Night'];

/** A tenant with a directory worth exporting: every column used, odd names, an inactive employee, a function extension. */
async function filled() {
  const env = tempServices();
  envs.push(env);
  const s = env.services;
  const t = s.tenants.defaultTenant().id;
  makeDepartments(s.db, t, DEPARTMENTS);
  s.extensions.add(t, { number: '850', displayName: 'Fax' });
  const rows = [HEADER];
  for (let i = 1; i <= 120; i++) {
    const dept = i % 5 === 0 ? '' : DEPARTMENTS[i % DEPARTMENTS.length];
    const name = i === 7 ? '"Quoted", Name' : i === 8 ? 'Line\u00a0Break' : `员工${i}`;
    const mobile = i % 3 === 0 ? '' : `138${String(i).padStart(8, '0')}`;
    const ext = i % 4 === 0 ? '' : String(8000 + i);
    const kind = ext === '' ? '' : i === 2 ? 'operator' : 'employee';
    rows.push([`E${String(i).padStart(4, '0')}`, name, dept, mobile, i % 2 ? 'Engineer' : '', i % 10 === 0 ? 'false' : 'true', ext, kind].map(csvCell).join(','));
  }
  const r = await importText(s, t, rows.join('\n'));
  expect(r.errors).toEqual([]);
  return { s, t };
}

function csvCell(v: string | undefined): string {
  const s = v ?? '';
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

async function emptyTenant() {
  const env = tempServices();
  envs.push(env);
  const t = env.services.tenants.defaultTenant().id;
  makeDepartments(env.services.db, t, DEPARTMENTS);
  return { s: env.services, t };
}

describe('directory export', () => {
  it('writes CSV with a byte-order mark, the header and one row per employee in employee_no order', async () => {
    const { s, t } = await filled();
    const file = await exportBuffer(s, t, 'csv');
    expect(file.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    const rows: string[][] = [];
    for await (const r of readCsvRows(Readable.from([file]))) rows.push(r.cells);
    expect(rows[0]).toEqual(HEADER.split(','));
    expect(rows).toHaveLength(121);
    expect(rows[1]).toEqual(['E0001', '员工1', '销售部/华北', '13800000001', 'Engineer', 'true', '8001', 'employee']);
    expect(rows[2]).toEqual(['E0002', '员工2', 'R&D', '13800000002', '', 'true', '8002', 'operator']);
    expect(rows[4]![6]).toBe('8000'); // numbered automatically (108 activated: 4 digits): E0004 gave none
    expect(rows[7]![1]).toBe('"Quoted", Name');
    expect(rows[10]).toEqual(['E0010', '员工10', '', '13800000010', '', 'false', '8010', 'employee']);
    expect(rows.some((r) => r.includes('850'))).toBe(false); // function extensions are not employees
    expect(s.audit.list().find((a) => a.action === 'directory.export')).toMatchObject({ target: '120 employees', detail: { format: 'csv', rows: 120 } });
  });

  it('writes XLSX with every cell as text', async () => {
    const { s, t } = await filled();
    const rows = await xlsxRows(await exportBuffer(s, t, 'xlsx'));
    expect(rows).toHaveLength(121);
    expect(rows[0]).toEqual(HEADER.split(','));
    expect(rows[1]).toEqual(['E0001', '员工1', '销售部/华北', '13800000001', 'Engineer', 'true', '8001', 'employee']);
  });

  it('of an empty directory is the header alone', async () => {
    const { s, t } = await emptyTenant();
    expect((await exportBuffer(s, t, 'csv')).toString('utf8')).toBe(`\ufeff${HEADER}\r\n`);
    expect(await xlsxRows(await exportBuffer(s, t, 'xlsx'))).toEqual([HEADER.split(',')]);
  });
});

describe('directory round trip', () => {
  for (const format of ['csv', 'xlsx'] as const) {
    it(`${format}: export, import into an empty tenant, the same directory; imported again, nothing changes`, async () => {
      const { s, t } = await filled();
      const file = await exportBuffer(s, t, format);
      const { s: s2, t: t2 } = await emptyTenant();
      const load = (svc: typeof s, tenant: number) => (format === 'csv' ? importText(svc, tenant, file.toString('utf8')) : importXlsx(svc, tenant, file));
      const r = await load(s2, t2);
      expect(r).toMatchObject({ rows: 120, created: 120, updated: 0, unchanged: 0, numbered: 0, errors: [], applied: true });
      expect(snapshot(s2.db, t2)).toEqual(snapshot(s.db, t));
      // and back into the directory it came from: every row unchanged
      expect(await load(s, t)).toMatchObject({ rows: 120, created: 0, updated: 0, unchanged: 120, numbered: 0, errors: [] });
    });
  }
});
