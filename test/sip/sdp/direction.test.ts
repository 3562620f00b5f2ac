import { describe, expect, it } from 'vitest';
import { answerDirection, directionOf, isOnHold, mediaDirectionOf, withDirection } from '../../../src/sip/sdp/direction.ts';
import { parseSdp } from '../../../src/sip/sdp/parse-sdp.ts';
import { serializeSdp } from '../../../src/sip/sdp/serialize-sdp.ts';
import { ASTERISK_ANSWER, IAD_HOLD_OFFER, SIPP_OFFER, T38_REINVITE, VIDEO_PHONE_OFFER, YEALINK_HOLD, YEALINK_OFFER } from './samples.ts';

const HEAD = 'v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n';

describe('directionOf / isOnHold', () => {
  it('reads the audio line, defaulting to sendrecv', () => {
    expect(directionOf(parseSdp(YEALINK_OFFER))).toBe('sendrecv');
    expect(directionOf(parseSdp(SIPP_OFFER))).toBe('sendrecv');
    expect(directionOf(parseSdp(YEALINK_HOLD))).toBe('sendonly');
    expect(isOnHold(parseSdp(YEALINK_OFFER))).toBe(false);
    expect(isOnHold(parseSdp(ASTERISK_ANSWER))).toBe(false);
    expect(isOnHold(parseSdp(YEALINK_HOLD))).toBe(true);
  });

  it('a media direction overrides the session one; a session one applies when the media has none', () => {
    const d = parseSdp(`${HEAD}a=inactive\r\nm=audio 4000 RTP/AVP 0\r\na=sendrecv\r\nm=video 4002 RTP/AVP 99\r\na=rtpmap:99 H264/90000\r\n`);
    expect(directionOf(d)).toBe('sendrecv');
    expect(mediaDirectionOf(d, d.media[1])).toBe('inactive');
    const s = parseSdp(`${HEAD}a=inactive\r\nm=audio 4000 RTP/AVP 0\r\n`);
    expect(directionOf(s)).toBe('inactive');
    expect(isOnHold(s)).toBe(true);
  });

  it('c=0.0.0.0 is a hold, whatever the direction; recvonly is not', () => {
    expect(directionOf(parseSdp(IAD_HOLD_OFFER))).toBe('sendrecv');
    expect(isOnHold(parseSdp(IAD_HOLD_OFFER))).toBe(true);
    expect(isOnHold(parseSdp(`${HEAD}m=audio 4000 RTP/AVP 0\r\nc=IN IP6 ::\r\n`))).toBe(true);
    expect(isOnHold(parseSdp(`${HEAD}m=audio 4000 RTP/AVP 0\r\na=recvonly\r\n`))).toBe(false);
  });

  it('a declined audio line is not a hold', () => {
    expect(isOnHold(parseSdp(T38_REINVITE.replace('m=audio 0 RTP/AVP 8', 'm=audio 0 RTP/AVP 8\r\na=inactive')))).toBe(false);
  });
});

describe('withDirection', () => {
  it('replaces the direction where it stood, leaving the input alone', () => {
    const offer = parseSdp(YEALINK_OFFER);
    const held = withDirection(offer, 'sendonly');
    expect(serializeSdp(held)).toBe(YEALINK_OFFER.replace('a=sendrecv', 'a=sendonly'));
    expect(directionOf(offer)).toBe('sendrecv');
    expect(isOnHold(held)).toBe(true);
  });

  it('adds one to every live line without one, drops the session one, skips declined lines', () => {
    const d = parseSdp(`${HEAD}a=sendonly\r\nm=audio 4000 RTP/AVP 0\r\nm=video 0 RTP/AVP 99\r\nm=video 4002 RTP/AVP 99\r\na=rtpmap:99 H264/90000\r\n`);
    const out = withDirection(d, 'inactive');
    expect(out.attributes).toEqual([]);
    expect(out.media.map((m) => m.attributes.filter((a) => a.kind === 'direction'))).toEqual([
      [{ kind: 'direction', direction: 'inactive' }], [], [{ kind: 'direction', direction: 'inactive' }],
    ]);
    expect(serializeSdp(withDirection(parseSdp(VIDEO_PHONE_OFFER), 'recvonly')).match(/a=recvonly/g)).toHaveLength(2);
  });

  it('takes a call off hold', () => {
    expect(isOnHold(withDirection(parseSdp(YEALINK_HOLD), 'sendrecv'))).toBe(false);
  });
});

describe('answerDirection (RFC 3264 §6.1)', () => {
  it('mirrors', () => {
    expect(answerDirection('sendonly')).toBe('recvonly');
    expect(answerDirection('recvonly')).toBe('sendonly');
    expect(answerDirection('inactive')).toBe('inactive');
    expect(answerDirection('sendrecv')).toBe('sendrecv');
  });
});
