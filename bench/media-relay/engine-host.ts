// The engine under test, in its own process (started by run.ts with an IPC channel):
// starts a MediaEngine, creates N calls whose two legs both send to the sink, reports the
// local ports, and measures its own CPU between 'mark' and 'report'.
import { MediaEngine } from '../../src/media/engine.ts';

interface SetupMsg {
  op: 'setup';
  calls: number;
  sinkPort: number;
  workers: number;
  portRange: { min: number; max: number };
  codecs: 'same' | 'remap' | 'transcode';
}
type Msg = SetupMsg | { op: 'mark' } | { op: 'report' } | { op: 'exit' };

let engine: MediaEngine | undefined;
let cpu0 = process.cpuUsage();
let t0 = performance.now();

const send = (m: unknown): void => {
  process.send!(m);
};

process.on('message', async (m: Msg) => {
  try {
    if (m.op === 'setup') {
      engine = await MediaEngine.start({ workers: m.workers, portRange: m.portRange, host: '127.0.0.1', rtpTimeoutS: 0 });
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
      }
      send({ op: 'ready', ports });
    } else if (m.op === 'mark') {
      cpu0 = process.cpuUsage();
      t0 = performance.now();
      send({ op: 'marked' });
    } else if (m.op === 'report') {
      const c = process.cpuUsage(cpu0);
      const wall = (performance.now() - t0) / 1000;
      const stats = await engine!.stats();
      send({ op: 'report', cpuUserS: c.user / 1e6, cpuSysS: c.system / 1e6, wallS: wall, stats });
    } else if (m.op === 'exit') {
      await engine?.close();
      process.exit(0);
    }
  } catch (e) {
    send({ op: 'error', message: (e as Error).message });
  }
});
send({ op: 'hello' });
