// The codecs an m= line offers: its formats in order, named by a=rtpmap or, for static
// payload types without one, by the RFC 3551 table; with their a=fmtp parameters.
import { isRtp } from './parse-sdp.ts';
import type { MediaDescription, RtpmapAttribute } from './session-description.ts';
import { staticPayloadType } from './static-payload-types.ts';

export interface SdpCodec {
  pt: number;
  /** As the SDP spells it; compare case-insensitively. */
  name: string;
  rate: number;
  channels?: number;
  /** The a=fmtp parameters for this payload type, raw. */
  fmtp?: string;
}

/**
 * The m= line's codecs in preference order. A dynamic payload type (96–127, or any number the
 * RFC 3551 table does not assign) without an a=rtpmap has no name and is left out — the SDP
 * is wrong there, and a nameless codec cannot be matched by name. Non-RTP lines have none.
 */
export function codecsOf(m: MediaDescription): SdpCodec[] {
  if (!isRtp(m.proto)) return [];
  const out: SdpCodec[] = [];
  for (const format of m.formats) {
    const pt = Number(format);
    const map = rtpmapOf(m, pt);
    const known = map ?? staticPayloadType(pt);
    if (known === undefined) continue;
    const c: SdpCodec = { pt, name: known.name, rate: known.rate };
    if (known.channels !== undefined) c.channels = known.channels;
    const fmtp = fmtpOf(m, format);
    if (fmtp !== undefined) c.fmtp = fmtp;
    out.push(c);
  }
  return out;
}

/** The a=rtpmap for a payload type, if the line has one. */
export function rtpmapOf(m: MediaDescription, pt: number): RtpmapAttribute | undefined {
  for (const a of m.attributes) if (a.kind === 'rtpmap' && a.pt === pt) return a;
  return undefined;
}

/** The (first) a=fmtp parameters for a format, if any. */
export function fmtpOf(m: MediaDescription, format: string): string | undefined {
  for (const a of m.attributes) if (a.kind === 'fmtp' && a.format === format) return a.params;
  return undefined;
}

/** a=ptime in milliseconds, if given. */
export function ptimeOf(m: MediaDescription): number | undefined {
  for (const a of m.attributes) if (a.kind === 'ptime') return a.ms;
  return undefined;
}

/** telephone-event (RFC 4733) and comfort noise ride along with a voice codec; alone they carry no call. */
export function isAuxiliaryCodec(name: string): boolean {
  const n = name.toLowerCase();
  return n === 'telephone-event' || n === 'cn';
}

/** Case-insensitive encoding name comparison. */
export function sameCodecName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
