// `pbx dir export|import|search` spawned as a user would, on a temporary data directory, and the
// admin API's /directory, /directory/export and /directory/import on the same services.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApiApp } from '../../../src/api/index.ts';
import { openApiDocument } from '../../../src/api/openapi.ts';
import { tempServices } from '../../fixtures.ts';
import { HEADER, makeDepartments, snapshot, xlsxRows } from './directory-fixture.ts';

const PBX = fileURLToPath(new URL('../../../bin/pbx', import.meta.url));
let env: ReturnType<typeof tempServices>;
let configPath: string;
let main: number;
let acme: number;

function pbx(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(PBX, [...args, '--config', configPath], { encoding: 'utf8', timeout: 60_000, cwd: env.dir, env: { ...process.env, PBX_CONFIG: '' } }, (err, stdout, stderr) =>
      resolve({ status: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr }),
    );
  });
}

const GOOD = `${HEADER}\nE001,张三,Sales/East,13812345678,Manager,true,8001,employee\nE002,张四,Sales,,,true,,\nE003,李五,,13912345678,,false,,\n`;
const BAD = `${HEADER}\nE001,张三,Sales/East,12345,,true,8001,\nE002,,Nowhere,,,true,,\n`;

beforeAll(() => {
  env = tempServices();
  main = env.services.tenants.defaultTenant().id;
  acme = env.services.tenants.add({ name: 'acme', domain: 'acme.example' }).id;
  makeDepartments(env.services.db, main, ['Sales/East']);
  makeDepartments(env.services.db, acme, ['Sales/East']);
  configPath = join(env.dir, 'pbx.yaml');
  writeFileSync(configPath, `data_dir: ${JSON.stringify(env.dir)}\n`);
  writeFileSync(join(env.dir, 'good.csv'), GOOD);
  writeFileSync(join(env.dir, 'bad.csv'), BAD);
});
afterAll(() => env?.cleanup());

describe('pbx dir', () => {
  it('import: checks everything, lists every problem one per line and exits 1 with nothing changed', async () => {
    const bad = await pbx('dir', 'import', join(env.dir, 'bad.csv'));
    expect(bad.status).toBe(1);
    expect(bad.stderr.split('\n').filter((l) => l.startsWith('row '))).toEqual([
      expect.stringMatching(/^row 2, mobile: 12345 is not a mobile number/),
      'row 3, name: name is missing',
      expect.stringMatching(/^row 3, department: unknown department "Nowhere"/),
    ]);
    expect(bad.stderr).toMatch(/error: .*bad\.csv: 3 problems; nothing was imported/);
    expect(bad.stdout).toMatch(/2 rows checked: 3 problems; nothing was changed/);
    expect(snapshot(env.services.db, main)).toEqual([]);
  });

  it('import --dry-run counts; import applies; export writes CSV and XLSX; the XLSX imports into another tenant', async () => {
    const file = join(env.dir, 'good.csv');
    const dry = await pbx('dir', 'import', file, '--dry-run');
    expect(dry).toMatchObject({ status: 0 });
    expect(dry.stdout).toMatch(/dry run, nothing was changed — 3 rows: 3 created, 0 updated, 0 unchanged, 1 numbered automatically/);
    expect(snapshot(env.services.db, main)).toEqual([]);

    const r = await pbx('dir', 'import', file);
    expect(r).toMatchObject({ status: 0, stderr: '' });
    expect(r.stdout.trim()).toBe('3 rows: 3 created, 0 updated, 0 unchanged, 1 numbered automatically');
    expect(snapshot(env.services.db, main).map((l) => l.extension)).toEqual(['8001', '800', null]);

    const again = await pbx('dir', 'import', file, '--json');
    expect(JSON.parse(again.stdout)).toMatchObject({ rows: 3, created: 0, updated: 0, unchanged: 3, numbered: 0, errors: [], applied: true });

    const csv = join(env.dir, 'out.csv');
    expect((await pbx('dir', 'export', csv)).stdout).toMatch(/exported 3 employees of tenant default to .*out\.csv \(csv\)/);
    expect(readFileSync(csv, 'utf8')).toBe(
      `\ufeff${HEADER}\r\nE001,张三,Sales/East,13812345678,Manager,true,8001,employee\r\nE002,张四,Sales,,,true,800,employee\r\nE003,李五,,13912345678,,false,,\r\n`,
    );

    const xlsx = join(env.dir, 'out.xlsx');
    expect((await pbx('dir', 'export', xlsx)).status).toBe(0);
    expect((await xlsxRows(readFileSync(xlsx)))[1]).toEqual(['E001', '张三', 'Sales/East', '13812345678', 'Manager', 'true', '8001', 'employee']);
    expect(existsSync(join(env.dir, `.out.xlsx.${process.pid}.part`))).toBe(false);
    const into = await pbx('dir', 'import', xlsx, '--tenant', 'acme');
    expect(into).toMatchObject({ status: 0 });
    expect(snapshot(env.services.db, acme)).toEqual(snapshot(env.services.db, main));
  });

  it('search: by name or number prefix, a page at a time, as a table or JSON', async () => {
    const first = await pbx('dir', 'search', '张', '--limit', '1');
    expect(first.status).toBe(0);
    const lines = first.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^EXTENSION\s+KIND\s+NAME\s+EMPLOYEE NO\s+DEPARTMENT\s+MOBILE\s+TITLE\s+ACTIVE$/);
    expect(lines[1]).toMatch(/^8001\s+employee\s+张三\s+E001\s+Sales\/East\s+13812345678\s+Manager\s+yes$/);
    const cursor = /^more: --cursor (\S+)$/.exec(lines[2]!)![1]!;
    const next = await pbx('dir', 'search', '张', '--cursor', cursor, '--json');
    expect(JSON.parse(next.stdout)).toMatchObject({ tenant: 'default', items: [{ employee: { name: '张四' }, extension: { number: '800' } }], nextCursor: null });
    const byNumber = JSON.parse((await pbx('dir', 'search', '80', '--json')).stdout);
    expect(byNumber.items.map((i: { extension: { number: string } }) => i.extension.number)).toEqual(['800', '8001']);
    expect((await pbx('dir', 'search', '--cursor', 'garbage')).stderr).toMatch(/error: cursor is not one this listing gave out/);
  });
});

describe('/directory API', () => {
  let app: ReturnType<typeof createApiApp>;
  let admin: string;
  let reader: string;
  let acmeToken: string;
  beforeAll(() => {
    app = createApiApp({ services: env.services });
    admin = env.services.tokens.create({ name: 'dir-admin' }).token;
    reader = env.services.tokens.create({ name: 'dir-reader', scopes: ['read'] }).token;
    acmeToken = env.services.tokens.create({ name: 'acme-admin', tenantId: acme }).token;
  });
  const call = (method: string, path: string, token: string, body?: string | Buffer, type = 'text/csv') =>
    app.request(path, { method, headers: { Authorization: `Bearer ${token}`, 'Content-Type': type }, ...(body !== undefined ? { body: new Uint8Array(body instanceof Buffer ? body : Buffer.from(body)) } : {}) });

  it('POST /directory/import: 422 with every problem, 200 with the report; dryRun changes nothing; read-only tokens are refused', async () => {
    const tenant = env.services.tenants.add({ name: 'api-co', domain: 'api.example' }).id;
    makeDepartments(env.services.db, tenant, ['Sales/East']);
    const bad = await call('POST', '/directory/import?tenant=api-co', admin, BAD);
    expect(bad.status).toBe(422);
    const body = (await bad.json()) as { error: { code: string; message: string }; report: { errors: Array<{ row: number; column: string }> } };
    expect(body.error).toEqual({ code: 'invalid_rows', message: '3 problems in the file; nothing was imported' });
    expect(body.report.errors.map((e) => `${e.row}:${e.column}`)).toEqual(['2:mobile', '3:name', '3:department']);

    const dry = await call('POST', '/directory/import?tenant=api-co&dryRun=true', admin, GOOD);
    expect(dry.status).toBe(200);
    expect(await dry.json()).toMatchObject({ rows: 3, created: 3, numbered: 1, dryRun: true, applied: false });
    expect(snapshot(env.services.db, tenant)).toEqual([]);

    const ok = await call('POST', '/directory/import?tenant=api-co&format=csv', admin, GOOD);
    expect(await ok.json()).toMatchObject({ rows: 3, created: 3, updated: 0, unchanged: 0, numbered: 1, errors: [], applied: true });
    expect(snapshot(env.services.db, tenant).map((l) => l.extension)).toEqual(['8001', '800', null]);
    expect(env.services.audit.list({ tenantId: tenant }).find((a) => a.action === 'directory.import')?.actor).toMatch(/^token:/);

    expect((await call('POST', '/directory/import?tenant=api-co', reader, GOOD)).status).toBe(403);
    expect((await call('POST', '/directory/import?format=ods', admin, GOOD)).status).toBe(400);
  });

  it('GET /directory/export streams CSV or XLSX; the XLSX imports back (format from Content-Type)', async () => {
    const csv = await call('GET', '/directory/export', admin);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.headers.get('content-disposition')).toBe('attachment; filename="directory-default.csv"');
    expect((await csv.text()).split('\r\n')[1]).toBe('E001,张三,Sales/East,13812345678,Manager,true,8001,employee');

    const xlsx = await call('GET', '/directory/export?format=xlsx', admin);
    expect(xlsx.headers.get('content-type')).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    const file = Buffer.from(await xlsx.arrayBuffer());
    const tenant = env.services.tenants.add({ name: 'xlsx-co', domain: 'xlsx.example' }).id;
    makeDepartments(env.services.db, tenant, ['Sales/East']);
    const r = await call('POST', '/directory/import?tenant=xlsx-co', admin, file, 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    expect(await r.json()).toMatchObject({ rows: 3, created: 3, numbered: 0, errors: [] });
    expect(snapshot(env.services.db, tenant)).toEqual(snapshot(env.services.db, main));
  });

  it('GET /directory pages and searches; a tenant token sees its tenant only', async () => {
    const page = await call('GET', '/directory?search=%E5%BC%A0&limit=1', admin);
    const first = (await page.json()) as { items: Array<{ employee: { name: string } }>; nextCursor: string };
    expect(first.items.map((i) => i.employee.name)).toEqual(['张三']);
    const second = (await (await call('GET', `/directory?search=%E5%BC%A0&limit=1&cursor=${first.nextCursor}`, admin)).json()) as typeof first;
    expect(second).toMatchObject({ items: [{ employee: { name: '张四' } }], nextCursor: null });
    expect(await (await call('GET', '/directory?search=80&by=number', reader)).json()).toMatchObject({ items: [{ extension: { number: '800' } }, { extension: { number: '8001' } }] });
    expect((await call('GET', '/directory?by=colour', admin)).status).toBe(400);
    expect((await call('GET', '/directory?limit=5000', admin)).status).toBe(400);
    // the acme token: acme's directory (imported above from the XLSX), never the default tenant's
    const mine = (await (await call('GET', '/directory', acmeToken)).json()) as { items: Array<{ extension: { number: string } }> };
    expect(mine.items.map((i) => i.extension.number)).toEqual(['800', '8001']);
    expect((await call('GET', '/directory?tenant=default', acmeToken)).status).toBe(404);
  });

  it('is in the OpenAPI document', () => {
    const doc = openApiDocument() as { paths: Record<string, Record<string, { requestBody?: { content: object }; parameters: Array<{ name: string }> }>> };
    expect(doc.paths['/directory']!.get!.parameters.map((p) => p.name)).toEqual(['tenant', 'search', 'by', 'cursor', 'limit']);
    expect(doc.paths['/directory/export']!.get).toBeDefined();
    expect(Object.keys(doc.paths['/directory/import']!.post!.requestBody!.content)).toEqual(['text/csv', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet']);
  });
});
