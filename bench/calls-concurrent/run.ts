// Concurrent answered calls through the whole PBX (signalling, B2BUA, media relay, recording):
// the real server process, a SIP phone farm (sip-farm.ts) that places N calls between
// extensions and answers them, then the reference RTP instruments (../shared/tools/rtp-load:
// gen sends one 20 ms G.711-sized stream per direction per call to the PBX ports from the
// SDP, sink measures loss and one-way latency of what the PBX relays). Every SDP of the farm
// names the sink, and media.symmetric_rtp is off, so both directions of every call land in
// the sink. Pass = loss < 0.1 % and p99 one-way latency < 20 ms. One JSON line per step.
//
//   node --import tsx bench/calls-concurrent/run.ts [--steps 200,500,800,1000] [--duration 10]
//        [--record true|false] [--workers 2] [--setup-rate 200] [--tools DIR]
//   PBX_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR" profiles the PBX (main thread and media workers).
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SipFarm, type PlacedCall } from './sip-farm.ts';
import { DEFAULT_TOOLS_DIR, buildInstruments, runJson } from '../rtp-instruments.ts';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '200,500,800,1000' },
    duration: { type: 'string', default: '10' },
    record: { type: 'string', default: 'true' },
    workers: { type: 'string', default: '2' },
    'setup-rate': { type: 'string', default: '200' },
    tools: { type: 'string', default: DEFAULT_TOOLS_DIR },
  },
});
const steps = values.steps.split(',').map(Number);
const duration = Number(values.duration);
const record = values.record !== 'false';
const setupRate = Number(values['setup-rate']);
const EXTS = 20; // callers 3000.., callees 4000..: 100 calls each at most (max_concurrent_calls)
const repo = fileURLToPath(new URL('../..', import.meta.url));

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

function cpuTicks(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(f[11]) + Number(f[12]); // utime + stime, in clock ticks (100/s)
}

async function metric(apiPort: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${apiPort}/metrics`)).text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

async function main(): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'calls-bench-'));
  const bin = join(tmp, 'bin');
  buildInstruments(values.tools, bin);
  const sipPort = await freePort();
  const apiPort = await freePort();
  const sinkPort = await freePort();
  const ext = (n: number): string => `      - { number: ${n}, password: bench-pass-${n}, max_concurrent_calls: 100, max_terminals: 1 }`;
  const config = [
    `data_dir: ${join(tmp, 'data')}`,
    'log: { level: warn }',
    `sip: { udp: { host: 127.0.0.1, port: ${sipPort} }, tcp: { enabled: false }, security: { max_auth_failures: 1000000 } }`,
    `api: { host: 127.0.0.1, port: ${apiPort} }`,
    `media: { host: 127.0.0.1, public_address: 127.0.0.1, rtp_port_min: 20000, rtp_port_max: 29999, workers: ${values.workers}, symmetric_rtp: false }`,
    'tenants:',
    '  - name: bench',
    '    default: true',
    `    recording: ${record}`,
    '    extensions:',
    ...Array.from({ length: EXTS }, (_, i) => ext(3000 + i)),
    ...Array.from({ length: EXTS }, (_, i) => ext(4000 + i)),
    '',
  ].join('\n');
  writeFileSync(join(tmp, 'pbx.yaml'), config);
  // PBX_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") goes to the PBX's node only
  const nodeArgs = (process.env.PBX_NODE_ARGS ?? '').split(/\s+/).filter((a) => a !== '');
  const pbx = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', join(repo, 'src/main.ts'), 'start', '--config', join(tmp, 'pbx.yaml')], { cwd: repo, stdio: ['ignore', 'ignore', 'inherit'] });
  const stop = (): void => {
    pbx.kill('SIGTERM');
  };
  process.on('exit', stop);
  for (let i = 0; i < 100; i++) {
    try {
      await fetch(`http://127.0.0.1:${apiPort}/health`);
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const farm = new SipFarm(sipPort, sinkPort);
  await farm.open();
  for (let i = 0; i < EXTS; i++) await farm.register(String(4000 + i), `bench-pass-${4000 + i}`);

  const results: Array<Record<string, unknown>> = [];
  for (const n of steps) {
    farm.calleePorts.length = 0;
    const calls: PlacedCall[] = [];
    let failed = 0;
    const t0 = performance.now();
    const inFlight = new Set<Promise<void>>();
    for (let i = 0; i < n; i++) {
      const due = t0 + (i * 1000) / setupRate;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const from = 3000 + (i % EXTS);
      const p = farm
        .call(String(from), `bench-pass-${from}`, String(4000 + (i % EXTS)))
        .then((c) => void calls.push(c))
        .catch(() => void failed++)
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await Promise.all(inFlight);
    const setupS = (performance.now() - t0) / 1000;
    const ports = [...calls.map((c) => c.pbxPort), ...farm.calleePorts];
    const portsFile = join(tmp, 'ports.txt');
    writeFileSync(portsFile, ports.join('\n') + '\n');
    const streams = ports.length;
    let ready: () => void;
    const sinkReady = new Promise<void>((r) => (ready = r));
    const sink = runJson(join(bin, 'sink'), ['-p', String(sinkPort), '-n', String(streams), '-t', String(duration + 15), '-i', '1500', '-w', '50'], (duration + 25) * 1000, (s) => {
      if (s.includes('READY')) ready();
    });
    await sinkReady;
    const c0 = cpuTicks(pbx.pid!);
    const w0 = performance.now();
    const gen = runJson(join(bin, 'gen'), ['-n', String(streams), '-r', '50', '-d', String(duration), '-f', portsFile], (duration + 10) * 1000);
    const g = await gen.result;
    const cpuPct = ((cpuTicks(pbx.pid!) - c0) / 100 / ((performance.now() - w0) / 1000)) * 100;
    const s = await sink.result;
    const active = await metric(apiPort, 'pbx_calls_active');
    let byeFailed = 0;
    await Promise.all(calls.map((c) => c.bye().then((st) => void (st === 200 || byeFailed++), () => void byeFailed++)));
    for (let i = 0; i < 50 && (await metric(apiPort, 'pbx_calls_active')) > 0; i++) await new Promise((r) => setTimeout(r, 200));
    const sent = g.sent ?? 0;
    const received = s.received ?? 0;
    const lossPct = sent > 0 ? Math.max(0, ((sent - received) / sent) * 100) : 100;
    const p99 = (s.p99_us ?? -1) / 1000;
    const row = {
      calls: n,
      answered: calls.length,
      setup_failed: failed,
      setup_s: Number(setupS.toFixed(2)),
      active_during_media: active,
      record,
      streams,
      sent,
      received,
      loss_pct: Number(lossPct.toFixed(4)),
      p50_ms: (s.p50_us ?? -1) / 1000,
      p99_ms: p99,
      p999_ms: (s.p999_us ?? -1) / 1000,
      zero_streams: s.zero_streams,
      pbx_cpu_pct: Number(cpuPct.toFixed(1)),
      pbx_cpu_pct_per_call: Number((cpuPct / Math.max(1, calls.length)).toFixed(3)),
      gen_max_lag_ms: g.max_lag_ms,
      bye_failed: byeFailed,
      pass: failed === 0 && lossPct < 0.1 && p99 >= 0 && p99 < 20,
    };
    results.push(row);
    console.log(JSON.stringify(row));
  }
  let recordings = 0;
  let recordingBytes = 0;
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.wav')) {
        recordings++;
        recordingBytes += statSync(p).size;
      }
    }
  };
  try {
    walk(join(tmp, 'data', 'recordings'));
  } catch {
    /* no recordings */
  }
  const passing = results.filter((r) => r.pass).map((r) => r.calls as number);
  console.log(JSON.stringify({ summary: true, record, highest_passing_calls: passing.length ? Math.max(...passing) : 0, recordings, recording_mib: Number((recordingBytes / 2 ** 20).toFixed(1)) }));
  farm.close();
  stop();
  await new Promise((r) => pbx.once('exit', r));
  rmSync(tmp, { recursive: true, force: true });
}

await main();
