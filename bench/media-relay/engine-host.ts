// The engine under test, in its own process (started by run.ts with an IPC channel):
// starts a MediaEngine, creates N calls whose two legs both send to the sink, reports the
// local ports, and measures its own CPU between 'mark' and 'report'.
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { MediaEngine } from '../../src/media/engine.ts';

// Calibration: a bare node:dgram relay in the reference shape (worker threads, a socket pair per
// stream, receive on A, send from B to the sink, nothing else). Run beside the engine at the same
// moment it shows what the engine's own work costs on a machine that others load as well.
const BARE_WORKER = `
const { workerData, parentPort } = require('node:worker_threads');
const dgram = require('node:dgram');
const { ports, sinkPort } = workerData;
let bound = 0;
for (const p of ports) {
  const a = dgram.createSocket('udp4');
  const b = dgram.createSocket('udp4');
  a.on('message', (msg) => b.send(msg, sinkPort, '127.0.0.1'));
  a.bind(p, '127.0.0.1', () => { if (++bound === ports.length * 2) parentPort.postMessage('ready'); });
  b.bind(p + 1, '127.0.0.1', () => { if (++bound === ports.length * 2) parentPort.postMessage('ready'); });
}`;
const bareWorkers: Worker[] = [];

async function startBare(streams: number, workers: number, min: number, sinkPort: number): Promise<number[]> {
  const all: number[] = [];
  for (let i = 0; i < streams; i++) all.push(min + 2 * i);
  const per = Math.ceil(streams / workers);
  await Promise.all(
    Array.from({ length: workers }, (_, w) => {
      const worker = new Worker(BARE_WORKER, { eval: true, workerData: { ports: all.slice(w * per, (w + 1) * per), sinkPort } });
      bareWorkers.push(worker);
      return new Promise((r) => worker.once('message', r));
    }),
  );
  return all;
}

interface SetupMsg {
  op: 'setup';
  calls: number;
  sinkPort: number;
  workers: number;
  portRange: { min: number; max: number };
  codecs: 'same' | 'remap' | 'transcode';
  impl: 'engine' | 'bare';
  /** When set, every call records both legs (MediaEngine.record) to DIR/call-N.wav. */
  recordDir?: string;
}
type Msg = SetupMsg | { op: 'mark' } | { op: 'report' } | { op: 'exit' };

let engine: MediaEngine | undefined;
let recordErrors = 0;
let lastRecordError: string | undefined;
let cpu0 = process.cpuUsage();
let t0 = performance.now();

const send = (m: unknown): void => {
  process.send!(m);
};

process.on('message', async (m: Msg) => {
  try {
    if (m.op === 'setup' && m.impl === 'bare') {
      send({ op: 'ready', ports: await startBare(m.calls * 2, m.workers, m.portRange.min, m.sinkPort) });
    } else if (m.op === 'setup') {
      engine = await MediaEngine.start({ workers: m.workers, portRange: m.portRange, host: '127.0.0.1', rtpTimeoutS: 0 });
      engine.on('recordDone', (e) => {
        if (e.error !== undefined) {
          recordErrors++;
          lastRecordError = e.error;
        }
      });
      const sink = { address: '127.0.0.1', port: m.sinkPort };
      // The generator sends from one socket to both legs and the sink never answers, so the legs
      // are asymmetric (no latching): a symmetric leg would latch to the generator and send there.
      const codecsA = m.codecs === 'same' ? undefined : m.codecs === 'remap' ? [{ pt: 0, name: 'PCMU' }, { pt: 101, name: 'telephone-event' }] : [{ pt: 0, name: 'PCMU' }];
      // 'transcode': the generator sends PT 0 on both legs, so leg B declares PCMA on PT 0 to make
      // both directions transcode (A→B µ→A, B→A A→µ).
      const codecsB = m.codecs === 'same' ? undefined : m.codecs === 'remap' ? [{ pt: 0, name: 'PCMU' }, { pt: 96, name: 'telephone-event' }] : [{ pt: 0, name: 'PCMA' }];
      const ports: number[] = [];
      for (let i = 0; i < m.calls; i++) {
        const s = await engine.createSession({ a: { remote: sink, symmetric: false, codecs: codecsA }, b: { remote: sink, symmetric: false, codecs: codecsB } });
        ports.push(s.a.port, s.b.port);
        if (m.recordDir !== undefined) await engine.record(s.sessionId, { path: join(m.recordDir, `call-${i}.wav`) });
      }
      send({ op: 'ready', ports });
    } else if (m.op === 'mark') {
      cpu0 = process.cpuUsage();
      t0 = performance.now();
      send({ op: 'marked' });
    } else if (m.op === 'report') {
      const c = process.cpuUsage(cpu0);
      const wall = (performance.now() - t0) / 1000;
      const stats = engine === undefined ? null : await engine.stats();
      send({ op: 'report', cpuUserS: c.user / 1e6, cpuSysS: c.system / 1e6, wallS: wall, stats, recordErrors, lastRecordError });
    } else if (m.op === 'exit') {
      await engine?.close();
      await Promise.all(bareWorkers.map((w) => w.terminate()));
      process.exit(0);
    }
  } catch (e) {
    send({ op: 'error', message: (e as Error).message });
  }
});
send({ op: 'hello' });
