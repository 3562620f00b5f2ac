import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { recordingLayer, request, TCP, UDP } from '../support/transaction-fixtures.ts';
import type { SipRequest, SipResponse } from '../../src/sip/message.ts';
import { parseMessage } from '../../src/sip/parse.ts';
import { buildResponse } from '../../src/sip/serialize.ts';
import { TransactionLayer, flowOf } from '../../src/sip/transaction/transaction-layer.ts';


const count = (l: TransactionLayer) => l.count().server + l.count().client;

describe('transactions (fake timers)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('non-INVITE client over UDP: Timer E doubles up to T2, Timer F fires after a 1xx → 408, no leak', async () => {
    const { layer, sent } = recordingLayer();
    const finals: SipResponse[] = [];
    const req = request('OPTIONS');
    layer.createClient(req, UDP, { final: (r) => finals.push(r) });
    await vi.advanceTimersByTimeAsync(7600); // sends at 0, 500, 1500, 3500, 7500
    expect(sent.map((s) => s.at)).toEqual([0, 500, 1500, 3500, 7500]);
    await vi.advanceTimersByTimeAsync(4000);
    expect(sent.at(-1)!.at).toBe(11500); // capped at T2 = 4 s
    // a provisional response must not stop Timer F
    layer.receiveResponse(buildResponse(req, 100));
    await vi.advanceTimersByTimeAsync(32_000 - 11_600 - 1);
    expect(finals).toEqual([]);
    await vi.advanceTimersByTimeAsync(2);
    expect(finals.map((f) => f.status)).toEqual([408]);
    expect(count(layer)).toBe(0);
  });

  it('non-INVITE client over TCP: no retransmission; final then Timer K = 0 → gone at once', async () => {
    const { layer, sent } = recordingLayer();
    const finals: number[] = [];
    const req = request('OPTIONS', 'z9hG4bKtcp');
    layer.createClient(req, TCP, { final: (r) => finals.push(r.status) });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(sent.length).toBe(1);
    layer.receiveResponse(buildResponse(req, 200));
    expect(finals).toEqual([200]);
    expect(count(layer)).toBe(0);
  });

  it('non-INVITE client over UDP: retransmitted final absorbed; Timer K removes it', async () => {
    const { layer } = recordingLayer();
    const finals: number[] = [];
    const req = request('REGISTER', 'z9hG4bKk');
    layer.createClient(req, UDP, { final: (r) => finals.push(r.status) });
    const ok = buildResponse(req, 200);
    layer.receiveResponse(ok);
    layer.receiveResponse(ok);
    expect(finals).toEqual([200]);
    expect(count(layer)).toBe(1);
    await vi.advanceTimersByTimeAsync(5001);
    expect(count(layer)).toBe(0);
  });

  it('INVITE client: Timer B → 408 without any response; Timer A doubles uncapped', async () => {
    const { layer, sent } = recordingLayer();
    const finals: number[] = [];
    layer.createClient(request('INVITE', 'z9hG4bKinv'), UDP, { final: (r) => finals.push(r.status) });
    await vi.advanceTimersByTimeAsync(32_001);
    expect(sent.map((s) => s.at)).toEqual([0, 500, 1500, 3500, 7500, 15500, 31500]);
    expect(finals).toEqual([408]);
    expect(count(layer)).toBe(0);
  });

  it('INVITE client: after a 1xx a 408 still comes (provisional guard), and a non-2xx final is ACKed', async () => {
    const { layer, sent } = recordingLayer();
    const finals: number[] = [];
    const req = request('INVITE', 'z9hG4bKring');
    layer.createClient(req, UDP, { final: (r) => finals.push(r.status) });
    layer.receiveResponse(buildResponse(req, 180));
    await vi.advanceTimersByTimeAsync(180_001);
    expect(finals).toEqual([408]);
    expect(count(layer)).toBe(0);

    const req2 = request('INVITE', 'z9hG4bKbusy');
    layer.createClient(req2, UDP, { final: (r) => finals.push(r.status) });
    const busy = buildResponse(req2, 486);
    layer.receiveResponse(busy);
    layer.receiveResponse(busy); // retransmitted: ACKed again
    const acks = sent.filter((s) => s.text.startsWith('ACK '));
    expect(acks.length).toBe(2);
    expect(acks[0]!.text).toContain('branch=z9hG4bKbusy');
    expect(acks[0]!.text).toContain('CSeq: 1 ACK');
    expect(finals).toEqual([408, 486]);
    await vi.advanceTimersByTimeAsync(32_001); // Timer D
    expect(count(layer)).toBe(0);
  });

  it('non-INVITE server: retransmissions get the last response; Timer J then removes it', async () => {
    const { layer, sent } = recordingLayer();
    const req = request('REGISTER', 'z9hG4bKsrv');
    const tx = layer.createServer(req, flowOf(UDP), UDP);
    tx.receiveRetransmission(); // nothing sent yet: still Trying
    expect(sent.length).toBe(0);
    tx.respond(buildResponse(req, 200));
    expect(layer.findServer(req, flowOf(UDP))).toBe(tx);
    layer.findServer(req, flowOf(UDP))!.receiveRetransmission();
    expect(sent.length).toBe(2);
    expect(sent[1]!.text).toBe(sent[0]!.text);
    expect(tx.respond(buildResponse(req, 500))).toBe(false); // only one final
    await vi.advanceTimersByTimeAsync(32_001);
    expect(count(layer)).toBe(0);
  });

  it('server transaction the TU never answers: 500 after 64*T1, then gone', async () => {
    const { layer, sent } = recordingLayer();
    layer.createServer(request('OPTIONS', 'z9hG4bKlost'), flowOf(UDP), UDP);
    await vi.advanceTimersByTimeAsync(32_001);
    expect(sent.map((s) => s.text.slice(0, 12))).toEqual(['SIP/2.0 500 ']);
    await vi.advanceTimersByTimeAsync(32_001);
    expect(count(layer)).toBe(0);
  });

  it('INVITE server: Timer G doubles capped at T2 until the ACK; Timer I ends it', async () => {
    const { layer, sent } = recordingLayer();
    const req = request('INVITE', 'z9hG4bKg');
    const tx = layer.createServer(req, flowOf(UDP), UDP);
    tx.respond(buildResponse(req, 486));
    await vi.advanceTimersByTimeAsync(15_600);
    expect(sent.map((s) => s.at)).toEqual([0, 500, 1500, 3500, 7500, 11500, 15500]);
    const ack = { ...request('ACK', 'z9hG4bKg'), headers: { ...req.headers, cseq: { seq: 1, method: 'ACK' } } };
    const found = layer.findServer(ack, flowOf(UDP));
    expect(found).toBe(tx);
    (found as { receiveAck(): void }).receiveAck();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(sent.length).toBe(7); // no more retransmissions after the ACK
    expect(count(layer)).toBe(0);
  });

  it('INVITE server over TCP: no Timer G; 2xx → Accepted absorbs retransmitted INVITEs, then gone', async () => {
    const { layer, sent } = recordingLayer();
    const req = request('INVITE', 'z9hG4bKok');
    const tx = layer.createServer(req, flowOf(TCP), TCP);
    tx.respond(buildResponse(req, 200));
    tx.receiveRetransmission();
    expect(sent.length).toBe(2);
    await vi.advanceTimersByTimeAsync(32_001);
    expect(sent.length).toBe(2);
    expect(count(layer)).toBe(0);
  });

  it('a flood of completed transactions leaves nothing once timers ran', async () => {
    const { layer } = recordingLayer();
    for (let i = 0; i < 200; i++) {
      const req = request('OPTIONS', 'z9hG4bKf' + i);
      layer.createServer(req, flowOf(UDP), UDP).respond(buildResponse(req, 200));
      const c = request('OPTIONS', 'z9hG4bKc' + i);
      layer.createClient(c, UDP, { final: () => {} });
      if (i % 2 === 0) layer.receiveResponse(buildResponse(c, 200));
    }
    expect(count(layer)).toBe(400);
    await vi.advanceTimersByTimeAsync(64_001);
    expect(count(layer)).toBe(0);
  });

  it('parsed requests get the same key for retransmissions, different for other flows', () => {
    const { layer } = recordingLayer();
    const text = 'OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h:5060;branch=z9hG4bKsame\r\nTo: <sip:a@b>\r\nFrom: <sip:c@d>;tag=1\r\nCall-ID: k\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n';
    const p = () => (parseMessage(Buffer.from(text)) as { message: SipRequest }).message;
    const tx = layer.createServer(p(), flowOf(UDP), UDP);
    expect(layer.findServer(p(), flowOf(UDP))).toBe(tx);
    expect(layer.findServer(p(), flowOf({ ...UDP, port: 1 }))).toBeUndefined();
    layer.clear();
    expect(count(layer)).toBe(0);
  });
});
