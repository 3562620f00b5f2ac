import { describe, expect, it } from 'vitest';
import { buildOfferSdp } from '../../../src/sip/sdp/build-offer.ts';
import { legConfigOf } from '../../../src/sip/sdp/leg-config.ts';
import { parseSdp } from '../../../src/sip/sdp/parse-sdp.ts';
import { SdpError } from '../../../src/sip/sdp/sdp-error.ts';
import { serializeSdp } from '../../../src/sip/sdp/serialize-sdp.ts';
import { newSessionId } from '../../../src/sip/sdp/session-id.ts';

const BASE = { address: '203.0.113.5', port: 30000, sessionId: '42', sessionVersion: 1 };

describe('buildOfferSdp', () => {
  it('writes one audio stream with an rtpmap for every codec and an explicit direction', () => {
    const text = serializeSdp(buildOfferSdp({
      ...BASE,
      codecs: [{ pt: 8, name: 'PCMA' }, { pt: 0, name: 'PCMU' }, { pt: 101, name: 'telephone-event', fmtp: '0-16' }],
      ptime: 20,
    }));
    expect(text).toBe([
      'v=0', 'o=tspbx 42 1 IN IP4 203.0.113.5', 's=-', 'c=IN IP4 203.0.113.5', 't=0 0',
      'm=audio 30000 RTP/AVP 8 0 101', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16',
      'a=ptime:20', 'a=sendrecv', '',
    ].join('\r\n'));
    expect(legConfigOf(parseSdp(text))).toEqual({
      remote: { address: '203.0.113.5', port: 30000, rtcpPort: 30001 },
      codecs: [{ pt: 8, name: 'PCMA' }, { pt: 0, name: 'PCMU' }, { pt: 101, name: 'telephone-event' }],
      rtcpMux: false,
    });
  });

  it('takes rates from the RFC 3551 table or as given, channels, direction, rtcp-mux, IPv6, origin user', () => {
    const text = serializeSdp(buildOfferSdp({
      ...BASE, address: '2001:db8::5', originUser: 'ivr', direction: 'sendonly', rtcpMux: true,
      codecs: [{ pt: 96, name: 'opus', rate: 48000, channels: 2, fmtp: 'useinbandfec=1' }, { pt: 9, name: 'G722' }, { pt: 97, name: 'iLBC' }],
    }));
    expect(text).toContain('o=ivr 42 1 IN IP6 2001:db8::5\r\ns=-\r\nc=IN IP6 2001:db8::5\r\n');
    expect(text).toContain('m=audio 30000 RTP/AVP 96 9 97\r\na=rtpmap:96 opus/48000/2\r\na=fmtp:96 useinbandfec=1\r\na=rtpmap:9 G722/8000\r\na=rtpmap:97 iLBC/8000\r\na=rtcp-mux\r\na=sendonly\r\n');
  });

  it('refuses what cannot be offered', () => {
    const one = [{ pt: 0, name: 'PCMU' }];
    expect(() => buildOfferSdp({ ...BASE, codecs: [] })).toThrow(new SdpError('an offer needs at least one codec'));
    expect(() => buildOfferSdp({ ...BASE, codecs: [{ pt: 128, name: 'x' }] })).toThrow(new SdpError('payload type 128 is not 0-127'));
    expect(() => buildOfferSdp({ ...BASE, codecs: [{ pt: 0, name: 'PCMU' }, { pt: 0, name: 'PCMA' }] })).toThrow(new SdpError('payload type 0 is listed twice'));
    expect(() => buildOfferSdp({ ...BASE, codecs: [{ pt: 96, name: 'op us' }] })).toThrow(new SdpError('codec name "op us" must be non-empty without spaces or slashes'));
    expect(() => buildOfferSdp({ ...BASE, codecs: [{ pt: 96, name: 'opus', rate: 0 }] })).toThrow(new SdpError('clock rate 0 of opus is not a positive integer'));
    expect(() => buildOfferSdp({ ...BASE, codecs: [{ pt: 96, name: 'opus', channels: 0 }] })).toThrow(new SdpError('channel count 0 of opus is not a positive integer'));
    expect(() => buildOfferSdp({ ...BASE, codecs: one, ptime: 0 })).toThrow(new SdpError('ptime 0 is not a positive number'));
    expect(() => buildOfferSdp({ ...BASE, codecs: one, port: 70000 })).toThrow(new SdpError('offer port 70000 is not a port 1-65535'));
    expect(() => buildOfferSdp({ ...BASE, codecs: one, address: 'localhost' })).toThrow(new SdpError('our media address "localhost" is not an IP address'));
  });
});

describe('newSessionId', () => {
  it('is a decimal number from six random bytes', () => {
    expect(newSessionId(() => new Uint8Array([0, 0, 0, 0, 1, 2]))).toBe('258');
    expect(newSessionId(() => new Uint8Array([255, 255, 255, 255, 255, 255]))).toBe(String(2 ** 48 - 1));
    expect(newSessionId()).toMatch(/^\d{1,15}$/);
    expect(newSessionId()).not.toBe(newSessionId());
  });
});
