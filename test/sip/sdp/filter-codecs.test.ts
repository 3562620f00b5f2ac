import { describe, expect, it } from 'vitest';
import { codecsOf } from '../../../src/sip/sdp/codecs.ts';
import { filterCodecs } from '../../../src/sip/sdp/filter-codecs.ts';
import { parseSdp } from '../../../src/sip/sdp/parse-sdp.ts';
import { serializeSdp } from '../../../src/sip/sdp/serialize-sdp.ts';
import { IAD_HOLD_OFFER, ICE_SOFTPHONE_OFFER, SRTP_OFFER, T38_REINVITE, VIDEO_PHONE_OFFER, WEBRTC_OFFER, YEALINK_OFFER } from './samples.ts';

const G711_DTMF = ['PCMA', 'PCMU', 'telephone-event'];

describe('filterCodecs', () => {
  it('keeps the allowed encodings in the offerer\'s order with their rtpmap and fmtp lines', () => {
    const out = filterCodecs(parseSdp(YEALINK_OFFER), G711_DTMF)!;
    expect(serializeSdp(out)).toBe(YEALINK_OFFER
      .replace('m=audio 11780 RTP/AVP 8 0 9 18 101', 'm=audio 11780 RTP/AVP 8 0 101')
      .replace('a=rtpmap:9 G722/8000\r\na=rtpmap:18 G729/8000\r\na=fmtp:18 annexb=no\r\n', ''));
  });

  it('compares names case-insensitively, and names static payload types from the table', () => {
    const out = filterCodecs(parseSdp(IAD_HOLD_OFFER), ['g729', 'TELEPHONE-EVENT'])!;
    expect(out.media[0].formats).toEqual(['18', '101']);
    expect(codecsOf(out.media[0])).toEqual([
      { pt: 18, name: 'G729', rate: 8000, channels: 1, fmtp: 'annexb=no' },
      { pt: 101, name: 'telephone-event', rate: 8000, fmtp: '0-15' },
    ]);
  });

  it('drops a=rtcp-fb of removed payload types, keeps the wildcard ones and everything else', () => {
    const out = serializeSdp(filterCodecs(parseSdp(ICE_SOFTPHONE_OFFER), G711_DTMF)!);
    expect(out).toContain('m=audio 7078 RTP/AVPF 0 8 101\r\n');
    expect(out).not.toContain('opus');
    expect(out).not.toContain('a=rtcp-fb:96');
    expect(out).toContain('a=rtcp-fb:* trr-int 1000');
    expect(out).toContain('a=ice-ufrag:4fd3a1c2');
  });

  it('null when only telephone-event or CN would be left (the caller answers 488)', () => {
    expect(filterCodecs(parseSdp(YEALINK_OFFER), ['opus', 'telephone-event', 'CN'])).toBeNull();
    expect(filterCodecs(parseSdp(YEALINK_OFFER), [])).toBeNull();
  });

  it('declines one audio line that keeps nothing while another keeps a codec', () => {
    const two = parseSdp(YEALINK_OFFER + 'm=audio 11790 RTP/AVP 96\r\na=rtpmap:96 opus/48000/2\r\n');
    const out = filterCodecs(two, G711_DTMF)!;
    expect(out.media.map((m) => `${m.port} ${m.formats.join(',')}`)).toEqual(['11780 8,0,101', '0 96']);
  });

  it('leaves video alone (anchorSdp declines it) and keeps the input untouched', () => {
    const d = parseSdp(VIDEO_PHONE_OFFER);
    const before = structuredClone(d);
    const out = filterCodecs(d, ['PCMA'])!;
    expect(out.media[0].formats).toEqual(['8']);
    expect(out.media[1]).toEqual(d.media[1]);
    expect(d).toEqual(before);
  });

  it('null for an offer whose only audio is secure RTP under the default policy, or T.38 alone', () => {
    expect(filterCodecs(parseSdp(SRTP_OFFER), G711_DTMF)).toBeNull();
    expect(filterCodecs(parseSdp(WEBRTC_OFFER), G711_DTMF)).toBeNull();
    expect(filterCodecs(parseSdp(SRTP_OFFER), G711_DTMF, { srtp: 'passthrough' })?.media[0].formats).toEqual(['8', '0', '101']);
    expect(filterCodecs(parseSdp(T38_REINVITE), G711_DTMF)).toBeNull();
  });
});
