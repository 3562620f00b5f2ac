import { afterEach, describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { tempServices } from '../../fixtures.ts';
import { applyConfig } from '../../../src/config/index.ts';
import { HEADER, importText, importXlsx, importer, makeDepartments, snapshot, xlsxFile } from './directory-fixture.ts';

let env: ReturnType<typeof tempServices>;
afterEach(() => env?.cleanup());

const where = (r: { errors: Array<{ row: number; column: string }> }) => r.errors.map((e) => `${e.row}:${e.column}`);

function setup(yaml = '') {
  env = tempServices(yaml);
  if (yaml !== '') applyConfig(env.services.db, env.config, env.services.audit);
  const s = env.services;
  const t = s.tenants.defaultTenant().id;
  makeDepartments(s.db, t, ['Sales/East', 'Sales/West', 'R&D']);
  return { s, t };
}

const extRow = (s: typeof env.services, t: number, number: string) =>
  s.db.sqlite.prepare('SELECT * FROM extension WHERE tenant_id = ? AND number = ?').get(t, number) as Record<string, unknown> | undefined;

describe('directory import: new employees', () => {
  it('creates employees with departments, normalised mobiles and extensions; numbers the rest automatically', async () => {
    const { s, t } = setup();
    s.extensions.add(t, { number: '800', displayName: 'Reception' }); // a function extension takes the first automatic number
    const r = await importText(
      s,
      t,
      `\ufeff${HEADER}\r\n` +
        'E001,张三,Sales/East,+86 138-1234-5678,Manager,true,8001,employee\r\n' +
        'E002,李四, Sales / West ,13912345678,,yes,,\r\n' +
        '\r\n' + // blank rows are skipped
        'E003,"王五, Jr.",R&D,,Engineer,是,8003,operator\r\n' +
        'E004,赵六,,,,false,,\r\n',
    );
    expect(r).toMatchObject({ rows: 4, created: 4, updated: 0, unchanged: 0, numbered: 1, errors: [], errorsOmitted: 0, applied: true, dryRun: false });
    expect(snapshot(s.db, t)).toEqual([
      { employeeNo: 'E001', name: '张三', department: 'Sales/East', mobile: '13812345678', title: 'Manager', active: true, extension: '8001', kind: 'employee' },
      { employeeNo: 'E002', name: '李四', department: 'Sales/West', mobile: '13912345678', title: null, active: true, extension: '801', kind: 'employee' },
      { employeeNo: 'E003', name: '王五, Jr.', department: 'R&D', mobile: null, title: 'Engineer', active: true, extension: '8003', kind: 'operator' },
      { employeeNo: 'E004', name: '赵六', department: null, mobile: null, title: null, active: false, extension: null, kind: null },
    ]);
    const ext = extRow(s, t, '8001')!;
    expect(ext.sip_password).toMatch(/^[A-Za-z0-9]{16}$/);
    expect(ext.display_name).toBe('张三');
    expect(extRow(s, t, '8003')!.sip_password).not.toBe(ext.sip_password);
    expect(s.extensions.findByNumber(t, '801')?.displayName).toBe('李四');
    expect(s.audit.list().find((a) => a.action === 'directory.import')).toMatchObject({ target: '4 rows', tenantId: t, detail: { created: 4, numbered: 1 } });
  });

  it('accepts a file with only the required columns, in any order and with spaced headers', async () => {
    const { s, t } = setup();
    const r = await importText(s, t, 'Name,Employee No\n甲,1\n乙,2\n');
    expect(r).toMatchObject({ rows: 2, created: 2, numbered: 2, errors: [] });
    expect(snapshot(s.db, t).map((l) => [l.employeeNo, l.name, l.extension, l.active])).toEqual([
      ['1', '甲', '800', true],
      ['2', '乙', '801', true],
    ]);
  });

  it("keeps to its tenant: another tenant's extension numbers are no conflict", async () => {
    const { s, t } = setup();
    const other = s.tenants.add({ name: 'acme', domain: 'acme.example' });
    s.extensions.add(other.id, { number: '8001' });
    const r = await importText(s, t, `${HEADER}\nE1,A,,,,,8001,\n`);
    expect(r.errors).toEqual([]);
    expect(snapshot(s.db, t)[0]!.extension).toBe('8001');
    expect(snapshot(s.db, other.id)).toEqual([]);
  });
});

describe('directory import: problems', () => {
  it('reports every problem of every row with its row number and column, and changes nothing', async () => {
    const { s, t } = setup('tenants:\n  - name: main\n    default: true\n    extensions:\n      - { number: 1001, password: from-config }\n');
    s.extensions.add(t, { number: '850', displayName: 'Fax' });
    // employees already there: E100 holds 8100 and is not in the file; E200 holds 8200 and keeps it on row 19
    await importText(s, t, `${HEADER}\nE100,Keeper,,,,,8100,\nE200,Stayer,,,,,8200,\n`);
    const before = snapshot(s.db, t);
    const csv = [
      HEADER,
      'E001,Good,Sales/East,13812345678,,true,8001,', // 2: fine
      'E002,,Sales,,,,,', // 3: name missing
      ',Nobody,,,,,,', // 4: employee_no missing
      'E 3,Spacey,,,,,,', // 5: employee_no with a space
      'E001,Twice,,,,,,', // 6: employee_no also on row 2
      'E007,Dup Ext,,,,,8001,', // 7: extension also on row 2
      'E008,Lost,Marketing,,,,,', // 8: unknown department
      'E009,Path,Sales//East,,,,,', // 9: bad path
      'E010,Land,,01088886666,,,,', // 10: landline, not a mobile
      'E011,Junk,,abc,,,,', // 11: not a number at all
      'E012,Zero,,,,,0123,', // 12: extension format
      'E013,Letters,,,,,12a,', // 13: extension format
      'E014,Maybe,,,,perhaps,,', // 14: active
      'E015,Func,,,,,8015,function', // 15: function kind
      'E016,Odd,,,,,8016,robot', // 16: unknown kind
      'E017,Kindless,,,,,,employee', // 17: kind without a number
      'E018,Thief,,,,,8100,', // 18: extension of E100 (not in the file)
      'E200,Stayer,,,,,,', // 19: E200 keeps 8200
      'E020,Thief2,,,,,8200,', // 20: extension of E200, who keeps it on row 19
      'E021,Faxer,,,,,850,', // 21: a function extension's number
      'E022,Configured,,,,,1001,', // 22: declared in the config file
      'E023,Many,Nowhere,12,,nah,9,', // 23: four problems in one row
    ].join('\n');
    const r = await importText(s, t, csv);
    expect(r).toMatchObject({ rows: 22, created: 0, updated: 0, unchanged: 0, numbered: 0, applied: false });
    expect(where(r)).toEqual([
      '3:name',
      '4:employee_no',
      '5:employee_no',
      '6:employee_no',
      '7:extension',
      '8:department',
      '9:department',
      '10:mobile',
      '11:mobile',
      '12:extension',
      '13:extension',
      '14:active',
      '15:extension_kind',
      '16:extension_kind',
      '17:extension_kind',
      '18:extension',
      '20:extension',
      '21:extension',
      '22:extension',
      '23:department',
      '23:mobile',
      '23:active',
      '23:extension',
    ]);
    const msg = (row: number, column: string) => r.errors.find((e) => e.row === row && e.column === column)!.message;
    expect(msg(3, 'name')).toBe('name is missing');
    expect(msg(6, 'employee_no')).toBe('employee_no E001 is also on row 2');
    expect(msg(7, 'extension')).toBe('extension 8001 is also on row 2');
    expect(msg(8, 'department')).toMatch(/unknown department "Marketing"/);
    expect(msg(10, 'mobile')).toMatch(/01088886666 is not a mobile number \(it is a landline number\)/);
    expect(msg(12, 'extension')).toMatch(/"0123" must be 2 to 8 digits/);
    expect(msg(18, 'extension')).toBe('extension 8100 belongs to employee E100 (Keeper)');
    expect(msg(20, 'extension')).toBe('extension 8200 belongs to employee E200 (Stayer), who keeps it on row 19');
    expect(msg(21, 'extension')).toBe('extension 850 is taken by the function extension "Fax"');
    expect(msg(22, 'extension')).toBe('extension 1001 is declared in the config file; edit the config instead');
    expect(snapshot(s.db, t)).toEqual(before);
    expect(s.audit.list().filter((a) => a.action === 'directory.import')).toHaveLength(1); // the set-up's only
  });

  it('is all or nothing: one bad row among good ones leaves the directory as it was', async () => {
    const { s, t } = setup();
    await importText(s, t, `${HEADER}\nE1,One,Sales,13800000001,,true,8001,\n`);
    const before = snapshot(s.db, t);
    const extensions = s.extensions.count(t);
    const rows = [HEADER, 'E1,One Renamed,R&D,,,,8009,'];
    for (let i = 2; i <= 200; i++) rows.push(`E${i},Person ${i},Sales/East,,,,,`);
    rows.push('E201,Bad,Sales/North,,,,,');
    const r = await importText(s, t, rows.join('\n'));
    expect(where(r)).toEqual(['202:department']);
    expect(r).toMatchObject({ applied: false, created: 0, updated: 0, numbered: 0 });
    expect(snapshot(s.db, t)).toEqual(before);
    expect(s.extensions.count(t)).toBe(extensions);
  });

  it('reports the header: unknown, doubled and missing columns', async () => {
    const { s, t } = setup();
    expect(where(await importText(s, t, 'employee_no,name,colour\nE1,A,red\n'))).toEqual(['1:colour']);
    expect(where(await importText(s, t, 'employee_no,name,name\nE1,A,B\n'))).toEqual(['1:name']);
    const missing = await importText(s, t, 'name,mobile\nA,13800000000\n');
    expect(missing.errors).toEqual([{ row: 1, column: 'employee_no', message: 'the header has no employee_no column' }]);
    expect((await importText(s, t, '')).errors).toEqual([{ row: 1, column: '', message: expect.stringMatching(/empty/) }]);
    expect(snapshot(s.db, t)).toEqual([]);
  });

  it('reports a CSV it cannot read where it stopped', async () => {
    const { s, t } = setup();
    const r = await importText(s, t, `${HEADER}\nE1,A,,,,,,\nE2,"unclosed,,,,,,\n`);
    expect(r.applied).toBe(false);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatchObject({ row: 3, column: '' });
    expect(r.errors[0]!.message).toMatch(/cannot be read/);
    expect(snapshot(s.db, t)).toEqual([]);
  });

  it('keeps at most maxErrors problems and counts the rest', async () => {
    const { s, t } = setup();
    const rows = [HEADER];
    for (let i = 0; i < 30; i++) rows.push(`E${i},,,,,,,`);
    const r = await importText(s, t, rows.join('\n'), { maxErrors: 10 });
    expect(r.errors).toHaveLength(10);
    expect(r.errorsOmitted).toBe(20);
  });
});

describe('directory import: updates', () => {
  it('upserts by employee_no: changes what the row says, keeps the extension unless the row gives another number', async () => {
    const { s, t } = setup();
    await importText(s, t, `${HEADER}\nE1,Alice,Sales/East,13800000001,Clerk,true,8001,\nE2,Bob,Sales,,,true,8002,\nE3,Carol,R&D,,,true,8003,\n`);
    const alicePw = extRow(s, t, '8001')!.sip_password;
    const bobExt = extRow(s, t, '8002')!;
    const r = await importText(
      s,
      t,
      `${HEADER}\n` +
        'E1,Alice Liddell,Sales/West,13800000009,Manager,true,,\n' + // fields change; no extension given: 8001 stays
        'E2,Bob,Sales,,,true,8022,\n' + // only the number changes
        'E3,Carol,R&D,,,true,8003,\n' + // nothing changes
        'E4,Dave,,,,true,,\n', // new, numbered automatically
    );
    expect(r).toMatchObject({ rows: 4, created: 1, updated: 2, unchanged: 1, numbered: 1, errors: [] });
    expect(snapshot(s.db, t).map((l) => [l.employeeNo, l.name, l.department, l.mobile, l.title, l.extension])).toEqual([
      ['E1', 'Alice Liddell', 'Sales/West', '13800000009', 'Manager', '8001'],
      ['E2', 'Bob', 'Sales', null, null, '8022'],
      ['E3', 'Carol', 'R&D', null, null, '8003'],
      ['E4', 'Dave', null, null, null, '800'],
    ]);
    expect(extRow(s, t, '8001')).toMatchObject({ sip_password: alicePw, display_name: 'Alice Liddell' });
    // renumbered, not replaced: same row, same password, same settings
    expect(extRow(s, t, '8022')).toMatchObject({ id: bobExt.id, sip_password: bobExt.sip_password });
    expect(extRow(s, t, '8002')).toBeUndefined();
  });

  it('keeps what the file leaves out: absent columns, and a display name someone set', async () => {
    const { s, t } = setup();
    await importText(s, t, `${HEADER}\nE1,Alice,Sales,13800000001,Clerk,false,8001,\n`);
    s.extensions.update(t, '8001', { displayName: 'Front desk' });
    const r = await importText(s, t, 'employee_no,name\nE1,Alice Smith\n');
    expect(r).toMatchObject({ updated: 1, numbered: 0 });
    expect(snapshot(s.db, t)[0]).toMatchObject({ name: 'Alice Smith', department: 'Sales', mobile: '13800000001', title: 'Clerk', active: false, extension: '8001' });
    expect(s.extensions.show(t, '8001').displayName).toBe('Front desk');
    // an empty cell of a column that is there clears it
    await importText(s, t, 'employee_no,name,department,mobile,title\nE1,Alice Smith,,,\n');
    expect(snapshot(s.db, t)[0]).toMatchObject({ department: null, mobile: null, title: null });
  });

  it('lets employees swap or pass on numbers within one file', async () => {
    const { s, t } = setup();
    await importText(s, t, `${HEADER}\nE1,A,,,,,8001,\nE2,B,,,,,8002,\nE3,C,,,,,8003,\n`);
    const r = await importText(s, t, `${HEADER}\nE1,A,,,,,8002,\nE2,B,,,,,8001,\nE3,C,,,,,8004,\nE4,D,,,,,8003,\n`);
    expect(r).toMatchObject({ errors: [], updated: 3, created: 1 });
    expect(snapshot(s.db, t).map((l) => [l.employeeNo, l.extension])).toEqual([
      ['E1', '8002'],
      ['E2', '8001'],
      ['E3', '8004'],
      ['E4', '8003'],
    ]);
    // the new employee D took 8003 before C's row moved C away: the order in the file does not matter
    const r2 = await importText(s, t, `${HEADER}\nE5,E,,,,,8004,\nE3,C,,,,,8005,\n`);
    expect(r2.errors).toEqual([]);
    expect(snapshot(s.db, t).map((l) => l.extension)).toEqual(['8002', '8001', '8005', '8003', '8004']);
  });

  it('changes the extension kind when the row gives another one', async () => {
    const { s, t } = setup();
    await importText(s, t, `${HEADER}\nE1,A,,,,,8001,employee\n`);
    expect(await importText(s, t, `${HEADER}\nE1,A,,,,,8001,operator\n`)).toMatchObject({ updated: 1 });
    expect(snapshot(s.db, t)[0]!.kind).toBe('operator');
  });

  it('refuses to renumber an extension declared in the config file', async () => {
    const { s, t } = setup('tenants:\n  - name: main\n    default: true\n    extensions:\n      - { number: 1001, password: from-config }\n');
    await importText(s, t, 'employee_no,name,active\nE1,A,false\n');
    s.db.sqlite.prepare("UPDATE extension SET employee_id = (SELECT id FROM employee WHERE employee_no = 'E1'), kind = 'employee' WHERE number = '1001'").run();
    expect(await importText(s, t, `${HEADER}\nE1,A,,,,false,1001,\n`)).toMatchObject({ errors: [], unchanged: 1 });
    const r = await importText(s, t, `${HEADER}\nE1,A,,,,false,1002,\n`);
    expect(r.errors).toEqual([{ row: 2, column: 'extension', message: 'extension 1001 of employee E1 is declared in the config file; edit the config instead' }]);
    expect(where(await importText(s, t, `${HEADER}\nE1,A,,,,false,1001,operator\n`))).toEqual(['2:extension_kind']);
  });

  it('numbers only activated employees without an extension, after the explicit numbers', async () => {
    const { s, t } = setup();
    const r = await importText(s, t, `${HEADER}\nE1,A,,,,true,800,\nE2,B,,,,true,,\nE3,C,,,,false,,\nE4,D,,,,true,,\n`);
    expect(r).toMatchObject({ created: 4, numbered: 2 });
    expect(snapshot(s.db, t).map((l) => [l.employeeNo, l.extension])).toEqual([
      ['E1', '800'],
      ['E2', '801'],
      ['E3', null],
      ['E4', '802'],
    ]);
    // activating E3 later numbers it; nobody else changes
    expect(await importText(s, t, 'employee_no,name,active\nE3,C,true\n')).toMatchObject({ updated: 1, numbered: 1 });
    expect(snapshot(s.db, t).map((l) => l.extension)).toEqual(['800', '801', '803', '802']);
  });

  it('dry run: counts what would happen and changes nothing', async () => {
    const { s, t } = setup();
    await importText(s, t, `${HEADER}\nE1,A,,,,,8001,\n`);
    const before = snapshot(s.db, t);
    const r = await importText(s, t, `${HEADER}\nE1,A2,,,,,8001,\nE2,B,,,,,,\n`, { dryRun: true });
    expect(r).toMatchObject({ dryRun: true, applied: false, created: 1, updated: 1, numbered: 1, errors: [] });
    expect(snapshot(s.db, t)).toEqual(before);
  });
});

describe('directory import: XLSX', () => {
  it('reads the first sheet, numbers and rich text as text', async () => {
    const { s, t } = setup();
    const file = await xlsxFile(
      [
        ['employee_no', 'name', 'department', 'mobile', 'title', 'active', 'extension', 'extension_kind'],
        [1, '张三', 'Sales/East', 13812345678, 'Manager', true, 8001, 'employee'],
        ['E2', { richText: [{ text: '李' }, { text: '四' }] }, null, null, null, false, null, null],
        [],
        ['E3', '王五', 'R&D', '139 1234 5678', null, 'no', '8003', null],
      ],
      [[['ignored', 'sheet']]],
    );
    const r = await importXlsx(s, t, file);
    expect(r).toMatchObject({ rows: 3, created: 3, numbered: 0, errors: [] });
    expect(snapshot(s.db, t)).toEqual([
      { employeeNo: '1', name: '张三', department: 'Sales/East', mobile: '13812345678', title: 'Manager', active: true, extension: '8001', kind: 'employee' },
      { employeeNo: 'E2', name: '李四', department: null, mobile: null, title: null, active: false, extension: null, kind: null },
      { employeeNo: 'E3', name: '王五', department: 'R&D', mobile: '13912345678', title: null, active: false, extension: '8003', kind: 'employee' },
    ]);
  });

  it('reads formula results and booleans', async () => {
    const { s, t } = setup();
    const file = await xlsxFile([
      ['employee_no', 'name', 'active', 'extension'],
      ['E1', { formula: '"Ann"&"a"', result: 'Anna' }, false, { formula: '8000+1', result: 8001 }],
    ]);
    const r = await importXlsx(s, t, file);
    expect(r.errors).toEqual([]);
    expect(snapshot(s.db, t)[0]).toMatchObject({ name: 'Anna', active: false, extension: '8001' });
  });

  it('keeps every character of a large sheet whole (no broken UTF-8 between inflated chunks)', async () => {
    const { s, t } = setup();
    const names: string[] = [];
    const rows: unknown[][] = [['employee_no', 'name', 'active']];
    for (let i = 0; i < 5000; i++) {
      names.push(`${'欧阳司马上官诸葛'.slice(i % 7, (i % 7) + 2)}${'伟芳娜秀英敏静'.slice(i % 5, (i % 5) + 2)}${i}`);
      rows.push([`E${i}`, names[i], false]);
    }
    const r = await importXlsx(s, t, await xlsxFile(rows));
    expect(r).toMatchObject({ rows: 5000, created: 5000, errors: [] });
    const got = new Map(snapshot(s.db, t).map((l) => [l.employeeNo, l.name]));
    expect(names.every((n, i) => got.get(`E${i}`) === n)).toBe(true);
  });

  it('reports rows by their sheet row number', async () => {
    const { s, t } = setup();
    const file = await xlsxFile([['employee_no', 'name', 'mobile'], ['E1', 'A', 'x'], [], [], ['E2', '', 12345]]);
    expect(where(await importXlsx(s, t, file))).toEqual(['2:mobile', '5:name', '5:mobile']);
  });

  it('says so when the file is not a workbook', async () => {
    const { s, t } = setup();
    const r = await importer(s).importFile(t, Readable.from([Buffer.from('employee_no,name\nE1,A\n')]), { format: 'xlsx' });
    expect(r.applied).toBe(false);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]!.message).toMatch(/not a readable XLSX workbook|XLSX/);
  });
});
