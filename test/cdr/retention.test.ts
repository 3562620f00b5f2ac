import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CallEventBus } from '../../src/calls/call-events.ts';
import { CdrWriter, DAY_MS, RecordingRetention, prepareRecordingPath } from '../../src/cdr/index.ts';
import { tempServices } from '../fixtures.ts';
import { captureLogger, publishCall } from './cdr-fixtures.ts';

let env: ReturnType<typeof tempServices>;
let bus: CallEventBus;
let writer: CdrWriter;
let now: number;
const NOW = Date.UTC(2026, 6, 1, 3, 0, 0);

const rows = (sql: string, ...args: unknown[]) => env.services.db.sqlite.prepare(sql).all(...args) as Array<Record<string, unknown>>;

beforeEach(() => {
  env = tempServices();
  bus = new CallEventBus();
  writer = new CdrWriter(env.services.db).attach(bus);
  now = NOW;
});
afterEach(() => {
  writer.stop();
  env.cleanup();
});

/** A finished, recorded call started `daysAgo` days before NOW; returns the recording's path. */
function recordedCall(tenantId: number, callId: string, daysAgo: number, withFile = true): string {
  const at = NOW - daysAgo * DAY_MS;
  const path = prepareRecordingPath(env.config, { tenantId, callId, at });
  if (withFile) writeFileSync(path, Buffer.alloc(64));
  publishCall(bus, { callId, tenantId, at, answerAfter: 1000, endAfter: 2000, disposition: 'answered', hangupBy: 'caller', recordingPath: path });
  writer.flush();
  return path;
}

describe('recording retention', () => {
  it('deletes files older than the tenant retention (183 days by default), marks them deleted, keeps recent ones', async () => {
    const t = env.services.tenants.defaultTenant().id;
    const old = recordedCall(t, 'old', 200);
    const edge = recordedCall(t, 'edge', 183.01);
    const recent = recordedCall(t, 'recent', 182.99);
    const { log, lines } = captureLogger();
    const job = new RecordingRetention(env.services.db, { intervalMs: 3_600_000, now: () => now, log });
    expect(await job.sweep()).toEqual({ deleted: 2, missing: 0, failed: 0 });
    expect(existsSync(old)).toBe(false);
    expect(existsSync(edge)).toBe(false);
    expect(existsSync(recent)).toBe(true);
    expect(rows('SELECT call_id, status, deleted_at FROM recording ORDER BY started_at')).toEqual([
      { call_id: 'old', status: 'deleted', deleted_at: NOW },
      { call_id: 'edge', status: 'deleted', deleted_at: NOW },
      { call_id: 'recent', status: 'complete', deleted_at: null },
    ]);
    // a day later the recent one is past the retention too
    now += DAY_MS;
    expect(await job.sweep()).toEqual({ deleted: 1, missing: 0, failed: 0 });
    expect(existsSync(recent)).toBe(false);
    expect(await job.sweep()).toEqual({ deleted: 0, missing: 0, failed: 0 });
    expect(lines).toEqual([]); // sweep() reports; only the timer's runs log
  });

  it('per-tenant retention; a missing file is marked deleted too; in-progress recordings are left alone', async () => {
    const def = env.services.tenants.defaultTenant().id;
    const acme = env.services.tenants.add({ name: 'acme', domain: 'acme.example' });
    env.services.tenants.update('acme', { recordingRetentionDays: 30 });
    const defKept = recordedCall(def, 'd40', 40);
    const acmeGone = recordedCall(acme.id, 'a40', 40);
    const acmeKept = recordedCall(acme.id, 'a20', 20);
    recordedCall(acme.id, 'a35-nofile', 35, false);
    // an old recording still being written (say, a call still up after a long time)
    bus.emit('call.started', { callId: 'live', tenantId: acme.id, at: NOW - 90 * DAY_MS, direction: 'internal', caller: { number: '1' }, callee: { number: '2' }, sipCallId: 'l' });
    bus.emit('recording.started', { callId: 'live', tenantId: acme.id, at: NOW - 90 * DAY_MS, path: join(env.dir, 'live.wav') });
    writer.flush();
    const job = new RecordingRetention(env.services.db, { intervalMs: 3_600_000, now: () => now });
    // the writer queues the missing-file recording as failed (file missing): it is old, so it goes
    expect(await job.sweep()).toEqual({ deleted: 1, missing: 1, failed: 0 });
    expect(existsSync(defKept)).toBe(true);
    expect(existsSync(acmeGone)).toBe(false);
    expect(existsSync(acmeKept)).toBe(true);
    expect(rows('SELECT call_id, status FROM recording ORDER BY call_id')).toEqual([
      { call_id: 'a20', status: 'complete' },
      { call_id: 'a35-nofile', status: 'deleted' },
      { call_id: 'a40', status: 'deleted' },
      { call_id: 'd40', status: 'complete' },
      { call_id: 'live', status: 'recording' },
    ]);
  });

  it('a file that cannot be removed is retried at the next sweep; batches walk past it', async () => {
    const t = env.services.tenants.defaultTenant().id;
    const paths = [0, 1, 2, 3, 4].map((i) => recordedCall(t, `c${i}`, 300 + i));
    const stuck = paths[2]!;
    let refuse = true;
    const job = new RecordingRetention(env.services.db, {
      intervalMs: 3_600_000,
      now: () => now,
      batchSize: 2,
      removeFile: async (p) => {
        if (refuse && p === stuck) throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
        const { unlink } = await import('node:fs/promises');
        await unlink(p);
      },
    });
    expect(await job.sweep()).toEqual({ deleted: 4, missing: 0, failed: 1 });
    expect(rows("SELECT call_id FROM recording WHERE status != 'deleted'")).toEqual([{ call_id: 'c2' }]);
    refuse = false;
    expect(await job.sweep()).toEqual({ deleted: 1, missing: 0, failed: 0 });
  });

  it('start() sweeps at once and then every interval (timer unref\'d); stop() ends it', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      const t = env.services.tenants.defaultTenant().id;
      recordedCall(t, 'a', 200);
      const { log, lines } = captureLogger();
      const job = new RecordingRetention(env.services.db, { intervalMs: 60_000, now: () => now, log });
      const sweep = vi.spyOn(job, 'sweep');
      job.start();
      expect(sweep).toHaveBeenCalledTimes(1);
      await vi.waitFor(() => expect(lines.some((l) => l.level === 'info')).toBe(true));
      expect(lines.find((l) => l.level === 'info')).toMatchObject({ obj: { deleted: 1 }, msg: expect.stringMatching(/retention/) });
      vi.advanceTimersByTime(60_000);
      expect(sweep).toHaveBeenCalledTimes(2);
      await job.stop();
      vi.advanceTimersByTime(600_000);
      expect(sweep).toHaveBeenCalledTimes(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('its timer never keeps the process alive', async () => {
    const job = new RecordingRetention(env.services.db, { intervalMs: 60_000, now: () => now });
    job.start();
    expect((job as unknown as { timer: NodeJS.Timeout }).timer.hasRef()).toBe(false);
    await job.stop();
  });
});
