// Media relay benchmark: the engine runs in its own process (engine-host.ts); the load comes
// from the reference C instruments (../shared/tools/rtp-load: gen sends N paced 20 ms
// G.711-sized RTP streams over loopback, sink measures loss and one-way latency). A call is
// two streams: gen → endpoint A → (relay) → sink, and gen → endpoint B → (relay) → sink.
// Pass = loss < 0.1 % and p99 one-way latency < 20 ms. Prints one JSON line per step and a
// summary with the highest passing call count. Every run is bounded in time.
//
//   node --import tsx bench/media-relay/run.ts [--steps 200,500,1000,1400,1600] [--duration 10]
//        [--workers 2] [--codecs same|remap|transcode] [--impl engine,bare,c] [--profile DIR] [--tools DIR]
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '200,500,1000,1400,1600' },
    duration: { type: 'string', default: '10' },
    workers: { type: 'string', default: '2' },
    codecs: { type: 'string', default: 'same' },
    // engine | bare | c, or a comma list: each step runs them one after the other, so the bare
    // node:dgram relay and the C epoll relay (tools/rtp-load relay -m epoll, one thread) calibrate
    // the engine's figures against the machine's state at that moment
    impl: { type: 'string', default: 'engine' },
    profile: { type: 'string' },
    // shared/ sits beside the repository (the team's checkout layout and CI's)
    tools: { type: 'string', default: fileURLToPath(new URL('../../../shared/tools/rtp-load', import.meta.url)) },
    'port-min': { type: 'string', default: '30000' },
    'sink-port': { type: 'string', default: '29990' },
  },
});
const steps = values.steps.split(',').map(Number);
const duration = Number(values.duration);
const workers = Number(values.workers);
const codecs = values.codecs as 'same' | 'remap' | 'transcode';
const sinkPort = Number(values['sink-port']);
const portMin = Number(values['port-min']);

const tmp = mkdtempSync(join(tmpdir(), 'media-relay-bench-'));
const bin = join(tmp, 'bin');
execFileSync('make', ['-s', '-C', values.tools, `BIN=${bin}`], { stdio: ['ignore', 'ignore', 'inherit'] });

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}

function runJson(cmd: string, args: string[], timeoutMs: number, onStderr?: (s: string) => void): { child: ChildProcess; result: Promise<Record<string, number>> } {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => onStderr?.(d.toString()));
  const result = withTimeout(
    new Promise<Record<string, number>>((resolve, reject) => {
      child.on('exit', (code) => {
        try {
          resolve(JSON.parse(out.trim().split('\n').pop()!));
        } catch {
          reject(new Error(`${cmd} exited ${code} without JSON: ${out}`));
        }
      });
    }),
    timeoutMs,
    cmd,
  );
  result.catch(() => child.kill('SIGKILL'));
  return { child, result };
}

interface HostMsg {
  op: string;
  ports?: number[];
  cpuUserS?: number;
  cpuSysS?: number;
  wallS?: number;
  message?: string;
  stats?: unknown;
}

function startHost(profileDir?: string): { child: ChildProcess; request: (m: object, expect: string, ms: number) => Promise<HostMsg> } {
  const host = fileURLToPath(new URL('./engine-host.ts', import.meta.url));
  const execArgv = ['--import', 'tsx', ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])];
  const child = spawn(process.execPath, [...execArgv, host], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiters: Array<{ op: string; resolve: (m: HostMsg) => void; reject: (e: Error) => void }> = [];
  child.on('message', (m: HostMsg) => {
    const i = waiters.findIndex((w) => w.op === m.op || m.op === 'error');
    if (i < 0) return;
    const [w] = waiters.splice(i, 1);
    if (m.op === 'error') w!.reject(new Error(m.message));
    else w!.resolve(m);
  });
  const request = (m: object, expect: string, ms: number): Promise<HostMsg> => {
    const p = new Promise<HostMsg>((resolve, reject) => waiters.push({ op: expect, resolve, reject }));
    if (Object.keys(m).length > 0) child.send(m);
    return withTimeout(p, ms, `engine host (${expect})`);
  };
  return { child, request };
}

type Impl = 'engine' | 'bare' | 'c';

/** The C epoll relay as a host: stream i is received on portMin+i and sent to the sink. */
function startCRelay(streams: number): { child: ChildProcess; request: (m: object, expect: string, ms: number) => Promise<HostMsg> } {
  let ready!: () => void;
  const up = new Promise<void>((r) => (ready = r));
  const relay = runJson(join(bin, 'relay'), ['-m', 'epoll', '-n', String(streams), '-a', String(portMin), '-B', String(portMin + streams + 100), '-d', String(sinkPort)], (duration + 120) * 1000, (s) => {
    if (s.includes('READY')) ready();
  });
  let t0 = performance.now();
  const request = async (_m: object, expect: string, ms: number): Promise<HostMsg> => {
    if (expect === 'hello') return { op: 'hello' };
    if (expect === 'ready') {
      await withTimeout(up, ms, 'C relay start');
      return { op: 'ready', ports: Array.from({ length: streams }, (_, i) => portMin + i) };
    }
    if (expect === 'marked') {
      t0 = performance.now();
      return { op: 'marked' };
    }
    // report: the relay prints its rusage on SIGTERM (its setup is negligible)
    const wallS = (performance.now() - t0) / 1000;
    relay.child.kill('SIGTERM');
    const r = await relay.result;
    return { op: 'report', cpuUserS: r.cpu_user, cpuSysS: r.cpu_sys, wallS };
  };
  return { child: relay.child, request };
}

async function step(calls: number, impl: Impl, profileDir?: string): Promise<Record<string, unknown>> {
  const streams = calls * 2;
  const { child: host, request } = impl === 'c' ? startCRelay(streams) : startHost(profileDir);
  try {
    await request({}, 'hello', 20_000);
    const ready = await request(
      { op: 'setup', calls, sinkPort, workers, portRange: { min: portMin, max: portMin + calls * 4 + 200 }, codecs, impl },
      'ready',
      60_000,
    );
    const portsFile = join(tmp, `ports-${calls}.txt`);
    writeFileSync(portsFile, ready.ports!.join('\n') + '\n');

    let sinkReady!: () => void;
    const sinkUp = new Promise<void>((r) => (sinkReady = r));
    const sink = runJson(join(bin, 'sink'), ['-p', String(sinkPort), '-n', String(streams), '-t', String(duration + 15), '-i', '1500', '-w', '50'], (duration + 25) * 1000, (s) => {
      if (s.includes('READY')) sinkReady();
    });
    await withTimeout(sinkUp, 5000, 'sink start');
    await request({ op: 'mark' }, 'marked', 5000);
    const load0 = loadavg()[0];
    const gen = runJson(join(bin, 'gen'), ['-n', String(streams), '-r', '50', '-d', String(duration), '-f', portsFile], (duration + 10) * 1000);
    const g = await gen.result;
    const rep = await request({ op: 'report' }, 'report', 10_000);
    const s = await sink.result;
    // Transcoding rewrites the payload, probe included: the sink counts those packets as "bad"
    // and cannot time them, so in that mode loss counts them and latency is not measured.
    const arrived = impl === 'engine' && codecs === 'transcode' ? s.received! + s.bad! : s.received!;
    const lossPct = (100 * (g.sent! - arrived)) / g.sent!;
    const p99ms = s.p99_us! / 1000;
    const cpuS = rep.cpuUserS! + rep.cpuSysS!;
    return {
      impl,
      calls,
      streams,
      codecs: impl === 'bare' ? 'same' : codecs,
      workers,
      sent: g.sent,
      received: s.received,
      received_unreadable: s.bad,
      loss_pct: Number(lossPct.toFixed(4)),
      p50_ms: s.p50_us! / 1000,
      p99_ms: p99ms,
      p999_ms: s.p999_us! / 1000,
      max_ms: s.max_us! / 1000,
      zero_streams: s.zero_streams,
      engine_cpu_pct: Number(((100 * cpuS) / rep.wallS!).toFixed(1)),
      engine_cpu_user_s: rep.cpuUserS,
      engine_cpu_sys_s: rep.cpuSysS,
      engine_us_per_packet: Number(((cpuS * 1e6) / g.sent!).toFixed(2)),
      gen_max_lag_ms: g.max_lag_ms,
      loadavg_1m_before: Number(load0!.toFixed(2)),
      loadavg_1m_after: Number(loadavg()[0]!.toFixed(2)),
      pass: lossPct < 0.1 && (p99ms < 20 || (impl === 'engine' && codecs === 'transcode')),
    };
  } finally {
    if (impl === 'c') host.kill('SIGTERM');
    else host.send({ op: 'exit' });
    await withTimeout(new Promise((r) => host.on('exit', r)), 10_000, 'engine host exit').catch(() => host.kill('SIGKILL'));
  }
}

const impls = values.impl.split(',') as Impl[];
const best: Record<string, number> = {};
for (const calls of steps) {
  for (const impl of impls) {
    const profileDir = values.profile && impl === 'engine' && calls === steps[steps.length - 1] ? values.profile : undefined;
    try {
      const r = await step(calls, impl, profileDir);
      console.log(JSON.stringify(r));
      if (r.pass && calls > (best[impl] ?? 0)) best[impl] = calls;
    } catch (e) {
      console.log(JSON.stringify({ impl, calls, error: (e as Error).message }));
    }
  }
}
console.log(JSON.stringify({ summary: true, codecs, workers, duration_s: duration, highest_passing_calls: best, steps }));
