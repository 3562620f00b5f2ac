// Benchmark: import a directory CSV of N employees into one tenant (R-DIR-3 at the R-DIR-4 scale),
// then the same file again (every row unchanged), then export it (CSV). The CSV is generated
// first, deterministically: Chinese names, 110 departments in two levels, mobiles, titles; 95%
// of the rows give a 7-digit extension, the others are numbered automatically (R-DIR-2); 2% are
// inactive. Peak resident memory is the process's (getrusage maxRSS), measured after each step.
// With --xlsx, the directory is then exported as XLSX and that file imported into a second tenant.
// Usage: node --import tsx bench/directory-import.ts [N=1000000] [--keep] [--no-reimport] [--no-export] [--xlsx]
// Prints one JSON object. Not a test: nothing here asserts (target: 1,000,000 rows in under 2
// minutes and under 1 GiB resident).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { configSchema } from '../src/config/schema.ts';
import { openServices } from '../src/services.ts';
import { DirectoryExporter, DirectoryImporter, type ImportReport } from '../src/directory/import/index.ts';

const args = process.argv.slice(2);
const total = Number(args.find((a) => /^[0-9]+$/.test(a)) ?? 1_000_000);
const flag = (f: string) => args.includes(f);

const SURNAMES = '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤';
const GIVEN = '伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍红鹏建华飞鑫波斌宇浩凯健俊帆帅旭宁龙林欣佳雪婷倩颖琳晨阳辉亮成志博文斌涛峰';
const TITLES = ['', 'Engineer', 'Senior Engineer', 'Manager', 'Sales', 'Accountant', 'Assistant', 'Director'];

let seed = 20240607;
const rand = (n: number) => {
  seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
  return seed % n;
};

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pbx-bench-dirimport-'));
const csvFile = path.join(dataDir, 'directory.csv');

async function generate(): Promise<void> {
  const out = fs.createWriteStream(csvFile);
  out.write('employee_no,name,department,mobile,title,active,extension,extension_kind\n');
  let buf = '';
  for (let i = 0; i < total; i++) {
    const name = SURNAMES[rand(SURNAMES.length)]! + GIVEN[rand(GIVEN.length)]! + (rand(3) > 0 ? GIVEN[rand(GIVEN.length)]! : '');
    const dept = `Division ${rand(10)}/Team ${rand(10)}`;
    const mobile = `13${String(rand(10))}${String(rand(100_000_000)).padStart(8, '0')}`;
    const auto = rand(100) < 5;
    const ext = auto ? '' : String(2_000_000 + i);
    buf += `E${String(i + 1).padStart(7, '0')},${name},${dept},${mobile},${TITLES[rand(TITLES.length)]},${rand(100) < 2 ? 'false' : 'true'},${ext},${auto ? '' : 'employee'}\n`;
    if (buf.length > 1 << 16) {
      if (!out.write(buf)) await once(out, 'drain');
      buf = '';
    }
  }
  out.end(buf);
  await once(out, 'finish');
}

const mib = (bytes: number) => Math.round(bytes / 2 ** 20);
const peakRssMib = () => Math.round(process.resourceUsage().maxRSS / 1024);

const t0 = performance.now();
await generate();
const generateS = (performance.now() - t0) / 1000;

const config = configSchema.parse({ data_dir: dataDir, log: { level: 'silent' } });
const services = openServices(config);
const tenantId = services.tenants.defaultTenant().id;
const dept = services.db.sqlite.prepare('INSERT INTO department (tenant_id, name, parent_id, created_at) VALUES (?, ?, ?, 0)');
for (let d = 0; d < 10; d++) {
  const top = Number(dept.run(tenantId, `Division ${d}`, null).lastInsertRowid);
  for (let t = 0; t < 10; t++) dept.run(tenantId, `Team ${t}`, top);
}
const importer = new DirectoryImporter(services.db, services.audit);
const summary = (r: ImportReport) => ({ rows: r.rows, created: r.created, updated: r.updated, unchanged: r.unchanged, numbered: r.numbered, errors: r.errors.length, applied: r.applied });

const rssBefore = peakRssMib();
const t1 = performance.now();
const first = await importer.importFile(tenantId, fs.createReadStream(csvFile), { format: 'csv' });
const importS = (performance.now() - t1) / 1000;
const importPeak = peakRssMib();
if (first.errors.length > 0) console.error(first.errors.slice(0, 5));

let reimport: object | undefined;
if (!flag('--no-reimport')) {
  const t = performance.now();
  const again = await importer.importFile(tenantId, fs.createReadStream(csvFile), { format: 'csv' });
  reimport = { seconds: Number(((performance.now() - t) / 1000).toFixed(1)), report: summary(again), peak_rss_mib: peakRssMib() };
}

let exported: object | undefined;
if (!flag('--no-export')) {
  const file = path.join(dataDir, 'export.csv');
  const t = performance.now();
  const { rows } = await new DirectoryExporter(services.db).exportTo(tenantId, fs.createWriteStream(file), { format: 'csv' });
  exported = { seconds: Number(((performance.now() - t) / 1000).toFixed(1)), rows, mib: mib(fs.statSync(file).size), peak_rss_mib: peakRssMib() };
}

let xlsx: object | undefined;
if (flag('--xlsx')) {
  const file = path.join(dataDir, 'export.xlsx');
  let t = performance.now();
  await new DirectoryExporter(services.db).exportTo(tenantId, fs.createWriteStream(file), { format: 'xlsx' });
  const exportS = (performance.now() - t) / 1000;
  const exportPeak = peakRssMib();
  const second = services.tenants.add({ name: 'second', domain: 'second.example' }).id;
  for (let d = 0; d < 10; d++) {
    const top = Number(dept.run(second, `Division ${d}`, null).lastInsertRowid);
    for (let k = 0; k < 10; k++) dept.run(second, `Team ${k}`, top);
  }
  t = performance.now();
  const r = await importer.importFile(second, fs.createReadStream(file), { format: 'xlsx' });
  xlsx = {
    mib: mib(fs.statSync(file).size),
    export_s: Number(exportS.toFixed(1)),
    export_peak_rss_mib: exportPeak,
    import_s: Number(((performance.now() - t) / 1000).toFixed(1)),
    import_report: summary(r),
    peak_rss_mib: peakRssMib(),
  };
}

const dbBytes = fs.readdirSync(dataDir).filter((f) => f.startsWith('pbx.sqlite')).reduce((sum, f) => sum + fs.statSync(path.join(dataDir, f)).size, 0);
console.log(
  JSON.stringify(
    {
      benchmark: 'directory-import',
      machine: `${os.cpus().length} cores, ${os.cpus()[0]?.model ?? ''}`.trim(),
      rows: total,
      csv_mib: mib(fs.statSync(csvFile).size),
      generate_s: Number(generateS.toFixed(1)),
      import: { seconds: Number(importS.toFixed(1)), rows_per_s: Math.round(total / importS), report: summary(first), peak_rss_mib: importPeak, peak_rss_before_mib: rssBefore },
      reimport,
      export: exported,
      xlsx,
      db_mib: mib(dbBytes),
    },
    null,
    2,
  ),
);
services.close();
if (flag('--keep')) console.error(`kept ${dataDir}`);
else fs.rmSync(dataDir, { recursive: true, force: true });
