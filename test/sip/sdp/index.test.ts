// The B2BUA's path through the folder's public face (index.ts): a desk phone calls, Asterisk
// answers, the phone holds; each side sees only the PBX, the media engine gets both legs.
import { describe, expect, it } from 'vitest';
import {
  anchorSdp, buildAnswerSdp, filterCodecs, isOnHold, legConfigOf, newSessionId, parseSdp, SdpError, serializeSdp,
} from '../../../src/sip/sdp/index.ts';
import { ASTERISK_ANSWER, YEALINK_HOLD, YEALINK_OFFER } from './samples.ts';

const PBX = '203.0.113.5';
const A_PORTS = { port: 30000, rtcpPort: 30001 };
const B_PORTS = { port: 30002, rtcpPort: 30003 };

describe('sip/sdp through index.ts', () => {
  it('offer → B, answer → A, hold → B', () => {
    const idA = newSessionId();
    const idB = newSessionId();
    const offer = filterCodecs(parseSdp(YEALINK_OFFER), ['PCMA', 'PCMU', 'telephone-event'])!;
    expect(legConfigOf(offer)?.remote).toEqual({ address: '192.168.1.50', port: 11780, rtcpPort: 11781 });

    const toB = parseSdp(serializeSdp(anchorSdp(offer, { address: PBX, ...B_PORTS, sessionId: idB, sessionVersion: 1 })));
    expect(legConfigOf(toB)).toEqual({
      remote: { address: PBX, port: 30002, rtcpPort: 30003 },
      codecs: [{ pt: 8, name: 'PCMA' }, { pt: 0, name: 'PCMU' }, { pt: 101, name: 'telephone-event' }],
      rtcpMux: false,
    });

    const answer = filterCodecs(parseSdp(ASTERISK_ANSWER), ['PCMA', 'PCMU', 'telephone-event'])!;
    expect(legConfigOf(answer)?.remote).toEqual({ address: '203.0.113.10', port: 17230, rtcpPort: 17231 });
    const toA = parseSdp(serializeSdp(anchorSdp(answer, { address: PBX, ...A_PORTS, sessionId: idA, sessionVersion: 1 })));
    expect(toA.origin).toMatchObject({ sessionId: idA, sessionVersion: '1', address: PBX });
    expect(legConfigOf(toA)?.remote).toEqual({ address: PBX, port: 30000, rtcpPort: 30001 });

    const hold = filterCodecs(parseSdp(YEALINK_HOLD), ['PCMA', 'PCMU', 'telephone-event'])!;
    const holdToB = anchorSdp(hold, { address: PBX, ...B_PORTS, sessionId: idB, sessionVersion: 2 });
    expect(isOnHold(holdToB)).toBe(true);
    expect(holdToB.origin).toMatchObject({ sessionId: idB, sessionVersion: '2' });
  });

  it('the IVR answers, and bad bodies are SdpErrors', () => {
    const a = buildAnswerSdp(parseSdp(YEALINK_OFFER), { address: PBX, port: 30000, supported: ['PCMA', 'telephone-event'], sessionId: '1', sessionVersion: 1 });
    expect(a?.media[0].formats).toEqual(['8', '101']);
    expect(() => parseSdp('INVITE sip:x SIP/2.0')).toThrow(SdpError);
  });
});
