// buildAnswerSdp: the PBX answering an offer itself — IVR, voicemail, conference, an app that
// plays or records — where our media engine terminates the audio (RFC 3264 §6).
import { audioIndexOf } from './audio-line.ts';
import { codecsOf, isAuxiliaryCodec, sameCodecName, type SdpCodec } from './codecs.ts';
import { declineMedia } from './decline.ts';
import { answerDirection, mediaDirectionOf } from './direction.ts';
import { checkPort, localSession } from './local-origin.ts';
import { SdpError } from './sdp-error.ts';
import type { MediaDescription, SdpAttribute, SessionDescription } from './session-description.ts';
import { DEFAULT_TELEPHONE_EVENTS, formatTelephoneEvents, parseTelephoneEvents } from './telephone-events.ts';

/** RFC 4733 events the engine receives and sends: DTMF 0–9 * # A–D (0–15) and flash (16). */
const OUR_TELEPHONE_EVENTS = 16;

export interface BuildAnswerArgs {
  address: string;
  port: number;
  /** Encodings we terminate, e.g. ['PCMA', 'PCMU', 'telephone-event']; add 'CN' to accept comfort noise. */
  supported: readonly string[];
  sessionId: string;
  sessionVersion: number;
  /** a=ptime we write; default 20 (the engine's packet size). */
  ptime?: number;
  /** Accept an offered a=rtcp-mux. Default false. */
  rtcpMux?: boolean;
  originUser?: string;
}

/**
 * The answer to `offer`, or null when it holds no plain-RTP audio line with a voice codec in
 * `supported` (the caller answers 488). On the call's audio line (audio-line.ts; secure RTP is
 * never taken, we cannot decrypt): the offer's first supported voice codec, in the offerer's
 * order, with the offer's payload type and fmtp; then, when supported and offered at the same
 * clock rate, telephone-event with the offer's payload type and the offered events we handle
 * (of 0–16; an offer without fmtp means 0–15) and CN. The direction mirrors the offer's
 * (sendonly → recvonly, recvonly → sendonly, inactive and sendrecv stay). Every other m= line
 * is declined with port 0.
 */
export function buildAnswerSdp(offer: SessionDescription, args: BuildAnswerArgs): SessionDescription | null {
  checkPort(args.port, 'answer port');
  const index = audioIndexOf(offer);
  if (index < 0) return null;
  const m = offer.media[index];
  const offered = codecsOf(m);
  const supports = (name: string) => args.supported.some((s) => sameCodecName(s, name));
  const voice = offered.find((c) => !isAuxiliaryCodec(c.name) && supports(c.name));
  if (voice === undefined) return null;
  const chosen: SdpCodec[] = [voice];
  const te = supports('telephone-event') ? telephoneEventFor(offered, voice.rate) : undefined;
  if (te !== undefined) chosen.push(te);
  const cn = supports('CN') ? offered.find((c) => sameCodecName(c.name, 'CN') && c.rate === voice.rate) : undefined;
  if (cn !== undefined) chosen.push({ pt: cn.pt, name: cn.name, rate: cn.rate });

  const attributes: SdpAttribute[] = [];
  for (const c of chosen) {
    attributes.push(c.channels === undefined || c.channels === 1
      ? { kind: 'rtpmap', pt: c.pt, name: c.name, rate: c.rate }
      : { kind: 'rtpmap', pt: c.pt, name: c.name, rate: c.rate, channels: c.channels });
    if (c.fmtp !== undefined) attributes.push({ kind: 'fmtp', format: String(c.pt), params: c.fmtp });
  }
  const ptime = args.ptime ?? 20;
  if (!(ptime > 0)) throw new SdpError(`ptime ${ptime} is not a positive number`);
  attributes.push({ kind: 'ptime', ms: ptime });
  if (args.rtcpMux && m.attributes.some((a) => a.kind === 'rtcp-mux')) attributes.push({ kind: 'rtcp-mux' });
  attributes.push({ kind: 'direction', direction: answerDirection(mediaDirectionOf(offer, m)) });

  const audio: MediaDescription = { type: m.type, port: args.port, proto: m.proto, formats: chosen.map((c) => String(c.pt)), bandwidths: [], attributes };
  const origin = { address: args.address, sessionId: args.sessionId, sessionVersion: args.sessionVersion, username: args.originUser };
  return localSession(origin, offer.media.map((o, i) => (i === index ? audio : declineMedia(o))));
}

/** The offered telephone-event at `rate`, narrowed to the events we handle; undefined when none is left. */
function telephoneEventFor(offered: readonly SdpCodec[], rate: number): SdpCodec | undefined {
  const te = offered.find((c) => sameCodecName(c.name, 'telephone-event') && c.rate === rate);
  if (te === undefined) return undefined;
  const events = (parseTelephoneEvents(te.fmtp ?? DEFAULT_TELEPHONE_EVENTS) ?? parseTelephoneEvents(DEFAULT_TELEPHONE_EVENTS)!)
    .filter((e) => e <= OUR_TELEPHONE_EVENTS);
  if (events.length === 0) return undefined;
  return { pt: te.pt, name: te.name, rate: te.rate, fmtp: formatTelephoneEvents(events) };
}
