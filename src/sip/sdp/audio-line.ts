// Which m= line is "the call's audio": the stream the PBX anchors through its relay and
// describes to the media engine. The first m=audio line that is live (port ≠ 0) over RTP
// whose profile the policy accepts; every other m= line is declined when we anchor.
import { isRtp } from './parse-sdp.ts';
import type { MediaDescription, SessionDescription } from './session-description.ts';

/**
 * What to do with secure RTP (RTP/SAVP, RTP/SAVPF, UDP/TLS/RTP/SAVPF). The relay forwards
 * packets without touching SRTP, so:
 *  - 'decline' (default): a secure audio line is not ours to take; it is declined (port 0)
 *    and a plain RTP/AVP(F) audio line after it, if any, is used instead;
 *  - 'passthrough': a secure line is anchored like a plain one, keeping a=crypto / a=fingerprint
 *    so SDES or DTLS keys stay end to end between the phones (both legs must speak it, and
 *    the relay must not rewrite payload types or transcode).
 */
export type SrtpPolicy = 'decline' | 'passthrough';

export interface AudioPolicy {
  srtp?: SrtpPolicy;
}

/** RTP over a secure profile (SAVP, SAVPF, UDP/TLS/RTP/SAVP(F)). */
export function isSecureRtp(proto: string): boolean {
  return isRtp(proto) && /SAVPF?$/i.test(proto);
}

/** Whether we can relay this m= line: live audio over RTP, secure only when the policy passes it through. */
export function isAnchorableAudio(m: MediaDescription, policy: AudioPolicy = {}): boolean {
  if (m.type.toLowerCase() !== 'audio' || m.port === 0 || !isRtp(m.proto)) return false;
  return !isSecureRtp(m.proto) || policy.srtp === 'passthrough';
}

/** Index of the call's audio line (see the file comment), or -1 when there is none. */
export function audioIndexOf(desc: SessionDescription, policy: AudioPolicy = {}): number {
  return desc.media.findIndex((m) => isAnchorableAudio(m, policy));
}

/** The call's audio line if there is one, else the first m=audio line (declined or secure), else undefined. */
export function audioMediaOf(desc: SessionDescription, policy: AudioPolicy = {}): MediaDescription | undefined {
  const i = audioIndexOf(desc, policy);
  return i >= 0 ? desc.media[i] : desc.media.find((m) => m.type.toLowerCase() === 'audio');
}
