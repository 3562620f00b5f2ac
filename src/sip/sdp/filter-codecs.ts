// filterCodecs: narrow what a peer offers to the encodings a tenant, trunk or the relay
// allows, before the offer goes onward. Order (the offerer's preference) is kept.
import { isAnchorableAudio, type AudioPolicy } from './audio-line.ts';
import { codecsOf, isAuxiliaryCodec } from './codecs.ts';
import { declineMedia } from './decline.ts';
import { isRtp } from './parse-sdp.ts';
import type { MediaDescription, SdpAttribute, SessionDescription } from './session-description.ts';

/**
 * A copy in which every live (port ≠ 0) RTP m=audio line lists only the encodings named in
 * `allowed` (case-insensitive, e.g. ['PCMA', 'PCMU', 'telephone-event']), with the a=rtpmap,
 * a=fmtp and a=rtcp-fb lines of the payload types left, in their order. A line left with no
 * voice codec (telephone-event and CN alone carry no call) is declined (port 0). Returns null
 * when no audio line we can anchor under `policy` (audio-line.ts: secure RTP only with
 * 'passthrough') keeps a voice codec — an offer of SRTP alone, or of T.38 alone, included:
 * the caller answers 488. Other m= lines are untouched (anchorSdp declines them).
 */
export function filterCodecs(desc: SessionDescription, allowed: readonly string[], policy: AudioPolicy = {}): SessionDescription | null {
  const names = new Set(allowed.map((n) => n.toLowerCase()));
  // A new description sharing the parts it does not change (descriptions are never mutated in
  // place): structuredClone cost ~15 µs per call set-up, a tenth of the SDP work.
  let voice = false;
  const media = desc.media.map((m): MediaDescription => {
    if (m.type.toLowerCase() !== 'audio' || m.port === 0 || !isRtp(m.proto)) return m;
    const kept = codecsOf(m).filter((c) => names.has(c.name.toLowerCase()));
    if (!kept.some((c) => !isAuxiliaryCodec(c.name))) return declineMedia(m);
    if (isAnchorableAudio(m, policy)) voice = true;
    const pts = new Set(kept.map((c) => c.pt));
    return { ...m, formats: m.formats.filter((f) => pts.has(Number(f))), attributes: m.attributes.filter((a) => keepsAttribute(a, pts)) };
  });
  return voice ? { ...desc, media } : null;
}

/** Whether an attribute survives: payload-type-scoped ones only for payload types kept. */
function keepsAttribute(a: SdpAttribute, pts: ReadonlySet<number>): boolean {
  switch (a.kind) {
    case 'rtpmap':
      return pts.has(a.pt);
    case 'fmtp':
      return /^\d+$/.test(a.format) && pts.has(Number(a.format));
    case 'other':
      if (a.name.toLowerCase() === 'rtcp-fb') {
        const pt = (a.value ?? '').split(' ', 1)[0];
        return pt === '*' || (/^\d+$/.test(pt) && pts.has(Number(pt)));
      }
      return true;
    default:
      return true;
  }
}
