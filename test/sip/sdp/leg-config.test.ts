import { describe, expect, it } from 'vitest';
import { audioIndexOf } from '../../../src/sip/sdp/audio-line.ts';
import { legConfigOf } from '../../../src/sip/sdp/leg-config.ts';
import { parseSdp } from '../../../src/sip/sdp/parse-sdp.ts';
import {
  ASTERISK_ANSWER, BARESIP_OFFER, GRANDSTREAM_OFFER, IAD_HOLD_OFFER, ICE_SOFTPHONE_OFFER, SIPP_OFFER, SRTP_OFFER, T38_REINVITE,
  VIDEO_PHONE_OFFER, WEBRTC_OFFER, YEALINK_HOLD, YEALINK_OFFER,
} from './samples.ts';

const leg = (text: string, ...policy: Parameters<typeof legConfigOf>[1][]) => legConfigOf(parseSdp(text), ...policy);

describe('legConfigOf', () => {
  it('desk phones: session c=, the m= port, rtcp port + 1, codecs in order', () => {
    expect(leg(YEALINK_OFFER)).toEqual({
      remote: { address: '192.168.1.50', port: 11780, rtcpPort: 11781 },
      codecs: [{ pt: 8, name: 'PCMA' }, { pt: 0, name: 'PCMU' }, { pt: 9, name: 'G722' }, { pt: 18, name: 'G729' }, { pt: 101, name: 'telephone-event' }],
      rtcpMux: false,
    });
    expect(leg(GRANDSTREAM_OFFER)?.codecs?.map((c) => c.pt)).toEqual([0, 8, 9, 101]);
  });

  it('a sendonly re-INVITE still sends media to the phone (hold is a direction, not an address)', () => {
    expect(leg(YEALINK_HOLD)?.remote).toEqual({ address: '192.168.1.50', port: 11780, rtcpPort: 11781 });
  });

  it('baresip, SIPp, Asterisk', () => {
    expect(leg(BARESIP_OFFER)).toEqual({
      remote: { address: '10.0.0.5', port: 10156, rtcpPort: 10157 },
      codecs: [{ pt: 96, name: 'opus' }, { pt: 9, name: 'G722' }, { pt: 0, name: 'PCMU' }, { pt: 8, name: 'PCMA' }, { pt: 101, name: 'telephone-event' }],
      rtcpMux: false,
    });
    expect(leg(SIPP_OFFER)).toEqual({ remote: { address: '127.0.1.1', port: 6000, rtcpPort: 6001 }, codecs: [{ pt: 0, name: 'PCMU' }], rtcpMux: false });
    expect(leg(ASTERISK_ANSWER)).toEqual({
      remote: { address: '203.0.113.10', port: 17230, rtcpPort: 17231 }, codecs: [{ pt: 8, name: 'PCMA' }, { pt: 101, name: 'telephone-event' }], rtcpMux: false,
    });
  });

  it('a=rtcp gives the RTCP port; a=rtcp-mux counts only when mux is allowed (as anchorSdp keeps it only then)', () => {
    expect(leg(ICE_SOFTPHONE_OFFER, { rtcpMux: true })).toEqual({
      remote: { address: '198.51.100.23', port: 7078, rtcpPort: 7079 },
      codecs: [{ pt: 96, name: 'opus' }, { pt: 0, name: 'PCMU' }, { pt: 8, name: 'PCMA' }, { pt: 101, name: 'telephone-event' }],
      rtcpMux: true,
    });
    expect(leg(ICE_SOFTPHONE_OFFER)?.rtcpMux).toBe(false);
    expect(leg(YEALINK_OFFER, { rtcpMux: true })?.rtcpMux).toBe(false);
    expect(leg(VIDEO_PHONE_OFFER)?.remote).toEqual({ address: '192.168.1.70', port: 5004, rtcpPort: 5005 });
    const odd = parseSdp(VIDEO_PHONE_OFFER.replace('a=rtcp:5005', 'a=rtcp:6111 IN IP4 192.168.1.70'));
    expect(legConfigOf(odd)?.remote?.rtcpPort).toBe(6111);
  });

  it('media-level c= wins over the session c=', () => {
    const d = parseSdp(SIPP_OFFER.replace('a=rtpmap:0 PCMU/8000', 'c=IN IP4 192.0.2.99\r\na=rtpmap:0 PCMU/8000'));
    expect(legConfigOf(d)?.remote?.address).toBe('192.0.2.99');
  });

  it('video phone: only the audio line counts', () => {
    expect(leg(VIDEO_PHONE_OFFER)?.codecs).toEqual([{ pt: 0, name: 'PCMU' }, { pt: 8, name: 'PCMA' }, { pt: 101, name: 'telephone-event' }]);
  });

  it('c=0.0.0.0 hold: no remote, codecs kept (static G729 named from the table)', () => {
    expect(leg(IAD_HOLD_OFFER)).toEqual({ remote: null, codecs: [{ pt: 8, name: 'PCMA' }, { pt: 18, name: 'G729' }, { pt: 101, name: 'telephone-event' }], rtcpMux: false });
  });

  it('port 0 (rejected audio): no remote, codecs kept', () => {
    expect(leg(T38_REINVITE)).toEqual({ remote: null, codecs: [{ pt: 8, name: 'PCMA' }], rtcpMux: false });
    expect(audioIndexOf(parseSdp(T38_REINVITE))).toBe(-1);
  });

  it('secure RTP: no remote under the default policy, the phone under passthrough', () => {
    expect(leg(SRTP_OFFER)?.remote).toBeNull();
    expect(leg(SRTP_OFFER, { srtp: 'passthrough' })?.remote).toEqual({ address: '192.0.2.80', port: 40000, rtcpPort: 40001 });
    expect(leg(WEBRTC_OFFER, { rtcpMux: true })).toMatchObject({ remote: null, rtcpMux: true });
    // a=rtcp:9 IN IP4 0.0.0.0 is JSEP's placeholder, not a port to send to.
    expect(leg(WEBRTC_OFFER, { srtp: 'passthrough' })?.remote).toEqual({ address: '198.51.100.7', port: 54400, rtcpPort: 54401 });
    expect(leg(WEBRTC_OFFER)?.codecs?.map((c) => `${c.pt} ${c.name}`)).toEqual([
      '111 opus', '63 red', '9 G722', '0 PCMU', '8 PCMA', '13 CN', '110 telephone-event', '126 telephone-event',
    ]);
  });

  it('takes a plain audio line after a secure one', () => {
    const d = parseSdp(SRTP_OFFER + 'm=audio 40002 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n');
    expect(legConfigOf(d)).toEqual({ remote: { address: '192.0.2.80', port: 40002, rtcpPort: 40003 }, codecs: [{ pt: 8, name: 'PCMA' }], rtcpMux: false });
    expect(legConfigOf(d, { srtp: 'passthrough' })?.remote?.port).toBe(40000);
  });

  it('a host name in c= gives no remote (the relay learns the address from the first packets)', () => {
    expect(leg(SIPP_OFFER.replace('c=IN IP4 127.0.1.1', 'c=IN IP4 phone.example.com'))?.remote).toBeNull();
  });

  it('null without any m=audio line', () => {
    expect(leg('v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=video 5000 RTP/AVP 99\r\n')).toBeNull();
    expect(leg('v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n')).toBeNull();
  });
});
