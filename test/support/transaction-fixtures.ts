// Fixtures for transaction-layer tests: peers, a minimal request, and a layer whose sends are
// recorded (with the fake clock's time) instead of going to a socket.
import type { Peer, SipRequest } from '../../src/sip/message.ts';
import { TransactionLayer } from '../../src/sip/transaction/transaction-layer.ts';

export const UDP: Peer = { transport: 'udp', address: '127.0.0.1', port: 5099 };
export const TCP: Peer = { transport: 'tcp', address: '127.0.0.1', port: 5099, connectionId: 1 };

export function request(method: string, branch = 'z9hG4bKtest1'): SipRequest {
  return {
    method, uri: 'sip:a@127.0.0.1', version: '2.0', content: '',
    headers: {
      via: [{ version: '2.0', protocol: 'UDP', host: '127.0.0.1', port: 5099, params: { branch } }],
      to: { uri: 'sip:a@127.0.0.1', params: {} }, from: { uri: 'sip:b@127.0.0.1', params: { tag: 'x' } },
      'call-id': 'c-' + branch, cseq: { seq: 1, method },
    },
  };
}

export function recordingLayer() {
  const sent: Array<{ at: number; text: string; peer: Peer }> = [];
  const start = Date.now();
  const layer = new TransactionLayer({
    send: (peer, data) => sent.push({ at: Date.now() - start, text: data.toString('latin1'), peer }),
    guard: (_w, fn) => fn(),
  });
  const count = () => layer.count().server + layer.count().client;
  return { layer, sent, count };
}
