// Benchmark: memory (and CPU) held by completed UDP non-INVITE server transactions.
// Starts a SipStack in-process on 127.0.0.1, port 0 (UDP only), answers every OPTIONS 200,
// and sends N distinct OPTIONS from a dgram client on loopback in bounded bursts (at most
// BURST per 10 ms tick, at most WINDOW unanswered). Then forces GC and reports how much the
// live completed transactions (Timer J = 64*T1 = 32 s) hold.
// Phase 2 repeats the flood against a stack with T1 = 20 ms (Timer J = 1.28 s) and checks that
// once J ran out the transaction count is 0 and the heap is back near the baseline.
// Phase 0 drives the TransactionLayer alone (no sockets, no parsing, a no-op send): the CPU and
// GC cost of creating, answering and keeping N transactions, without the client's and the
// parser's noise.
// Usage: node --expose-gc --import tsx bench/transaction-memory.ts [N=200000] [BURST=2000]
// Prints one JSON object. Not a test: nothing here asserts.
import dgram from 'node:dgram';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { pino } from 'pino';
import type { SipRequest } from '../src/sip/message.ts';
import { buildResponse } from '../src/sip/serialize.ts';
import { SipStack } from '../src/sip/stack.ts';
import { flowOf, TransactionLayer } from '../src/sip/transaction/transaction-layer.ts';

const N = Number(process.argv[2] ?? 200_000);
const BURST = Number(process.argv[3] ?? 2_000);
const WINDOW = 2 * BURST;
const TICK_MS = 10;
const MAX_PHASE_MS = 120_000; // everything bounded in time too

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  console.error('run with node --expose-gc');
  process.exit(2);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function fullGc(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    gc!();
    await sleep(20);
  }
}

function mem() {
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, rss: m.rss };
}

let gcMs = 0;
let gcCount = 0;
const obs = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gcMs += e.duration;
    gcCount++;
  }
});
obs.observe({ entryTypes: ['gc'] });

function options(i: number, port: number, run: string): Buffer {
  const branch = `z9hG4bK${run}${i.toString(36)}x${(i * 2654435761 >>> 0).toString(36)}`;
  return Buffer.from(
    `OPTIONS sip:100@127.0.0.1:${port} SIP/2.0\r\n` +
      `Via: SIP/2.0/UDP 127.0.0.1:5999;branch=${branch};rport\r\n` +
      `Max-Forwards: 70\r\n` +
      `To: <sip:100@127.0.0.1>\r\n` +
      `From: <sip:bench@127.0.0.1>;tag=${run}${i}\r\n` +
      `Call-ID: ${run}-${i}-bench-call-id@127.0.0.1\r\n` +
      `CSeq: 1 OPTIONS\r\n` +
      `Contact: <sip:bench@127.0.0.1:5999>\r\n` +
      `User-Agent: transaction-memory-bench\r\n` +
      `Content-Length: 0\r\n\r\n`,
    'latin1',
  );
}

/** Sends `n` OPTIONS in bounded bursts; resolves when all were answered or time ran out. */
async function flood(stack: SipStack, n: number, run: string): Promise<{ sent: number; answered: number; lost: number; ms: number; cpuMs: number }> {
  const port = stack.boundPorts().udp[0]!;
  const client = dgram.createSocket('udp4');
  await new Promise<void>((r) => client.bind(0, '127.0.0.1', () => r()));
  try {
    client.setRecvBufferSize(8 * 1024 * 1024);
    client.setSendBufferSize(8 * 1024 * 1024);
  } catch {
    /* capped by the OS: fine */
  }
  let answered = 0;
  client.on('message', () => answered++);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let sent = 0;
  let lost = 0; // unanswered after a 2 s stall: counted as lost (receive buffer overflow)
  let lastProgress = t0;
  let lastAnswered = 0;
  while (answered + lost < n && performance.now() - t0 < MAX_PHASE_MS) {
    const room = Math.min(BURST, WINDOW - (sent - answered - lost), n - sent);
    for (let k = 0; k < room; k++) client.send(options(sent++, port, run), port, '127.0.0.1');
    await sleep(TICK_MS);
    if (answered !== lastAnswered) {
      lastAnswered = answered;
      lastProgress = performance.now();
    } else if (performance.now() - lastProgress > 2_000) {
      lost = sent - answered;
      lastProgress = performance.now();
    }
  }
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  client.close();
  return { sent, answered, lost, ms: Math.round(ms), cpuMs: Math.round((cpu.user + cpu.system) / 1000) };
}

const silent = pino({ level: 'silent' });
const mb = (b: number) => Math.round((b / 1048576) * 10) / 10;

async function phase(label: string, t1: number | undefined, run: string) {
  await fullGc();
  const before = mem();
  const stack = await SipStack.start({ udp: [{ host: '127.0.0.1', port: 0 }], logger: silent, timers: t1 ? { T1: t1 } : undefined });
  stack.onRequest((req) => req.respond(200));
  const gc0 = { ms: gcMs, count: gcCount };
  const f = await flood(stack, N, run);
  const gcDuring = { ms: Math.round(gcMs - gc0.ms), count: gcCount - gc0.count };
  await fullGc();
  const live = stack.transactionCount();
  const after = mem();
  const d = {
    heapUsed: after.heapUsed - before.heapUsed,
    external: after.external - before.external,
    rss: after.rss - before.rss,
  };
  const per = (b: number) => (live > 0 ? Math.round(b / live) : null);
  const result: Record<string, unknown> = {
    label,
    T1: t1 ?? 500,
    ...f,
    gcDuringFloodMs: gcDuring.ms,
    gcDuringFloodCount: gcDuring.count,
    liveTransactions: live,
    deltaMB: { heapUsed: mb(d.heapUsed), external: mb(d.external), rss: mb(d.rss) },
    bytesPerTransaction: { heapUsed: per(d.heapUsed), heapPlusExternal: per(d.heapUsed + d.external), rss: per(d.rss) },
    rssMB: mb(after.rss),
  };
  return { stack, result, before };
}

const out: Record<string, unknown> = { node: process.version, N, burst: BURST };

// Phase 0: the transaction layer alone.
{
  await fullGc();
  const before = mem();
  const layer = new TransactionLayer({ send: () => {}, guard: (_w, fn) => fn() });
  const peer = { transport: 'udp' as const, address: '127.0.0.1', port: 5999 };
  const flow = flowOf(peer);
  const gc0 = gcMs;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const branch = 'z9hG4bKlayer' + i.toString(36) + 'x' + ((i * 2654435761) >>> 0).toString(36);
    const req: SipRequest = {
      method: 'OPTIONS', uri: 'sip:100@127.0.0.1', version: '2.0', content: '',
      headers: {
        via: [{ version: '2.0', protocol: 'UDP', host: '127.0.0.1', port: 5999, params: { branch, rport: '5999', received: '127.0.0.1' } }],
        to: { uri: 'sip:100@127.0.0.1', params: {} }, from: { uri: 'sip:bench@127.0.0.1', params: { tag: 't' + i } },
        'call-id': 'layer-' + i + '-bench-call-id@127.0.0.1', cseq: { seq: 1, method: 'OPTIONS' },
      },
    };
    layer.createServer(req, flow, { ...peer }).respond(buildResponse(req, 200));
    if (i % 2000 === 1999) await sleep(0); // let timers and GC run, as a server would
  }
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const gcDuring = gcMs - gc0;
  await fullGc();
  const after = mem();
  const live = layer.count().server;
  out.phase0 = {
    label: 'TransactionLayer only (no sockets, no parsing)',
    ms: Math.round(ms),
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    transactionsPerSecond: Math.round(N / (ms / 1000)),
    gcDuringMs: Math.round(gcDuring),
    liveTransactions: live,
    bytesPerTransaction: {
      heapUsed: Math.round((after.heapUsed - before.heapUsed) / live),
      heapPlusExternal: Math.round((after.heapUsed + after.external - before.heapUsed - before.external) / live),
      rss: Math.round((after.rss - before.rss) / live),
    },
  };
  layer.clear();
  await fullGc();
}

// Phase 1: default timers (Timer J = 32 s): everything answered is still alive.
{
  const { stack, result } = await phase('J=32s (all completed transactions alive)', undefined, 'a');
  out.phase1 = result;
  await stack.close();
  result.countAfterClose = stack.transactionCount();
}

// Phase 2: T1 = 20 ms (Timer J = 1.28 s): after J, nothing must be left.
{
  const { stack, result, before } = await phase('T1=20ms (J=1.28s)', 20, 'b');
  const t0 = performance.now();
  while (stack.transactionCount() > 0 && performance.now() - t0 < 10_000) await sleep(50);
  await fullGc();
  const after = mem();
  result.msUntilCountZeroAfterFlood = Math.round(performance.now() - t0);
  result.countAfterJ = stack.transactionCount();
  result.heapDeltaAfterJMB = mb(after.heapUsed - before.heapUsed);
  result.externalDeltaAfterJMB = mb(after.external - before.external);
  out.phase2 = result;
  await stack.close();
}

obs.disconnect();
out.totalGcMs = Math.round(gcMs);
console.log(JSON.stringify(out, null, 2));
process.exit(0);
