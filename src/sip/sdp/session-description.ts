// The parsed form of an SDP body (RFC 8866, formerly RFC 4566): plain data, so it can be
// cloned, logged and compared. Attributes stay in one ordered list per level, the ones we
// interpret typed and every other one verbatim, so serializeSdp re-emits a body line for
// line. Read it through codecs.ts / direction.ts / audio-line.ts rather than by hand.

export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

/** o=: who made the description. Ids stay strings: they may exceed 2^53. */
export interface Origin {
  username: string;
  sessionId: string;
  sessionVersion: string;
  netType: string;
  addrType: string;
  address: string;
}

/** c=. `address` is the host alone; a multicast `/ttl/count` suffix is kept in `multicast` ('/127/3'). */
export interface Connection {
  netType: string;
  /** 'IP4' | 'IP6' as received. */
  addrType: string;
  address: string;
  multicast?: string;
}

/** t= with its r= lines (raw). */
export interface Timing {
  start: string;
  stop: string;
  repeats: string[];
}

/** a=rtpmap:<pt> <name>/<rate>[/<channels>] */
export interface RtpmapAttribute {
  kind: 'rtpmap';
  pt: number;
  /** As received ('PCMU', 'telephone-event', 'opus'); compare case-insensitively. */
  name: string;
  rate: number;
  channels?: number;
}

/** a=fmtp:<format> <params>; `params` is the raw parameter text ('0-16', 'mode=20'). */
export interface FmtpAttribute {
  kind: 'fmtp';
  format: string;
  params: string;
}

/** a=rtcp:<port> [<nettype> <addrtype> <address>] (RFC 3605). */
export interface RtcpAttribute {
  kind: 'rtcp';
  port: number;
  netType?: string;
  addrType?: string;
  address?: string;
}

export type SdpAttribute =
  | RtpmapAttribute
  | FmtpAttribute
  | { kind: 'ptime'; ms: number }
  | { kind: 'maxptime'; ms: number }
  | { kind: 'direction'; direction: Direction }
  | RtcpAttribute
  | { kind: 'rtcp-mux' }
  /** Any other a= line, verbatim: `a=<name>` or `a=<name>:<value>`. */
  | { kind: 'other'; name: string; value?: string };

/** One m= section. */
export interface MediaDescription {
  /** 'audio' | 'video' | 'image' | 'application' | … */
  type: string;
  /** 0 = stream rejected / disabled (RFC 3264 §6, §8.2). */
  port: number;
  /** m=<type> <port>/<count>: number of consecutive ports (layered coding); absent when not written. */
  portCount?: number;
  /** 'RTP/AVP', 'RTP/SAVPF', 'UDP/TLS/RTP/SAVPF', 'udptl', … */
  proto: string;
  /** As written: RTP payload types ('0', '101') or other formats ('t38'). */
  formats: string[];
  info?: string;
  connection?: Connection;
  /** b= values, raw ('AS:64'). */
  bandwidths: string[];
  key?: string;
  attributes: SdpAttribute[];
}

export interface SessionDescription {
  /** v= (always 0). */
  version: number;
  origin: Origin;
  /** s=; '-' when the body had none. */
  name: string;
  info?: string;
  uri?: string;
  emails: string[];
  phones: string[];
  connection?: Connection;
  bandwidths: string[];
  /** t= lines; a body without t= reads as `t=0 0`. */
  timings: Timing[];
  zone?: string;
  key?: string;
  attributes: SdpAttribute[];
  media: MediaDescription[];
}
