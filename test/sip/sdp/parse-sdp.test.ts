import { describe, expect, it } from 'vitest';
import { codecsOf, fmtpOf, ptimeOf } from '../../../src/sip/sdp/codecs.ts';
import { MAX_SDP_BYTES, MAX_SDP_MEDIA, parseSdp } from '../../../src/sip/sdp/parse-sdp.ts';
import { SdpError } from '../../../src/sip/sdp/sdp-error.ts';
import { ALL_SAMPLES, BARESIP_OFFER, IAD_HOLD_OFFER, T38_REINVITE, WEBRTC_OFFER, YEALINK_OFFER } from './samples.ts';

/** The SdpError parseSdp throws for `text` (fails the test if it throws nothing or something else). */
function errorOf(text: string): SdpError {
  try {
    parseSdp(text);
  } catch (e) {
    expect(e).toBeInstanceOf(SdpError);
    return e as SdpError;
  }
  throw new Error('parseSdp accepted the body');
}

const HEAD = ['v=0', 'o=- 1 1 IN IP4 192.0.2.1', 's=-', 'c=IN IP4 192.0.2.1', 't=0 0'];
const lines = (...rest: string[]) => [...HEAD, ...rest].join('\r\n') + '\r\n';

describe('parseSdp: the session', () => {
  it('reads v=, o=, s=, c=, t= and session attributes', () => {
    const d = parseSdp(BARESIP_OFFER);
    expect(d.version).toBe(0);
    expect(d.origin).toEqual({ username: '-', sessionId: '1793421806', sessionVersion: '1620098282', netType: 'IN', addrType: 'IP4', address: '10.0.0.5' });
    expect(d.name).toBe('-');
    expect(d.connection).toEqual({ netType: 'IN', addrType: 'IP4', address: '10.0.0.5' });
    expect(d.timings).toEqual([{ start: '0', stop: '0', repeats: [] }]);
    expect(d.attributes).toEqual([{ kind: 'other', name: 'tool', value: 'baresip 3.10.1' }]);
    expect(d.media).toHaveLength(1);
  });

  it('keeps session ids beyond 2^53 exactly', () => {
    expect(parseSdp(WEBRTC_OFFER).origin.sessionId).toBe('4611731400430051336');
  });

  it('reads i= u= e= p= b= r= z= k= and a multicast c= suffix', () => {
    const d = parseSdp([
      'v=0', 'o=jdoe 2890844526 2890842807 IN IP4 10.47.16.5', 's=SDP Seminar', 'i=A Seminar', 'u=http://www.example.com/seminars/sdp.pdf',
      'e=j.doe@example.com (Jane Doe)', 'p=+1 617 555-6011', 'c=IN IP4 224.2.17.12/127', 'b=CT:128', 't=2873397496 2873404696',
      'r=7d 1h 0 25h', 'z=2882844526 -1h', 'k=prompt', 'a=recvonly', 'm=audio 49170 RTP/AVP 0',
    ].join('\n'));
    expect(d).toMatchObject({
      info: 'A Seminar', uri: 'http://www.example.com/seminars/sdp.pdf', emails: ['j.doe@example.com (Jane Doe)'], phones: ['+1 617 555-6011'],
      connection: { netType: 'IN', addrType: 'IP4', address: '224.2.17.12', multicast: '/127' }, bandwidths: ['CT:128'],
      timings: [{ start: '2873397496', stop: '2873404696', repeats: ['7d 1h 0 25h'] }], zone: '2882844526 -1h', key: 'prompt',
      attributes: [{ kind: 'direction', direction: 'recvonly' }],
    });
  });

  it('accepts LF line ends, trailing whitespace, blank lines and a body without t=', () => {
    const d = parseSdp('v=0 \no=- 1 2 IN IP4 192.0.2.1\t\ns=-\n\nc=IN IP4 192.0.2.1  \r\nm=audio 4000 RTP/AVP 0 \na=sendrecv \n\n');
    expect(d.timings).toEqual([{ start: '0', stop: '0', repeats: [] }]);
    expect(d.media[0]).toMatchObject({ port: 4000, formats: ['0'], attributes: [{ kind: 'direction', direction: 'sendrecv' }] });
  });

  it('reads a body without s= as s=-', () => {
    expect(parseSdp('v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n').name).toBe('-');
  });

  it('reads IPv6 addresses', () => {
    const d = parseSdp('v=0\r\no=- 1 2 IN IP6 2001:db8::1\r\ns=-\r\nc=IN IP6 2001:db8::1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 8\r\n');
    expect(d.connection).toEqual({ netType: 'IN', addrType: 'IP6', address: '2001:db8::1' });
  });
});

describe('parseSdp: media', () => {
  it('reads m= lines, rtpmap, fmtp, ptime and direction of a desk phone, in order', () => {
    const m = parseSdp(YEALINK_OFFER).media[0];
    expect(m).toMatchObject({ type: 'audio', port: 11780, proto: 'RTP/AVP', formats: ['8', '0', '9', '18', '101'] });
    expect(m.portCount).toBeUndefined();
    expect(m.attributes).toEqual([
      { kind: 'rtpmap', pt: 8, name: 'PCMA', rate: 8000 },
      { kind: 'rtpmap', pt: 0, name: 'PCMU', rate: 8000 },
      { kind: 'rtpmap', pt: 9, name: 'G722', rate: 8000 },
      { kind: 'rtpmap', pt: 18, name: 'G729', rate: 8000 },
      { kind: 'fmtp', format: '18', params: 'annexb=no' },
      { kind: 'ptime', ms: 20 },
      { kind: 'direction', direction: 'sendrecv' },
      { kind: 'rtpmap', pt: 101, name: 'telephone-event', rate: 8000 },
      { kind: 'fmtp', format: '101', params: '0-15' },
    ]);
    expect(codecsOf(m).map((c) => `${c.pt} ${c.name}/${c.rate}`)).toEqual(['8 PCMA/8000', '0 PCMU/8000', '9 G722/8000', '18 G729/8000', '101 telephone-event/8000']);
    expect(fmtpOf(m, '101')).toBe('0-15');
    expect(ptimeOf(m)).toBe(20);
  });

  it('reads rtpmap channels, media-level c=, a=rtcp with address, rtcp-mux, and keeps every other line verbatim', () => {
    const m = parseSdp(WEBRTC_OFFER).media[0];
    expect(m.connection).toEqual({ netType: 'IN', addrType: 'IP4', address: '198.51.100.7' });
    expect(m.attributes[0]).toEqual({ kind: 'rtcp', port: 9, netType: 'IN', addrType: 'IP4', address: '0.0.0.0' });
    expect(m.attributes).toContainEqual({ kind: 'rtcp-mux' });
    expect(m.attributes).toContainEqual({ kind: 'rtpmap', pt: 111, name: 'opus', rate: 48000, channels: 2 });
    expect(m.attributes).toContainEqual({ kind: 'other', name: 'fingerprint', value: 'sha-256 49:66:12:17:0D:1C:91:AE:57:4C:C6:36:DD:D5:97:D2:7D:62:C9:9A:7F:B9:A3:F4:70:03:E7:43:91:73:23:5E' });
    const others = m.attributes.filter((a) => a.kind === 'other').map((a) => (a.kind === 'other' ? a.name : ''));
    expect(others).toEqual(['candidate', 'candidate', 'ice-ufrag', 'ice-pwd', 'ice-options', 'fingerprint', 'setup', 'mid', 'extmap', 'msid', 'rtcp-fb', 'ssrc']);
    expect(parseSdp(WEBRTC_OFFER).attributes).toContainEqual({ kind: 'other', name: 'msid-semantic', value: ' WMS 8a9f' });
  });

  it('names static payload types without a=rtpmap from the RFC 3551 table', () => {
    const m = parseSdp(lines('m=audio 4000 RTP/AVP 0 8 18 3 9 13 4')).media[0];
    expect(codecsOf(m).map((c) => c.name)).toEqual(['PCMU', 'PCMA', 'G729', 'GSM', 'G722', 'CN', 'G723']);
    expect(codecsOf(parseSdp(IAD_HOLD_OFFER).media[0])).toEqual([
      { pt: 8, name: 'PCMA', rate: 8000 },
      { pt: 18, name: 'G729', rate: 8000, channels: 1, fmtp: 'annexb=no' },
      { pt: 101, name: 'telephone-event', rate: 8000, fmtp: '0-15' },
    ]);
  });

  it('leaves out a dynamic payload type that has no a=rtpmap, and tolerates an a=rtpmap for an absent one', () => {
    const m = parseSdp(lines('m=audio 4000 RTP/AVP 8 97', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:96 opus/48000/2')).media[0];
    expect(codecsOf(m).map((c) => c.pt)).toEqual([8]);
    expect(m.attributes).toContainEqual({ kind: 'rtpmap', pt: 96, name: 'opus', rate: 48000, channels: 2 });
  });

  it('reads a port count, maxptime, non-RTP formats, and a declined line without formats', () => {
    const d = parseSdp(lines('m=audio 49170/2 RTP/AVP 0', 'a=maxptime:150', 'a=ptime:20.5', 'm=video 0 RTP/AVP', 'm=image 40010 udptl t38'));
    expect(d.media[0]).toMatchObject({ port: 49170, portCount: 2, attributes: [{ kind: 'maxptime', ms: 150 }, { kind: 'ptime', ms: 20.5 }] });
    expect(d.media[1]).toMatchObject({ type: 'video', port: 0, formats: [] });
    expect(d.media[2]).toMatchObject({ type: 'image', proto: 'udptl', formats: ['t38'] });
    expect(codecsOf(d.media[2])).toEqual([]);
  });

  it('reads the T.38 re-INVITE: declined audio without c= trouble, image with its attributes', () => {
    const d = parseSdp(T38_REINVITE);
    expect(d.media.map((m) => `${m.type} ${m.port}`)).toEqual(['audio 0', 'image 40010']);
    expect(d.media[1].attributes[0]).toEqual({ kind: 'other', name: 'T38FaxVersion', value: '0' });
  });

  it('reads every sample', () => {
    for (const [name, text] of Object.entries(ALL_SAMPLES)) expect(() => parseSdp(text), name).not.toThrow();
  });
});

describe('parseSdp: what it refuses, with the line and what is wrong', () => {
  const cases: Array<[string, string, string]> = [
    ['no v=', 'o=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\n', 'line 1: an SDP body starts with v=0, found "o=- 1 1 IN IP4 192.0.2.1"'],
    ['garbage', 'hello world\r\n', 'line 1: expected <type>=<value>, found "hello world"'],
    ['HTML', '\n<html><body>x</body></html>', 'line 2: expected <type>=<value>, found "<html><body>x</body></html>"'],
    ['v=1', 'v=1\r\n', 'line 1: unsupported SDP version "1" (only v=0)'],
    ['bad m= port', lines('m=audio abc RTP/AVP 0'), 'line 6: m= port "abc" is not a number 0-65535'],
    ['m= port too large', lines('m=audio 70000 RTP/AVP 0'), 'line 6: m= port "70000" is not a number 0-65535'],
    ['port count 0', lines('m=audio 4000/0 RTP/AVP 0'), 'line 6: m= port count "0" must be at least 1'],
    ['short m=', lines('m=audio 4000'), 'line 6: m= needs "<media> <port> <proto> <format> …", found "audio 4000"'],
    ['no formats', lines('m=audio 4000 RTP/AVP'), 'line 6: m=audio lists no formats'],
    ['bad payload type', lines('m=audio 4000 RTP/AVP 0 200'), 'line 6: m= format "200" is not an RTP payload type 0-127'],
    ['o= short', 'v=0\r\no=- 1 IN IP4 192.0.2.1\r\n', 'line 2: o= needs 6 fields (username sess-id sess-version nettype addrtype address), found 5'],
    ['o= ids', 'v=0\r\no=- abc 1 IN IP4 192.0.2.1\r\n', 'line 2: o= session id and version must be numbers, found "abc" and "1"'],
    ['no o=', 'v=0\r\ns=-\r\nc=IN IP4 192.0.2.1\r\n', 'SDP body has no o= line'],
    ['c= bad IPv4', lines('m=audio 4000 RTP/AVP 0', 'c=IN IP4 300.1.2.3'), 'line 7: c= address "300.1.2.3" is not an IPv4 address or host name'],
    ['c= bad IPv6', lines('m=audio 4000 RTP/AVP 0', 'c=IN IP6 2001:db8::zz'), 'line 7: c= address "2001:db8::zz" is not an IPv6 address or host name'],
    ['c= fields', lines('m=audio 4000 RTP/AVP 0', 'c=IN IP4'), 'line 7: c= needs "<nettype> <addrtype> <address>", found "IN IP4"'],
    ['no address at all', 'v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\nm=audio 0 RTP/AVP 0\r\nm=audio 4000 RTP/AVP 0\r\n', 'line 6: m=audio has no c= line and the session has none'],
    ['second session c=', lines('c=IN IP4 192.0.2.2'), 'line 6: second c= line in the session description'],
    ['second media c=', lines('m=audio 4000 RTP/AVP 0', 'c=IN IP4 192.0.2.2', 'c=IN IP4 192.0.2.3'), 'line 8: second c= line in the m=audio section'],
    ['session line after m=', lines('m=audio 4000 RTP/AVP 0', 't=0 0'), 'line 7: t= belongs before the first m= line'],
    ['unknown type', lines('x=1'), 'line 6: unknown line type "x="'],
    ['t= garbage', 'v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=now\r\n', 'line 4: t= needs "<start> <stop>" times, found "now"'],
    ['r= before t=', 'v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\nr=7d 1h 0\r\n', 'line 3: r= must follow a t= line'],
    ['b= garbage', lines('b=lots'), 'line 6: b= needs "<type>:<kbit/s>", found "lots"'],
    ['bad rtpmap', lines('m=audio 4000 RTP/AVP 96', 'a=rtpmap:96 opus'), 'line 7: a=rtpmap "96 opus" is not "<payload type> <encoding>/<clock rate>[/<channels>]"'],
    ['rtpmap pt 200', lines('m=audio 4000 RTP/AVP 96', 'a=rtpmap:200 opus/48000'), 'line 7: a=rtpmap payload type 200 is not 0-127'],
    ['rtpmap rate 0', lines('m=audio 4000 RTP/AVP 96', 'a=rtpmap:96 opus/0'), 'line 7: a=rtpmap clock rate must not be 0'],
    ['rtpmap twice', lines('m=audio 4000 RTP/AVP 96', 'a=rtpmap:96 opus/48000/2', 'a=rtpmap:96 PCMA/8000'), 'line 8: second a=rtpmap for payload type 96'],
    ['bad ptime', lines('m=audio 4000 RTP/AVP 0', 'a=ptime:twenty'), 'line 7: a=ptime "twenty" is not a positive number of milliseconds'],
    ['ptime 0', lines('m=audio 4000 RTP/AVP 0', 'a=ptime:0'), 'line 7: a=ptime "0" is not a positive number of milliseconds'],
    ['bad rtcp', lines('m=audio 4000 RTP/AVP 0', 'a=rtcp:99999'), 'line 7: a=rtcp "99999" is not "<port> [<nettype> <addrtype> <address>]"'],
    ['rtcp address', lines('m=audio 4000 RTP/AVP 0', 'a=rtcp:4001 IN IP4 1.2.3'), 'line 7: a=rtcp address "1.2.3" is not an address'],
    ['rtcp-mux value', lines('m=audio 4000 RTP/AVP 0', 'a=rtcp-mux:yes'), 'line 7: a=rtcp-mux takes no value'],
    ['direction value', lines('m=audio 4000 RTP/AVP 0', 'a=sendonly:1'), 'line 7: a=sendonly takes no value'],
    ['two directions', lines('m=audio 4000 RTP/AVP 0', 'a=sendrecv', 'a=inactive'), 'line 8: second direction attribute (a=inactive) in the same m= section'],
    ['bad attribute name', lines('a=foo bar'), 'line 6: a= attribute name "foo bar" is not a token'],
    ['control character', lines('s\u0000=x'), 'line 6: control character 0x00 at column 2'],
    ['bare CR', 'v=0\ro=- 1 1 IN IP4 192.0.2.1\r\n', 'line 1: control character 0x0d at column 4'],
    ['empty', ' \r\n\r\n', 'SDP body is empty'],
  ];
  for (const [what, text, message] of cases) {
    it(what, () => {
      expect(errorOf(text).message).toBe(message);
    });
  }

  it('carries the line number as a property', () => {
    const e = errorOf(lines('m=audio x RTP/AVP 0'));
    expect(e.line).toBe(6);
    expect(e.name).toBe('SdpError');
    expect(errorOf('').line).toBeUndefined();
  });

  it('refuses a body over 16 KiB before reading it', () => {
    const big = lines('m=audio 4000 RTP/AVP 0') + `a=x-pad:${'p'.repeat(MAX_SDP_BYTES)}\r\n`;
    expect(errorOf(big).message).toBe(`SDP body is ${big.length} bytes; at most 16384 are accepted`);
    const justUnder = lines('m=audio 4000 RTP/AVP 0');
    expect(() => parseSdp(justUnder + `a=x-pad:${'p'.repeat(MAX_SDP_BYTES - justUnder.length - 10)}\r\n`)).not.toThrow();
  });

  it('refuses more than 64 m= lines, naming the 65th', () => {
    const media = Array.from({ length: MAX_SDP_MEDIA + 1 }, (_, i) => `m=audio ${4000 + 2 * i} RTP/AVP 0`);
    expect(() => parseSdp(lines(...media.slice(0, MAX_SDP_MEDIA)))).not.toThrow();
    expect(errorOf(lines(...media)).message).toBe(`line ${HEAD.length + MAX_SDP_MEDIA + 1}: more than 64 m= lines`);
  });

  it('refuses what is not a string with an SdpError', () => {
    expect(errorOf(undefined as unknown as string).message).toBe('SDP body is not text');
    expect(errorOf(42 as unknown as string).message).toBe('SDP body is not text');
  });

  it('throws nothing but SdpError for mangled versions of every sample', () => {
    // Cut each sample at every line and at every tenth character, and swap characters in: each must parse or fail with SdpError.
    for (const text of Object.values(ALL_SAMPLES)) {
      for (let i = 0; i < text.length; i += 10) {
        for (const mangled of [text.slice(0, i), text.slice(i), text.slice(0, i) + '=' + text.slice(i + 1), text.slice(0, i) + ' ' + text.slice(i + 1)]) {
          try {
            parseSdp(mangled);
          } catch (e) {
            expect(e).toBeInstanceOf(SdpError);
          }
        }
      }
    }
  });
});
