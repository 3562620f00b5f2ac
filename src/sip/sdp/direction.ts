// Media direction (RFC 3264 §5.1, §6.1, §8.4): read it, set it, mirror it, and tell a hold.
import { audioMediaOf, type AudioPolicy } from './audio-line.ts';
import { connectionOf, isNullAddress } from './connection.ts';
import type { Direction, MediaDescription, SdpAttribute, SessionDescription } from './session-description.ts';

/** The direction attribute of a list of attributes, if there is one. */
function declared(attributes: readonly SdpAttribute[]): Direction | undefined {
  for (const a of attributes) if (a.kind === 'direction') return a.direction;
  return undefined;
}

/** An m= line's direction: its own attribute, else the session's, else sendrecv. */
export function mediaDirectionOf(desc: SessionDescription, m: MediaDescription): Direction {
  return declared(m.attributes) ?? declared(desc.attributes) ?? 'sendrecv';
}

/** The direction of the call's audio line (audio-line.ts); without audio, the session's or sendrecv. */
export function directionOf(desc: SessionDescription, policy: AudioPolicy = {}): Direction {
  const m = audioMediaOf(desc, policy);
  return m === undefined ? (declared(desc.attributes) ?? 'sendrecv') : mediaDirectionOf(desc, m);
}

/**
 * Whether the description puts the call on hold: the audio line is sendonly or inactive
 * (RFC 3264 §8.4), or its address is c=0.0.0.0 (RFC 2543 style). A declined (port 0) line is
 * not a hold. recvonly is not a hold either: the sender wants to hear, not to be heard.
 */
export function isOnHold(desc: SessionDescription, policy: AudioPolicy = {}): boolean {
  const m = audioMediaOf(desc, policy);
  if (m === undefined || m.port === 0) return false;
  const d = mediaDirectionOf(desc, m);
  if (d === 'sendonly' || d === 'inactive') return true;
  const c = connectionOf(desc, m);
  return c !== undefined && isNullAddress(c.address);
}

/**
 * A copy whose every live m= line (port ≠ 0) states `direction` (an existing direction
 * attribute is replaced where it stood, else one is appended); a session-level direction is
 * dropped so nothing contradicts it. The o= version is left alone: a re-offer must also
 * raise it (anchorSdp does, with the version the caller gives).
 */
export function withDirection(desc: SessionDescription, direction: Direction): SessionDescription {
  return {
    ...desc,
    attributes: desc.attributes.filter((a) => a.kind !== 'direction'),
    media: desc.media.map((m) => (m.port === 0 ? m : { ...m, attributes: setDirection(m.attributes, direction) })),
  };
}

/** `attributes` with its direction attribute replaced in place by `direction`, or it appended. */
export function setDirection(attributes: readonly SdpAttribute[], direction: Direction): SdpAttribute[] {
  const attr: SdpAttribute = { kind: 'direction', direction };
  const i = attributes.findIndex((a) => a.kind === 'direction');
  if (i < 0) return [...attributes, attr];
  return attributes.map((a, j) => (j === i ? attr : a));
}

/** The direction an answer states for an offered direction (RFC 3264 §6.1). */
export function answerDirection(offered: Direction): Direction {
  switch (offered) {
    case 'sendonly':
      return 'recvonly';
    case 'recvonly':
      return 'sendonly';
    default:
      return offered;
  }
}
