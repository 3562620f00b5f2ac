// Summarises .cpuprofile files (node --cpu-prof): self time per function, heaviest first.
//   node --import tsx bench/media-relay/profile-summary.ts DIR [TOP]
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: Node[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const dir = process.argv[2]!;
const top = Number(process.argv[3] ?? 15);
for (const f of readdirSync(dir).filter((n) => n.endsWith('.cpuprofile')).sort()) {
  const p = JSON.parse(readFileSync(join(dir, f), 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const n = byId.get(p.samples[i]!)!;
    const dt = p.timeDeltas[i] ?? 0;
    const url = n.callFrame.url.replace(/^.*\/(node_modules|src|bench)\//, '$1/');
    const key = `${n.callFrame.functionName || '(anonymous)'} ${url}${url ? ':' + (n.callFrame.lineNumber + 1) : ''}`;
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  }
  const idle = self.get('(idle) ') ?? 0;
  const busy = total - idle;
  console.log(`\n${f}: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(2)} s busy`);
  const rows = [...self.entries()].filter(([k]) => !k.startsWith('(idle)')).sort((a, b) => b[1] - a[1]).slice(0, top);
  for (const [k, v] of rows) console.log(`${((100 * v) / Math.max(busy, 1)).toFixed(1).padStart(5)}%  ${(v / 1000).toFixed(0).padStart(6)} ms  ${k}`);
}
