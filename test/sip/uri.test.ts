import { describe, expect, it } from 'vitest';
import { formatUri, parseUri } from '../../src/sip/uri.ts';

describe('parseUri / formatUri', () => {
  it('parses a full sip URI', () => {
    const u = parseUri('sip:alice:pw@Example.com:5070;transport=tcp;lr?Subject=hi&x=y')!;
    expect(u).toMatchObject({ scheme: 'sip', user: 'alice', password: 'pw', host: 'Example.com', port: 5070 });
    expect(u.params).toEqual({ transport: 'tcp', lr: null });
    expect(u.headers).toEqual({ Subject: 'hi', x: 'y' });
    expect(formatUri(u)).toBe('sip:alice:pw@Example.com:5070;transport=tcp;lr?Subject=hi&x=y');
  });
  it('handles IPv6 hosts in brackets', () => {
    const u = parseUri('sips:bob@[2001:db8::1]:5061;expires=0')!;
    expect(u.host).toBe('[2001:db8::1]');
    expect(u.port).toBe(5061);
    expect(u.params.expires).toBe('0');
    expect(formatUri(u)).toBe('sips:bob@[2001:db8::1]:5061;expires=0');
    expect(formatUri({ scheme: 'sip', host: '::1', params: {}, headers: {} })).toBe('sip:[::1]');
  });
  it('keeps semicolons in the user part', () => {
    const u = parseUri('sip:user;par=u%40example.net@example.com')!;
    expect(u.user).toBe('user;par=u%40example.net');
    expect(u.host).toBe('example.com');
  });
  it('parses tel', () => {
    expect(parseUri('tel:+358-555-1234567;postd=pp22')).toMatchObject({ scheme: 'tel', user: '+358-555-1234567' });
  });
  it('rejects bad input', () => {
    for (const bad of ['', 'sip:', 'http://x', 'sip:a b@c', 'sip:host:99999', 'sip:[::1', 'sip:@host', 'sip:host;', 'sip:<x>', 'foo']) {
      expect(parseUri(bad)).toBeUndefined();
    }
  });
});
