import { describe, expect, it } from 'vitest';
import {
  DtmfInfoError,
  dtmfInfoContentType,
  formatDtmfInfo,
  parseDtmfInfo,
  rtpEventToSipInfo,
  sipInfoToRtpEvents,
} from '../../src/media/dtmf-sip-info.ts';
import { DtmfReceiver, type DtmfDigitEvent } from '../../src/media/dtmf-receiver.ts';

const ok = (ct: string | undefined, body: string | Uint8Array | undefined) => {
  const r = parseDtmfInfo(ct, body);
  if (!r.ok) throw new Error(`expected ok, got ${r.error.message}`);
  return r.dtmf;
};
const err = (ct: string | undefined, body: string | Uint8Array | undefined) => {
  const r = parseDtmfInfo(ct, body);
  if (r.ok) throw new Error(`expected an error, got ${JSON.stringify(r.dtmf)}`);
  expect(r.error).toBeInstanceOf(DtmfInfoError);
  return r.error.code;
};

describe('SIP INFO DTMF bodies', () => {
  it('parses application/dtmf-relay, tolerant of case, spacing, line ends, extra keys and a NUL', () => {
    expect(ok('application/dtmf-relay', 'Signal=5\r\nDuration=160\r\n')).toEqual({ digit: '5', durationMs: 160 });
    expect(ok('Application/DTMF-Relay; charset=utf-8', 'signal = *\nduration= 250\n')).toEqual({ digit: '*', durationMs: 250 });
    expect(ok('application/dtmf-relay', 'Signal= #\r\n')).toEqual({ digit: '#' });
    expect(ok('application/dtmf-relay', 'SIGNAL=d\rDURATION=100\rVolume=10')).toEqual({ digit: 'D', durationMs: 100 });
    expect(ok('application/dtmf-relay', 'Signal=10\r\nDuration=0\r\n')).toEqual({ digit: '*' });
    expect(ok('application/dtmf-relay', 'Signal=11\r\nDuration=100\r\n')).toEqual({ digit: '#', durationMs: 100 });
    expect(ok('application/dtmf-relay', 'Signal=16\r\nDuration=500\r\n')).toEqual({ digit: '!', durationMs: 500 });
    expect(ok('application/dtmf-relay', 'Signal=!\r\n')).toEqual({ digit: '!' });
    expect(ok('application/dtmf-relay', Buffer.from('Signal=7\r\nDuration=90\r\n\0'))).toEqual({ digit: '7', durationMs: 90 });
    expect(ok('application/dtmf-relay', '\r\nSignal=1\r\n\r\n')).toEqual({ digit: '1' });
  });

  it('parses application/dtmf (bare key), and key=value bodies under either type', () => {
    expect(ok('application/dtmf', '5')).toEqual({ digit: '5' });
    expect(ok('application/dtmf', ' # \r\n')).toEqual({ digit: '#' });
    expect(ok('application/dtmf', 'a')).toEqual({ digit: 'A' });
    expect(ok('application/dtmf', '11')).toEqual({ digit: '#' });
    expect(ok('application/dtmf', 'Signal=3\r\nDuration=120')).toEqual({ digit: '3', durationMs: 120 });
    expect(ok('application/dtmf-relay', '9')).toEqual({ digit: '9' });
  });

  it('rejects junk with a typed error, never a throw', () => {
    expect(err('application/sdp', 'Signal=5')).toBe('unsupported-content-type');
    expect(err(undefined, 'Signal=5')).toBe('unsupported-content-type');
    expect(err('application/dtmf-relay', undefined)).toBe('empty');
    expect(err('application/dtmf-relay', '')).toBe('empty');
    expect(err('application/dtmf-relay', ' \r\n ')).toBe('empty');
    expect(err('application/dtmf-relay', 'x'.repeat(10_000))).toBe('too-large');
    expect(err('application/dtmf-relay', 'Duration=100\r\n')).toBe('no-signal');
    expect(err('application/dtmf-relay', 'Signal=\r\n')).toBe('bad-signal');
    expect(err('application/dtmf-relay', 'Signal=55\r\n')).toBe('bad-signal');
    expect(err('application/dtmf-relay', 'Signal=X\r\n')).toBe('bad-signal');
    expect(err('application/dtmf-relay', 'Signal=12345\r\n')).toBe('bad-signal');
    expect(err('application/dtmf-relay', 'Signal=1\r\nSignal=2\r\n')).toBe('bad-signal');
    expect(err('application/dtmf-relay', 'Signal=1\r\ngarbage\r\n')).toBe('bad-signal');
    expect(err('application/dtmf-relay', 'Signal=1\r\nDuration=-5\r\n')).toBe('bad-duration');
    expect(err('application/dtmf-relay', 'Signal=1\r\nDuration=1e3\r\n')).toBe('bad-duration');
    expect(err('application/dtmf-relay', 'Signal=1\r\nDuration=999999\r\n')).toBe('bad-duration');
    expect(err('application/dtmf', '17')).toBe('bad-signal');
    expect(err('application/dtmf', '5 6')).toBe('bad-signal');
    expect(err('application/dtmf', '\u00e9')).toBe('bad-signal');
    for (const junk of ['=', '==', 'Signal', '\0\0', 'Signal==5', '\uFFFF=\uFFFF']) {
      expect(() => parseDtmfInfo('application/dtmf-relay', junk)).not.toThrow();
      expect(parseDtmfInfo('application/dtmf-relay', junk).ok).toBe(false);
    }
    expect(dtmfInfoContentType('application/dtmf ; x=y')).toBe('application/dtmf');
    expect(dtmfInfoContentType('text/plain')).toBeUndefined();
  });

  it('formats both types and round-trips through the parser', () => {
    expect(formatDtmfInfo('application/dtmf-relay', { digit: '5', durationMs: 160 })).toEqual({
      contentType: 'application/dtmf-relay',
      body: 'Signal=5\r\nDuration=160\r\n',
    });
    expect(formatDtmfInfo('application/dtmf-relay', { digit: '*' }).body).toBe('Signal=*\r\nDuration=100\r\n');
    expect(formatDtmfInfo('application/dtmf-relay', { digit: '!', durationMs: 500 }).body).toBe('Signal=16\r\nDuration=500\r\n');
    expect(formatDtmfInfo('application/dtmf', { digit: '#' })).toEqual({ contentType: 'application/dtmf', body: '#' });
    for (const d of ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#', 'A', 'B', 'C', 'D', '!'] as const) {
      for (const ct of ['application/dtmf-relay', 'application/dtmf'] as const) {
        const f = formatDtmfInfo(ct, { digit: d, durationMs: 120 });
        expect(ok(f.contentType, f.body).digit).toBe(d);
      }
    }
  });

  it('bridges INFO → RFC 4733 packets → receiver → INFO', () => {
    const got: DtmfDigitEvent[] = [];
    const rx = new DtmfReceiver({ payloadType: 101, onDigit: (e) => got.push(e) });
    const info = ok('application/dtmf-relay', 'Signal=8\r\nDuration=250\r\n');
    const plan = sipInfoToRtpEvents(info, { payloadType: 101, ssrc: 7, sequence: 10, timestamp: 8000 });
    for (const p of plan.packets) rx.pushPacket(p.data);
    const noDuration = sipInfoToRtpEvents(ok('application/dtmf', '#'), { payloadType: 101, ssrc: 7, sequence: plan.nextSequence, timestamp: plan.nextTimestamp + 800 });
    for (const p of noDuration.packets) rx.pushPacket(p.data);
    const stuck = sipInfoToRtpEvents({ digit: '1', durationMs: 60_000 }, { payloadType: 101, ssrc: 7, sequence: 0, timestamp: 0, maxDurationMs: 2000 });
    expect(stuck.durationSamples).toBe(16000);
    expect(got.map((e) => [e.digit, e.durationMs])).toEqual([
      ['8', 250],
      ['#', 100],
    ]);
    expect(rtpEventToSipInfo(got[0]!)).toEqual({ contentType: 'application/dtmf-relay', body: 'Signal=8\r\nDuration=250\r\n' });
    expect(rtpEventToSipInfo(got[1]!, 'application/dtmf')).toEqual({ contentType: 'application/dtmf', body: '#' });
  });
});
