// IVR benchmark: inbound switchboard calls per second through the PBX's IVR.
//
//   carrier SIPp (carrier-uac.xml)            PBX                       extension SIPp (uas.xml)
//   UACs on 127.0.0.2 (the trunk's host) --INVITE--> answers (greeting),
//   ACK + RFC 4733 "<ext>#" at once (barge-in)       collects the digits --INVITE--> 180, 200 (200 ms)
//                                                                             hold HOLD_MS, BYE
//   <--BYE-- (the PBX passes the callee's hang-up on)
//
// Each step offers RATE calls/s for DURATION s. A call SUCCEEDS when the carrier side completed
// (200 from the PBX, its BYE within 15 s of the ACK) AND the callee extension got the call the
// digits asked for and completed it: the two sides are joined by the caller number (unique per
// call, 13NN9<call number>), which the PBX shows the extension in From. Everything else fails
// (a lost digit ends up at the closed operator prompt, never at the extension).
//
// Prints JSON (stdout; progress on stderr): per step offered, achieved calls/s, successful,
// failed, failure %, INVITE -> 200 (the PBX answering, SIPp -trace_rtt, 1-4 ms resolution),
// digits -> callee INVITE (the '#' played out -> the extension's INVITE arrives: collecting the
// number and routing it), carrier INVITE... -> callee INVITE (the whole IVR set-up) as
// p50/p90/p99/max ms, PBX CPU (% of one core, all threads) and RSS, SIPp CPU, calls left live.
// A step passes if failed < 0.1 % of offered AND achieved >= 95 % of the offered rate.
//
// Usage:  bench/ivr/run.sh            (= ulimit -n 65536; node --import tsx bench/ivr/run.ts)
// Knobs (environment variables):
//   RATES="25 50 100 150"  offered calls/s, one step each
//   DURATION=20        seconds of call generation per step
//   HOLD_MS=1000       the extension's talk time before it hangs up
//   MAX_CALLS=100      max concurrent calls of each callee extension (1..100)
//   INSTANCES=         carrier SIPp processes, each dialling its own callee extension (a pcap is
//                      fixed per scenario); default: enough that no extension exceeds 70 % of
//                      MAX_CALLS at the highest rate
//   WORKERS=0          PBX media worker threads (0 = one per core)
//   LOG_LEVEL=warn     PBX log level
//   RTP_MIN=10000 RTP_MAX=30000   PBX RTP port range
//   PAUSE=3            seconds between steps
//   CARRIER_IP=127.0.0.2          the carrier's (trunk's) loopback address
//   KEEP=1             keep the work dir (config, SIPp logs/stats/rtt, pbx.log)
// Every wait is bounded (SIPp -timeout plus a kill backstop); the PBX is stopped at exit;
// loopback only, no fixed ports.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freeTcpPort, freeUdpPortBlock, freeUdpTcpPort, waitUdpBound } from '../../test/support/free-port.ts';
import { dtmfPcap, dtmfPcapMs } from '../../test/support/trunk-bench.ts';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const ROOT = join(HERE, '..', '..');
const env = process.env;
if (process.argv.includes('-h') || process.argv.includes('--help')) {
  const head = readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n');
  const end = head.findIndex((l) => !l.startsWith('//'));
  process.stderr.write(`${head.slice(0, end).map((l) => l.replace(/^\/\/ ?/, '')).join('\n')}\n`);
  process.exit(2);
}

const RATES = (env.RATES ?? '25 50 100 150').trim().split(/[\s,]+/).map(Number);
const DURATION = Number(env.DURATION ?? 20);
const HOLD_MS = Number(env.HOLD_MS ?? 1000);
const MAX_CALLS = Number(env.MAX_CALLS ?? 100);
const WORKERS = Number(env.WORKERS ?? 0);
const LOG_LEVEL = env.LOG_LEVEL ?? 'warn';
const RTP_MIN = Number(env.RTP_MIN ?? 10000);
const RTP_MAX = Number(env.RTP_MAX ?? 30000);
const PAUSE = Number(env.PAUSE ?? 3);
const CARRIER_IP = env.CARRIER_IP ?? '127.0.0.2';
const SIPP_BUFF = '4194304';
const MAIN = '01088886666';
const RING_MS = 200; // uas.xml
const maxRate = Math.max(...RATES);
const digitsOf = (ext: string) => `${ext}#`;
const PCAP_MS = dtmfPcapMs(digitsOf('6100'));
/** When the '#' ended: its first end packet (the pcap's last two packets repeat it 1 and 2 ms later). */
const DIGITS_END_MS = PCAP_MS - 2;
// seconds a callee extension holds a call: digits, ring, hold, and some slack for set-up and BYE
const CALL_S = PCAP_MS / 1000 + RING_MS / 1000 + HOLD_MS / 1000 + 0.5;
const INSTANCES = Number(env.INSTANCES ?? Math.max(1, Math.ceil((maxRate * CALL_S) / (0.7 * MAX_CALLS))));
if (RATES.some((r) => !(r > 0)) || !(DURATION > 0) || !(INSTANCES >= 1 && INSTANCES <= 99) || !(MAX_CALLS >= 1 && MAX_CALLS <= 100)) {
  console.error('bad RATES / DURATION / INSTANCES (1..99) / MAX_CALLS (1..100)');
  process.exit(2);
}

const work = mkdtempSync(join(tmpdir(), 'bench-ivr-'));
const log = (msg: string) => process.stderr.write(`[ivr] ${msg}\n`);
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
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});
process.stdout.on('error', () => undefined);
process.stderr.on('error', () => undefined);

function cpuSeconds(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}
const cpuOf = (pids: Array<number | undefined>): number => pids.reduce<number>((s, p) => s + cpuSeconds(p), 0);

function rssMiB(pid: number | undefined): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------- SIPp

interface SippRun extends Proc {
  name: string;
  dir: string;
}

function sipp(name: string, dir: string, ip: string, args: string[], timeoutS: number): SippRun {
  mkdirSync(dir, { recursive: true });
  const full = [
    ...args,
    '-i', ip, '-mi', ip, '-ci', ip,
    '-t', 'u1', '-buff_size', SIPP_BUFF, '-nostdin',
    '-timeout', `${timeoutS}s`,
    '-trace_err', '-error_file', join(dir, `${name}-errors.log`),
  ];
  const p = start('sipp', full, dir, join(dir, `${name}.out`), timeoutS + 20);
  return { ...p, name, dir };
}

function finalStats(file: string): Record<string, string> {
  if (!existsSync(file)) return {};
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  if (lines.length < 2) return {};
  const head = lines[0]!.split(';');
  const last = lines.at(-1)!.split(';');
  return Object.fromEntries(head.map((h, i) => [h, last[i] ?? '']));
}
const num = (s: string | undefined) => (s === undefined || s === '' ? 0 : Number(s));

function rttRows(dir: string): Array<{ ms: number; rtd: string }> {
  const rows: Array<{ ms: number; rtd: string }> = [];
  if (!existsSync(dir)) return rows;
  for (const f of readdirSync(dir).filter((f) => f.endsWith('_rtt.csv'))) {
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n').slice(1)) {
      const [, ms, rtd] = line.trim().split(';');
      if (rtd) rows.push({ ms: Number(ms), rtd });
    }
  }
  return rows;
}

/** key=value <log> lines of a SIPp -log_file: "key" -> [value...]. */
function logValues(file: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  if (!existsSync(file)) return out;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^([a-z]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    const list = out.get(m[1]!) ?? [];
    list.push(m[2]!);
    out.set(m[1]!, list);
  }
  return out;
}

/** "caller;2026-11-23\t08:15:23.891343\t1795421723.891343" -> [caller, epoch s]. */
function stamped(value: string): [string, number] {
  const [who, ts = ''] = value.split(';');
  const m = /(\d+\.\d+)\s*$/.exec(ts);
  return [who!, m ? Number(m[1]) : NaN];
}

function percentiles(values: number[]) {
  const v = values.filter((x) => Number.isFinite(x));
  if (v.length === 0) return null;
  const s = [...v].sort((a, b) => a - b);
  const p = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
  const r = (x: number) => Math.round(x * 10) / 10;
  return { p50: r(p(0.5)), p90: r(p(0.9)), p99: r(p(0.99)), max: r(s.at(-1)!), samples: s.length };
}

// ---------------------------------------------------------------- the PBX

interface Ext {
  number: string;
  password: string;
}
const callees: Ext[] = Array.from({ length: INSTANCES }, (_, i) => ({ number: String(6100 + i), password: `bench-${6100 + i}-pw` }));
const csv = (exts: Ext[]) => `SEQUENTIAL\n${exts.map((e) => `${e.number};${e.password};[authentication username=${e.number} password=${e.password}]`).join('\n')}\n`;

interface Pbx {
  address: string;
  pid: number | undefined;
  liveCalls(): Promise<number | null>;
  stop(): Promise<void>;
}

async function startPbx(): Promise<Pbx> {
  const sipPort = await freeUdpTcpPort();
  const apiPort = await freeTcpPort();
  const trunkPort = await freeUdpTcpPort(CARRIER_IP); // where calls OUT would go; unused here
  const config = join(work, 'pbx.yaml');
  writeFileSync(
    config,
    [
      `data_dir: ${JSON.stringify(join(work, 'data'))}`,
      `log: { level: ${LOG_LEVEL} }`,
      'sip:',
      `  udp: { host: 127.0.0.1, port: ${sipPort} }`,
      `  tcp: { host: 127.0.0.1, port: ${sipPort} }`,
      '  registrar: { keepalive_interval_s: 0 }',
      `api: { host: 127.0.0.1, port: ${apiPort} }`,
      `media: { host: 127.0.0.1, public_address: 127.0.0.1, rtp_port_min: ${RTP_MIN}, rtp_port_max: ${RTP_MAX}, workers: ${WORKERS} }`,
      'trunks:',
      `  - { name: carrier, kind: carrier, host: ${CARRIER_IP}, port: ${trunkPort} }`,
      'tenants:',
      '  - name: default',
      '    default: true',
      '    recording: false',
      '    extensions:',
      ...callees.map((e) => `      - { number: "${e.number}", password: "${e.password}", max_terminals: 1, max_concurrent_calls: ${MAX_CALLS}, voicemail: false, ring_timeout_s: 20 }`),
      '    numbers:',
      `      - { number: "${MAIN}", mode: switchboard, main: true }`,
      '',
    ].join('\n'),
  );
  const pbx = start(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'main.ts'), 'start', '--config', config], ROOT, join(work, 'pbx.log'), 24 * 3600);
  const api = (path: string, init?: RequestInit) => fetch(`http://127.0.0.1:${apiPort}${path}`, init);
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (pbx.child.exitCode !== null) throw new Error(`pbx exited during start-up; see ${join(work, 'pbx.log')} (KEEP=1)`);
    if (await api('/health').then((r) => r.ok, () => false)) break;
    if (Date.now() > deadline) throw new Error('pbx did not become healthy in 60 s');
    await sleep(200);
  }
  const tokenRun = start(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'main.ts'), 'token', 'create', 'bench-ivr', '--json', '--config', config], ROOT, join(work, 'token.json'), 60);
  await tokenRun.exited;
  let token = '';
  try {
    token = (JSON.parse(readFileSync(join(work, 'token.json'), 'utf8')) as { token: string }).token;
  } catch {
    log('could not create an API token: liveCallsAfter will be null');
  }
  log(`pbx pid ${pbx.child.pid} on 127.0.0.1:${sipPort} (api ${apiPort}); carrier trunk ${CARRIER_IP}; ${callees.length} callee extensions; switchboard ${MAIN}`);
  return {
    address: `127.0.0.1:${sipPort}`,
    pid: pbx.child.pid,
    async liveCalls() {
      if (!token) return null;
      let n: number | null = null;
      for (let i = 0; i < 30; i++) {
        const res = await api('/calls', { headers: { Authorization: `Bearer ${token}` } }).catch(() => undefined);
        if (!res || res.status !== 200) return null;
        const body = (await res.json()) as unknown[] | { items?: unknown[] };
        n = (Array.isArray(body) ? body : (body.items ?? [])).length;
        if (n === 0) break;
        await sleep(500);
      }
      return n;
    },
    async stop() {
      pbx.child.kill('SIGTERM');
      await Promise.race([pbx.exited, sleep(15_000)]);
      pbx.child.kill('SIGKILL');
      await pbx.exited;
    },
  };
}

// ---------------------------------------------------------------- one step

async function step(pbx: Pbx, rate: number, uasPort: number) {
  const stepDir = join(work, `r${rate}`);
  rmSync(stepDir, { recursive: true, force: true });
  mkdirSync(stepDir);
  const offered = Math.round(rate * DURATION);
  const perInstance = Array.from({ length: INSTANCES }, (_, i) => Math.floor(offered / INSTANCES) + (i < offered % INSTANCES ? 1 : 0));
  const timeoutS = DURATION * 3 + CALL_S + 40;

  // (re-)register every callee extension from the UAS port
  writeFileSync(join(stepDir, 'callees.csv'), csv(callees));
  const reg = sipp('register', join(stepDir, 'register'), '127.0.0.1', [pbx.address, '-sf', join(ROOT, 'bench', 'b2bua', 'register.xml'), '-inf', join(stepDir, 'callees.csv'), '-p', String(uasPort), '-cp', String(await freeUdpTcpPort()), '-m', String(callees.length), '-r', '200', '-trace_stat', '-stf', join(stepDir, 'register-stat.csv'), '-fd', '1'], 30);
  const regCode = await reg.exited;
  const regOk = num(finalStats(join(stepDir, 'register-stat.csv'))['SuccessfulCall(C)']);
  if (regCode !== 0 || regOk !== callees.length) throw new Error(`registering ${callees.length} callees failed (${regOk} ok, exit ${regCode}); KEEP=1 keeps ${stepDir}`);

  const uasDir = join(stepDir, 'uas');
  const uas = sipp('uas', uasDir, '127.0.0.1', ['-sf', join(HERE, 'uas.xml'), '-p', String(uasPort), '-cp', String(await freeUdpTcpPort()), '-mp', String(await freeUdpPortBlock(4)), '-m', String(offered), '-d', String(HOLD_MS), '-trace_stat', '-stf', join(uasDir, 'stat.csv'), '-fd', '1', '-trace_logs', '-log_file', join(uasDir, 'logs.log')], timeoutS + 10);
  await waitUdpBound(uasPort, 10_000);

  const hostBusy = () => readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const h0 = hostBusy();
  await sleep(1000);
  const h1 = hostBusy();
  const d = h1.map((v, i) => v - h0[i]!);
  const total = d.reduce((x, y) => x + y, 0);
  const hostBusyBeforePct = total > 0 ? Math.round(((total - d[3]! - d[4]!) / total) * 100 * cpus().length) : 0;

  log(`rate ${rate}/s: ${offered} calls over ${INSTANCES} carrier SIPp process(es), digits "<ext>#" (${PCAP_MS} ms), ring ${RING_MS} ms, hold ${HOLD_MS} ms`);
  const uacs: SippRun[] = [];
  for (let i = 0; i < INSTANCES; i++) {
    const dir = join(stepDir, `uac-${i}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'dtmf.pcap'), dtmfPcap(digitsOf(callees[i]!.number)));
    uacs.push(
      sipp(`uac-${i}`, dir, CARRIER_IP, [
        pbx.address, '-sf', join(HERE, 'carrier-uac.xml'), '-s', MAIN, '-key', 'inst', String(i + 1).padStart(2, '0'),
        '-p', String(await freeUdpTcpPort(CARRIER_IP)), '-cp', String(await freeUdpTcpPort(CARRIER_IP)), '-mp', String(await freeUdpPortBlock(4, CARRIER_IP)),
        '-r', String(rate), '-rp', String(1000 * INSTANCES),
        '-m', String(perInstance[i]), '-l', String(Math.ceil((rate / INSTANCES) * (CALL_S + 20)) + 50),
        '-recv_timeout', '20000',
        '-trace_stat', '-stf', join(dir, 'stat.csv'), '-fd', '1',
        '-trace_rtt', '-rtt_freq', '1',
        '-trace_logs', '-log_file', join(dir, 'logs.log'),
      ], timeoutS),
    );
  }

  const t0 = Date.now();
  const pbxCpu0 = cpuOf([pbx.pid]);
  const sippPids = () => [...uacs.map((u) => u.child.pid), uas.child.pid];
  let sippCpu = cpuOf(sippPids());
  const sippCpu0 = sippCpu;
  let prev = { at: t0, cpu: pbxCpu0 };
  let peak = 0;
  let lastCpu = pbxCpu0;
  let lastAt = t0;
  const running = () => uacs.some((u) => u.child.exitCode === null && u.child.signalCode === null);
  while (running() && Date.now() - t0 < (timeoutS + 25) * 1000) {
    await sleep(1000);
    if (!running()) break;
    const now = Date.now();
    const cpu = cpuOf([pbx.pid]);
    peak = Math.max(peak, ((cpu - prev.cpu) / ((now - prev.at) / 1000)) * 100);
    prev = { at: now, cpu };
    lastCpu = cpu;
    lastAt = now;
    sippCpu = cpuOf(sippPids());
  }
  const uacCodes = await Promise.all(uacs.map((u) => u.exited));
  await Promise.race([uas.exited, sleep(HOLD_MS + 10_000)]);
  uas.child.kill('SIGKILL');
  const uasCode = await uas.exited;
  const liveCallsAfter = await pbx.liveCalls();
  const seconds = (lastAt - t0) / 1000;

  // ---- join the carrier side and the callee side by caller number
  const acks = new Map<string, number>();
  const oks = new Set<string>();
  for (const u of uacs) {
    const v = logValues(join(u.dir, 'logs.log'));
    for (const a of v.get('ack') ?? []) {
      const [who, t] = stamped(a);
      acks.set(who, t);
    }
    for (const o of v.get('ok') ?? []) oks.add(o);
  }
  const uv = logValues(join(uasDir, 'logs.log'));
  const invites = new Map<string, number>();
  for (const a of uv.get('inv') ?? []) {
    const [who, t] = stamped(a);
    invites.set(who.replace(/^\+?86/, ''), t);
  }
  const done = new Set((uv.get('done') ?? []).map((w) => w.replace(/^\+?86/, '')));
  const succeeded = [...oks].filter((who) => done.has(who) && invites.has(who));
  const digitsToInvite = succeeded.map((who) => (invites.get(who)! - acks.get(who)!) * 1000 - DIGITS_END_MS);
  const ackTimes = succeeded.map((who) => acks.get(who)!).filter(Number.isFinite);
  const span = ackTimes.length > 1 ? Math.max(...ackTimes) - Math.min(...ackTimes) : 0;
  const achieved = span > 0 ? (ackTimes.length - 1) / span : 0;
  const rtt = uacs.flatMap((u) => rttRows(u.dir));
  const stats = uacs.map((u) => finalStats(join(u.dir, 'stat.csv')));
  const sum = (key: string) => stats.reduce((s, st) => s + num(st[key]), 0);
  const uasStats = finalStats(join(uasDir, 'stat.csv'));
  const failed = offered - succeeded.length;
  const failurePct = offered > 0 ? (failed * 100) / offered : 100;
  const result = {
    rate,
    offered,
    achievedCps: Math.round(achieved * 10) / 10,
    successful: succeeded.length,
    failed,
    failurePct: Number(failurePct.toFixed(3)),
    carrier: { created: sum('TotalCallCreated'), successful: sum('SuccessfulCall(C)'), failed: sum('FailedCall(C)'), recvTimeouts: sum('FailedTimeoutOnRecv(C)'), unexpectedMessages: sum('FailedUnexpectedMessage(C)'), retransmissions: sum('Retransmissions(C)') },
    callee: { calls: num(uasStats['IncomingCall(C)']), successful: num(uasStats['SuccessfulCall(C)']), failed: num(uasStats['FailedCall(C)']) },
    inviteTo200Ms: percentiles(rtt.filter((r) => r.rtd === 'answer').map((r) => r.ms)),
    digitsToCalleeInviteMs: percentiles(digitsToInvite),
    pbxCpuPct: seconds > 0 ? Math.round(((lastCpu - pbxCpu0) / seconds) * 100) : null,
    pbxPeakCpuPct: Math.round(peak),
    pbxRssMiB: rssMiB(pbx.pid),
    liveCallsAfter,
    sippCpuPct: seconds > 0 ? Math.round(((sippCpu - sippCpu0) / seconds) * 100) : null,
    sippExit: { carrier: [...new Set(uacCodes)], callee: uasCode },
    hostBusyBeforePct,
    pass: failurePct < 0.1 && achieved >= 0.95 * rate,
  };
  log(`  ${JSON.stringify(result)}`);
  return result;
}

// ---------------------------------------------------------------- main

async function main() {
  for (const f of ['carrier-uac.xml', 'uas.xml']) if (!existsSync(join(HERE, f))) throw new Error(`missing ${f}`);
  const pbx = await startPbx();
  const uasPort = await freeUdpTcpPort();
  const steps = [];
  try {
    for (const [i, rate] of RATES.entries()) {
      steps.push(await step(pbx, rate, uasPort));
      if (i < RATES.length - 1) await sleep(PAUSE * 1000);
    }
  } finally {
    await pbx.stop();
  }
  const passed = steps.filter((s) => s.pass);
  console.log(
    JSON.stringify(
      {
        benchmark: 'ivr-switchboard-cps',
        date: new Date().toISOString(),
        machine: { cpus: cpus().length, model: cpus()[0]?.model },
        config: {
          durationPerStepS: DURATION,
          digits: '"<4-digit extension>#" as RFC 4733 events (100 ms each, 100 ms apart) right after the ACK',
          digitsMs: PCAP_MS,
          ringMs: RING_MS,
          holdMs: HOLD_MS,
          carrierProcesses: INSTANCES,
          calleeExtensions: callees.length,
          maxCallsPerExtension: MAX_CALLS,
          mediaWorkers: WORKERS,
          recording: false,
          rtp: 'PBX -> carrier: greeting (barged in), ringback; carrier -> PBX: RFC 4733 only; callee: SDP only',
        },
        criterion: 'failed < 0.1 % of offered and achievedCps >= 95 % of the offered rate',
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
