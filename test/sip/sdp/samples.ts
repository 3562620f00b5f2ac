// SDP bodies as real phones, softphones, gateways and servers write them (addresses moved
// to documentation ranges, keys and ids shortened). CRLF, as on the wire.

function body(lines: string[]): string {
  return lines.join('\r\n') + '\r\n';
}

/** Yealink T4x offer: PCMA first, G722, G729 with annexb, telephone-event written after a=sendrecv. */
export const YEALINK_OFFER = body([
  'v=0',
  'o=- 20024 20024 IN IP4 192.168.1.50',
  's=SDP data',
  'c=IN IP4 192.168.1.50',
  't=0 0',
  'm=audio 11780 RTP/AVP 8 0 9 18 101',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:9 G722/8000',
  'a=rtpmap:18 G729/8000',
  'a=fmtp:18 annexb=no',
  'a=ptime:20',
  'a=sendrecv',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-15',
]);

/** The same Yealink putting the call on hold: re-INVITE, version + 1, a=sendonly. */
export const YEALINK_HOLD = YEALINK_OFFER.replace('o=- 20024 20024', 'o=- 20024 20025').replace('a=sendrecv', 'a=sendonly');

/** Grandstream GXP offer: PCMU first, direction before the codecs, ptime between rtpmaps. */
export const GRANDSTREAM_OFFER = body([
  'v=0',
  'o=1001 8000 8000 IN IP4 192.168.1.60',
  's=SIP Call',
  'c=IN IP4 192.168.1.60',
  't=0 0',
  'm=audio 5004 RTP/AVP 0 8 9 101',
  'a=sendrecv',
  'a=rtpmap:0 PCMU/8000',
  'a=ptime:20',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:9 G722/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-15',
]);

/** baresip: session-level a=tool, b=AS, opus first, a=ssrc, rtcp-rsize. */
export const BARESIP_OFFER = body([
  'v=0',
  'o=- 1793421806 1620098282 IN IP4 10.0.0.5',
  's=-',
  'c=IN IP4 10.0.0.5',
  't=0 0',
  'a=tool:baresip 3.10.1',
  'm=audio 10156 RTP/AVP 96 9 0 8 101',
  'b=AS:93',
  'a=rtpmap:96 opus/48000/2',
  'a=fmtp:96 stereo=1;sprop-stereo=1;maxaveragebitrate=64000',
  'a=rtpmap:9 G722/8000',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-15',
  'a=sendrecv',
  'a=label:1',
  'a=ssrc:1553467413 cname:f6ea0f8a-ca9c-44c2-9f85-ad3d3da5b3dd',
  'a=rtcp-rsize',
  'a=ptime:20',
]);

/** SIPp's built-in uac scenario: PCMU only, nothing else. */
export const SIPP_OFFER = body([
  'v=0',
  'o=user1 53655765 2353687637 IN IP4 127.0.1.1',
  's=-',
  'c=IN IP4 127.0.1.1',
  't=0 0',
  'm=audio 6000 RTP/AVP 0',
  'a=rtpmap:0 PCMU/8000',
]);

/** Asterisk (chan_pjsip) answer: PCMA with telephone-event 0-16, maxptime. */
export const ASTERISK_ANSWER = body([
  'v=0',
  'o=- 1580923491 1580923493 IN IP4 203.0.113.10',
  's=Asterisk',
  'c=IN IP4 203.0.113.10',
  't=0 0',
  'm=audio 17230 RTP/AVP 8 101',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-16',
  'a=ptime:20',
  'a=maxptime:150',
  'a=sendrecv',
]);

/** An ICE softphone over plain RTP/AVPF offering SDES keys opportunistically, rtcp-mux, a=rtcp. */
export const ICE_SOFTPHONE_OFFER = body([
  'v=0',
  'o=alice 3863157541 3863157541 IN IP4 192.168.0.23',
  's=Talk',
  'c=IN IP4 198.51.100.23',
  't=0 0',
  'a=ice-options:trickle',
  'm=audio 7078 RTP/AVPF 96 0 8 101',
  'a=rtpmap:96 opus/48000/2',
  'a=fmtp:96 useinbandfec=1',
  'a=rtpmap:101 telephone-event/8000',
  'a=rtcp:7079 IN IP4 198.51.100.23',
  'a=rtcp-mux',
  'a=ice-ufrag:4fd3a1c2',
  'a=ice-pwd:6c8d2b1f0e9a7c5b3d1f2e4a',
  'a=candidate:1 1 UDP 2130706431 192.168.0.23 7078 typ host',
  'a=candidate:1 2 UDP 2130706430 192.168.0.23 7079 typ host',
  'a=candidate:2 1 UDP 1694498815 198.51.100.23 7078 typ srflx raddr 192.168.0.23 rport 7078',
  'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz',
  'a=rtcp-fb:* trr-int 1000',
  'a=rtcp-fb:96 nack',
  'a=end-of-candidates',
]);

/** A browser (WebRTC) offer: BUNDLE, DTLS-SRTP over UDP/TLS/RTP/SAVPF, ICE, rtcp-mux, audio + video. */
export const WEBRTC_OFFER = body([
  'v=0',
  'o=- 4611731400430051336 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0 1',
  'a=extmap-allow-mixed',
  'a=msid-semantic: WMS 8a9f',
  'm=audio 54400 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126',
  'c=IN IP4 198.51.100.7',
  'a=rtcp:9 IN IP4 0.0.0.0',
  'a=candidate:1467250027 1 udp 2122260223 192.168.0.196 54400 typ host generation 0 network-id 1',
  'a=candidate:435653019 1 udp 1686052607 198.51.100.7 54400 typ srflx raddr 192.168.0.196 rport 54400 generation 0',
  'a=ice-ufrag:Oyef',
  'a=ice-pwd:7b1c0bb1b2d5e6f8a9c0d1e2',
  'a=ice-options:trickle',
  'a=fingerprint:sha-256 49:66:12:17:0D:1C:91:AE:57:4C:C6:36:DD:D5:97:D2:7D:62:C9:9A:7F:B9:A3:F4:70:03:E7:43:91:73:23:5E',
  'a=setup:actpass',
  'a=mid:0',
  'a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level',
  'a=sendrecv',
  'a=msid:8a9f 1c2d',
  'a=rtcp-mux',
  'a=rtpmap:111 opus/48000/2',
  'a=rtcp-fb:111 transport-cc',
  'a=fmtp:111 minptime=10;useinbandfec=1',
  'a=rtpmap:63 red/48000/2',
  'a=fmtp:63 111/111',
  'a=rtpmap:9 G722/8000',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:13 CN/8000',
  'a=rtpmap:110 telephone-event/48000',
  'a=rtpmap:126 telephone-event/8000',
  'a=ssrc:3735928559 cname:Yq0b8e',
  'm=video 54400 UDP/TLS/RTP/SAVPF 96 97',
  'c=IN IP4 198.51.100.7',
  'a=rtcp:9 IN IP4 0.0.0.0',
  'a=ice-ufrag:Oyef',
  'a=ice-pwd:7b1c0bb1b2d5e6f8a9c0d1e2',
  'a=fingerprint:sha-256 49:66:12:17:0D:1C:91:AE:57:4C:C6:36:DD:D5:97:D2:7D:62:C9:9A:7F:B9:A3:F4:70:03:E7:43:91:73:23:5E',
  'a=setup:actpass',
  'a=mid:1',
  'a=sendrecv',
  'a=rtcp-mux',
  'a=rtpmap:96 VP8/90000',
  'a=rtpmap:97 rtx/90000',
  'a=fmtp:97 apt=96',
]);

/** An SDES phone that insists on SRTP: RTP/SAVP with a=crypto. */
export const SRTP_OFFER = body([
  'v=0',
  'o=- 7001 7001 IN IP4 192.0.2.80',
  's=-',
  'c=IN IP4 192.0.2.80',
  't=0 0',
  'm=audio 40000 RTP/SAVP 8 0 101',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-15',
  'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32',
  'a=sendrecv',
]);

/**
 * An analogue adapter (IAD) putting the call on hold the RFC 2543 way: c=0.0.0.0, no
 * direction attribute; G729 listed without a=rtpmap (static payload type 18).
 */
export const IAD_HOLD_OFFER = body([
  'v=0',
  'o=IAD 12345 12346 IN IP4 192.0.2.44',
  's=-',
  'c=IN IP4 0.0.0.0',
  't=0 0',
  'm=audio 16384 RTP/AVP 8 18 101',
  'a=rtpmap:8 PCMA/8000',
  'a=fmtp:18 annexb=no',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-15',
  'a=ptime:20',
]);

/** A video desk phone: audio with a=rtcp, then H.264 video with b=AS. */
export const VIDEO_PHONE_OFFER = body([
  'v=0',
  'o=- 5 6 IN IP4 192.168.1.70',
  's=-',
  'c=IN IP4 192.168.1.70',
  't=0 0',
  'm=audio 5004 RTP/AVP 0 8 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-15',
  'a=rtcp:5005',
  'a=sendrecv',
  'm=video 5006 RTP/AVP 99',
  'b=AS:2048',
  'a=rtpmap:99 H264/90000',
  'a=fmtp:99 profile-level-id=42801F;packetization-mode=1',
  'a=sendrecv',
]);

/** A fax gateway switching to T.38 in a re-INVITE: audio declined, m=image udptl t38. */
export const T38_REINVITE = body([
  'v=0',
  'o=- 901 902 IN IP4 192.0.2.90',
  's=-',
  'c=IN IP4 192.0.2.90',
  't=0 0',
  'm=audio 0 RTP/AVP 8',
  'm=image 40010 udptl t38',
  'a=T38FaxVersion:0',
  'a=T38MaxBitRate:14400',
  'a=T38FaxRateManagement:transferredTCF',
  'a=T38FaxMaxDatagram:400',
  'a=T38FaxUdpEC:t38UDPRedundancy',
]);

export const ALL_SAMPLES: Record<string, string> = {
  YEALINK_OFFER, YEALINK_HOLD, GRANDSTREAM_OFFER, BARESIP_OFFER, SIPP_OFFER, ASTERISK_ANSWER, ICE_SOFTPHONE_OFFER,
  WEBRTC_OFFER, SRTP_OFFER, IAD_HOLD_OFFER, VIDEO_PHONE_OFFER, T38_REINVITE,
};
