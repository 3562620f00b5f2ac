// buildOfferSdp: the SDP the PBX writes when it is the one offering audio (a call it places
// from an app: click-to-call, a callback, a call out of voicemail), one m=audio line over
// RTP/AVP at our relay address.
import { SdpError } from './sdp-error.ts';
import { checkPort, localSession } from './local-origin.ts';
import type { Direction, RtpmapAttribute, SdpAttribute, SessionDescription } from './session-description.ts';
import { staticPayloadType } from './static-payload-types.ts';

export interface OfferCodec {
  pt: number;
  name: string;
  /** Clock rate; default the RFC 3551 rate of a static payload type of that name, else 8000. */
  rate?: number;
  channels?: number;
  /** a=fmtp parameters ('0-16' for telephone-event). */
  fmtp?: string;
}

export interface BuildOfferArgs {
  address: string;
  port: number;
  /** In preference order; at least one. */
  codecs: OfferCodec[];
  /** Default sendrecv; written explicitly either way. */
  direction?: Direction;
  sessionId: string;
  sessionVersion: number;
  /** a=ptime in milliseconds; none written when absent. */
  ptime?: number;
  /** Offer a=rtcp-mux. Default false. */
  rtcpMux?: boolean;
  originUser?: string;
}

/** An offer for one audio stream; every codec gets an a=rtpmap (static ones too, as phones write them). */
export function buildOfferSdp(args: BuildOfferArgs): SessionDescription {
  checkPort(args.port, 'offer port');
  if (args.codecs.length === 0) throw new SdpError('an offer needs at least one codec');
  const attributes: SdpAttribute[] = [];
  const pts = new Set<number>();
  for (const c of args.codecs) {
    if (!Number.isInteger(c.pt) || c.pt < 0 || c.pt > 127) throw new SdpError(`payload type ${c.pt} is not 0-127`);
    if (pts.has(c.pt)) throw new SdpError(`payload type ${c.pt} is listed twice`);
    pts.add(c.pt);
    if (!/^[^\s/]+$/.test(c.name)) throw new SdpError(`codec name "${c.name}" must be non-empty without spaces or slashes`);
    const known = staticPayloadType(c.pt);
    const rate = c.rate ?? (known !== undefined && known.name.toLowerCase() === c.name.toLowerCase() ? known.rate : 8000);
    if (!Number.isInteger(rate) || rate <= 0) throw new SdpError(`clock rate ${rate} of ${c.name} is not a positive integer`);
    const map: RtpmapAttribute = { kind: 'rtpmap', pt: c.pt, name: c.name, rate };
    if (c.channels !== undefined) {
      if (!Number.isInteger(c.channels) || c.channels < 1) throw new SdpError(`channel count ${c.channels} of ${c.name} is not a positive integer`);
      map.channels = c.channels;
    }
    attributes.push(map);
    if (c.fmtp !== undefined) attributes.push({ kind: 'fmtp', format: String(c.pt), params: c.fmtp });
  }
  if (args.ptime !== undefined) {
    if (!(args.ptime > 0)) throw new SdpError(`ptime ${args.ptime} is not a positive number`);
    attributes.push({ kind: 'ptime', ms: args.ptime });
  }
  if (args.rtcpMux) attributes.push({ kind: 'rtcp-mux' });
  attributes.push({ kind: 'direction', direction: args.direction ?? 'sendrecv' });
  const origin = { address: args.address, sessionId: args.sessionId, sessionVersion: args.sessionVersion, username: args.originUser };
  return localSession(origin, [{ type: 'audio', port: args.port, proto: 'RTP/AVP', formats: args.codecs.map((c) => String(c.pt)), bandwidths: [], attributes }]);
}
