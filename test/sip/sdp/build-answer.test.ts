import { describe, expect, it } from 'vitest';
import { buildAnswerSdp, type BuildAnswerArgs } from '../../../src/sip/sdp/build-answer.ts';
import { codecsOf } from '../../../src/sip/sdp/codecs.ts';
import { directionOf } from '../../../src/sip/sdp/direction.ts';
import { parseSdp } from '../../../src/sip/sdp/parse-sdp.ts';
import { serializeSdp } from '../../../src/sip/sdp/serialize-sdp.ts';
import { formatTelephoneEvents, parseTelephoneEvents } from '../../../src/sip/sdp/telephone-events.ts';
import {
  BARESIP_OFFER, GRANDSTREAM_OFFER, IAD_HOLD_OFFER, SIPP_OFFER, SRTP_OFFER, T38_REINVITE, VIDEO_PHONE_OFFER, WEBRTC_OFFER, YEALINK_HOLD, YEALINK_OFFER,
} from './samples.ts';

const IVR: BuildAnswerArgs = { address: '203.0.113.5', port: 31000, supported: ['PCMA', 'PCMU', 'telephone-event'], sessionId: '9', sessionVersion: 1 };
const answer = (offer: string, args: Partial<BuildAnswerArgs> = {}) => buildAnswerSdp(parseSdp(offer), { ...IVR, ...args });

describe('buildAnswerSdp', () => {
  it('answers a desk phone with its first supported codec and its telephone-event payload type', () => {
    expect(serializeSdp(answer(YEALINK_OFFER)!)).toBe([
      'v=0', 'o=tspbx 9 1 IN IP4 203.0.113.5', 's=-', 'c=IN IP4 203.0.113.5', 't=0 0',
      'm=audio 31000 RTP/AVP 8 101', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-15',
      'a=ptime:20', 'a=sendrecv', '',
    ].join('\r\n'));
  });

  it('follows the offerer\'s order, not ours', () => {
    expect(codecsOf(answer(GRANDSTREAM_OFFER)!.media[0]).map((c) => c.name)).toEqual(['PCMU', 'telephone-event']);
    expect(codecsOf(answer(BARESIP_OFFER)!.media[0]).map((c) => c.name)).toEqual(['PCMU', 'telephone-event']);
  });

  it('keeps a dynamic telephone-event payload type other than 101 and narrows events to 0-16', () => {
    const offer = SIPP_OFFER.replace('m=audio 6000 RTP/AVP 0', 'm=audio 6000 RTP/AVP 0 96')
      + 'a=rtpmap:96 telephone-event/8000\r\na=fmtp:96 0-16,32-36,66\r\n';
    const out = answer(offer)!;
    expect(out.media[0].formats).toEqual(['0', '96']);
    expect(codecsOf(out.media[0])[1]).toEqual({ pt: 96, name: 'telephone-event', rate: 8000, fmtp: '0-16' });
  });

  it('telephone-event without fmtp means 0-15; none when the offer has none or we do not support it', () => {
    const noFmtp = YEALINK_OFFER.replace('a=fmtp:101 0-15\r\n', '');
    expect(codecsOf(answer(noFmtp)!.media[0])[1]).toEqual({ pt: 101, name: 'telephone-event', rate: 8000, fmtp: '0-15' });
    expect(answer(SIPP_OFFER)!.media[0].formats).toEqual(['0']);
    expect(answer(YEALINK_OFFER, { supported: ['PCMA'] })!.media[0].formats).toEqual(['8']);
  });

  it('takes the telephone-event at the voice codec\'s clock rate (WebRTC offers 48000 and 8000)', () => {
    const plain = WEBRTC_OFFER.replace(/UDP\/TLS\/RTP\/SAVPF/g, 'RTP/AVPF');
    const out = answer(plain)!;
    expect(codecsOf(out.media[0]).map((c) => `${c.pt} ${c.name}/${c.rate}`)).toEqual(['0 PCMU/8000', '126 telephone-event/8000']);
    expect(out.media[0].proto).toBe('RTP/AVPF');
    expect(out.media[1]).toEqual({ type: 'video', port: 0, proto: 'RTP/AVPF', formats: ['96', '97'], bandwidths: [], attributes: [] });
    expect(codecsOf(answer(plain, { supported: ['PCMA', 'telephone-event', 'CN'] })!.media[0]).map((c) => c.pt)).toEqual([8, 126, 13]);
  });

  it('mirrors the direction (RFC 3264 §6.1)', () => {
    expect(directionOf(answer(YEALINK_HOLD)!)).toBe('recvonly');
    expect(directionOf(answer(YEALINK_OFFER.replace('a=sendrecv', 'a=recvonly'))!)).toBe('sendonly');
    expect(directionOf(answer(YEALINK_OFFER.replace('a=sendrecv', 'a=inactive'))!)).toBe('inactive');
    expect(directionOf(answer(SIPP_OFFER)!)).toBe('sendrecv');
    expect(serializeSdp(answer(YEALINK_HOLD)!)).toContain('a=recvonly\r\n');
  });

  it('declines every other m= line with port 0, keeping their number and order', () => {
    const out = answer(VIDEO_PHONE_OFFER)!;
    expect(out.media.map((m) => `${m.type} ${m.port}`)).toEqual(['audio 31000', 'video 0']);
    expect(serializeSdp(out)).toContain('m=video 0 RTP/AVP 99\r\n');
  });

  it('answers a c=0.0.0.0 hold with our own address', () => {
    const out = answer(IAD_HOLD_OFFER)!;
    expect(out.connection?.address).toBe('203.0.113.5');
    expect(out.media[0].formats).toEqual(['8', '101']);
  });

  it('keeps the offer\'s fmtp of the chosen codec, ptime as asked, rtcp-mux when allowed and offered', () => {
    const out = serializeSdp(answer(IAD_HOLD_OFFER, { supported: ['G729'], ptime: 30 })!);
    expect(out).toContain('m=audio 31000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\na=fmtp:18 annexb=no\r\na=ptime:30\r\na=sendrecv\r\n');
    const mux = YEALINK_OFFER + 'a=rtcp-mux\r\n';
    expect(serializeSdp(answer(mux, { rtcpMux: true })!)).toContain('a=rtcp-mux\r\n');
    expect(serializeSdp(answer(mux)!)).not.toContain('a=rtcp-mux');
    expect(serializeSdp(answer(YEALINK_OFFER, { rtcpMux: true })!)).not.toContain('a=rtcp-mux');
  });

  it('null when nothing is supported, only telephone-event matches, the audio is declined, secure or absent (→ 488)', () => {
    expect(answer(BARESIP_OFFER, { supported: ['GSM', 'telephone-event'] })).toBeNull();
    expect(answer(T38_REINVITE)).toBeNull();
    expect(answer(SRTP_OFFER)).toBeNull();
    expect(answer(WEBRTC_OFFER)).toBeNull();
  });
});

describe('telephone-event lists', () => {
  it('parses and formats ranges', () => {
    expect(parseTelephoneEvents('0-15')).toHaveLength(16);
    expect(parseTelephoneEvents('0-11, 16,12-15')).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
    expect(parseTelephoneEvents('5-1')).toBeUndefined();
    expect(parseTelephoneEvents('x')).toBeUndefined();
    expect(parseTelephoneEvents('0-300')).toBeUndefined();
    expect(formatTelephoneEvents([0, 1, 2, 3, 16])).toBe('0-3,16');
    expect(formatTelephoneEvents([7])).toBe('7');
  });

  it('a malformed offer fmtp is read as the default 0-15', () => {
    const out = answer(YEALINK_OFFER.replace('a=fmtp:101 0-15', 'a=fmtp:101 all'))!;
    expect(codecsOf(out.media[0])[1].fmtp).toBe('0-15');
  });
});
