import { describe, expect, it } from 'vitest';
import { parseSdp } from '../../../src/sip/sdp/parse-sdp.ts';
import { serializeSdp } from '../../../src/sip/sdp/serialize-sdp.ts';
import type { SessionDescription } from '../../../src/sip/sdp/session-description.ts';
import { ALL_SAMPLES, YEALINK_OFFER } from './samples.ts';

describe('serializeSdp', () => {
  for (const [name, text] of Object.entries(ALL_SAMPLES)) {
    it(`gives back ${name} line for line`, () => {
      expect(serializeSdp(parseSdp(text))).toBe(text);
    });
  }

  it('writes CRLF for an LF body and drops trailing whitespace', () => {
    const lf = YEALINK_OFFER.replace(/\r\n/g, ' \n');
    expect(serializeSdp(parseSdp(lf))).toBe(YEALINK_OFFER);
  });

  it('writes what it read from a tolerated body so that it reads the same again', () => {
    const sloppy = 'v=0\no=-  1 2 IN IP4 192.0.2.1\nc=IN IP4 192.0.2.1\nm=audio  4000/2 RTP/AVP 0  8\n\na=fmtp:8\na=ptime:20.0\n';
    const once = parseSdp(sloppy);
    const text = serializeSdp(once);
    expect(text).toBe('v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000/2 RTP/AVP 0 8\r\na=fmtp:8\r\na=ptime:20\r\n');
    expect(parseSdp(text)).toEqual(once);
  });

  it('writes every field of the model in RFC 8866 order', () => {
    const desc: SessionDescription = {
      version: 0,
      origin: { username: 'jdoe', sessionId: '1', sessionVersion: '2', netType: 'IN', addrType: 'IP4', address: '10.47.16.5' },
      name: 'S', info: 'I', uri: 'http://u', emails: ['e@x'], phones: ['+1'],
      connection: { netType: 'IN', addrType: 'IP4', address: '224.2.17.12', multicast: '/127/2' },
      bandwidths: ['CT:128'], timings: [{ start: '1', stop: '2', repeats: ['7d 1h 0'] }], zone: '3 -1h', key: 'prompt',
      attributes: [{ kind: 'direction', direction: 'inactive' }, { kind: 'other', name: 'tool', value: 'x' }],
      media: [{
        type: 'audio', port: 4000, portCount: 2, proto: 'RTP/AVP', formats: ['0', '96'], info: 'mi',
        connection: { netType: 'IN', addrType: 'IP6', address: '2001:db8::2' }, bandwidths: ['AS:64'], key: 'clear:x',
        attributes: [
          { kind: 'rtpmap', pt: 96, name: 'opus', rate: 48000, channels: 2 }, { kind: 'fmtp', format: '96', params: 'useinbandfec=1' },
          { kind: 'ptime', ms: 20 }, { kind: 'maxptime', ms: 60 }, { kind: 'rtcp', port: 4001 },
          { kind: 'rtcp', port: 4003, netType: 'IN', addrType: 'IP6', address: '2001:db8::3' }, { kind: 'rtcp-mux' },
          { kind: 'direction', direction: 'recvonly' }, { kind: 'other', name: 'flag' },
        ],
      }],
    };
    const text = serializeSdp(desc);
    expect(text.split('\r\n')).toEqual([
      'v=0', 'o=jdoe 1 2 IN IP4 10.47.16.5', 's=S', 'i=I', 'u=http://u', 'e=e@x', 'p=+1', 'c=IN IP4 224.2.17.12/127/2', 'b=CT:128',
      't=1 2', 'r=7d 1h 0', 'z=3 -1h', 'k=prompt', 'a=inactive', 'a=tool:x',
      'm=audio 4000/2 RTP/AVP 0 96', 'i=mi', 'c=IN IP6 2001:db8::2', 'b=AS:64', 'k=clear:x',
      'a=rtpmap:96 opus/48000/2', 'a=fmtp:96 useinbandfec=1', 'a=ptime:20', 'a=maxptime:60', 'a=rtcp:4001',
      'a=rtcp:4003 IN IP6 2001:db8::3', 'a=rtcp-mux', 'a=recvonly', 'a=flag', '',
    ]);
    // Every field survives the trip back.
    expect(parseSdp(text)).toEqual(desc);
  });

  it('writes t=0 0 for a model without timings', () => {
    const d = parseSdp(YEALINK_OFFER);
    d.timings = [];
    expect(serializeSdp(d)).toContain('\r\nt=0 0\r\n');
  });
});
