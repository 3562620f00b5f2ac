// The messages between the media facade (engine.ts, main thread) and a media worker
// (media-worker.ts): commands in, replies and events out. Only control traffic crosses this
// line — never a packet, and never one message per packet.

/** A command the worker cannot carry out: unknown session, bad address, not implemented yet. */
export class MediaCommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MediaCommandError';
  }
}

/** One payload type a leg uses, from its SDP (a=rtpmap). Names compare case-insensitively. */
export interface Codec {
  pt: number;
  /** e.g. 'PCMU', 'PCMA', 'telephone-event', 'CN'. */
  name: string;
}

/** Where the signalling (SDP c=/m=, a=rtcp) says a leg's phone receives media. */
export interface RemoteAddress {
  address: string;
  port: number;
  /** a=rtcp; default port + 1. */
  rtcpPort?: number;
}

export interface LegConfig {
  /** The signalled address; null/absent while unknown (e.g. the B leg before its answer). */
  remote?: RemoteAddress | null;
  /** a=rtcp-mux agreed: RTCP to this phone goes to its RTP port. */
  rtcpMux?: boolean;
  /** Payload types this leg uses. Absent: packets pass with their payload type unchanged. */
  codecs?: Codec[];
  /**
   * Symmetric RTP (default true): learn the phone's real address from its packets (latching).
   * false: always send to the signalled address and accept packets from anywhere
   * (rtpengine's "asymmetric" flag; for gateways that send from another port than they receive on).
   */
  symmetric?: boolean;
}

export type LegName = 'a' | 'b';

export interface SessionOptions {
  a?: LegConfig;
  b?: LegConfig;
  /** Relay A↔B at once (default true). false: packets are received and latched but not forwarded until `connect`. */
  connect?: boolean;
  /** Override the engine's rtpTimeoutS for this session; 0 disables it (e.g. a call on hold). */
  rtpTimeoutS?: number;
}

export interface LocalPorts {
  port: number;
  rtcpPort: number;
}

export interface LegStats {
  rtpIn: number;
  rtpOut: number;
  rtcpIn: number;
  rtcpOut: number;
  /** Packets from a source other than the latched one (possible hijack, or a stale stream). */
  droppedStranger: number;
  /** Not RTP v2, or a payload type the leg did not declare (only checked before latching). */
  droppedInvalid: number;
  /** Arrived while the session was not connected or the other leg had no address yet. */
  droppedNoPeer: number;
  sendErrors: number;
  relatches: number;
  /** Where packets to this leg's phone go now (latched or signalled), or null. */
  peer: { address: string; port: number } | null;
  latched: boolean;
}

export interface SessionStats {
  sessionId: string;
  connected: boolean;
  a: LegStats;
  b: LegStats;
}

export interface WorkerStats {
  worker: number;
  sessions: number;
  portPairsInUse: number;
  portPairsCapacity: number;
  rtpIn: number;
  rtpOut: number;
  dropped: number;
}

/** Commands the facade sends. `play`/`record`/`collectDigits`/`mix` are reserved for the modules built next. */
export type MediaCommand =
  | { op: 'createSession'; sessionId: string; options: SessionOptions }
  | { op: 'connect'; sessionId: string }
  | { op: 'disconnect'; sessionId: string }
  | { op: 'update'; sessionId: string; leg: LegName; config: LegConfig }
  | { op: 'destroy'; sessionId: string }
  | { op: 'stats' }
  | { op: 'sessionStats'; sessionId: string }
  | { op: 'play' | 'record' | 'collectDigits' | 'mix'; sessionId: string; leg?: LegName; args: unknown }
  /** Test hook: the worker thread exits at once, as if it had crashed. */
  | { op: 'crash' };

export interface CreateSessionResult {
  a: LocalPorts;
  b: LocalPorts;
}

/** Events a worker reports. */
export type MediaEvent =
  | { type: 'rtpTimeout'; sessionId: string; leg: LegName; silentMs: number }
  | { type: 'stats'; stats: WorkerStats };

/** Worker settings, fixed for its life. */
export interface WorkerInit {
  index: number;
  portRange: { min: number; max: number };
  /** Address the sockets bind to. */
  host: string;
  rtpTimeoutMs: number;
  /** How long a latched source must be silent before another source may take over. */
  relatchSilenceMs: number;
  /** Consecutive packets of one SSRC a new source must send to take over. */
  relatchPackets: number;
  /** Period of `stats` events; 0 = none. */
  statsIntervalMs: number;
}

/** Wire format on the worker's port. */
export type ToWorker = { kind: 'cmd'; id: number; cmd: MediaCommand };
export type FromWorker =
  | { kind: 'ready' }
  | { kind: 'reply'; id: number; ok: true; result: unknown }
  | { kind: 'reply'; id: number; ok: false; error: { name: string; message: string } }
  | { kind: 'event'; event: MediaEvent };
