import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { CallEventBus } from '../../src/calls/call-events.ts';
import { CdrWriter, DAY_MS, RecordingRetention, parseTime, prepareRecordingPath } from '../../src/cdr/index.ts';
import { tempServices } from '../fixtures.ts';
import { publishCall } from './cdr-fixtures.ts';

let env: ReturnType<typeof tempServices>;
let bus: CallEventBus;
let writer: CdrWriter;
let def: number;
let acme: number;
const T0 = Date.UTC(2026, 2, 1, 8, 0, 0);
const MIN = 60_000;

beforeEach(() => {
  env = tempServices();
  bus = new CallEventBus();
  writer = new CdrWriter(env.services.db).attach(bus);
  env.services.cdrs.attachWriter(writer);
  def = env.services.tenants.defaultTenant().id;
  acme = env.services.tenants.add({ name: 'acme', domain: 'acme.example' }).id;
  // default tenant: 1001 → 1002 answered, 1003 → 1001 busy, outside → switchboard ringing 1001 no answer,
  // 1002 → outside cancelled; acme: 1001 → 1002 answered (same numbers, other tenant)
  publishCall(bus, { callId: 'd1', tenantId: def, at: T0, answerAfter: 3000, endAfter: 63_000, disposition: 'answered', hangupBy: 'caller' });
  publishCall(bus, { callId: 'd2', tenantId: def, at: T0 + 10 * MIN, caller: { number: '1003', extensionId: 3 }, callee: { number: '1001', extensionId: 1 }, endAfter: 500, disposition: 'busy', hangupBy: 'callee', sipCode: 486 });
  bus.emit('call.started', { callId: 'd3', tenantId: def, at: T0 + 20 * MIN, direction: 'inbound', caller: { number: '+49301234' }, callee: { number: '+49309999' }, sipCallId: 'd3' });
  bus.emit('leg.started', { callId: 'd3', legId: 'd3-a', at: T0 + 20 * MIN, direction: 'inbound', party: { number: '+49301234' }, target: 'sip:trunk' });
  bus.emit('leg.started', { callId: 'd3', legId: 'd3-b', at: T0 + 20 * MIN, direction: 'outbound', party: { number: '1001', extensionId: 1 }, target: 'sip:1001@phone' });
  bus.emit('leg.ended', { callId: 'd3', legId: 'd3-b', at: T0 + 20 * MIN + 20_000, disposition: 'no-answer', hangupBy: 'system', sipCode: 408 });
  bus.emit('call.ended', { callId: 'd3', at: T0 + 20 * MIN + 20_000, disposition: 'no-answer', hangupBy: 'system' });
  publishCall(bus, { callId: 'd4', tenantId: def, at: T0 + 30 * MIN, direction: 'outbound', caller: { number: '1002', extensionId: 2 }, callee: { number: '+4930555' }, endAfter: 4000, disposition: 'cancelled', hangupBy: 'caller', sipCode: 487 });
  publishCall(bus, { callId: 'a1', tenantId: acme, at: T0 + 5 * MIN, caller: { number: '1001', extensionId: 11 }, callee: { number: '1002', extensionId: 12 }, answerAfter: 1000, endAfter: 2000, disposition: 'answered', hangupBy: 'callee' });
});
afterEach(() => {
  writer.stop();
  env.cleanup();
});

const ids = (p: { items: Array<{ id: string }> }) => p.items.map((c) => c.id);

describe('CdrService', () => {
  it('lists newest first, per tenant or all, with the tenant name', () => {
    const { cdrs } = env.services;
    expect(ids(cdrs.list({ tenantId: def }))).toEqual(['d4', 'd3', 'd2', 'd1']);
    expect(ids(cdrs.list({ tenantId: acme }))).toEqual(['a1']);
    const all = cdrs.list();
    expect(ids(all)).toEqual(['d4', 'd3', 'd2', 'a1', 'd1']);
    expect(all.items.find((c) => c.id === 'a1')).toMatchObject({ tenant: 'acme', tenantId: acme, billableS: 1, durationS: 2, callerNumber: '1001', calleeNumber: '1002' });
    expect(all.nextCursor).toBeNull();
  });

  it('filters by since/until (ISO or ms), disposition and extension (caller, callee or a leg that rang it)', () => {
    const { cdrs } = env.services;
    expect(ids(cdrs.list({ tenantId: def, since: new Date(T0 + 10 * MIN).toISOString(), until: T0 + 30 * MIN }))).toEqual(['d3', 'd2']);
    expect(ids(cdrs.list({ tenantId: def, since: String(T0 + 30 * MIN) }))).toEqual(['d4']);
    expect(ids(cdrs.list({ tenantId: def, until: '2026-03-01' }))).toEqual([]);
    expect(ids(cdrs.list({ tenantId: def, since: '2026-03-01', until: '2026-03-02' }))).toHaveLength(4);
    expect(ids(cdrs.list({ tenantId: def, disposition: 'busy' }))).toEqual(['d2']);
    expect(ids(cdrs.list({ disposition: 'answered' }))).toEqual(['a1', 'd1']);
    expect(ids(cdrs.list({ tenantId: def, extension: '1001' }))).toEqual(['d3', 'd2', 'd1']);
    expect(ids(cdrs.list({ tenantId: def, extension: '1002' }))).toEqual(['d4', 'd1']);
    expect(ids(cdrs.list({ tenantId: acme, extension: '1001' }))).toEqual(['a1']);
    expect(ids(cdrs.list({ extension: '1001' }))).toEqual(['d3', 'd2', 'a1', 'd1']);
    // an outside number is not an extension
    expect(ids(cdrs.list({ tenantId: def, extension: '+4930555' }))).toEqual([]);
    expect(ids(cdrs.list({ tenantId: def, extension: '1001', disposition: 'no-answer' }))).toEqual(['d3']);
  });

  it('the extension filter uses the per-tenant number indexes', () => {
    const plan = env.services.db.sqlite
      .prepare(
        `EXPLAIN QUERY PLAN SELECT c.id FROM call c WHERE ((c.tenant_id = 1 AND c.caller_number = '1001' AND c.caller_extension_id IS NOT NULL)
          OR (c.tenant_id = 1 AND c.callee_number = '1001' AND c.callee_extension_id IS NOT NULL)
          OR c.id IN (SELECT l.call_id FROM call_leg l WHERE l.tenant_id = 1 AND l.number = '1001' AND l.extension_id IS NOT NULL))`,
      )
      .all()
      .map((r) => (r as { detail: string }).detail)
      .join('\n');
    expect(plan).toMatch(/call_tenant_caller_number/);
    expect(plan).toMatch(/call_tenant_callee_number/);
    expect(plan).toMatch(/call_leg_tenant_number/);
  });

  it('pages with an opaque cursor, stable when new calls arrive', () => {
    const { cdrs } = env.services;
    const p1 = cdrs.list({ tenantId: def, limit: 2 });
    expect(ids(p1)).toEqual(['d4', 'd3']);
    expect(p1.nextCursor).toEqual(expect.any(String));
    publishCall(bus, { callId: 'new', tenantId: def, at: T0 + 60 * MIN, endAfter: 1, disposition: 'failed', hangupBy: 'system' });
    const p2 = cdrs.list({ tenantId: def, limit: 2, cursor: p1.nextCursor! });
    expect(ids(p2)).toEqual(['d2', 'd1']);
    expect(p2.nextCursor).toBeNull();
    // same start time: the id breaks the tie
    publishCall(bus, { callId: 'tie-a', tenantId: acme, at: T0, endAfter: 1, disposition: 'failed', hangupBy: 'system' });
    publishCall(bus, { callId: 'tie-b', tenantId: acme, at: T0, endAfter: 1, disposition: 'failed', hangupBy: 'system' });
    const q1 = cdrs.list({ tenantId: acme, limit: 2 });
    expect(ids(q1)).toEqual(['a1', 'tie-b']);
    expect(ids(cdrs.list({ tenantId: acme, limit: 2, cursor: q1.nextCursor! }))).toEqual(['tie-a']);
  });

  it('rejects bad filters with messages that say what to pass', () => {
    const { cdrs } = env.services;
    expect(() => cdrs.list({ since: 'yesterday' })).toThrow('since "yesterday" must be an ISO date (2025-01-31, 2025-01-31T08:00:00Z) or ms since epoch');
    expect(() => cdrs.list({ disposition: 'hung-up' as never })).toThrow(/disposition must be one of answered, busy, no-answer, cancelled, failed, rejected/);
    expect(() => cdrs.list({ cursor: 'garbage' })).toThrow(/cursor is not one this list returned/);
    expect(() => cdrs.list({ limit: 0 })).toThrow(/limit must be a whole number from 1 to 1000/);
    expect(parseTime('2026-03-01T08:00:00Z', 'x')).toBe(T0);
    expect(parseTime(T0, 'x')).toBe(T0);
  });

  it('get: the call with its legs and recordings; tenant-scoped', () => {
    const { cdrs } = env.services;
    const d3 = cdrs.get('d3', def);
    expect(d3).toMatchObject({ id: 'd3', direction: 'inbound', disposition: 'no-answer', recordingId: null, recordings: [] });
    expect(d3.legs.map((l) => [l.id, l.disposition, l.sipCode])).toEqual([
      ['d3-a', null, null],
      ['d3-b', 'no-answer', 408],
    ]);
    expect(cdrs.get('d3').id).toBe('d3');
    expect(() => cdrs.get('d3', acme)).toThrow('call d3 does not exist');
    expect(() => cdrs.get('nope')).toThrow('call nope does not exist');
  });

  it('recordings: listed, linked from the call, their file with its size; a deleted one says when', async () => {
    const { cdrs } = env.services;
    const at = T0 + 90 * MIN;
    const path = prepareRecordingPath(env.config, { tenantId: def, callId: 'rec', at });
    writeFileSync(path, Buffer.alloc(1044));
    publishCall(bus, { callId: 'rec', tenantId: def, at, answerAfter: 1000, endAfter: 11_000, disposition: 'answered', hangupBy: 'caller', recordingPath: path });
    const call = cdrs.get('rec', def);
    expect(call).toMatchObject({ recordingId: expect.any(Number), recordingStatus: 'complete' });
    expect(call.recordings).toEqual([expect.objectContaining({ id: call.recordingId, path, seconds: 10, bytes: 1044, status: 'complete', deletedAt: null })]);
    expect(cdrs.listRecordings({ tenantId: def }).items.map((r) => r.callId)).toEqual(['rec']);
    expect(cdrs.listRecordings({ tenantId: acme }).items).toEqual([]);
    expect(cdrs.recordingFile(call.recordingId!, def)).toMatchObject({ path, size: 1044 });
    expect(() => cdrs.recordingFile(call.recordingId!, acme)).toThrow(`recording ${call.recordingId} does not exist`);
    expect(() => cdrs.getRecording(9999)).toThrow('recording 9999 does not exist');

    const later = Date.UTC(2026, 8, 20, 3, 0, 0);
    await new RecordingRetention(env.services.db, { intervalMs: 1, now: () => later }).sweep();
    expect(at + 183 * DAY_MS).toBeLessThan(later);
    expect(() => cdrs.recordingFile(call.recordingId!, def)).toThrow(`recording ${call.recordingId} was deleted on 2026-09-20 by the retention policy`);
    expect(cdrs.listRecordings({ status: 'deleted' }).items.map((r) => r.deletedAt)).toEqual([later]);
  });
});
