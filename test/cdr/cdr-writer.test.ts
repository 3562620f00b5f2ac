import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CallEventBus } from '../../src/calls/call-events.ts';
import { CdrWriter } from '../../src/cdr/index.ts';
import { tempServices } from '../fixtures.ts';
import { captureLogger, publishCall } from './cdr-fixtures.ts';

let env: ReturnType<typeof tempServices>;
let bus: CallEventBus;
let writer: CdrWriter;
let tenantId: number;
const T0 = Date.UTC(2026, 0, 15, 9, 0, 0);

const rows = (sql: string, ...args: unknown[]) => env.services.db.sqlite.prepare(sql).all(...args) as Array<Record<string, unknown>>;
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

describe('CdrWriter', () => {
  it('an answered, recorded call: one call row, two legs, billable seconds from the answer, the recording linked', () => {
    const path = join(env.dir, 'c1.wav');
    writeFileSync(path, Buffer.alloc(44 + 32_000));
    publishCall(bus, { callId: 'c1', tenantId, at: T0, answerAfter: 5_000, endAfter: 65_500, disposition: 'answered', hangupBy: 'callee', sipCode: 200, recordingPath: path });
    writer.flush();
    expect(row('SELECT * FROM call WHERE id = ?', 'c1')).toEqual({
      id: 'c1',
      tenant_id: tenantId,
      direction: 'internal',
      caller_number: '1001',
      caller_extension_id: 1,
      caller_name: 'Alice',
      callee_number: '1002',
      callee_extension_id: 2,
      callee_name: 'Bob',
      caller_department: null,
      callee_department: null,
      callee_kind: 'colleague', // an extension (id 2) was called
      sip_call_id: 'sip-c1',
      started_at: T0,
      answered_at: T0 + 5_000,
      ended_at: T0 + 65_500,
      duration_s: 66, // 65.5 s rounded up
      billable_s: 61, // 60.5 s rounded up
      disposition: 'answered',
      hangup_by: 'callee',
      sip_code: 200,
      reason: null,
    });
    expect(rows('SELECT id, call_id, tenant_id, direction, number, extension_id, name, target, started_at, answered_at, ended_at, disposition, hangup_by, sip_code FROM call_leg ORDER BY started_at')).toEqual([
      { id: 'c1-a', call_id: 'c1', tenant_id: tenantId, direction: 'inbound', number: '1001', extension_id: 1, name: 'Alice', target: 'sip:1001@192.0.2.1:5060', started_at: T0, answered_at: T0 + 5_000, ended_at: T0 + 65_500, disposition: 'answered', hangup_by: 'callee', sip_code: 200 },
      { id: 'c1-b', call_id: 'c1', tenant_id: tenantId, direction: 'outbound', number: '1002', extension_id: 2, name: 'Bob', target: 'sip:1002@192.0.2.2:5060', started_at: T0 + 20, answered_at: T0 + 5_000, ended_at: T0 + 65_500, disposition: 'answered', hangup_by: 'callee', sip_code: 200 },
    ]);
    expect(rows('SELECT call_id, tenant_id, path, started_at, finished_at, seconds, bytes, status, deleted_at, error FROM recording')).toEqual([
      { call_id: 'c1', tenant_id: tenantId, path, started_at: T0 + 5_000, finished_at: T0 + 65_500, seconds: 60.5, bytes: 44 + 32_000, status: 'complete', deleted_at: null, error: null },
    ]);
  });

  it('busy, no-answer, cancelled, rejected and failed calls: no answer time, 0 billable seconds, the SIP cause and who hung up', () => {
    publishCall(bus, { callId: 'busy', tenantId, at: T0, endAfter: 300, disposition: 'busy', hangupBy: 'callee', sipCode: 486, reason: 'Busy Here' });
    publishCall(bus, { callId: 'noans', tenantId, at: T0 + 1, endAfter: 20_000, disposition: 'no-answer', hangupBy: 'system', sipCode: 408, reason: 'ring timeout' });
    publishCall(bus, { callId: 'cancel', tenantId, at: T0 + 2, endAfter: 4_001, disposition: 'cancelled', hangupBy: 'caller', sipCode: 487 });
    publishCall(bus, { callId: 'reject', tenantId, at: T0 + 3, endAfter: 0, disposition: 'rejected', hangupBy: 'system', sipCode: 403, reason: 'blacklisted' });
    publishCall(bus, { callId: 'fail', tenantId, at: T0 + 4, endAfter: 10, disposition: 'failed', hangupBy: 'system', sipCode: 503 });
    writer.flush();
    expect(rows('SELECT id, answered_at, duration_s, billable_s, disposition, hangup_by, sip_code, reason FROM call ORDER BY started_at')).toEqual([
      { id: 'busy', answered_at: null, duration_s: 1, billable_s: 0, disposition: 'busy', hangup_by: 'callee', sip_code: 486, reason: 'Busy Here' },
      { id: 'noans', answered_at: null, duration_s: 20, billable_s: 0, disposition: 'no-answer', hangup_by: 'system', sip_code: 408, reason: 'ring timeout' },
      { id: 'cancel', answered_at: null, duration_s: 5, billable_s: 0, disposition: 'cancelled', hangup_by: 'caller', sip_code: 487, reason: null },
      { id: 'reject', answered_at: null, duration_s: 0, billable_s: 0, disposition: 'rejected', hangup_by: 'system', sip_code: 403, reason: 'blacklisted' },
      { id: 'fail', answered_at: null, duration_s: 1, billable_s: 0, disposition: 'failed', hangup_by: 'system', sip_code: 503, reason: null },
    ]);
    expect(row("SELECT count(*) AS n FROM call_leg WHERE disposition = 'busy' AND sip_code = 486 AND answered_at IS NULL")).toEqual({ n: 2 });
    expect(row('SELECT count(*) AS n FROM recording')).toEqual({ n: 0 });
  });

  it('a forked call: legs that lost the race end cancelled, the call keeps the answering leg time', () => {
    bus.emit('call.started', { callId: 'f', tenantId, at: T0, direction: 'inbound', caller: { number: '+4930123456' }, callee: { number: '+4930999000' }, sipCallId: 'x' });
    bus.emit('leg.started', { callId: 'f', legId: 'f-in', at: T0, direction: 'inbound', party: { number: '+4930123456' }, target: 'sip:+4930123456@trunk' });
    bus.emit('leg.started', { callId: 'f', legId: 'f-1', at: T0 + 10, direction: 'outbound', party: { number: '1001', extensionId: 1 }, target: 'sip:1001@phone1' });
    bus.emit('leg.started', { callId: 'f', legId: 'f-2', at: T0 + 10, direction: 'outbound', party: { number: '1001', extensionId: 1 }, target: 'sip:1001@phone2' });
    bus.emit('leg.answered', { callId: 'f', legId: 'f-2', at: T0 + 3_000 });
    bus.emit('call.answered', { callId: 'f', legId: 'f-2', at: T0 + 3_000 });
    bus.emit('leg.ended', { callId: 'f', legId: 'f-1', at: T0 + 3_001, disposition: 'cancelled', hangupBy: 'system', sipCode: 487, reason: 'answered elsewhere' });
    bus.emit('leg.ended', { callId: 'f', legId: 'f-2', at: T0 + 13_000, disposition: 'answered', hangupBy: 'caller' });
    bus.emit('leg.ended', { callId: 'f', legId: 'f-in', at: T0 + 13_000, disposition: 'answered', hangupBy: 'caller' });
    bus.emit('call.ended', { callId: 'f', at: T0 + 13_000, disposition: 'answered', hangupBy: 'caller' });
    writer.flush();
    expect(row('SELECT direction, caller_extension_id, callee_number, duration_s, billable_s, disposition, hangup_by, sip_code FROM call')).toEqual({
      direction: 'inbound', caller_extension_id: null, callee_number: '+4930999000', duration_s: 13, billable_s: 10, disposition: 'answered', hangup_by: 'caller', sip_code: null,
    });
    expect(rows('SELECT id, disposition, reason FROM call_leg ORDER BY id')).toEqual([
      { id: 'f-1', disposition: 'cancelled', reason: 'answered elsewhere' },
      { id: 'f-2', disposition: 'answered', reason: null },
      { id: 'f-in', disposition: 'answered', reason: null },
    ]);
  });

  it('rows exist from the start: a call in progress has a row without an end (what crash recovery closes)', () => {
    bus.emit('call.started', { callId: 'live', tenantId, at: T0, direction: 'internal', caller: { number: '1001' }, callee: { number: '1002' }, sipCallId: 's' });
    bus.emit('leg.started', { callId: 'live', legId: 'live-a', at: T0, direction: 'inbound', party: { number: '1001' }, target: 'sip:a' });
    bus.emit('recording.started', { callId: 'live', tenantId, at: T0, path: '/tmp/live.wav' });
    writer.flush();
    expect(row('SELECT ended_at, disposition, duration_s FROM call')).toEqual({ ended_at: null, disposition: null, duration_s: null });
    expect(row('SELECT status FROM recording')).toEqual({ status: 'recording' });
    expect(row('SELECT ended_at FROM call_leg')).toEqual({ ended_at: null });
  });

  it('group commit: nothing is written until the turn ends, then everything in one go', async () => {
    publishCall(bus, { callId: 'g', tenantId, at: T0, answerAfter: 1000, endAfter: 2000, disposition: 'answered', hangupBy: 'caller' });
    expect(row('SELECT count(*) AS n FROM call')).toEqual({ n: 0 });
    await new Promise((r) => setImmediate(r));
    expect(row('SELECT billable_s FROM call')).toEqual({ billable_s: 1 });
    // a reader in the same process that the writer is attached to flushes first
    env.services.cdrs.attachWriter(writer);
    publishCall(bus, { callId: 'h', tenantId, at: T0 + 5, endAfter: 10, disposition: 'busy', hangupBy: 'callee' });
    expect(env.services.cdrs.list().items.map((c) => c.id)).toEqual(['h', 'g']);
  });

  it('events it cannot place are logged and cost nothing else in the batch; a second end does not overwrite the first', () => {
    writer.stop();
    const { log, lines } = captureLogger();
    writer = new CdrWriter(env.services.db, { log }).attach(bus);
    bus.emit('leg.started', { callId: 'ghost', legId: 'ghost-a', at: T0, direction: 'inbound', party: { number: '1' }, target: 'sip:x' });
    bus.emit('recording.started', { callId: 'ghost', tenantId, at: T0, path: '/nowhere.wav' });
    publishCall(bus, { callId: 'ok', tenantId, at: T0, endAfter: 1000, disposition: 'busy', hangupBy: 'callee', sipCode: 486 });
    bus.emit('call.ended', { callId: 'ok', at: T0 + 9_000, disposition: 'failed', hangupBy: 'system' });
    bus.emit('call.started', { callId: 'ok', tenantId, at: T0 + 1, direction: 'outbound', caller: { number: '9' }, callee: { number: '8' }, sipCallId: 'dup' });
    writer.flush();
    expect(row('SELECT started_at, ended_at, disposition, caller_number FROM call')).toEqual({ started_at: T0, ended_at: T0 + 1000, disposition: 'busy', caller_number: '1001' });
    expect(row('SELECT count(*) AS n FROM call_leg')).toEqual({ n: 2 });
    expect(lines.filter((l) => l.level === 'warn').map((l) => (l.obj as { event: string }).event)).toEqual(['leg.started', 'call.ended', 'call.started']);
    expect(lines.filter((l) => l.level === 'error').map((l) => (l.obj as { event: string }).event)).toEqual(['recording.started']);
  });

  it('a recording that failed or whose file is missing is marked failed with the reason', () => {
    const path = join(env.dir, 'ok.wav');
    writeFileSync(path, Buffer.alloc(100));
    bus.emit('call.started', { callId: 'r', tenantId, at: T0, direction: 'internal', caller: { number: '1001' }, callee: { number: '1002' }, sipCallId: 's' });
    bus.emit('recording.started', { callId: 'r', tenantId, at: T0, path });
    bus.emit('recording.started', { callId: 'r', tenantId, at: T0, path: join(env.dir, 'gone.wav') });
    bus.emit('recording.finished', { callId: 'r', at: T0 + 100, path, seconds: 0, error: 'disk full' });
    bus.emit('recording.finished', { callId: 'r', at: T0 + 100, path: join(env.dir, 'gone.wav'), seconds: 0 });
    writer.flush();
    expect(rows('SELECT status, bytes, error FROM recording ORDER BY id')).toEqual([
      { status: 'failed', bytes: 100, error: 'disk full' },
      { status: 'failed', bytes: null, error: 'the recording file is missing' },
    ]);
  });

  it('without group commit every event is written at once; stop() unsubscribes', () => {
    writer.stop();
    writer = new CdrWriter(env.services.db, { groupCommit: false }).attach(bus);
    bus.emit('call.started', { callId: 's', tenantId, at: T0, direction: 'internal', caller: { number: '1001' }, callee: { number: '1002' }, sipCallId: 's' });
    expect(row('SELECT id FROM call')).toEqual({ id: 's' });
    writer.stop();
    bus.emit('call.ended', { callId: 's', at: T0 + 1, disposition: 'failed', hangupBy: 'system' });
    expect(row('SELECT ended_at FROM call')).toEqual({ ended_at: null });
  });
});
