import { describe, expect, it } from 'vitest';
import { anchorSdp, type Anchor } from '../../../src/sip/sdp/anchor.ts';
import { codecsOf } from '../../../src/sip/sdp/codecs.ts';
import { directionOf, isOnHold } from '../../../src/sip/sdp/direction.ts';
import { legConfigOf } from '../../../src/sip/sdp/leg-config.ts';
import { parseSdp } from '../../../src/sip/sdp/parse-sdp.ts';
import { SdpError } from '../../../src/sip/sdp/sdp-error.ts';
import { serializeSdp } from '../../../src/sip/sdp/serialize-sdp.ts';
import {
  ALL_SAMPLES, ASTERISK_ANSWER, BARESIP_OFFER, IAD_HOLD_OFFER, ICE_SOFTPHONE_OFFER, SIPP_OFFER, SRTP_OFFER, T38_REINVITE, VIDEO_PHONE_OFFER,
  WEBRTC_OFFER, YEALINK_HOLD, YEALINK_OFFER,
} from './samples.ts';

const PBX: Anchor = { address: '203.0.113.5', port: 30000, sessionId: '777', sessionVersion: 1 };
const anchored = (text: string, anchor: Partial<Anchor> = {}, options: Parameters<typeof anchorSdp>[2] = {}) =>
  serializeSdp(anchorSdp(parseSdp(text), { ...PBX, ...anchor }, options));

describe('anchorSdp', () => {
  it('desk phone: o=, c= and the audio port are ours; everything else exactly as the phone wrote it', () => {
    expect(anchored(YEALINK_OFFER)).toBe(YEALINK_OFFER
      .replace('o=- 20024 20024 IN IP4 192.168.1.50', 'o=tspbx 777 1 IN IP4 203.0.113.5')
      .replace('c=IN IP4 192.168.1.50', 'c=IN IP4 203.0.113.5')
      .replace('m=audio 11780 ', 'm=audio 30000 '));
  });

  it('Asterisk answer and SIPp offer: only addresses change', () => {
    expect(anchored(ASTERISK_ANSWER, { originUser: 'pbx1' })).toBe(ASTERISK_ANSWER
      .replace('o=- 1580923491 1580923493 IN IP4 203.0.113.10', 'o=pbx1 777 1 IN IP4 203.0.113.5')
      .replace('c=IN IP4 203.0.113.10', 'c=IN IP4 203.0.113.5')
      .replace('m=audio 17230 ', 'm=audio 30000 '));
    const sipp = parseSdp(anchored(SIPP_OFFER));
    expect(legConfigOf(sipp)).toEqual({ remote: { address: '203.0.113.5', port: 30000, rtcpPort: 30001 }, codecs: [{ pt: 0, name: 'PCMU' }], rtcpMux: false });
  });

  it('keeps codecs, fmtp, ptime, b= and unknown attributes of baresip exactly', () => {
    const out = parseSdp(anchored(BARESIP_OFFER));
    const src = parseSdp(BARESIP_OFFER);
    expect(out.media[0].attributes).toEqual(src.media[0].attributes);
    expect(out.media[0].formats).toEqual(src.media[0].formats);
    expect(out.media[0].bandwidths).toEqual(['AS:93']);
    expect(out.attributes).toEqual([{ kind: 'other', name: 'tool', value: 'baresip 3.10.1' }]);
  });

  it('the session id defaults to the peer\'s and the version is the one given, so re-offers go up', () => {
    const first = anchorSdp(parseSdp(YEALINK_OFFER), { address: '203.0.113.5', port: 30000, sessionVersion: 1 });
    const second = anchorSdp(parseSdp(YEALINK_HOLD), { address: '203.0.113.5', port: 30000, sessionVersion: 2 });
    expect(first.origin).toEqual({ username: 'tspbx', sessionId: '20024', sessionVersion: '1', netType: 'IN', addrType: 'IP4', address: '203.0.113.5' });
    expect(second.origin.sessionId).toBe(first.origin.sessionId);
    expect(Number(second.origin.sessionVersion)).toBeGreaterThan(Number(first.origin.sessionVersion));
  });

  it('a hold re-INVITE stays a hold: sendonly goes on', () => {
    const out = anchorSdp(parseSdp(YEALINK_HOLD), { ...PBX, sessionVersion: 2 });
    expect(directionOf(out)).toBe('sendonly');
    expect(isOnHold(out)).toBe(true);
    expect(out.connection?.address).toBe('203.0.113.5');
  });

  it('c=0.0.0.0 hold: the zero address goes on so the other side stops sending too', () => {
    const out = anchorSdp(parseSdp(IAD_HOLD_OFFER), PBX);
    expect(out.connection).toEqual({ netType: 'IN', addrType: 'IP4', address: '0.0.0.0' });
    expect(out.origin.address).toBe('203.0.113.5');
    expect(out.media[0].port).toBe(30000);
    expect(isOnHold(out)).toBe(true);
    expect(codecsOf(out.media[0]).map((c) => c.name)).toEqual(['PCMA', 'G729', 'telephone-event']);
    expect(anchorSdp(parseSdp(IAD_HOLD_OFFER), { ...PBX, address: '2001:db8::5' }).connection).toEqual({ netType: 'IN', addrType: 'IP6', address: '::' });
  });

  it('ICE softphone: candidates, ICE credentials and SDES keys gone; a=rtcp ours; rtcp-mux only when allowed', () => {
    const text = anchored(ICE_SOFTPHONE_OFFER);
    expect(text).not.toMatch(/a=candidate|a=ice-|a=end-of-candidates|a=crypto/);
    expect(text).not.toContain('a=rtcp-mux');
    expect(text).not.toContain('198.51.100.23');
    expect(text).toContain('m=audio 30000 RTP/AVPF 96 0 8 101\r\n');
    expect(text).toContain('a=rtcp:30001 IN IP4 203.0.113.5\r\n');
    expect(text).toContain('a=rtcp-fb:* trr-int 1000\r\na=rtcp-fb:96 nack\r\n');
    expect(anchored(ICE_SOFTPHONE_OFFER, {}, { rtcpMux: true })).toContain('a=rtcp:30001 IN IP4 203.0.113.5\r\na=rtcp-mux\r\n');
  });

  it('writes our RTCP port when it is not port + 1, and none when the peer wrote none and ours is port + 1', () => {
    expect(anchored(SIPP_OFFER)).not.toContain('a=rtcp');
    expect(anchored(SIPP_OFFER, { rtcpPort: 30101 })).toContain('a=rtcp:30101 IN IP4 203.0.113.5\r\n');
    expect(anchored(VIDEO_PHONE_OFFER, { rtcpPort: 30101 })).toContain('a=rtcp:30101 IN IP4 203.0.113.5\r\n');
  });

  it('video + audio: the video line is declined with port 0 and nothing else', () => {
    const out = anchorSdp(parseSdp(VIDEO_PHONE_OFFER), PBX);
    expect(out.media[1]).toEqual({ type: 'video', port: 0, proto: 'RTP/AVP', formats: ['99'], bandwidths: [], attributes: [] });
    expect(serializeSdp(out)).toContain('a=rtcp:30001 IN IP4 203.0.113.5\r\na=sendrecv\r\nm=video 0 RTP/AVP 99\r\n');
  });

  it('WebRTC offer under the default policy: secure audio and video declined, BUNDLE and ICE gone', () => {
    const out = anchorSdp(parseSdp(WEBRTC_OFFER), PBX);
    expect(out.media.map((m) => `${m.type} ${m.port} ${m.proto}`)).toEqual(['audio 0 UDP/TLS/RTP/SAVPF', 'video 0 UDP/TLS/RTP/SAVPF']);
    expect(out.attributes).toEqual([{ kind: 'other', name: 'extmap-allow-mixed' }, { kind: 'other', name: 'msid-semantic', value: ' WMS 8a9f' }]);
    expect(legConfigOf(out)?.remote).toBeNull();
  });

  it('WebRTC offer with srtp passthrough: audio anchored, DTLS fingerprint kept, ICE gone, rtcp placeholder ours', () => {
    const text = anchored(WEBRTC_OFFER, {}, { srtp: 'passthrough' });
    expect(text).toContain('c=IN IP4 203.0.113.5\r\nt=0 0\r\n');
    expect(text).toContain('m=audio 30000 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\r\na=rtcp:30001 IN IP4 203.0.113.5\r\na=fingerprint:sha-256 ');
    expect(text).not.toMatch(/a=candidate|a=ice-|c=IN IP4 198/);
    expect(text).toContain('m=video 0 UDP/TLS/RTP/SAVPF 96 97\r\n');
  });

  it('SRTP (SDES) offer: declined by default; passthrough keeps a=crypto end to end', () => {
    const declined = anchorSdp(parseSdp(SRTP_OFFER), PBX);
    expect(declined.media[0]).toEqual({ type: 'audio', port: 0, proto: 'RTP/SAVP', formats: ['8', '0', '101'], bandwidths: [], attributes: [] });
    const passed = anchored(SRTP_OFFER, {}, { srtp: 'passthrough' });
    expect(passed).toContain('m=audio 30000 RTP/SAVP 8 0 101\r\n');
    expect(passed).toContain('a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:');
  });

  it('a plain audio line after a secure one is the one anchored; the secure one is declined', () => {
    const both = parseSdp(SRTP_OFFER + 'm=audio 40002 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n');
    const out = anchorSdp(both, PBX);
    expect(out.media.map((m) => `${m.proto} ${m.port}`)).toEqual(['RTP/SAVP 0', 'RTP/AVP 30000']);
  });

  it('T.38 re-INVITE: nothing to anchor, every line declined', () => {
    const out = anchorSdp(parseSdp(T38_REINVITE), PBX);
    expect(out.media.map((m) => `${m.type} ${m.port}`)).toEqual(['audio 0', 'image 0']);
    expect(out.media[1]).toMatchObject({ proto: 'udptl', formats: ['t38'], attributes: [] });
  });

  it('IPv6 anchor: IN IP6 in o=, c= and a=rtcp; a port count and media-level c= dropped', () => {
    const d = parseSdp(VIDEO_PHONE_OFFER.replace('m=audio 5004 RTP/AVP 0 8 101', 'm=audio 5004/2 RTP/AVP 0 8 101\r\nc=IN IP4 192.168.1.71'));
    const text = serializeSdp(anchorSdp(d, { ...PBX, address: '2001:db8::5' }));
    expect(text).toContain('o=tspbx 777 1 IN IP6 2001:db8::5\r\n');
    expect(text).toContain('c=IN IP6 2001:db8::5\r\n');
    expect(text).toContain('m=audio 30000 RTP/AVP 0 8 101\r\na=rtpmap');
    expect(text).toContain('a=rtcp:30001 IN IP6 2001:db8::5\r\n');
    expect(text).not.toContain('192.168.1.7');
  });

  it('leaves its input untouched', () => {
    const d = parseSdp(ICE_SOFTPHONE_OFFER);
    const before = structuredClone(d);
    anchorSdp(d, PBX);
    expect(d).toEqual(before);
  });

  it('every sample anchors to a body that parses, with no peer address left in o=, c= or a=rtcp', () => {
    for (const [name, text] of Object.entries(ALL_SAMPLES)) {
      for (const srtp of ['decline', 'passthrough'] as const) {
        const out = parseSdp(serializeSdp(anchorSdp(parseSdp(text), PBX, { srtp })));
        expect(out.origin.address, name).toBe('203.0.113.5');
        expect(['203.0.113.5', '0.0.0.0'], name).toContain(out.connection?.address);
        for (const m of out.media) {
          expect(m.connection, name).toBeUndefined();
          for (const a of m.attributes) if (a.kind === 'rtcp') expect(a.address, name).toBe(out.connection?.address);
          expect(m.attributes.some((a) => a.kind === 'other' && /^(candidate|ice-)/.test(a.name)), name).toBe(false);
        }
        expect(out.media.filter((m) => m.port !== 0).length, name).toBeLessThanOrEqual(1);
      }
    }
  });

  it('refuses bad anchors with SdpError', () => {
    const d = parseSdp(SIPP_OFFER);
    expect(() => anchorSdp(d, { ...PBX, address: 'pbx.example.com' })).toThrow(new SdpError('our media address "pbx.example.com" is not an IP address'));
    expect(() => anchorSdp(d, { ...PBX, port: 0 })).toThrow(new SdpError('anchor port 0 is not a port 1-65535'));
    expect(() => anchorSdp(d, { ...PBX, port: 65535 })).toThrow(new SdpError('anchor RTCP port 65536 is not a port 1-65535'));
    expect(() => anchorSdp(d, { ...PBX, sessionVersion: -1 })).toThrow(new SdpError('o= session version -1 must be a non-negative integer'));
    expect(() => anchorSdp(d, { ...PBX, sessionId: 'abc' })).toThrow(new SdpError('o= session id "abc" must be a number'));
    expect(() => anchorSdp(d, { ...PBX, originUser: 'a b' })).toThrow(new SdpError('o= username "a b" must be printable without spaces'));
  });
});
