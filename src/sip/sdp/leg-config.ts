// What a leg's SDP tells the media engine (media-protocol.ts LegConfig): where the phone
// receives audio, the payload types it declared, and whether it multiplexes RTCP.
import { isIP } from 'node:net';
import type { Codec, LegConfig, RemoteAddress } from '../../media/media-protocol.ts';
import type { AnchorOptions } from './anchor.ts';
import { audioMediaOf, isAnchorableAudio } from './audio-line.ts';
import { codecsOf } from './codecs.ts';
import { connectionOf, isNullAddress } from './connection.ts';
import type { SessionDescription } from './session-description.ts';

/**
 * The LegConfig of the call's audio line (audio-line.ts), or null when the description has no
 * m=audio line at all. `remote` is null — codecs kept — when the line is declined (port 0),
 * secure under the 'decline' policy, on hold with c=0.0.0.0, or addressed by host name (the
 * relay then learns the address from the phone's first packets). rtcpPort is a=rtcp's port,
 * else port + 1 (also when a=rtcp names 0.0.0.0, WebRTC's placeholder); an a=rtcp address
 * other than c= is not represented (RemoteAddress has none).
 * Pass the options you anchor with: `rtcpMux` is true only when the line declares a=rtcp-mux
 * and `options.rtcpMux` lets it through (anchorSdp drops it otherwise, so it is never agreed).
 * With mux allowed, an offer's mux is agreed only if the answer keeps it: take rtcpMux from
 * legConfigOf(answer) then. `symmetric` is left to the caller (trunk settings).
 */
export function legConfigOf(desc: SessionDescription, options: AnchorOptions = {}): LegConfig | null {
  const m = audioMediaOf(desc, options);
  if (m === undefined) return null;
  const codecs: Codec[] = codecsOf(m).map((c) => ({ pt: c.pt, name: c.name }));
  const rtcpMux = options.rtcpMux === true && m.attributes.some((a) => a.kind === 'rtcp-mux');
  let remote: RemoteAddress | null = null;
  const c = connectionOf(desc, m);
  if (isAnchorableAudio(m, options) && c !== undefined && isIP(c.address) !== 0 && !isNullAddress(c.address)) {
    remote = { address: c.address, port: m.port };
    // JSEP writes a=rtcp:9 IN IP4 0.0.0.0 as a placeholder beside rtcp-mux: not an address.
    const rtcp = m.attributes.find((a) => a.kind === 'rtcp' && (a.address === undefined || !isNullAddress(a.address)));
    const rtcpPort = rtcp?.kind === 'rtcp' ? rtcp.port : m.port + 1;
    if (rtcpPort <= 65535) remote.rtcpPort = rtcpPort;
  }
  return { remote, codecs, rtcpMux };
}
