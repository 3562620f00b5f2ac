// SIP INFO DTMF bodies, both kinds in the wild:
//   application/dtmf-relay   "Signal=5\r\nDuration=160\r\n"  (Cisco; Duration in ms)
//   application/dtmf         "5"                              (bare key)
// Peer input: parsing never throws; it returns a result with a typed error. Tolerant of case,
// spaces around '=' and the value, bare LF or CR line ends, extra lines, a trailing NUL, event
// numbers for keys (Signal=10 is '*', 11 '#', 16 flash) and lower-case a–d.

import { digitToEvent, eventToDigit, toDtmfDigit, type DtmfDigit } from './dtmf-digit.ts';
import { buildDtmfEvent, type DtmfSendOptions, type DtmfSendPlan } from './dtmf-sender.ts';

export type DtmfInfoContentType = 'application/dtmf-relay' | 'application/dtmf';

export interface SipInfoDtmf {
  digit: DtmfDigit;
  /** Duration in ms when the body gave one. */
  durationMs?: number;
}

export type DtmfInfoErrorCode =
  | 'unsupported-content-type' // not a DTMF body: the call layer answers 415 or passes it on
  | 'too-large'
  | 'empty'
  | 'no-signal' // dtmf-relay without a Signal line
  | 'bad-signal'
  | 'bad-duration';

export class DtmfInfoError extends Error {
  constructor(readonly code: DtmfInfoErrorCode, detail?: string) {
    super(detail ? `${code}: ${detail}` : code);
    this.name = 'DtmfInfoError';
  }
}

export type DtmfInfoParseResult = { ok: true; dtmf: SipInfoDtmf } | { ok: false; error: DtmfInfoError };

/** Bodies longer than this are not DTMF (real ones are under 40 bytes). */
export const MAX_DTMF_INFO_BODY = 512;
/** Longest Duration accepted (a key held for a minute is junk, or a stuck phone). */
export const MAX_DTMF_INFO_DURATION_MS = 60_000;

/** The media type of a Content-Type header value (lower case, parameters dropped), or undefined. */
export function dtmfInfoContentType(contentType: string | undefined): DtmfInfoContentType | undefined {
  if (typeof contentType !== 'string') return undefined;
  const type = contentType.split(';', 1)[0]!.trim().toLowerCase();
  return type === 'application/dtmf-relay' || type === 'application/dtmf' ? type : undefined;
}

/** Parses an INFO body given its Content-Type header value. */
export function parseDtmfInfo(contentType: string | undefined, body: string | Uint8Array | undefined): DtmfInfoParseResult {
  const type = dtmfInfoContentType(contentType);
  if (type === undefined) return fail('unsupported-content-type', String(contentType ?? '').slice(0, 64));
  if (body === undefined) return fail('empty');
  if (body.length > MAX_DTMF_INFO_BODY) return fail('too-large', `${body.length} bytes`);
  const text = (typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('latin1')).replace(/\0+$/, '');
  if (text.trim() === '') return fail('empty');
  // Some phones send key=value bodies as application/dtmf, and bare keys as dtmf-relay.
  return text.includes('=') ? parseRelay(text) : parseBare(text);
}

function parseRelay(text: string): DtmfInfoParseResult {
  let signal: string | undefined;
  let duration: string | undefined;
  for (const line of text.split(/\r\n|\r|\n/)) {
    const eq = line.indexOf('=');
    if (eq < 0) {
      if (line.trim() !== '') return fail('bad-signal', 'line without "="');
      continue;
    }
    const key = line.slice(0, eq).trim().toLowerCase();
    const value = line.slice(eq + 1).trim();
    if (key === 'signal') {
      if (signal !== undefined) return fail('bad-signal', 'two Signal lines');
      signal = value;
    } else if (key === 'duration') {
      if (duration !== undefined) return fail('bad-duration', 'two Duration lines');
      duration = value;
    }
    // Other keys (e.g. Volume) are ignored.
  }
  if (signal === undefined) return fail('no-signal');
  const digit = parseSignal(signal);
  if (digit === undefined) return fail('bad-signal', JSON.stringify(signal.slice(0, 16)));
  if (duration === undefined || duration === '') return { ok: true, dtmf: { digit } };
  if (!/^\d{1,6}$/.test(duration)) return fail('bad-duration', JSON.stringify(duration.slice(0, 16)));
  const durationMs = Number(duration);
  if (durationMs > MAX_DTMF_INFO_DURATION_MS) return fail('bad-duration', duration);
  // Duration=0 means "unknown" on some phones: leave it out rather than report a zero-length key.
  return { ok: true, dtmf: durationMs > 0 ? { digit, durationMs } : { digit } };
}

function parseBare(text: string): DtmfInfoParseResult {
  const digit = parseSignal(text.trim());
  return digit === undefined ? fail('bad-signal', JSON.stringify(text.trim().slice(0, 16))) : { ok: true, dtmf: { digit } };
}

/** One key: a character (0–9 * # A–D a–d !) or an event number 0–16. */
function parseSignal(value: string): DtmfDigit | undefined {
  if (value.length === 1) return toDtmfDigit(value);
  if (/^\d{2}$/.test(value)) return eventToDigit(Number(value));
  return undefined;
}

/** Formats a body for INFO. Flash is sent as Signal=16 / "16" (event number). */
export function formatDtmfInfo(
  contentType: DtmfInfoContentType,
  dtmf: SipInfoDtmf,
): { contentType: DtmfInfoContentType; body: string } {
  const event = digitToEvent(dtmf.digit);
  if (event === undefined) throw new RangeError(`not a DTMF digit: ${JSON.stringify(dtmf.digit)}`);
  const signal = event === 16 ? '16' : dtmf.digit.toUpperCase();
  if (contentType === 'application/dtmf') return { contentType, body: signal };
  const duration = Math.max(0, Math.round(dtmf.durationMs ?? 100));
  return { contentType, body: `Signal=${signal}\r\nDuration=${duration}\r\n` };
}

function fail(code: DtmfInfoErrorCode, detail?: string): DtmfInfoParseResult {
  return { ok: false, error: new DtmfInfoError(code, detail) };
}

// ---- bridging INFO and RFC 4733, for the call layer ----

/**
 * INFO received on one leg → the RFC 4733 packets to send on the other. The INFO's Duration is
 * used when given (clamped to 40 ms–`maxDurationMs`), else `defaultDurationMs` (100 ms).
 */
export function sipInfoToRtpEvents(
  dtmf: SipInfoDtmf,
  stream: Omit<DtmfSendOptions, 'durationMs'> & { defaultDurationMs?: number; maxDurationMs?: number },
): DtmfSendPlan {
  const durationMs = Math.min(dtmf.durationMs ?? stream.defaultDurationMs ?? 100, stream.maxDurationMs ?? 5000);
  return buildDtmfEvent(dtmf.digit, { ...stream, durationMs });
}

/** A digit from the RFC 4733 receiver (or the tone detector) → the INFO body for the other leg. */
export function rtpEventToSipInfo(
  e: { digit: DtmfDigit; durationMs?: number },
  contentType: DtmfInfoContentType = 'application/dtmf-relay',
): { contentType: DtmfInfoContentType; body: string } {
  return formatDtmfInfo(contentType, e.durationMs !== undefined && e.durationMs > 0 ? { digit: e.digit, durationMs: e.durationMs } : { digit: e.digit });
}
