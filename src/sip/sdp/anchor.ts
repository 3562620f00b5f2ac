// anchorSdp: the description the B2BUA sends onward in place of a peer's, so that media flows
// through our relay. The relay is transparent: codecs, formats, fmtp, ptime and direction go
// through exactly as the peer wrote them; only where to send media (o=, c=, the audio port,
// a=rtcp) and what the relay cannot carry (ICE, SDES keys on plain RTP, other streams) change.
import { audioIndexOf, isSecureRtp, type AudioPolicy } from './audio-line.ts';
import { connectionOf, isNullAddress } from './connection.ts';
import { declineMedia } from './decline.ts';
import { addrTypeOf, checkPort, localOrigin } from './local-origin.ts';
import type { MediaDescription, SdpAttribute, SessionDescription } from './session-description.ts';

export interface Anchor {
  /** Our relay address for this leg (IPv4 → c=IN IP4, IPv6 → c=IN IP6). */
  address: string;
  /** The relay's RTP port for this leg. */
  port: number;
  /** The relay's RTCP port (media engine LocalPorts.rtcpPort); default port + 1. */
  rtcpPort?: number;
  /**
   * Our o= session id toward this leg. Keep it for the leg's life (RFC 3264 §8: only the
   * version changes); default the peer's own id, which is stable only while the far side
   * stays the same peer — pass one (newSessionId()) when the far side can change (transfer).
   */
  sessionId?: string;
  /** Our o= version toward this leg: raise it for every new offer or answer (RFC 3264 §8). */
  sessionVersion: number;
  /** o= username; default 'tspbx'. */
  originUser?: string;
}

export interface AnchorOptions extends AudioPolicy {
  /** Keep a=rtcp-mux (and a=rtcp-mux-only) when the peer offers it: the relay leg can multiplex. Default false. */
  rtcpMux?: boolean;
}

/** ICE (RFC 8839, RFC 8840) attributes: the relay is the peer's only candidate, so none go on. */
const ICE_ATTRIBUTES: ReadonlySet<string> = new Set([
  'candidate', 'remote-candidates', 'ice-ufrag', 'ice-pwd', 'ice-options', 'ice-lite', 'ice-mismatch',
  'ice-pacing', 'end-of-candidates',
]);

/**
 * The description to send onward in place of `desc`:
 *  - o= is ours: `originUser` (default 'tspbx'), `sessionId` (default the peer's), `sessionVersion`, our address;
 *  - one session-level c= with our address, media-level c= lines removed; when the peer's
 *    audio address is c=0.0.0.0 (RFC 2543 hold) the zero address is kept (0.0.0.0 / ::) so
 *    the hold reaches the other side as the peer meant it;
 *  - the call's audio line (audio-line.ts) gets our port (no /count); its a=rtcp is rewritten to
 *    our RTCP port and address (added only when our RTCP port is not port + 1); a=rtcp-mux is
 *    kept only with `options.rtcpMux`;
 *  - ICE attributes and a=group:BUNDLE are removed everywhere; a=crypto too, except on a
 *    secure audio line passed through (`options.srtp: 'passthrough'`);
 *  - every other m= line — video, image (T.38), application, a second audio, a secure audio
 *    under the default 'decline' policy — is declined: port 0, formats kept, no attributes
 *    (RFC 3264 §6, §8.2).
 * Without an audio line we can take, every m= line is declined: check audioIndexOf(desc) or
 * legConfigOf(desc)?.remote first and answer 488 instead.
 */
export function anchorSdp(desc: SessionDescription, anchor: Anchor, options: AnchorOptions = {}): SessionDescription {
  checkPort(anchor.port, 'anchor port');
  const rtcpPort = anchor.rtcpPort ?? anchor.port + 1;
  checkPort(rtcpPort, 'anchor RTCP port');
  const addrType = addrTypeOf(anchor.address);
  const audio = audioIndexOf(desc, options);
  const peerAddress = audio >= 0 ? connectionOf(desc, desc.media[audio])?.address : undefined;
  const held = peerAddress !== undefined && isNullAddress(peerAddress);
  const address = held ? (addrType === 'IP6' ? '::' : '0.0.0.0') : anchor.address;

  // every part that changes is rebuilt below; the rest is shared (descriptions are never mutated)
  const out = { ...desc };
  out.origin = localOrigin({
    address: anchor.address,
    sessionId: anchor.sessionId ?? desc.origin.sessionId,
    sessionVersion: anchor.sessionVersion,
    username: anchor.originUser,
  });
  out.connection = { netType: 'IN', addrType, address };
  out.attributes = out.attributes.filter((a) => !isIce(a) && !isCrypto(a) && !isBundleGroup(a));
  out.media = out.media.map((m, i) => {
    if (i !== audio) return declineMedia(m);
    const keepCrypto = isSecureRtp(m.proto);
    const attributes: SdpAttribute[] = [];
    let rtcpWritten = false;
    for (const a of m.attributes) {
      if (isIce(a) || (isCrypto(a) && !keepCrypto)) continue;
      if (!options.rtcpMux && (a.kind === 'rtcp-mux' || (a.kind === 'other' && a.name.toLowerCase() === 'rtcp-mux-only'))) continue;
      if (a.kind === 'rtcp') {
        if (!rtcpWritten) attributes.push({ kind: 'rtcp', port: rtcpPort, netType: 'IN', addrType, address });
        rtcpWritten = true;
        continue;
      }
      attributes.push(a);
    }
    if (!rtcpWritten && rtcpPort !== anchor.port + 1) attributes.push({ kind: 'rtcp', port: rtcpPort, netType: 'IN', addrType, address });
    const anchored: MediaDescription = { ...m, port: anchor.port, attributes };
    delete anchored.portCount;
    delete anchored.connection;
    return anchored;
  });
  return out;
}

function isIce(a: SdpAttribute): boolean {
  return a.kind === 'other' && ICE_ATTRIBUTES.has(a.name.toLowerCase());
}

function isCrypto(a: SdpAttribute): boolean {
  return a.kind === 'other' && a.name.toLowerCase() === 'crypto';
}

function isBundleGroup(a: SdpAttribute): boolean {
  return a.kind === 'other' && a.name.toLowerCase() === 'group' && /^BUNDLE\b/i.test(a.value ?? '');
}
