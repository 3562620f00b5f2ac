// src/sip/sdp/: SDP (RFC 8866 / 4566) and the offer/answer rules (RFC 3264) call control needs
// to anchor media through our RTP relay. The relay is transparent: we do not negotiate codecs
// between two phones, we rewrite where media goes and tell the media engine what each leg
// declared.
//
// A B2BUA call, in short (src/calls/call-media.ts does this):
//   const offer = filterCodecs(parseSdp(invite.content), ['PCMA','PCMU','telephone-event'])
//                                                   // SdpError → 400; null → 488 (no codec, SRTP or T.38 only)
//   const s = await engine.createSession({ a: legConfigOf(offer) ?? {}, b: {} })
//   toward B: serializeSdp(anchorSdp(offer, { address: s.address, port: s.b.port, rtcpPort: s.b.rtcpPort,
//                                             sessionId: idTowardB, sessionVersion: ++versionTowardB }))
//   B answers: engine.update(s.sessionId, 'b', legConfigOf(answer)); toward A: anchorSdp(answer, {…s.a…, idTowardA, ++versionTowardA})
// Hold: isOnHold(desc) (sendonly / inactive / c=0.0.0.0); withDirection(desc, 'sendonly') for music on hold.
// The PBX as an endpoint (IVR, voicemail): buildAnswerSdp(offer, {…}) (null → 488), buildOfferSdp({…}).
// T.38: an m=image line is declined today (anchorSdp), and a T.38-only re-INVITE gives
// filterCodecs → null; relaying fax needs a udptl anchor in the media engine first.
//
//   parse-sdp.ts        parseSdp, MAX_SDP_BYTES, MAX_SDP_MEDIA, isRtp
//   serialize-sdp.ts    serializeSdp (CRLF; round-trips parseSdp)
//   session-description.ts  the model: SessionDescription, MediaDescription, SdpAttribute, …
//   sdp-error.ts        SdpError: the only thing thrown; `line` names the offending line
//   audio-line.ts       which m= line is the call's audio; the SRTP policy (decline | passthrough)
//   codecs.ts           codecsOf (rtpmap, else the RFC 3551 table), rtpmapOf, fmtpOf, ptimeOf
//   static-payload-types.ts  RFC 3551 static payload types
//   connection.ts       connectionOf (media c= else session c=), isNullAddress (0.0.0.0 hold)
//   direction.ts        directionOf, isOnHold, withDirection, answerDirection (RFC 3264 mirror)
//   leg-config.ts       legConfigOf → the media engine's LegConfig
//   anchor.ts           anchorSdp: our o=/c=/port/a=rtcp, ICE and SDES gone, other streams declined
//   filter-codecs.ts    filterCodecs: only allowed encodings (null → 488)
//   decline.ts          declineMedia: port 0 (RFC 3264 §6)
//   build-offer.ts, build-answer.ts   SDP the PBX writes as an endpoint
//   telephone-events.ts RFC 4733 event lists (fmtp '0-16')
//   local-origin.ts, session-id.ts    our o= / c=; newSessionId
export { parseSdp, isRtp, MAX_SDP_BYTES, MAX_SDP_MEDIA } from './parse-sdp.ts';
export { serializeSdp, attributeLine } from './serialize-sdp.ts';
export type {
  Connection, Direction, FmtpAttribute, MediaDescription, Origin, RtcpAttribute, RtpmapAttribute, SdpAttribute,
  SessionDescription, Timing,
} from './session-description.ts';
export { SdpError } from './sdp-error.ts';
export { audioIndexOf, audioMediaOf, isAnchorableAudio, isSecureRtp, type AudioPolicy, type SrtpPolicy } from './audio-line.ts';
export { codecsOf, fmtpOf, isAuxiliaryCodec, ptimeOf, rtpmapOf, sameCodecName, type SdpCodec } from './codecs.ts';
export { staticPayloadType, type StaticPayloadType } from './static-payload-types.ts';
export { connectionOf, isNullAddress } from './connection.ts';
export { answerDirection, directionOf, isOnHold, mediaDirectionOf, setDirection, withDirection } from './direction.ts';
export { legConfigOf } from './leg-config.ts';
export { anchorSdp, type Anchor, type AnchorOptions } from './anchor.ts';
export { filterCodecs } from './filter-codecs.ts';
export { declineMedia } from './decline.ts';
export { buildOfferSdp, type BuildOfferArgs, type OfferCodec } from './build-offer.ts';
export { buildAnswerSdp, type BuildAnswerArgs } from './build-answer.ts';
export { DEFAULT_TELEPHONE_EVENTS, formatTelephoneEvents, parseTelephoneEvents } from './telephone-events.ts';
export { DEFAULT_ORIGIN_USER } from './local-origin.ts';
export { newSessionId } from './session-id.ts';
