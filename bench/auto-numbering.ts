// Benchmark: automatic extension numbering (R-DIR-2) of N new employees in one tenant. The
// employees are inserted first (not timed); then one `assignMissing` call is timed: reading the
// taken numbers, sorting by employee id, choosing numbers and inserting the extensions with
// their generated SIP passwords, all in one transaction.
// Usage: node --import tsx bench/auto-numbering.ts [N=100000]
// Prints one JSON object. Not a test: nothing here asserts (target: 100,000 in under 10 s).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { openDatabase } from '../src/db/open.ts';
import { migrate } from '../src/db/migrate.ts';
import { ExtensionNumbering } from '../src/directory/numbering/numbering-service.ts';

const total = Number(process.argv[2] ?? 100_000);
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pbx-bench-numbering-'));
const db = openDatabase(dataDir);
migrate(db);
const tenantId = Number(db.sqlite.prepare("INSERT INTO tenant (name, sip_domain, created_at) VALUES ('bench', 'bench.example', 0)").run().lastInsertRowid);

// Employee ids as a company writes them, inserted out of order (the numbering must sort them):
// mostly digit strings, one in ten with a letter prefix.
const insert = db.sqlite.prepare('INSERT INTO employee (tenant_id, employee_no, name, active, created_at) VALUES (?, ?, ?, 1, 0)');
const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
const stride = gcd(7919, total) === 1 ? 7919 : 1; // i → i·stride mod N is then a permutation of 0..N-1
db.sqlite.transaction(() => {
  for (let i = 0; i < total; i++) {
    const k = (i * stride) % total;
    insert.run(tenantId, k % 10 === 0 ? `E${k}` : String(k + 1), `Employee ${k}`);
  }
})();

const numbering = new ExtensionNumbering(db);
const t0 = performance.now();
const { assigned, numbers } = numbering.assignMissing(tenantId);
const seconds = (performance.now() - t0) / 1000;

const byLength: Record<string, number> = {};
for (const n of numbers.values()) byLength[n.length] = (byLength[n.length] ?? 0) + 1;
const rows = db.sqlite.prepare('SELECT count(*) FROM extension WHERE tenant_id = ?').pluck().get(tenantId);

console.log(
  JSON.stringify(
    {
      benchmark: 'auto-numbering',
      machine: `${os.cpus().length} cores, ${os.cpus()[0]?.model ?? ''}`.trim(),
      employees: total,
      assigned,
      extension_rows: rows,
      numbers_by_length: byLength,
      seconds: Number(seconds.toFixed(2)),
      per_s: Math.round(assigned / seconds),
      rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20),
    },
    null,
    2,
  ),
);
db.close();
fs.rmSync(dataDir, { recursive: true, force: true });
