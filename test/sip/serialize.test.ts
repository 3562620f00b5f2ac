import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../src/sip/parse.ts';
import { buildResponse, serialize } from '../../src/sip/serialize.ts';
import type { SipRequest, SipResponse } from '../../src/sip/message.ts';

const REGISTER =
  'REGISTER sip:[2001:db8::10] SIP/2.0\r\nVia: SIP/2.0/UDP [2001:db8::1]:5062;branch=z9hG4bKx;rport=5062;received=2001:db8::1\r\n' +
  'Max-Forwards: 70\r\nTo: <sip:100@example.com>\r\nFrom: <sip:100@example.com>;tag=a\r\n' +
  'Call-ID: r1\r\nCSeq: 2 REGISTER\r\nContact: <sip:100@[2001:db8::1]:5062;transport=udp>;expires=0\r\nExpires: 0\r\n' +
  'Route: <sip:[2001:db8::10];lr>\r\nContent-Length: 0\r\n\r\n';

function parseReq(text: string | Buffer): SipRequest {
  const r = parseMessage(typeof text === 'string' ? Buffer.from(text, 'latin1') : text);
  if (r.kind !== 'message') throw new Error('not parsed: ' + JSON.stringify(r));
  return r.message as SipRequest;
}

describe('serialize', () => {
  it('round-trips a REGISTER with expires=0 and IPv6', () => {
    const m = parseReq(REGISTER);
    const out = serialize(m).toString('latin1');
    expect(out).toContain('Via: SIP/2.0/UDP [2001:db8::1]:5062;branch=z9hG4bKx;rport=5062;received=2001:db8::1\r\n');
    expect(out).toContain(';expires=0');
    expect(out).toContain('Expires: 0\r\n');
    expect(out).toContain('Route: <sip:[2001:db8::10];lr>\r\n');
    expect(out).toContain('Call-ID: r1\r\nCSeq: 2 REGISTER\r\n');
    const again = parseReq(out);
    expect(again.headers.contact).toEqual(m.headers.contact);
    expect(again.headers.via).toEqual(m.headers.via);
    expect(serialize(again).toString('latin1')).toBe(out);
  });

  it('counts Content-Length in bytes', () => {
    const m = parseReq(REGISTER);
    m.content = 'héllo €';
    const buf = serialize(m);
    const text = buf.toString('utf8');
    expect(text).toContain('Content-Length: ' + Buffer.byteLength('héllo €') + '\r\n');
    expect(text.endsWith('héllo €')).toBe(true);
    // a latin1 body (as received) is written byte-exact
    m.content = Buffer.from([0xc3, 0xa9, 0x00, 0xff]).toString('latin1');
    const raw = serialize(m);
    expect(raw.subarray(raw.length - 4)).toEqual(Buffer.from([0xc3, 0xa9, 0x00, 0xff]));
    expect(raw.toString('latin1')).toContain('Content-Length: 4\r\n');
  });

  it('builds responses with default reasons and a To-tag', () => {
    const req = parseReq(REGISTER);
    const res = buildResponse(req, 200, undefined, { headers: { Contact: '<sip:100@x>;expires=0', 'X-A': ['1', '2'] } });
    expect(res.reason).toBe('OK');
    expect(res.headers.to.params.tag).toMatch(/^[0-9a-f]{12}$/);
    expect(req.headers.to.params.tag).toBeUndefined(); // the request is not modified
    const text = serialize(res).toString();
    expect(text.startsWith('SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP [2001:db8::1]:5062;')).toBe(true);
    expect(text).toContain('Contact: <sip:100@x>;expires=0\r\n');
    expect(text).toContain('X-A: 1\r\nX-A: 2\r\n');
    const back = parseMessage(serialize(res));
    expect(back.kind).toBe('message');
    expect((back as { message: SipResponse }).message.status).toBe(200);
    expect(buildResponse(req, 100).headers.to.params.tag).toBeUndefined();
    expect(buildResponse(req, 299).reason).toBe('Success');
    expect(buildResponse(req, 486, undefined, { toTag: 'zz' }).headers.to.params.tag).toBe('zz');
  });
});
