import { describe, expect, it } from 'vitest';
import { StreamFramer } from '../../src/sip/transport/stream-framer.ts';

function msg(i: number, body = ''): string {
  return `OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK${i}\r\nCall-ID: ${i}\r\nCSeq: 1 OPTIONS\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

function collect(limits = { maxHeaderSize: 8192, maxBodySize: 65536 }) {
  const out = { messages: [] as string[], pings: 0, errors: [] as Array<{ status: number; head?: string }> };
  const f = new StreamFramer(limits, {
    message: (b) => out.messages.push(b.toString('latin1')),
    ping: () => out.pings++,
    error: (status, _reason, head) => out.errors.push({ status, head: head?.toString('latin1') }),
  });
  return { f, out };
}

describe('StreamFramer', () => {
  it('delivers more than 60 KB of pipelined messages from one chunk', () => {
    const { f, out } = collect();
    const all: string[] = [];
    for (let i = 0; i < 600; i++) all.push(msg(i, i % 3 === 0 ? 'body-' + i : ''));
    const chunk = Buffer.from(all.join(''));
    expect(chunk.length).toBeGreaterThan(60 * 1024);
    f.push(chunk);
    expect(out.messages).toEqual(all);
    expect(f.bufferedBytes()).toBe(0);
  });

  it('reassembles messages split at every possible boundary', () => {
    const text = msg(1, 'hello') + msg(2) + msg(3, 'x'.repeat(100));
    const bytes = Buffer.from(text);
    for (let cut = 1; cut < bytes.length; cut += 3) {
      const { f, out } = collect();
      f.push(bytes.subarray(0, cut));
      f.push(bytes.subarray(cut));
      expect(out.messages.join('')).toBe(text);
    }
    const { f, out } = collect();
    for (let i = 0; i < bytes.length; i++) f.push(bytes.subarray(i, i + 1)); // one byte at a time
    expect(out.messages.length).toBe(3);
  });

  it('does not take stale bytes past the received data for the end of a head', () => {
    // M1 leaves "\r\n" in the buffer right where M2's partial head stops after its own "\r\n".
    const m1 = 'OPTIONS sip:a@b SIP/2.0\r\nCall-ID: 1\r\nContent-Length: 0\r\n\r\n';
    const m2 = 'OPTIONS sip:a@b SIP/2.0\r\nCall-ID: 1\r\nContent-Length: 0\r\nX-Later: yes\r\n\r\n';
    const cut = m1.length - 2;
    expect(m2.slice(0, cut)).toBe(m1.slice(0, cut));
    const { f, out } = collect();
    f.push(Buffer.from(m1));
    f.push(Buffer.from(m2.slice(0, cut)));
    f.push(Buffer.from(m2.slice(cut)));
    expect(out.messages).toEqual([m1, m2]);
  });

  it('Content-Length: abc is an error with the head to answer 400 (no buffering forever)', () => {
    const { f, out } = collect();
    f.push(Buffer.from(msg(1).replace('Content-Length: 0', 'Content-Length: abc') + 'more bytes'));
    expect(out.errors).toEqual([{ status: 400, head: expect.stringContaining('Content-Length: abc') }]);
    expect(out.messages).toEqual([]);
    expect(f.bufferedBytes()).toBe(0);
    f.push(Buffer.from(msg(2))); // ignored after a failure: the owner closes
    expect(out.messages).toEqual([]);
  });

  it('a missing Content-Length on a stream is an error', () => {
    const { f, out } = collect();
    f.push(Buffer.from(msg(1).replace('Content-Length: 0\r\n', '')));
    expect(out.errors[0]!.status).toBe(400);
  });

  it('consumes 65 KB of leading whitespace without buffering it, then frames the message', () => {
    const { f, out } = collect();
    f.push(Buffer.from(' \t'.repeat(32 * 1024) + ' '));
    expect(f.bufferedBytes()).toBe(0);
    expect(out.errors).toEqual([]);
    f.push(Buffer.from(msg(7)));
    expect(out.messages).toEqual([msg(7)]);
  });

  it('answers CRLFCRLF keep-alives (RFC 5626) and ignores lone CRLFs', () => {
    const { f, out } = collect();
    f.push(Buffer.from('\r\n\r\n'));
    f.push(Buffer.from('\r\n'));
    f.push(Buffer.from('\r\n' + msg(1) + '\r\n\r\n'));
    expect(out.pings).toBe(3);
    expect(out.messages.length).toBe(1);
  });

  it('closes on a header bigger than the limit, even without an end of headers', () => {
    const { f, out } = collect({ maxHeaderSize: 1024, maxBodySize: 1024 });
    f.push(Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nX: ' + 'a'.repeat(2000)));
    expect(out.errors.map((e) => e.status)).toEqual([431]);
    expect(f.bufferedBytes()).toBe(0);
  });

  it('refuses a body bigger than the limit with the head to answer', () => {
    const { f, out } = collect({ maxHeaderSize: 1024, maxBodySize: 10 });
    f.push(Buffer.from(msg(1, 'x'.repeat(11))));
    expect(out.errors.map((e) => e.status)).toEqual([413]);
  });
});
