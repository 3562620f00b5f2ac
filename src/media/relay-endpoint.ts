// One side of a relayed call: the RTP socket (even port) and RTCP socket (+1) the PBX offers to
// one phone, the phone's address as the signalling gave it, and the address learnt from the
// phone's own packets. Packets a phone sends here leave through the other endpoint's socket
// (see relay-session.ts), so each phone only ever talks to "its" port pair.
//
// LATCHING RULE (symmetric RTP; phones behind NAT depend on it)
//  1. Until latched, replies go to the signalled address (SDP). The first well-formed RTP
//     packet (version 2, a payload type the leg declared — any if it declared none) latches
//     the endpoint to its source address:port, and from then on packets to the phone go there.
//     Latching starts over when the session is created and when the signalled address
//     changes (re-INVITE → update()).
//  2. Once latched, packets from any other source are dropped and counted (droppedStranger),
//     so a stranger cannot take over or inject into a live stream by spraying the port.
//  3. Exception, for a phone whose NAT mapping changed: when the latched source has been
//     silent for relatchSilenceMs (default 2 s), a new source takes over after it has sent
//     relatchPackets (default 3) consecutive valid RTP packets with one SSRC. A stranger
//     therefore only wins when the real phone has stopped sending, and only with a
//     consistent stream.
//  RTCP follows the RTP latch: it is accepted from the latched host (any port: NATs map the
//  RTCP port separately) or from anyone before RTP has latched, and the phone's RTCP address
//  is learnt from it. RTCP arriving on the RTP port (rtcp-mux: byte 1 & 0x7f in 72–76) is
//  handled as RTCP. While connected, RTCP is relayed untouched; while the session is not
//  connected the PBX terminates the media and makes its own reports (leg-rtcp.ts), sent to
//  the same learnt address (or the RTP one with rtcp-mux).
//  With symmetric=false nothing is latched: packets are accepted from anywhere and replies
//  always go to the signalled address.
//
// PER-PACKET PATH: the latched case costs a length check, one byte test (RTCP on the RTP
// port?), an address/port compare, Date.now() and the send. The header is parsed only before
// latching, on a stranger's packet, or when the session rewrites packets (payload-type remap,
// A↔µ transcoding — opt-in per session, compiled into a Rewrite table). Rewrites are done in
// place: node hands every datagram its own Buffer, so nothing is copied or allocated.
// Media features (session-media.ts) hook in through two fields that are null unless a session
// asked for them, so the plain relay pays one null test each: `tap` sees every accepted RTP
// packet from this endpoint's phone before it is rewritten (recording, DTMF detection), and
// `egress` decides on, and may rewrite, every relayed packet toward this endpoint's phone
// (suppressed while a prompt or DTMF is sent; renumbered into the leg's own stream after).
// A third, `reporter` (leg-rtcp.ts), sees only what is not relayed — the `droppedNoPeer`
// branches — for the RTCP the PBX generates while the session is not connected.
import type { RemoteInfo, Socket } from 'node:dgram';
import { ALAW_TO_ULAW, ULAW_TO_ALAW } from './g711.ts';
import type { LegRtcp } from './leg-rtcp.ts';
import type { Codec, LegStats, RemoteAddress } from './media-protocol.ts';
import { emptyHeader, readRtpHeader, type RtpHeader } from './rtp-packet.ts';

export const TRANSCODE_NONE = 0;
export const TRANSCODE_ALAW_TO_ULAW = 1;
export const TRANSCODE_ULAW_TO_ALAW = 2;

/** What to do to a packet crossing from one leg to the other, indexed by its payload type. */
export interface Rewrite {
  /** New payload type, or -1 to keep it. */
  outPt: Int16Array;
  /** TRANSCODE_* per incoming payload type. */
  transcode: Uint8Array;
}

export interface EndpointSettings {
  relatchSilenceMs: number;
  relatchPackets: number;
}

export class RelayEndpoint {
  readonly port: number;
  readonly rtp: Socket;
  readonly rtcp: Socket;
  private readonly settings: EndpointSettings;

  /** The other endpoint of the session while connected; packets received here leave through its sockets. */
  peer: RelayEndpoint | null = null;
  /** Applied to packets received here before they leave through `peer`; null = transparent. */
  rewrite: Rewrite | null = null;
  /** Sees each accepted RTP packet from this endpoint's phone, unmodified, synchronously (must not keep it). */
  tap: ((msg: Buffer) => void) | null = null;
  /** Relayed packets toward this endpoint's phone: false drops the packet; may rewrite its header in place. */
  egress: ((msg: Buffer) => boolean) | null = null;
  /** RTCP generation for this leg (set by the worker once the session is unconnected): fed what is not relayed. */
  reporter: LegRtcp | null = null;

  // configuration
  private remote: RemoteAddress | null = null;
  rtcpMux = false;
  private symmetric = true;
  /** 1 for payload types that may latch; all 1 when the leg declared no codecs. */
  private readonly acceptedPt = new Uint8Array(128).fill(1);

  // where packets to this endpoint's phone go (latched or signalled); port 0 = unknown
  dstAddr = '';
  dstPort = 0;
  dstRtcpAddr = '';
  dstRtcpPort = 0;
  private rtcpLearnt = false;

  // latch
  private latched = false;
  /** Date.now() of the last accepted RTP packet (or of creation / re-configuration). */
  lastRtp: number;
  private candAddr = '';
  private candPort = 0;
  private candSsrc = 0;
  private candCount = 0;
  /** Set by the worker's timeout sweep; cleared when media flows again. */
  timedOut = false;

  private readonly hdr: RtpHeader = emptyHeader();

  // counters
  rtpIn = 0;
  rtpOut = 0;
  rtcpIn = 0;
  rtcpOut = 0;
  droppedStranger = 0;
  droppedInvalid = 0;
  droppedNoPeer = 0;
  /** RTCP packets the worker made and sent here (reports, BYE). */
  rtcpSent = 0;
  sendErrors = 0;
  relatches = 0;

  constructor(port: number, rtp: Socket, rtcp: Socket, settings: EndpointSettings, now = Date.now()) {
    this.port = port;
    this.rtp = rtp;
    this.rtcp = rtcp;
    this.settings = settings;
    this.lastRtp = now;
    const onError = (): void => {
      this.sendErrors++;
    };
    rtp.on('error', onError);
    rtcp.on('error', onError);
    rtp.on('message', this.onRtp);
    rtcp.on('message', this.onRtcp);
  }

  /** Applies the signalling's view of this leg; a changed address restarts latching. */
  configure(remote: RemoteAddress | null | undefined, rtcpMux: boolean, codecs: Codec[] | undefined, symmetric: boolean): void {
    const prev = this.remote;
    const next = remote ?? null;
    const changed = prev === null || next === null ? prev !== next : prev.address !== next.address || prev.port !== next.port || prev.rtcpPort !== next.rtcpPort;
    this.remote = next;
    this.rtcpMux = rtcpMux;
    this.symmetric = symmetric;
    this.acceptedPt.fill(codecs === undefined ? 1 : 0);
    if (codecs !== undefined) for (const c of codecs) if (c.pt >= 0 && c.pt < 128) this.acceptedPt[c.pt] = 1;
    if (changed || !symmetric) {
      this.latched = false;
      this.rtcpLearnt = false;
      this.candCount = 0;
      this.lastRtp = Date.now();
      this.timedOut = false;
    }
    if (!this.latched) this.pointAtRemote();
    if (!this.rtcpLearnt) this.pointRtcp();
  }

  private pointAtRemote(): void {
    if (this.remote === null) {
      this.dstAddr = '';
      this.dstPort = 0;
    } else {
      this.dstAddr = this.remote.address;
      this.dstPort = this.remote.port;
    }
  }

  private pointRtcp(): void {
    if (this.dstPort === 0) {
      this.dstRtcpAddr = '';
      this.dstRtcpPort = 0;
    } else if (this.latched) {
      // NATed phone: its RTCP mapping is unknown until it sends RTCP; guess the usual +1
      this.dstRtcpAddr = this.dstAddr;
      this.dstRtcpPort = this.dstPort + 1;
    } else {
      this.dstRtcpAddr = this.dstAddr;
      this.dstRtcpPort = this.remote?.rtcpPort ?? this.dstPort + 1;
    }
  }

  private readonly onRtp = (msg: Buffer, from: RemoteInfo): void => {
    const pt = msg.length < 8 ? 0 : msg[1]! & 0x7f;
    if (pt >= 72 && pt <= 76) {
      this.onRtcp(msg, from); // rtcp-mux (an RTCP RR can be 8 bytes)
      return;
    }
    if (msg.length < 12) {
      this.droppedInvalid++;
      return;
    }
    this.rtpIn++;
    if (this.latched ? from.port === this.dstPort && from.address === this.dstAddr : !this.symmetric) {
      this.lastRtp = Date.now();
    } else if (!this.admit(msg, from)) {
      return;
    }
    if (this.tap !== null) this.tap(msg);
    const out = this.peer;
    if (out === null || out.dstPort === 0) {
      this.droppedNoPeer++;
      if (this.reporter !== null) this.reporter.rtp(msg);
      return;
    }
    if (this.rewrite !== null && !this.applyRewrite(msg, this.rewrite)) return;
    if (out.egress !== null && !out.egress(msg)) return;
    out.rtp.send(msg, out.dstPort, out.dstAddr);
    out.rtpOut++;
  };

  /** The slow path: a packet from a source that is not (or not yet) latched. */
  private admit(msg: Buffer, from: RemoteInfo): boolean {
    const h = readRtpHeader(msg, this.hdr);
    if (h === undefined || this.acceptedPt[h.payloadType] === 0) {
      this.droppedInvalid++;
      return false;
    }
    const now = Date.now();
    if (!this.latched) {
      this.latchTo(from, now);
      return true;
    }
    if (now - this.lastRtp < this.settings.relatchSilenceMs) {
      this.droppedStranger++;
      this.candCount = 0;
      return false;
    }
    if (this.candCount > 0 && from.port === this.candPort && from.address === this.candAddr && h.ssrc === this.candSsrc) {
      this.candCount++;
    } else {
      this.candAddr = from.address;
      this.candPort = from.port;
      this.candSsrc = h.ssrc;
      this.candCount = 1;
    }
    if (this.candCount >= this.settings.relatchPackets) {
      this.relatches++;
      this.latchTo(from, now);
      return true;
    }
    this.droppedStranger++;
    return false;
  }

  private latchTo(from: RemoteInfo, now: number): void {
    this.latched = true;
    this.candCount = 0;
    this.dstAddr = from.address;
    this.dstPort = from.port;
    this.lastRtp = now;
    this.rtcpLearnt = false;
    this.pointRtcp();
  }

  private applyRewrite(msg: Buffer, rw: Rewrite): boolean {
    const pt = msg[1]! & 0x7f;
    const mode = rw.transcode[pt]!;
    if (mode !== TRANSCODE_NONE) {
      const h = readRtpHeader(msg, this.hdr);
      if (h === undefined) return false;
      const table = mode === TRANSCODE_ALAW_TO_ULAW ? ALAW_TO_ULAW : ULAW_TO_ALAW;
      const end = h.payloadOffset + h.payloadLength;
      for (let i = h.payloadOffset; i < end; i++) msg[i] = table[msg[i]!]!;
    }
    const np = rw.outPt[pt]!;
    if (np >= 0) msg[1] = (msg[1]! & 0x80) | np;
    return true;
  }

  private readonly onRtcp = (msg: Buffer, from: RemoteInfo): void => {
    // RTCP common header: V=2, packet type 200–206 (SR, RR, SDES, BYE, APP, RTPFB, PSFB)
    if (msg.length < 8 || msg[0]! >> 6 !== 2 || msg[1]! < 200 || msg[1]! > 206) {
      this.droppedInvalid++;
      return;
    }
    this.rtcpIn++;
    if (this.symmetric) {
      if (this.latched && from.address !== this.dstAddr) {
        this.droppedStranger++;
        return;
      }
      if (this.dstRtcpPort !== from.port || this.dstRtcpAddr !== from.address) {
        this.dstRtcpAddr = from.address;
        this.dstRtcpPort = from.port;
      }
      this.rtcpLearnt = true;
    }
    const out = this.peer;
    if (out === null || !out.hasRtcpDestination) {
      this.droppedNoPeer++;
      if (this.reporter !== null) this.reporter.rtcp(msg);
      return;
    }
    if (out.rtcpMux) out.rtp.send(msg, out.dstPort, out.dstAddr);
    else out.rtcp.send(msg, out.dstRtcpPort, out.dstRtcpAddr);
    out.rtcpOut++;
  };

  /** Whether RTCP to this endpoint's phone has somewhere to go (its RTP address with rtcp-mux). */
  get hasRtcpDestination(): boolean {
    return (this.rtcpMux ? this.dstPort : this.dstRtcpPort) !== 0;
  }

  /** Sends an RTCP packet the worker made to this endpoint's phone; false when it has no address yet. */
  sendRtcp(packet: Buffer): boolean {
    if (this.rtcpMux) {
      if (this.dstPort === 0) return false;
      this.rtp.send(packet, this.dstPort, this.dstAddr);
    } else {
      if (this.dstRtcpPort === 0) return false;
      this.rtcp.send(packet, this.dstRtcpPort, this.dstRtcpAddr);
    }
    this.rtcpSent++;
    return true;
  }

  /** Sends a packet the worker made (prompt, DTMF) to this endpoint's phone; false when it has no address yet. */
  sendOwn(packet: Buffer): boolean {
    if (this.dstPort === 0) return false;
    this.rtp.send(packet, this.dstPort, this.dstAddr);
    return true;
  }

  stats(): LegStats {
    return {
      rtpIn: this.rtpIn,
      rtpOut: this.rtpOut,
      rtcpIn: this.rtcpIn,
      rtcpOut: this.rtcpOut,
      rtcpSent: this.rtcpSent,
      reception: this.reporter?.stats() ?? null,
      droppedStranger: this.droppedStranger,
      droppedInvalid: this.droppedInvalid,
      droppedNoPeer: this.droppedNoPeer,
      sendErrors: this.sendErrors,
      relatches: this.relatches,
      peer: this.dstPort === 0 ? null : { address: this.dstAddr, port: this.dstPort },
      latched: this.latched,
    };
  }

  close(): void {
    this.peer = null;
    this.tap = null;
    this.egress = null;
    this.reporter = null;
    this.rtp.removeAllListeners('message');
    this.rtcp.removeAllListeners('message');
    try {
      this.rtp.close();
    } catch {
      /* already closed */
    }
    try {
      this.rtcp.close();
    } catch {
      /* already closed */
    }
  }
}
