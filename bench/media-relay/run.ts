// Media relay benchmark: the engine runs in its own process (engine-host.ts); the load comes
// from the reference C instruments (../shared/tools/rtp-load: gen sends N paced 20 ms
// G.711-sized RTP streams over loopback, sink measures loss and one-way latency). A call is
// two streams: gen → endpoint A → (relay) → sink, and gen → endpoint B → (relay) → sink.
// Pass = loss < 0.1 % and p99 one-way latency < 20 ms. Prints one JSON line per step and a
// summary with the highest passing call count. Every run is bounded in time.
//
//   node --import tsx bench/media-relay/run.ts [--steps 200,500,1000,1400,1600] [--duration 10]
//        [--workers 2] [--codecs same|remap|transcode] [--impl engine,bare,c,rtpengine] [--profile DIR] [--tools DIR]
//        [--record]
//
// --record (engine only): every call records both legs to a stereo WAV (MediaEngine.record) in a
// temp dir from call set-up to the end of the step; the files are measured and deleted after it.
//
// --impl rtpengine: the same load through rtpengine (Debian rtpengine-daemon, userspace
// forwarding --table=-1, --num-threads = --workers), started once by this driver on loopback and
// driven over its ng protocol (ng.ts): per call offer + answer, then the measurement, then delete.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { NgClient, deleteCall, pool, setupCall } from './ng.ts';
import { DEFAULT_TOOLS_DIR, buildInstruments, runJson, withTimeout } from '../rtp-instruments.ts';

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
    record: { type: 'boolean', default: false },
    // shared/ sits beside the repository (the team's checkout layout and CI's)
    tools: { type: 'string', default: DEFAULT_TOOLS_DIR },
    'port-min': { type: 'string', default: '30000' },
    'sink-port': { type: 'string', default: '29990' },
    // rtpengine: binary, ng control port and its RTP port range (apart from ours at --port-min)
    rtpengine: { type: 'string', default: 'rtpengine' },
    'ng-port': { type: 'string', default: '22223' },
    'rtpengine-ports': { type: 'string', default: '40000-59999' },
  },
});
const steps = values.steps.split(',').map(Number);
const duration = Number(values.duration);
const workers = Number(values.workers);
const codecs = values.codecs as 'same' | 'remap' | 'transcode';
const sinkPort = Number(values['sink-port']);
const portMin = Number(values['port-min']);
const impls = values.impl.split(',') as Impl[];

const tmp = mkdtempSync(join(tmpdir(), 'media-relay-bench-'));
const bin = join(tmp, 'bin');
buildInstruments(values.tools, bin);

interface HostMsg {
  op: string;
  ports?: number[];
  cpuUserS?: number;
  cpuSysS?: number;
  wallS?: number;
  message?: string;
  stats?: unknown;
  recordErrors?: number;
  lastRecordError?: string;
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

type Impl = 'engine' | 'bare' | 'c' | 'rtpengine';
type Host = { child: ChildProcess; request: (m: object, expect: string, ms: number) => Promise<HostMsg>; close?: () => Promise<void> };

// rtpengine: one daemon for the whole run (started on first use, killed at exit), log in tmp.
let rte: { child: ChildProcess; ng: NgClient; log: string } | undefined;
let rteCalls = 0;
const clkTck = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());

/** utime + stime of a process (all threads), seconds, from /proc/PID/stat. */
function procCpu(pid: number): { user: number; sys: number } {
  const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
  return { user: Number(f[11]) / clkTck, sys: Number(f[12]) / clkTck };
}

async function ensureRtpengine(): Promise<NonNullable<typeof rte>> {
  if (rte !== undefined && rte.child.exitCode === null) return rte;
  const [pmin, pmax] = values['rtpengine-ports'].split('-');
  const log = join(tmp, 'rtpengine.log');
  const fd = openSync(log, 'a');
  const args = [
    '--config-file=none', '--foreground', '--log-stderr', '--log-level=4',
    '--table=-1', '--interface=127.0.0.1', `--listen-ng=127.0.0.1:${values['ng-port']}`,
    `--port-min=${pmin}`, `--port-max=${pmax}`, `--num-threads=${workers}`, '--delete-delay=0',
  ];
  // bounded: the whole run cannot last longer than this
  const limitMs = steps.length * impls.length * (duration + 180) * 1000;
  const child = spawn(values.rtpengine, args, { stdio: ['ignore', fd, fd], timeout: limitMs, killSignal: 'SIGKILL' });
  closeSync(fd);
  child.on('error', (e) => console.error(`rtpengine: ${e.message}`));
  const ng = await NgClient.open(Number(values['ng-port']));
  const t0 = performance.now();
  for (;;) {
    try {
      await ng.cmd({ command: 'ping' }, 300, 1);
      break;
    } catch (e) {
      if (child.exitCode !== null || performance.now() - t0 > 10_000) {
        ng.close();
        child.kill('SIGKILL');
        throw new Error(`rtpengine did not start (${(e as Error).message}); log: ${readFileSync(log, 'utf8').slice(-800)}`);
      }
    }
  }
  rte = { child, ng, log };
  return rte;
}

async function stopRtpengine(): Promise<void> {
  if (rte === undefined) return;
  const { child, ng } = rte;
  ng.close();
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.on('exit', r));
  child.kill('SIGTERM');
  await withTimeout(gone, 5000, 'rtpengine exit').catch(() => child.kill('SIGKILL'));
}
process.on('exit', () => {
  if (rte !== undefined && rte.child.exitCode === null && rte.child.signalCode === null) rte.child.kill('SIGKILL');
});
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => process.exit(130));

/** rtpengine as a host: per call offer + answer (both SDPs point at the sink), delete on close. */
async function startRtpengineHost(calls: number): Promise<Host> {
  const { child, ng } = await ensureRtpengine();
  const tag = `s${++rteCalls}`;
  let cpu0 = procCpu(child.pid!);
  let t0 = performance.now();
  let created = 0;
  const request = async (_m: object, expect: string, _ms: number): Promise<HostMsg> => {
    if (expect === 'hello') return { op: 'hello' };
    if (expect === 'ready') {
      const pairs = await pool(calls, 32, async (i) => {
        const r = await setupCall(ng, tag, i, sinkPort);
        created = Math.max(created, i + 1);
        return r;
      });
      return { op: 'ready', ports: pairs.flat() };
    }
    if (expect === 'marked') {
      cpu0 = procCpu(child.pid!);
      t0 = performance.now();
      return { op: 'marked' };
    }
    const c = procCpu(child.pid!);
    return { op: 'report', cpuUserS: c.user - cpu0.user, cpuSysS: c.sys - cpu0.sys, wallS: (performance.now() - t0) / 1000 };
  };
  const close = async (): Promise<void> => {
    const failed = (await pool(Math.max(created, calls), 32, (i) => deleteCall(ng, tag, i).then(() => 0, () => 1))).reduce((a, b) => a + b, 0);
    if (failed > 0 && failed < calls) console.error(`rtpengine: ${failed} deletes failed`);
  };
  return { child, request, close };
}

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
  const h: Host = impl === 'c' ? startCRelay(streams) : impl === 'rtpengine' ? await startRtpengineHost(calls) : startHost(profileDir);
  const { child: host, request, close } = h;
  const recordDir = values.record && impl === 'engine' ? join(tmp, `rec-${calls}`) : undefined;
  if (recordDir !== undefined) mkdirSync(recordDir, { recursive: true });
  let result: Record<string, unknown> | undefined;
  try {
    await request({}, 'hello', 20_000);
    const ready = await request(
      { op: 'setup', calls, sinkPort, workers, portRange: { min: portMin, max: portMin + calls * 4 + 200 }, codecs, impl, recordDir },
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
    result = {
      impl,
      calls,
      ...(recordDir === undefined ? {} : { record: true, record_errors: rep.recordErrors, ...(rep.lastRecordError ? { record_error: rep.lastRecordError } : {}) }),
      streams,
      codecs: impl === 'bare' || impl === 'rtpengine' ? 'same' : codecs,
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
      // percent of one core per relayed call (two streams)
      engine_cpu_pct_per_call: Number(((100 * cpuS) / rep.wallS! / calls).toFixed(3)),
      engine_cpu_user_s: Number(rep.cpuUserS!.toFixed(3)),
      engine_cpu_sys_s: Number(rep.cpuSysS!.toFixed(3)),
      engine_us_per_packet: Number(((cpuS * 1e6) / g.sent!).toFixed(2)),
      gen_max_lag_ms: g.max_lag_ms,
      loadavg_1m_before: Number(load0!.toFixed(2)),
      loadavg_1m_after: Number(loadavg()[0]!.toFixed(2)),
      pass: lossPct < 0.1 && (p99ms < 20 || (impl === 'engine' && codecs === 'transcode')) && !rep.recordErrors,
    };
  } finally {
    if (close !== undefined) await withTimeout(close(), 30_000, 'rtpengine delete').catch((e) => console.error((e as Error).message));
    else if (impl === 'c') host.kill('SIGTERM');
    else host.send({ op: 'exit' });
    if (close === undefined) await withTimeout(new Promise((r) => host.on('exit', r)), 10_000, 'engine host exit').catch(() => host.kill('SIGKILL'));
    if (recordDir !== undefined) {
      // the engine finalised every recording on close; sizes checked, then the files go
      const files = readdirSync(recordDir);
      const bytes = files.reduce((a, f) => a + statSync(join(recordDir, f)).size, 0);
      if (result !== undefined) Object.assign(result, { record_files: files.length, record_mb: Number((bytes / 1e6).toFixed(1)) });
      rmSync(recordDir, { recursive: true, force: true });
    }
  }
  return result!;
}

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
const ratio = best.engine !== undefined && best.rtpengine ? { engine_to_rtpengine: Number((best.engine / best.rtpengine).toFixed(2)) } : {};
console.log(JSON.stringify({ summary: true, codecs, workers, duration_s: duration, highest_passing_calls: best, ...ratio, steps, loadavg: loadavg().map((l) => Number(l.toFixed(2))) }));
await stopRtpengine();
