// Benchmark: provision N extensions through the service layer in one go, then time lookups
// of an extension by number (the call-setup path) and report resident memory.
// Usage: node --import tsx bench/provision.ts [N=1000000] [LOOKUPS=200000]
// Prints one JSON object. Not a test: nothing here asserts.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { configSchema } from '../src/config/schema.ts';
import { bootServices } from '../src/services.ts';
import type { ExtensionInput } from '../src/directory/extension-service.ts';

const total = Number(process.argv[2] ?? 1_000_000);
const lookups = Number(process.argv[3] ?? 200_000);
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pbx-bench-provision-'));
const config = configSchema.parse({ data_dir: dataDir, log: { level: 'silent' } });
const { services } = bootServices(config);
const tenantId = services.tenants.defaultTenant().id;
const first = 1_000_000; // 7-digit numbers: room for a million distinct extensions

function* inputs(): Generator<ExtensionInput> {
  for (let i = 0; i < total; i++) {
    yield { number: String(first + i), displayName: `User ${i}`, password: `pw-${(first + i).toString(36)}-secret` };
  }
}

const t0 = performance.now();
const { added } = services.extensions.provisionMany(tenantId, inputs());
const provisionS = (performance.now() - t0) / 1000;

// Random lookups by number, each timed on its own, for a latency distribution. The first
// pass warms the JIT and SQLite's page cache, as a running server's lookups would have.
const samples = new Float64Array(lookups);
let seed = 12345;
for (let i = -lookups; i < lookups; i++) {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  const number = String(first + (seed % total));
  const s = performance.now();
  const ext = services.extensions.findByNumber(tenantId, number);
  if (i >= 0) samples[i] = performance.now() - s;
  if (!ext) throw new Error(`lookup of ${number} found nothing`);
}
samples.sort();
const pct = (p: number) => Number((samples[Math.min(lookups - 1, Math.floor(lookups * p))] * 1000).toFixed(2));
const dbBytes = fs.readdirSync(dataDir).reduce((sum, f) => sum + fs.statSync(path.join(dataDir, f)).size, 0);
const rss = process.memoryUsage().rss;

console.log(
  JSON.stringify(
    {
      benchmark: 'provision-and-lookup',
      machine: `${os.cpus().length} cores, ${os.cpus()[0]?.model ?? ''}`.trim(),
      extensions: added,
      provision_s: Number(provisionS.toFixed(2)),
      provision_per_s: Math.round(added / provisionS),
      lookup_us: { p50: pct(0.5), p99: pct(0.99), p999: pct(0.999), max: pct(1) },
      lookups,
      rss_mib: Math.round(rss / 2 ** 20),
      db_mib: Math.round(dbBytes / 2 ** 20),
    },
    null,
    2,
  ),
);
services.close();
fs.rmSync(dataDir, { recursive: true, force: true });
