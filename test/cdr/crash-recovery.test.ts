import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CallEventBus } from '../../src/calls/call-events.ts';
import { CdrWriter, INTERRUPTED_REASON, recoverInterruptedCalls, prepareRecordingPath } from '../../src/cdr/index.ts';
import { WavWriter, wavHeader } from '../../src/media/wav-writer.ts';
import { readWav } from '../../src/media/wav-reader.ts';
import { tempServices } from '../fixtures.ts';
import { captureLogger, publishCall } from './cdr-fixtures.ts';

let env: ReturnType<typeof tempServices>;
let bus: CallEventBus;
let writer: CdrWriter;
let tenantId: number;
const T0 = Date.UTC(2026, 0, 15, 9, 0, 0);
const STEREO_SECOND = 8000 * 4; // 8 kHz, two channels, 16 bit

const row = (sql: string, ...args: unknown[]) => env.services.db.sqlite.prepare(sql).get(...args) as Record<string, unknown> | undefined;

beforeEach(() => {
  env = tempServices();
  bus = new CallEventBus();
  writer = new CdrWriter(env.services.db).attach(bus);
  tenantId = env.services.tenants.defaultTenant().id;
});
afterEach(() => {
  writer.stop();
  env.cleanup();
});

/** A call answered at +2 s and still going when the process dies; its recording's header says 0 bytes. */
function interruptedCall(callId: string, at: number, audio: Buffer | undefined): string {
  const path = prepareRecordingPath(env.config, { tenantId, callId, at });
  bus.emit('call.started', { callId, tenantId, at, direction: 'internal', caller: { number: '1001', extensionId: 1 }, callee: { number: '1002', extensionId: 2 }, sipCallId: callId });
  bus.emit('leg.started', { callId, legId: `${callId}-a`, at, direction: 'inbound', party: { number: '1001' }, target: 'sip:a' });
  bus.emit('leg.started', { callId, legId: `${callId}-b`, at: at + 10, direction: 'outbound', party: { number: '1002' }, target: 'sip:b1' });
  bus.emit('leg.started', { callId, legId: `${callId}-c`, at: at + 10, direction: 'outbound', party: { number: '1002' }, target: 'sip:b2' });
  bus.emit('leg.answered', { callId, legId: `${callId}-b`, at: at + 2_000 });
  bus.emit('leg.answered', { callId, legId: `${callId}-a`, at: at + 2_000 });
  bus.emit('call.answered', { callId, legId: `${callId}-b`, at: at + 2_000 });
  bus.emit('leg.ended', { callId, legId: `${callId}-c`, at: at + 2_001, disposition: 'cancelled', hangupBy: 'system', sipCode: 487 });
  bus.emit('recording.started', { callId, tenantId, at: at + 2_000, path });
  if (audio) writeFileSync(path, audio);
  writer.flush();
  return path;
}

describe('crash recovery', () => {
  it('closes calls and legs left open as failed (interrupted), ending at the recording\'s last write; repairs the WAV so it plays', async () => {
    // What the media writer leaves when killed: the header written at the start (sizes 0), then
    // 3.5 s of audio and a partial frame; the file's mtime is the last write (38 s into the call).
    const audio = Buffer.alloc(STEREO_SECOND * 3.5 + 3, 7);
    const path = interruptedCall('c1', T0, Buffer.concat([wavHeader('pcm16', 8000, 2, 0), audio]));
    utimesSync(path, new Date(T0 + 40_000), new Date(T0 + 40_000));
    publishCall(bus, { callId: 'done', tenantId, at: T0 - 60_000, answerAfter: 1_000, endAfter: 10_000, disposition: 'answered', hangupBy: 'caller' });
    writer.stop();

    const { log, lines } = captureLogger();
    const report = await recoverInterruptedCalls(env.services.db, { log });
    expect(report).toEqual({ calls: 1, legs: 2, recordings: { complete: 1, failed: 0 }, callIds: ['c1'] });
    expect(row('SELECT * FROM call WHERE id = ?', 'c1')).toMatchObject({
      answered_at: T0 + 2_000,
      ended_at: T0 + 40_000,
      duration_s: 40,
      billable_s: 38,
      disposition: 'failed',
      hangup_by: 'system',
      sip_code: null,
      reason: INTERRUPTED_REASON,
    });
    // the answered legs talked until the recording stopped; the cancelled one keeps its end
    const legs = env.services.db.sqlite.prepare('SELECT id, ended_at, disposition, reason FROM call_leg WHERE call_id = ? ORDER BY id').all('c1');
    expect(legs).toEqual([
      { id: 'c1-a', ended_at: T0 + 40_000, disposition: 'failed', reason: INTERRUPTED_REASON },
      { id: 'c1-b', ended_at: T0 + 40_000, disposition: 'failed', reason: INTERRUPTED_REASON },
      { id: 'c1-c', ended_at: T0 + 2_001, disposition: 'cancelled', reason: null },
    ]);
    expect(row('SELECT status, seconds, bytes, finished_at, error FROM recording')).toEqual({ status: 'complete', seconds: 3.5, bytes: 44 + STEREO_SECOND * 3.5, finished_at: T0 + 40_000, error: null });
    const wav = readWav(path);
    expect(wav).toMatchObject({ format: 'pcm16', sampleRate: 8000, channels: 2 });
    expect(wav.data.length).toBe(STEREO_SECOND * 3.5);
    expect(statSync(path).size).toBe(44 + STEREO_SECOND * 3.5);
    // the finished call is untouched; the log says what was recovered
    expect(row('SELECT disposition, reason FROM call WHERE id = ?', 'done')).toEqual({ disposition: 'answered', reason: null });
    expect(lines.find((l) => l.level === 'warn')).toMatchObject({ obj: { calls: 1, legs: 2, callIds: ['c1'] }, msg: expect.stringMatching(/recovered/) });
    // nothing left to do the second time
    expect(await recoverInterruptedCalls(env.services.db)).toEqual({ calls: 0, legs: 0, recordings: { complete: 0, failed: 0 }, callIds: [] });
  });

  it('a recording the media WavWriter was writing when killed (header refreshed each second) keeps every refreshed second', async () => {
    const path = interruptedCall('c2', T0, undefined);
    const w = new WavWriter(path, { channels: 2 });
    w.write(Buffer.alloc(STEREO_SECOND * 2 + 100, 1)); // 2 s refreshed; the rest still pending in memory
    // killed: no close(); the fd is simply abandoned
    const report = await recoverInterruptedCalls(env.services.db);
    expect(report.recordings).toEqual({ complete: 1, failed: 0 });
    expect(row('SELECT status, seconds, bytes FROM recording')).toEqual({ status: 'complete', seconds: 2, bytes: 44 + STEREO_SECOND * 2 });
    expect(readWav(path).data.length).toBe(STEREO_SECOND * 2);
    w.close(); // release the fd the "killed" writer held
  });

  it('a call without a recording ends at its last known moment; missing and unreadable recordings are marked failed', async () => {
    bus.emit('call.started', { callId: 'ring', tenantId, at: T0, direction: 'inbound', caller: { number: '+4930111' }, callee: { number: '+4930222' }, sipCallId: 'r' });
    bus.emit('leg.started', { callId: 'ring', legId: 'ring-a', at: T0, direction: 'inbound', party: { number: '+4930111' }, target: 'sip:trunk' });
    bus.emit('leg.started', { callId: 'ring', legId: 'ring-b', at: T0 + 500, direction: 'outbound', party: { number: '1001' }, target: 'sip:1001' });
    interruptedCall('gone', T0, undefined); // recording row, no file
    const junk = interruptedCall('junk', T0, Buffer.from('this is not a wav file at all'));
    writer.flush();
    const report = await recoverInterruptedCalls(env.services.db);
    expect(report).toMatchObject({ calls: 3, recordings: { complete: 0, failed: 2 } });
    expect(row('SELECT ended_at, duration_s, billable_s, disposition, hangup_by FROM call WHERE id = ?', 'ring')).toEqual({
      ended_at: T0 + 500, duration_s: 1, billable_s: 0, disposition: 'failed', hangup_by: 'system',
    });
    expect(row("SELECT status, error FROM recording WHERE call_id = 'gone'")).toEqual({ status: 'failed', error: 'the recording file was missing after the restart' });
    expect(row("SELECT status, error FROM recording WHERE call_id = 'junk'")).toMatchObject({ status: 'failed', error: expect.stringMatching(/could not be repaired: .*not a RIFF\/WAVE file/) });
    expect(readFileSync(junk, 'utf8')).toBe('this is not a wav file at all'); // left as found
    // the answered call whose recording vanished ends at its answer
    expect(row("SELECT ended_at FROM call WHERE id = 'gone'")).toEqual({ ended_at: T0 + 2_001 });
  });

  it('repairs only the folders of interrupted recordings', async () => {
    const path = interruptedCall('c3', T0, Buffer.concat([wavHeader('pcm16', 8000, 2, 0), Buffer.alloc(STEREO_SECOND)]));
    const other = join(env.dir, 'recordings', 'elsewhere');
    mkdirSync(other, { recursive: true });
    const asked: string[] = [];
    const { repairRecordings } = await import('../../src/media/index.ts');
    await recoverInterruptedCalls(env.services.db, { repair: (dir) => (asked.push(dir), repairRecordings(dir)) });
    expect(asked).toEqual([join(env.dir, 'recordings', String(tenantId), '2026-01-15')]);
    expect(path.startsWith(asked[0]!)).toBe(true);
  });
});
