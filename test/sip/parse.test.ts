import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../src/sip/parse.ts';
import type { SipRequest } from '../../src/sip/message.ts';
import { loadTortureVectors, reactionAccepted } from '../support/rfc4475-vectors.ts';

const OPTIONS =
  'OPTIONS sip:alice@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKabc;rport\r\n' +
  'Max-Forwards: 70\r\nTo: <sip:alice@example.com>\r\nFrom: "Bob" <sip:bob@example.com>;tag=1\r\n' +
  'Call-ID: c1@x\r\nCSeq: 7 OPTIONS\r\nContent-Length: 0\r\n\r\n';

describe('parseMessage', () => {
  it('parses a plain request', () => {
    const r = parseMessage(Buffer.from(OPTIONS));
    expect(r.kind).toBe('message');
    const m = (r as { message: SipRequest }).message;
    expect(m.method).toBe('OPTIONS');
    expect(m.headers.via[0]).toMatchObject({ protocol: 'UDP', host: '192.0.2.1', port: 5060, params: { branch: 'z9hG4bKabc', rport: null } });
    expect(m.headers.cseq).toEqual({ seq: 7, method: 'OPTIONS' });
    expect(m.headers['call-id']).toBe('c1@x');
  });

  it('parses IPv6 Via sent-by', () => {
    const r = parseMessage(Buffer.from(OPTIONS.replace('192.0.2.1:5060', '[2001:db8::1]:5062')));
    expect(r.kind).toBe('message');
    expect((r as { message: SipRequest }).message.headers.via[0]).toMatchObject({ host: '[2001:db8::1]', port: 5062 });
  });

  it('answers Content-Length: abc with 400 and a negative one with 400', () => {
    for (const cl of ['abc', '-1']) {
      const r = parseMessage(Buffer.from(OPTIONS.replace('Content-Length: 0', 'Content-Length: ' + cl)));
      expect(r).toMatchObject({ kind: 'reject', status: 400 });
    }
  });

  it('answers an oversize request 513 when its headers are readable', () => {
    const big = OPTIONS.replace('Content-Length: 0\r\n\r\n', 'Content-Length: 70000\r\n\r\n' + 'x'.repeat(70000));
    expect(parseMessage(Buffer.from(big))).toMatchObject({ kind: 'reject', status: 513 });
  });

  it('judges every RFC 4475 vector as the MANIFEST allows (parser level)', () => {
    for (const v of loadTortureVectors()) {
      const r = parseMessage(v.data);
      if (v.kind === 'response') continue; // responses are judged at the stack (never answered)
      // A parsed request is up to the handler: here only rejections and drops are judged.
      if (r.kind === 'message') continue;
      const reaction = r.kind === 'drop' ? 'drop' : r.status;
      expect(reactionAccepted(v.accept, reaction), `${v.name}: ${JSON.stringify(r.kind === 'drop' ? r : r.status)}`).toBe(true);
      if (!v.valid) continue;
    }
  });

  it('rejects or drops the invalid vectors and accepts the valid syntax ones', () => {
    const valid = new Set(['wsinv', 'intmeth', 'esc01', 'escnull', 'esc02', 'lwsdisp', 'longreq', 'dblreq', 'semiuri', 'transports', 'mpart01']);
    for (const v of loadTortureVectors()) {
      const r = parseMessage(v.data);
      if (valid.has(v.name)) expect(r.kind, v.name).toBe('message');
      if (['badinv01', 'clerr', 'ncl', 'scalar02', 'multi01', 'mcl01', 'insuf', 'mismatch01', 'badvers', 'bigcode', 'scalarlg'].includes(v.name)) {
        expect(r.kind, v.name).not.toBe('message');
      }
    }
  });

  it('cuts trailing octets of a datagram per Content-Length (dblreq)', () => {
    const v = loadTortureVectors().find((x) => x.name === 'dblreq')!;
    const r = parseMessage(v.data);
    expect(r.kind).toBe('message');
    expect((r as { message: SipRequest }).message.content).toBe('');
  });

  it('never throws on garbage, truncation or huge headers', () => {
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    for (let i = 0; i < 500; i++) {
      const len = Math.floor(rnd() * 2000);
      const b = Buffer.alloc(len);
      for (let j = 0; j < len; j++) b[j] = Math.floor(rnd() * 256);
      expect(() => parseMessage(b)).not.toThrow();
    }
    const full = Buffer.from(OPTIONS);
    for (let cut = 0; cut < full.length; cut++) expect(() => parseMessage(full.subarray(0, cut))).not.toThrow();
    for (const v of loadTortureVectors()) {
      for (let cut = 0; cut < v.data.length; cut += 7) expect(() => parseMessage(v.data.subarray(0, cut))).not.toThrow();
    }
    const huge = 'OPTIONS sip:a@b SIP/2.0\r\nX-Big: ' + 'a'.repeat(64 * 1024) + '\r\n' + OPTIONS.slice(OPTIONS.indexOf('\r\n') + 2);
    expect(['drop', 'reject']).toContain(parseMessage(Buffer.from(huge)).kind);
    const spaces = Buffer.from(' '.repeat(65 * 1024));
    expect(parseMessage(spaces).kind).toBe('drop');
  });
});
