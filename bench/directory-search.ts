// Benchmark: the directory at N employees in one tenant (R-DIR-4): search by name prefix and by
// extension-number prefix (a page of 50 each, DirectorySearch), paging on from a cursor deep in
// the listing, and routing's lookup of an extension by number (ExtensionLookup.byNumber). The
// rows go in directly (one transaction, prepared statements; the import has its own bench), with
// Chinese names, so a one-character prefix (a surname) matches about one row in a hundred.
// Each query is timed on its own after a warm-up pass; the query plans are printed too.
// Usage: node --import tsx bench/directory-search.ts [N=1000000] [QUERIES=1000]
// Prints one JSON object. Not a test: nothing here asserts (target: name prefix p99 under 20 ms).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { configSchema } from '../src/config/schema.ts';
import { openServices } from '../src/services.ts';
import { DirectorySearch, usesIndexOnly, queryPlan } from '../src/directory/directory-search.ts';
import { ExtensionLookup } from '../src/directory/extension-lookup.ts';

const total = Number(process.argv[2] ?? 1_000_000);
const queries = Number(process.argv[3] ?? 1000);

const SURNAMES = '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤';
const GIVEN = '伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍红鹏建华飞鑫波斌宇浩凯健俊帆帅旭宁龙林欣佳雪婷倩颖琳晨阳辉亮成志博文斌涛峰';

let seed = 7;
const rand = (n: number) => {
  seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
  return seed % n;
};
const nameOf = () => SURNAMES[rand(SURNAMES.length)]! + GIVEN[rand(GIVEN.length)]! + (rand(3) > 0 ? GIVEN[rand(GIVEN.length)]! : '');
const FIRST = 2_000_000;

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pbx-bench-dirsearch-'));
const services = openServices(configSchema.parse({ data_dir: dataDir, log: { level: 'silent' } }));
const db = services.db;
const tenantId = services.tenants.defaultTenant().id;

const t0 = performance.now();
const names: string[] = [];
db.sqlite.transaction(() => {
  const dept = db.sqlite.prepare('INSERT INTO department (tenant_id, name, parent_id, created_at) VALUES (?, ?, ?, 0)');
  const depts: number[] = [];
  for (let d = 0; d < 10; d++) {
    const top = Number(dept.run(tenantId, `Division ${d}`, null).lastInsertRowid);
    for (let t = 0; t < 10; t++) depts.push(Number(dept.run(tenantId, `Team ${t}`, top).lastInsertRowid));
  }
  const emp = db.sqlite.prepare('INSERT INTO employee (tenant_id, employee_no, name, department_id, mobile, active, created_at) VALUES (?, ?, ?, ?, ?, 1, 0)');
  const ext = db.sqlite.prepare("INSERT INTO extension (tenant_id, number, kind, employee_id, display_name, sip_password, created_at) VALUES (?, ?, 'employee', ?, ?, 'bench-password', 0)");
  for (let i = 0; i < total; i++) {
    const name = nameOf();
    if (i % 1000 === 0) names.push(name);
    const id = Number(emp.run(tenantId, `E${String(i + 1).padStart(7, '0')}`, name, depts[rand(depts.length)]!, `138${String(i).padStart(8, '0')}`).lastInsertRowid);
    ext.run(tenantId, String(FIRST + i), id, name);
  }
})();
const loadS = (performance.now() - t0) / 1000;

const search = new DirectorySearch(db);
const lookup = new ExtensionLookup(db);

/** Times `fn` once per input (after one untimed pass over them all), in ms. */
function time<T>(inputs: T[], fn: (x: T) => number): { p50: number; p99: number; max: number; mean_rows: number } {
  for (const x of inputs) fn(x);
  const samples = new Float64Array(inputs.length);
  let rows = 0;
  inputs.forEach((x, i) => {
    const s = performance.now();
    rows += fn(x);
    samples[i] = performance.now() - s;
  });
  samples.sort();
  const at = (p: number) => Number(samples[Math.min(samples.length - 1, Math.floor(samples.length * p))]!.toFixed(3));
  return { p50: at(0.5), p99: at(0.99), max: at(1), mean_rows: Number((rows / inputs.length).toFixed(1)) };
}

// random prefixes of real names: 1 character (a surname: ~1% of the rows), 2, or the whole name
const namePrefixes = Array.from({ length: queries }, () => {
  const n = names[rand(names.length)]!;
  return n.slice(0, 1 + rand(n.length));
});
// random number prefixes of 1 to 7 digits (some match nothing)
const numberPrefixes = Array.from({ length: queries }, () => String(FIRST + rand(total)).slice(0, 1 + rand(7)));
// cursors all over the listing (a keyset page costs the same anywhere): after the first row of a
// random two-character name prefix, after the first of a random 6-digit number prefix
const nameCursors = Array.from({ length: queries }, () => {
  for (;;) {
    const c = search.search(tenantId, { search: names[rand(names.length)]!.slice(0, 2), by: 'name', limit: 1 }).nextCursor;
    if (c !== null) return c;
  }
});
const numberCursors = Array.from({ length: queries }, () => search.search(tenantId, { search: String(FIRST + rand(total)).slice(0, 6), by: 'number', limit: 1 }).nextCursor!);
const lookups = Array.from({ length: queries * 100 }, () => String(FIRST + rand(total)));

const result = {
  benchmark: 'directory-search',
  machine: `${os.cpus().length} cores, ${os.cpus()[0]?.model ?? ''}`.trim(),
  rows: total,
  load_s: Number(loadS.toFixed(1)),
  queries,
  page: 50,
  name_prefix_ms: time(namePrefixes, (p) => search.search(tenantId, { search: p, by: 'name' }).items.length),
  number_prefix_ms: time(numberPrefixes, (p) => search.search(tenantId, { search: p, by: 'number' }).items.length),
  name_next_page_ms: time(nameCursors, (c) => search.search(tenantId, { by: 'name', cursor: c }).items.length),
  number_next_page_ms: time(numberCursors, (c) => search.search(tenantId, { by: 'number', cursor: c }).items.length),
  routing_lookup_us: (() => {
    const t = time(lookups, (n) => (lookup.byNumber(tenantId, n) ? 1 : 0));
    return { p50: Math.round(t.p50 * 1000), p99: Math.round(t.p99 * 1000), max: Math.round(t.max * 1000), lookups: lookups.length };
  })(),
  plans: {
    ...search.plans(tenantId),
    routing_lookup: queryPlan(db, 'SELECT id FROM extension WHERE tenant_id = ? AND number = ?', [tenantId, '2000000']),
  },
  rss_mib: Math.round(process.memoryUsage().rss / 2 ** 20),
};
const plansOk = Object.values(result.plans).every(usesIndexOnly);
console.log(JSON.stringify({ ...result, plans_use_indexes: plansOk }, null, 2));
services.close();
fs.rmSync(dataDir, { recursive: true, force: true });
