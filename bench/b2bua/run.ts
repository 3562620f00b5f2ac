// B2BUA call-rate benchmark: authenticated, answered 2 s calls through the PBX at rising rates.
//
//   SIPp UAC(s) (uac.xml)  --INVITE/407/INVITE+auth-->  PBX  --INVITE-->  SIPp UAS (uas.xml)
//   caller extensions                                          callee extensions, all registered
//                                                              (register.xml) from the UAS port
// SDP offered and answered, no RTP. Each step offers RATE calls/s for DURATION s; a call is
// INVITE -> 407 -> ACK -> INVITE + Proxy-Authorization -> 100/180/200 -> ACK, HOLD_MS of
// nothing, BYE -> 200. Prints JSON (stdout; progress on stderr): per step attempted, successful
// and failed calls, answered calls/s, call-setup latency (first INVITE -> 200 "setup", and
// authenticated INVITE -> 200 "invite": p50/p90/p99/max ms from SIPp -trace_rtt, 1-4 ms
// resolution), PBX CPU (% of one core, /proc/<pid>/stat, all threads) and RSS, SIPp CPU, calls
// still live in the PBX after the step; then the highest rate that passed. A step passes if
// failed < 0.1 % of attempted AND answered calls/s >= 95 % of the offered rate.
//
// Usage:
//   bench/b2bua/run.sh pbx         the PBX of this checkout (src/main.ts), started by the script in
//                                  a fresh data dir on free loopback ports, extensions declared in
//                                  its config file; stopped at the end
//   bench/b2bua/run.sh selfcheck   no PBX: SIPp stand-ins play its two halves (selfcheck-pbx-*.xml),
//                                  to check the harness, and what SIPp alone sustains on this machine
//   (run.sh = `ulimit -n 65536; node --import tsx bench/b2bua/run.ts MODE`)
//
// Knobs (environment variables):
//   RATES="100 200 500 800 1000 1200"  offered calls/s, one step each
//   DURATION=12        seconds of call generation per step (a step places RATE*DURATION calls)
//   HOLD_MS=2000       call length after the ACK
//   MAX_CALLS=100      max concurrent calls of every extension (the PBX allows 1..100)
//   INSTANCES=         SIPp UAC processes; default: enough that no callee extension exceeds
//                      70 % of MAX_CALLS at the highest rate. Why several: SIPp 3.6.1 computes the
//                      digest uri from -auth_uri (one per process), and the PBX requires it to
//                      name the Request-URI, so one UAC process dials one callee extension.
//   CALLERS=5          caller extensions per UAC process (cycled through its CSV)
//   RECORDING=0        1: the tenant records every call (the product default); 0: off
//   WORKERS=0          PBX media worker threads (0 = one per core)
//   LOG_LEVEL=warn     PBX log level
//   RTP_MIN=10000 RTP_MAX=30000   PBX RTP port range (each call holds two RTP/RTCP pairs)
//   PAUSE=3            seconds between steps
//   SIPP_BUFF=4194304  SIPp -buff_size
//   KEEP=1             keep the work dir (configs, SIPp stats/rtt/errors, PBX log)
// Every wait is bounded: SIPp runs under -timeout plus a kill backstop, the PBX is stopped at
// exit (SIGTERM, then SIGKILL), nothing binds anything but 127.0.0.1, no fixed ports.
// A Kamailio reference (stateful proxy) is not included: see README.md.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freeTcpPort, freeUdpPortBlock, freeUdpTcpPort, waitUdpBound } from '../../test/support/free-port.ts';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const ROOT = join(HERE, '..', '..');
const env = process.env;
const mode = process.argv[2];
if (mode !== 'pbx' && mode !== 'selfcheck') {
  const head = readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n');
  const end = head.findIndex((l) => !l.startsWith('//'));
  process.stderr.write(`${head.slice(0, end).map((l) => l.replace(/^\/\/ ?/, '')).join('\n')}\n`);
  process.exit(2);
}

const RATES = (env.RATES ?? '100 200 500 800 1000 1200').trim().split(/[\s,]+/).map(Number);
const DURATION = Number(env.DURATION ?? 12);
const HOLD_MS = Number(env.HOLD_MS ?? 2000);
const MAX_CALLS = Number(env.MAX_CALLS ?? 100);
const CALLERS = Number(env.CALLERS ?? 5);
const RECORDING = env.RECORDING === '1';
const WORKERS = Number(env.WORKERS ?? 0);
const LOG_LEVEL = env.LOG_LEVEL ?? 'warn';
const RTP_MIN = Number(env.RTP_MIN ?? 10000);
const RTP_MAX = Number(env.RTP_MAX ?? 30000);
const PAUSE = Number(env.PAUSE ?? 3);
const SIPP_BUFF = env.SIPP_BUFF ?? '4194304';
const maxRate = Math.max(...RATES);
// concurrency per callee ~ rate_i * (hold + ~0.2 s of set-up and BYE), kept <= 70 % of MAX_CALLS
const INSTANCES = Number(env.INSTANCES ?? Math.max(1, Math.ceil((maxRate * (HOLD_MS / 1000 + 0.2)) / (0.7 * MAX_CALLS))));
if (RATES.some((r) => !(r > 0)) || !(DURATION > 0) || !(INSTANCES >= 1) || !(MAX_CALLS >= 1 && MAX_CALLS <= 100)) {
  console.error('bad RATES / DURATION / INSTANCES / MAX_CALLS');
  process.exit(2);
}

const work = mkdtempSync(join(tmpdir(), 'bench-b2bua-'));
const log = (msg: string) => process.stderr.write(`[b2bua] ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const children = new Set<ChildProcess>();

// ---------------------------------------------------------------- processes

interface Proc {
  child: ChildProcess;
  exited: Promise<number | null>;
}

function start(cmd: string, args: string[], cwd: string, logFile: string, backstopS: number): Proc {
  const out = createWriteStream(logFile);
  const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  // both into one file: neither may end it (the other may still write); closed at exit
  child.stdout!.pipe(out, { end: false });
  child.stderr!.pipe(out, { end: false });
  child.once('close', () => out.end());
  children.add(child);
  const backstop = setTimeout(() => child.kill('SIGKILL'), backstopS * 1000);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code, signal) => {
      clearTimeout(backstop);
      children.delete(child);
      resolve(code ?? (signal ? 128 : null));
    }),
  );
  return { child, exited };
}

function cleanupAndExit(code: number): never {
  for (const c of children) c.kill('SIGKILL');
  if (env.KEEP) log(`work dir kept: ${work}`);
  else rmSync(work, { recursive: true, force: true });
  process.exit(code);
}
process.on('SIGINT', () => cleanupAndExit(130));
process.on('SIGTERM', () => cleanupAndExit(143));
// whatever ends this process (an uncaught error included), the PBX and SIPp go with it
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});
// a closed pipe on stdout/stderr (| head) must not kill the run before its clean-up
process.stdout.on('error', () => undefined);
process.stderr.on('error', () => undefined);

/** utime + stime of a process (all its threads), in seconds; 0 once it is gone. */
function cpuSeconds(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // CLK_TCK is 100 on Linux
  } catch {
    return 0;
  }
}

/** CPU seconds of several processes together. */
function cpuOf(pids: Array<number | undefined>): number {
  let total = 0;
  for (const p of pids) total += cpuSeconds(p);
  return total;
}

function rssMiB(pid: number | undefined): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : null;
  } catch {
    return null;
  }
}

function openFilesLimit(): string {
  try {
    return /Max open files\s+(\S+)/.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1] ?? '?';
  } catch {
    return '?';
  }
}

// ---------------------------------------------------------------- SIPp

interface SippRun extends Proc {
  name: string;
  dir: string;
  startedAt: number;
}

function sipp(name: string, dir: string, args: string[], timeoutS: number): SippRun {
  const full = [
    ...args,
    '-i', '127.0.0.1', '-mi', '127.0.0.1', '-ci', '127.0.0.1',
    '-t', 'u1', '-buff_size', SIPP_BUFF, '-nostdin',
    '-timeout', `${timeoutS}s`,
    '-trace_err', '-error_file', join(dir, `${name}-errors.log`),
  ];
  const p = start('sipp', full, dir, join(dir, `${name}.out`), timeoutS + 20);
  return { ...p, name, dir, startedAt: Date.now() };
}

/** The last line of a SIPp -trace_stat CSV, by column name. */
function finalStats(file: string): Record<string, string> {
  if (!existsSync(file)) return {};
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  if (lines.length < 2) return {};
  const head = lines[0]!.split(';');
  const last = lines.at(-1)!.split(';');
  return Object.fromEntries(head.map((h, i) => [h, last[i] ?? '']));
}

const num = (s: string | undefined) => (s === undefined || s === '' ? 0 : Number(s));

/** -trace_rtt rows ("Date_ms;response_time_ms;rtd_name") of every file matching in dir. */
function rttRows(dir: string, prefix: string): Array<{ atMs: number; ms: number; rtd: string; file: string }> {
  const rows: Array<{ atMs: number; ms: number; rtd: string; file: string }> = [];
  for (const f of readdirSync(dir).filter((f) => f.startsWith(prefix) && f.endsWith('_rtt.csv'))) {
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n').slice(1)) {
      const [at, ms, rtd] = line.trim().split(';');
      if (rtd) rows.push({ atMs: Number(at), ms: Number(ms), rtd, file: f });
    }
  }
  return rows;
}

function percentiles(values: number[]) {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const p = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
  return { p50: p(0.5), p90: p(0.9), p99: p(0.99), max: s.at(-1)!, samples: s.length };
}

// ---------------------------------------------------------------- the system under test

interface Ext {
  number: string;
  password: string;
}
const callees: Ext[] = Array.from({ length: INSTANCES }, (_, i) => ({ number: String(400000 + i), password: `bench-${400000 + i}-pw` }));
const callers: Ext[][] = Array.from({ length: INSTANCES }, (_, i) =>
  Array.from({ length: CALLERS }, (_, j) => {
    const n = 300000 + i * CALLERS + j;
    return { number: String(n), password: `bench-${n}-pw` };
  }),
);
const csv = (exts: Ext[]) => `SEQUENTIAL\n${exts.map((e) => `${e.number};${e.password};[authentication username=${e.number} password=${e.password}]`).join('\n')}\n`;

interface Target {
  /** host:port the callers send to. */
  address: string;
  /** Processes whose CPU is "the target's". */
  pids(): Array<number | undefined>;
  /** Prepared for a step: callees registered (pbx) or the stand-in callee-side caller started. */
  beforeStep(rate: number, stepDir: string, uasPort: number): Promise<void>;
  afterStep(): Promise<{ liveCallsAfter: number | null; rssMiB: number | null }>;
  stop(): Promise<void>;
}

async function startPbx(): Promise<Target> {
  const sipPort = await freeUdpTcpPort();
  const apiPort = await freeTcpPort();
  const dataDir = join(work, 'data');
  const exts = [...callees, ...callers.flat()].map(
    (e) =>
      `      - { number: "${e.number}", password: "${e.password}", max_terminals: 1, max_concurrent_calls: ${MAX_CALLS}, voicemail: false, ring_timeout_s: 20 }`,
  );
  const config = join(work, 'pbx.yaml');
  writeFileSync(
    config,
    [
      `data_dir: ${JSON.stringify(dataDir)}`,
      `log: { level: ${LOG_LEVEL} }`,
      'sip:',
      `  udp: { host: 127.0.0.1, port: ${sipPort} }`,
      `  tcp: { host: 127.0.0.1, port: ${sipPort} }`,
      '  registrar: { keepalive_interval_s: 0 }',
      `api: { host: 127.0.0.1, port: ${apiPort} }`,
      `media: { host: 127.0.0.1, public_address: 127.0.0.1, rtp_port_min: ${RTP_MIN}, rtp_port_max: ${RTP_MAX}, workers: ${WORKERS} }`,
      'tenants:',
      `  - name: default`,
      '    default: true',
      `    recording: ${RECORDING}`,
      '    extensions:',
      ...exts,
      '',
    ].join('\n'),
  );
  // node directly (not bin/pbx's sh): its pid is the server's, for /proc/<pid>/stat
  // PBX_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") goes to the PBX's node only
  const nodeArgs = (env.PBX_NODE_ARGS ?? '').split(/\s+/).filter((a) => a !== '');
  const pbx = start(process.execPath, [...nodeArgs, '--import', 'tsx', join(ROOT, 'src', 'main.ts'), 'start', '--config', config], ROOT, join(work, 'pbx.log'), 24 * 3600);
  const api = (path: string, init?: RequestInit) => fetch(`http://127.0.0.1:${apiPort}${path}`, init);
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (pbx.child.exitCode !== null) throw new Error(`pbx exited during start-up; see ${join(work, 'pbx.log')} (KEEP=1)`);
    if (await api('/health').then((r) => r.ok, () => false)) break;
    if (Date.now() > deadline) throw new Error('pbx did not become healthy in 60 s');
    await sleep(200);
  }
  const tokenRun = start(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'main.ts'), 'token', 'create', 'bench', '--json', '--config', config], ROOT, join(work, 'token.json'), 60);
  await tokenRun.exited;
  let token = '';
  try {
    token = (JSON.parse(readFileSync(join(work, 'token.json'), 'utf8')) as { token: string }).token;
  } catch {
    log('could not create an API token: liveCallsAfter will be null');
  }
  log(`pbx pid ${pbx.child.pid} on 127.0.0.1:${sipPort} (api ${apiPort}), ${callees.length} callee + ${callers.flat().length} caller extensions, recording ${RECORDING ? 'on' : 'off'}`);
  return {
    address: `127.0.0.1:${sipPort}`,
    pids: () => [pbx.child.pid],
    async beforeStep(_rate, stepDir, uasPort) {
      // (Re-)register every callee extension from the UAS port (Expires 3600).
      writeFileSync(join(stepDir, 'callees.csv'), csv(callees));
      const reg = sipp('register', stepDir, [`127.0.0.1:${sipPort}`, '-sf', join(HERE, 'register.xml'), '-inf', join(stepDir, 'callees.csv'), '-p', String(uasPort), '-cp', String(await freeUdpTcpPort()), '-m', String(callees.length), '-r', '200', '-trace_stat', '-stf', join(stepDir, 'register-stat.csv'), '-fd', '1'], 30);
      const code = await reg.exited;
      const ok = num(finalStats(join(stepDir, 'register-stat.csv'))['SuccessfulCall(C)']);
      if (code !== 0 || ok !== callees.length) throw new Error(`registering the ${callees.length} callees from port ${uasPort} failed (${ok} ok, exit ${code}); see ${stepDir} (KEEP=1)`);
    },
    async afterStep() {
      let liveCallsAfter: number | null = null;
      if (token) {
        // calls still up once every BYE has been answered: should be 0
        for (let i = 0; i < 20; i++) {
          const res = await api('/calls', { headers: { Authorization: `Bearer ${token}` } }).catch(() => undefined);
          if (!res || res.status !== 200) break;
          const body = (await res.json()) as unknown[] | { items?: unknown[] };
          liveCallsAfter = (Array.isArray(body) ? body : (body.items ?? [])).length;
          if (liveCallsAfter === 0) break;
          await sleep(500);
        }
      }
      return { liveCallsAfter, rssMiB: rssMiB(pbx.child.pid) };
    },
    async stop() {
      pbx.child.kill('SIGTERM');
      await Promise.race([pbx.exited, sleep(15_000)]);
      pbx.child.kill('SIGKILL');
      await pbx.exited;
    },
  };
}

/** selfcheck: SIPp stand-ins for both halves of the PBX; no callee registration. */
async function startSelfcheck(): Promise<Target> {
  const port = await freeUdpTcpPort();
  let callerSide: SippRun | undefined;
  let calleeSide: SippRun | undefined;
  return {
    address: `127.0.0.1:${port}`,
    pids: () => [callerSide?.child.pid, calleeSide?.child.pid],
    async beforeStep(rate, stepDir, uasPort) {
      const timeoutS = DURATION * 3 + HOLD_MS / 1000 + 30;
      callerSide = sipp('standin-uas', stepDir, ['-sf', join(HERE, 'selfcheck-pbx-uas.xml'), '-p', String(port), '-cp', String(await freeUdpTcpPort()), '-mp', String(await freeUdpPortBlock(4)), '-m', String(rate * DURATION), '-trace_stat', '-stf', join(stepDir, 'standin-uas-stat.csv'), '-fd', '1'], timeoutS);
      await waitUdpBound(port, 10_000);
      // the callee half: calls uas.xml at the same rate once it listens (run.ts starts the UAS first)
      setTimeout(() => {
        void (async () => {
          await waitUdpBound(uasPort, 10_000).catch(() => undefined);
          calleeSide = sipp('standin-uac', stepDir, [`127.0.0.1:${uasPort}`, '-sf', join(HERE, 'selfcheck-pbx-uac.xml'), '-s', callees[0]!.number, '-p', String(await freeUdpTcpPort()), '-cp', String(await freeUdpTcpPort()), '-mp', String(await freeUdpPortBlock(4)), '-r', String(rate), '-m', String(rate * DURATION), '-l', String(Math.ceil(rate * (HOLD_MS / 1000 + 12)) + 50), '-d', String(HOLD_MS), '-trace_stat', '-stf', join(stepDir, 'standin-uac-stat.csv'), '-fd', '1'], timeoutS);
        })();
      }, 0);
    },
    async afterStep() {
      for (const p of [callerSide, calleeSide]) if (p) await Promise.race([p.exited, sleep(HOLD_MS + 10_000)]).then(() => p.child.kill('SIGKILL'));
      return { liveCallsAfter: null, rssMiB: null };
    },
    async stop() {},
  };
}

// ---------------------------------------------------------------- one step

async function step(target: Target, rate: number, uasPort: number) {
  const stepDir = join(work, `r${rate}`);
  rmSync(stepDir, { recursive: true, force: true });
  mkdirSync(stepDir);
  const attempted = rate * DURATION;
  const perInstance = Array.from({ length: INSTANCES }, (_, i) => Math.floor(attempted / INSTANCES) + (i < attempted % INSTANCES ? 1 : 0));
  const timeoutS = DURATION * 3 + HOLD_MS / 1000 + 30;
  await target.beforeStep(rate, stepDir, uasPort);
  const uas = sipp('uas', stepDir, ['-sf', join(HERE, 'uas.xml'), '-p', String(uasPort), '-cp', String(await freeUdpTcpPort()), '-mp', String(await freeUdpPortBlock(4)), '-m', String(attempted), '-trace_stat', '-stf', join(stepDir, 'uas-stat.csv'), '-fd', '1'], timeoutS + 10);
  await waitUdpBound(uasPort, 10_000);

  // Background load on the machine just before the step (another job running skews everything).
  const hostBusy = () => readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const h0 = hostBusy();
  await sleep(1000);
  const h1 = hostBusy();
  const busy = (a: number[], b: number[]) => {
    const d = b.map((v, i) => v - a[i]!);
    const total = d.reduce((x, y) => x + y, 0);
    return total > 0 ? ((total - d[3]! - d[4]!) / total) * 100 * cpus().length : 0;
  };
  const hostBusyBeforePct = Math.round(busy(h0, h1));

  log(`rate ${rate}/s: ${attempted} calls over ${INSTANCES} SIPp UAC process(es), hold ${HOLD_MS} ms`);
  const uacs: SippRun[] = [];
  for (let i = 0; i < INSTANCES; i++) {
    const callee = callees[i]!.number;
    writeFileSync(join(stepDir, `callers-${i}.csv`), csv(callers[i]!));
    const perRate = rate / INSTANCES;
    uacs.push(
      sipp(`uac-${i}`, stepDir, [
        target.address, '-sf', join(HERE, 'uac.xml'), '-inf', join(stepDir, `callers-${i}.csv`),
        '-s', callee, '-auth_uri', `${callee}@${target.address}`,
        '-p', String(await freeUdpTcpPort()), '-cp', String(await freeUdpTcpPort()), '-mp', String(await freeUdpPortBlock(4)),
        // rate/INSTANCES calls per second, possibly fractional: `rate` calls per INSTANCES seconds
        '-r', String(rate), '-rp', String(1000 * INSTANCES),
        '-m', String(perInstance[i]), '-l', String(Math.ceil(perRate * (HOLD_MS / 1000 + 12)) + 50),
        '-d', String(HOLD_MS), '-recv_timeout', '10000',
        '-trace_stat', '-stf', join(stepDir, `uac-${i}-stat.csv`), '-fd', '1',
        '-trace_rtt', '-rtt_freq', '1',
      ], timeoutS),
    );
  }

  // CPU sampled once a second while the callers run
  const t0 = Date.now();
  const targetCpu0 = cpuOf(target.pids());
  const sippPids = () => [...uacs.map((u) => u.child.pid), uas.child.pid];
  let sippCpu = cpuOf(sippPids());
  const sippCpu0 = sippCpu;
  let prev = { at: t0, cpu: targetCpu0 };
  let peak = 0;
  let lastTargetCpu = targetCpu0;
  let lastAt = t0;
  const running = () => uacs.some((u) => u.child.exitCode === null && u.child.signalCode === null);
  while (running() && Date.now() - t0 < (timeoutS + 25) * 1000) {
    await sleep(1000);
    if (!running()) break;
    const now = Date.now();
    const cpu = cpuOf(target.pids());
    peak = Math.max(peak, ((cpu - prev.cpu) / ((now - prev.at) / 1000)) * 100);
    prev = { at: now, cpu };
    lastTargetCpu = cpu;
    lastAt = now;
    sippCpu = cpuOf(sippPids());
  }
  const uacCodes = await Promise.all(uacs.map((u) => u.exited));
  // the callee side ends when it has seen every call; if some never came, stop waiting soon
  await Promise.race([uas.exited, sleep(HOLD_MS + 10_000)]);
  uas.child.kill('SIGKILL');
  const uasCode = await uas.exited;
  const post = await target.afterStep();
  const seconds = (lastAt - t0) / 1000;

  // ---- results
  const stats = uacs.map((u) => finalStats(join(stepDir, `${u.name}-stat.csv`)));
  const sum = (key: string) => stats.reduce((s, st) => s + num(st[key]), 0);
  const created = sum('TotalCallCreated');
  const successful = sum('SuccessfulCall(C)');
  const failed = attempted - successful;
  const rows = rttRows(stepDir, 'uac');
  const setup = rows.filter((r) => r.rtd === 'setup');
  // answered calls/s: per UAC process, answered calls over the span they were answered in
  let answeredCps = 0;
  for (const u of uacs) {
    const mine = setup.filter((r) => r.file.startsWith(`uac_${u.child.pid}_`)).map((r) => r.atMs);
    if (mine.length > 1) answeredCps += (mine.length - 1) / ((Math.max(...mine) - Math.min(...mine)) / 1000 || 1);
  }
  if (answeredCps === 0 && setup.length > 0) answeredCps = setup.length / DURATION;
  const uasStats = finalStats(join(stepDir, 'uas-stat.csv'));
  const failurePct = attempted > 0 ? (failed * 100) / attempted : 100;
  const result = {
    rate,
    attempted,
    created,
    successful,
    failed,
    failedSipp: sum('FailedCall(C)'),
    failurePct: Number(failurePct.toFixed(3)),
    answeredCps: Math.round(answeredCps),
    setupMs: percentiles(setup.map((r) => r.ms)),
    inviteMs: percentiles(rows.filter((r) => r.rtd === 'invite').map((r) => r.ms)),
    retransmissions: sum('Retransmissions(C)'),
    unexpectedMessages: sum('FailedUnexpectedMessage(C)'),
    recvTimeouts: sum('FailedTimeoutOnRecv(C)'),
    calleeCalls: num(uasStats['IncomingCall(C)']),
    calleeFailed: num(uasStats['FailedCall(C)']),
    targetCpuPct: seconds > 0 ? Math.round(((lastTargetCpu - targetCpu0) / seconds) * 100) : null,
    targetPeakCpuPct: Math.round(peak),
    targetRssMiB: post.rssMiB,
    liveCallsAfter: post.liveCallsAfter,
    sippCpuPct: seconds > 0 ? Math.round(((sippCpu - sippCpu0) / seconds) * 100) : null,
    sippProcesses: uacs.length + 1,
    sippExit: { uac: [...new Set(uacCodes)], uas: uasCode },
    hostBusyBeforePct,
    pass: failurePct < 0.1 && answeredCps >= 0.95 * rate,
  };
  log(`  ${JSON.stringify(result)}`);
  return result;
}

// ---------------------------------------------------------------- main

async function main() {
  for (const f of ['uac.xml', 'uas.xml', 'register.xml', 'selfcheck-pbx-uas.xml', 'selfcheck-pbx-uac.xml'])
    if (!existsSync(join(HERE, f))) throw new Error(`missing ${f}`);
  const target = mode === 'pbx' ? await startPbx() : await startSelfcheck();
  // one callee port for the whole run: the registrations point at it, steps re-register it
  const uasPort = await freeUdpTcpPort();
  const steps = [];
  try {
    for (const [i, rate] of RATES.entries()) {
      steps.push(await step(target, rate, uasPort));
      if (i < RATES.length - 1) await sleep(PAUSE * 1000);
    }
  } finally {
    await target.stop();
  }
  const passed = steps.filter((s) => s.pass);
  console.log(
    JSON.stringify(
      {
        benchmark: 'b2bua-cps',
        target: mode,
        date: new Date().toISOString(),
        machine: { cpus: cpus().length, model: cpus()[0]?.model, maxOpenFiles: openFilesLimit() },
        config: { durationPerStepS: DURATION, holdMs: HOLD_MS, uacProcesses: INSTANCES, callerExtensionsPerProcess: CALLERS, calleeExtensions: callees.length, maxCallsPerExtension: MAX_CALLS, recording: RECORDING, mediaWorkers: WORKERS, rtp: 'none (SDP offered/answered only)' },
        criterion: 'failed < 0.1 % of attempted and answeredCps >= 95 % of the offered rate',
        steps,
        sustainedCps: passed.length ? Math.max(...passed.map((s) => s.rate)) : null,
      },
      null,
      2,
    ),
  );
}

main().then(
  () => cleanupAndExit(0),
  (err: unknown) => {
    log(`failed: ${err instanceof Error ? err.message : String(err)}`);
    cleanupAndExit(1);
  },
);
