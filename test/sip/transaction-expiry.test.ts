// Shared expiry of completed transactions (ExpiryQueue): Timer J / K and the TU guard run on
// one timer per queue, never one per transaction; semantics as RFC 3261 §17 requires.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { recordingLayer, request, TCP, UDP } from '../support/transaction-fixtures.ts';
import type { SipRequest } from '../../src/sip/message.ts';
import { buildResponse } from '../../src/sip/serialize.ts';
import { ExpiryQueue } from '../../src/sip/transaction/timers.ts';
import { flowOf } from '../../src/sip/transaction/transaction-layer.ts';


describe('shared expiry of transactions (fake timers)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('completed UDP non-INVITE servers: one shared timer, cached response during J, all gone after J', async () => {
    const { layer, sent, count } = recordingLayer();
    const reqs: SipRequest[] = [];
    for (let i = 0; i < 3000; i++) {
      const req = request('REGISTER', 'z9hG4bKj' + i);
      reqs.push(req);
      layer.createServer(req, flowOf(UDP), UDP).respond(buildResponse(req, 200));
      if (i === 1499) await vi.advanceTimersByTimeAsync(10_000); // a second batch, 10 s later
    }
    expect(count()).toBe(3000);
    // Not a timer per transaction: the Timer J queue and the TU-guard queue, one timer each at most.
    expect(vi.getTimerCount()).toBeLessThanOrEqual(2);

    // A retransmission late in J gets the cached response, byte for byte.
    await vi.advanceTimersByTimeAsync(31_000 - 10_000);
    const before = sent.length;
    layer.findServer(reqs[7]!, flowOf(UDP))!.receiveRetransmission();
    expect(sent.length).toBe(before + 1);
    expect(sent.at(-1)!.text).toBe(sent[7]!.text);
    expect(sent.at(-1)!.text.startsWith('SIP/2.0 200 ')).toBe(true);

    // Never early: just before J the first batch is still there.
    await vi.advanceTimersByTimeAsync(32_000 - 31_000 - 1);
    expect(count()).toBe(3000);
    await vi.advanceTimersByTimeAsync(2);
    expect(count()).toBe(1500); // first batch expired on time
    expect(layer.findServer(reqs[7]!, flowOf(UDP))).toBeUndefined();
    layer.findServer(reqs[2000]!, flowOf(UDP))!.receiveRetransmission(); // second batch still absorbs
    expect(sent.length).toBe(before + 2);

    await vi.advanceTimersByTimeAsync(10_000);
    expect(count()).toBe(0);
    expect(layer.queuedExpiries()).toBe(0); // nothing held by the queues either
    expect(vi.getTimerCount()).toBe(0); // and no timer left behind
  });

  it('a transaction completed while others expire is not expired early (batched, at most the granularity late)', async () => {
    const { layer, count } = recordingLayer();
    const a = request('OPTIONS', 'z9hG4bKa');
    layer.createServer(a, flowOf(UDP), UDP).respond(buildResponse(a, 200));
    await vi.advanceTimersByTimeAsync(30);
    const b = request('OPTIONS', 'z9hG4bKb');
    layer.createServer(b, flowOf(UDP), UDP).respond(buildResponse(b, 200));
    await vi.advanceTimersByTimeAsync(32_000 - 30);
    expect(count()).toBe(1); // a gone at J, b (J at 32 030) still there
    await vi.advanceTimersByTimeAsync(29);
    expect(count()).toBe(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(count()).toBe(0);
  });

  it('TCP (J = 0) and the TU guard: answered at once, guard entry cancelled, nothing left', async () => {
    const { layer, count } = recordingLayer();
    const req = request('OPTIONS', 'z9hG4bKtcp');
    layer.createServer(req, flowOf(TCP), TCP).respond(buildResponse(req, 200));
    expect(count()).toBe(0);
    await vi.advanceTimersByTimeAsync(32_001);
    expect(layer.queuedExpiries()).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('non-INVITE client over UDP: Timer K on the shared queue absorbs the retransmitted final, then gone', async () => {
    const { layer, count } = recordingLayer();
    const finals: number[] = [];
    for (let i = 0; i < 50; i++) {
      const req = request('OPTIONS', 'z9hG4bKk' + i);
      layer.createClient(req, UDP, { final: (r) => finals.push(r.status) });
      layer.receiveResponse(buildResponse(req, 200));
      layer.receiveResponse(buildResponse(req, 200)); // retransmission: absorbed
    }
    expect(finals.length).toBe(50);
    expect(vi.getTimerCount()).toBe(1); // Timers E and F cleared; one shared Timer K
    await vi.advanceTimersByTimeAsync(4_999);
    expect(count()).toBe(50);
    await vi.advanceTimersByTimeAsync(2);
    expect(count()).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('clear() (stack close) drops the queues and their timers', async () => {
    const { layer, count } = recordingLayer();
    for (let i = 0; i < 10; i++) {
      const req = request('OPTIONS', 'z9hG4bKc' + i);
      const tx = layer.createServer(req, flowOf(UDP), UDP);
      if (i % 2 === 0) tx.respond(buildResponse(req, 200));
    }
    expect(vi.getTimerCount()).toBe(2);
    layer.clear();
    expect(count()).toBe(0);
    expect(layer.queuedExpiries()).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('ExpiryQueue: grows past its capacity, keeps FIFO order, skips cancelled entries, shrinks back', async () => {
    const expired: number[] = [];
    const q = new ExpiryQueue<{ id: number }>(1_000, (item) => expired.push(item.id), 100, 16);
    const items = Array.from({ length: 5000 }, (_, id) => ({ id }));
    const handles: number[] = [];
    for (const it of items) {
      handles.push(q.add(it));
      if (it.id % 1000 === 999) await vi.advanceTimersByTimeAsync(10);
    }
    for (let id = 0; id < 5000; id += 3) q.cancel(handles[id]!, items[id]!);
    q.cancel(handles[1]!, items[2]!); // wrong item for the handle: ignored
    expect(q.length).toBe(5000);
    await vi.advanceTimersByTimeAsync(1_000 - 50 - 1); // 50 ms went by while adding: the first entries are due at 1 000
    expect(expired).toEqual([]);
    await vi.advanceTimersByTimeAsync(200);
    expect(expired).toEqual(items.filter((it) => it.id % 3 !== 0).map((it) => it.id));
    expect(q.length).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});
