// The data side of the crash test: a process that records a call is killed with SIGKILL in the
// middle of it; at the next start the call record exists, closed as failed (interrupted), and
// the recording plays.
import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CallEventBus } from '../../src/calls/call-events.ts';
import { INTERRUPTED_REASON, startCallRecords } from '../../src/cdr/index.ts';
import { readWav } from '../../src/media/wav-reader.ts';
import { openServices } from '../../src/services.ts';
import { tempDir, testConfig } from '../fixtures.ts';
import { captureLogger } from './cdr-fixtures.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let tmp: ReturnType<typeof tempDir>;
afterEach(() => tmp?.cleanup());

// Runs in the child: starts call records as the server does, publishes a call, records 3 s of
// stereo audio through the media WavWriter (header refreshed each second), then dies mid-call.
const CHILD = (dataDir: string) => `
import { CallEventBus } from './src/calls/call-events.ts';
import { startCallRecords, prepareRecordingPath } from './src/cdr/index.ts';
import { WavWriter } from './src/media/wav-writer.ts';
import { openServices } from './src/services.ts';
import { parseConfig } from './src/config/index.ts';
const config = { ...parseConfig('', 'x.yaml'), data_dir: ${JSON.stringify(dataDir)} };
const services = openServices(config);
const bus = new CallEventBus();
await startCallRecords({ services, bus, config });
const tenantId = services.tenants.defaultTenant().id;
const at = Date.now() - 10_000;
const callId = 'crash-1';
const path = prepareRecordingPath(config, { tenantId, callId, at });
bus.emit('call.started', { callId, tenantId, at, direction: 'internal', caller: { number: '1001', extensionId: 1 }, callee: { number: '1002', extensionId: 2 }, sipCallId: 'x' });
bus.emit('leg.started', { callId, legId: 'a', at, direction: 'inbound', party: { number: '1001' }, target: 'sip:a' });
bus.emit('leg.started', { callId, legId: 'b', at, direction: 'outbound', party: { number: '1002' }, target: 'sip:b' });
bus.emit('leg.answered', { callId, legId: 'b', at: at + 1000 });
bus.emit('call.answered', { callId, legId: 'b', at: at + 1000 });
bus.emit('recording.started', { callId, tenantId, at: at + 1000, path });
const w = new WavWriter(path, { channels: 2 });
let frames = 0;
const tick = setInterval(() => {
  w.write(Buffer.alloc(8000 * 4 / 50, 3)); // 20 ms of stereo PCM16
  if (++frames === 160) process.kill(process.pid, 'SIGKILL'); // 3.2 s in
}, 1);
`;

describe('crash test (data side)', () => {
  it('kill -9 during a recorded call: after restart the record is closed as interrupted and the recording plays', async () => {
    tmp = tempDir('pbx-crash-');
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD(tmp.dir)], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, sig) => resolve(sig)));
    expect(signal, stderr).toBe('SIGKILL');

    const config = testConfig(tmp.dir);
    const services = openServices(config);
    const { log, lines } = captureLogger();
    const running = await startCallRecords({ services, bus: new CallEventBus(), config, log });
    try {
      expect(running.recovered).toMatchObject({ calls: 1, legs: 2, recordings: { complete: 1, failed: 0 } });
      const call = services.cdrs.get('crash-1');
      expect(call).toMatchObject({ disposition: 'failed', hangupBy: 'system', reason: INTERRUPTED_REASON, recordingStatus: 'complete' });
      expect(call.endedAt).toBeGreaterThan(call.answeredAt!);
      expect(call.billableS).toBeGreaterThan(0);
      const rec = call.recordings[0]!;
      // 3 whole seconds were refreshed into the header before the kill; the repair keeps what is on disk
      expect(rec.seconds).toBeGreaterThanOrEqual(3);
      const wav = readWav(rec.path);
      expect(wav).toMatchObject({ format: 'pcm16', sampleRate: 8000, channels: 2 });
      expect(wav.data.length).toBe(Math.round(rec.seconds! * 8000 * 4));
      expect(services.cdrs.recordingFile(rec.id).size).toBe(rec.bytes);
      expect(lines.some((l) => l.level === 'warn' && /recovered/.test(l.msg))).toBe(true);
    } finally {
      await running.stop();
      services.close();
    }
  });

  it('startCallRecords writes what the bus publishes; stop() commits what is queued', async () => {
    tmp = tempDir('pbx-records-');
    const config = testConfig(tmp.dir);
    const services = openServices(config);
    const bus = new CallEventBus();
    const running = await startCallRecords({ services, bus, config });
    expect(running.recovered.calls).toBe(0);
    const tenantId = services.tenants.defaultTenant().id;
    bus.emit('call.started', { callId: 'x', tenantId, at: 1_000, direction: 'internal', caller: { number: '1001' }, callee: { number: '1002' }, sipCallId: 'x' });
    bus.emit('call.ended', { callId: 'x', at: 2_000, disposition: 'busy', hangupBy: 'callee', sipCode: 486 });
    await running.stop();
    bus.emit('call.started', { callId: 'after-stop', tenantId, at: 3_000, direction: 'internal', caller: { number: '1' }, callee: { number: '2' }, sipCallId: 'y' });
    expect(services.db.sqlite.prepare('SELECT id, disposition FROM call').all()).toEqual([{ id: 'x', disposition: 'busy' }]);
    services.close();
  });
});
