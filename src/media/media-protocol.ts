// The messages between the media facade (engine.ts, main thread) and a media worker
// (media-worker.ts): commands in, replies and events out. Only control traffic crosses this
// line — never a packet, and never one message per packet.

/** A command the worker cannot carry out: unknown session, bad address, unknown prompt, not implemented yet. */
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
  /** RTCP relayed to this leg's phone. */
  rtcpOut: number;
  /** RTCP the PBX made and sent to this leg's phone (SR/RR while it terminates the media, BYE). */
  rtcpSent: number;
  /** Reception measured while the PBX terminated this leg's media; null if it never did or heard nothing. */
  reception: ReceptionStats | null;
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

/** A phone's RTP as received by the PBX (RFC 3550 A.3, A.8), and the phone's own report on the PBX's stream. */
export interface ReceptionStats {
  ssrc: number;
  received: number;
  expected: number;
  /** expected − received (negative with duplicates). */
  lost: number;
  /** Interarrival jitter. */
  jitterMs: number;
  /** The phone's last report block about the PBX's stream: fraction lost (0–1) in its last interval, cumulative lost, jitter. */
  remote: { fractionLost: number; lost: number; jitterMs: number } | null;
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

/** A shipped or tenant prompt by id; language defaults to the library's fallback (en). */
export interface PromptRef {
  id: string;
  language?: string;
}

/** A generated tone: the sum of sines at `hz` (empty = silence) for `ms`, each at `dbm0` (default -13). */
export interface ToneSpec {
  hz: number[];
  ms: number;
  dbm0?: number;
}

/** What to play: prompts, then files (8 kHz mono WAV paths), then tones, back to back as one play. */
export interface PlayArgs {
  prompts?: PromptRef[];
  files?: string[];
  tones?: ToneSpec[];
  /** Repeat until stopped or interrupted. */
  loop?: boolean;
  /** A DTMF digit detected on the leg (collectDigits) ends the play with 'interrupted'. */
  interruptible?: boolean;
}

export interface PlayStarted {
  playId: number;
}

/** DTMF detection on one leg. */
export interface CollectDigitsArgs {
  /** RFC 4733 telephone-event payload type; default the leg's telephone-event codec, else 101. */
  telephoneEventPt?: number;
  /** Detect RFC 4733 packets (default true). */
  rfc4733?: boolean;
  /** Also decode the leg's G.711 audio and run the Goertzel tone detector (default false). */
  inband?: boolean;
}

export interface SendDtmfArgs {
  /** Tone duration (default 100 ms, at least 40). */
  durationMs?: number;
  /** telephone-event payload type; default the leg's telephone-event codec, else 101. */
  payloadType?: number;
  /** Power level 0–63 (-dBm0), default 10. */
  volume?: number;
}

export interface RecordArgs {
  /** The WAV file to write (stereo 8 kHz PCM16: left = leg A, right = leg B); chosen by the main thread. */
  path: string;
}

export interface RecordResult {
  path: string;
  seconds: number;
}

/** A voice message: one leg's incoming audio to a mono 8 kHz PCM16 WAV, ending by itself (message-recorder.ts). */
export interface RecordMessageArgs {
  /** The WAV file to write; chosen by the main thread. */
  path: string;
  /** Longest message, in seconds of audio: 'max-length'. */
  maxSeconds: number;
  /** This much continuous silence after some speech ends it: 'silence' (0 = never). */
  silenceSeconds: number;
  /** Audio below this level is silence (RMS re full scale; default -45). */
  silenceThresholdDbov?: number;
  /**
   * Keys that end it, e.g. '#': 'digit', the key's tone cut off. RFC 4733 always; in-band tones
   * when the leg's collectDigits has `inband` on.
   */
  stopOnDigits?: string;
}

export type MessageEndReason = 'max-length' | 'silence' | 'digit' | 'stopped' | 'error';

/** What stopMessage returns: the message as closed (also reported as messageDone). */
export interface MessageResult {
  path: string;
  seconds: number;
  reason: MessageEndReason;
  digit?: string;
  error?: string;
}

/** Commands the facade sends. `mix` is reserved for the conference mixer. */
export type MediaCommand =
  | { op: 'createSession'; sessionId: string; options: SessionOptions }
  | { op: 'connect'; sessionId: string }
  | { op: 'disconnect'; sessionId: string }
  | { op: 'update'; sessionId: string; leg: LegName; config: LegConfig }
  | { op: 'destroy'; sessionId: string }
  | { op: 'stats' }
  | { op: 'sessionStats'; sessionId: string }
  | { op: 'play'; sessionId: string; leg: LegName; args: PlayArgs }
  | { op: 'stopPlay'; sessionId: string; leg: LegName; playId?: number }
  | { op: 'collectDigits'; sessionId: string; leg: LegName; args: CollectDigitsArgs }
  | { op: 'stopDigits'; sessionId: string; leg: LegName }
  | { op: 'sendDtmf'; sessionId: string; leg: LegName; digit: string; args: SendDtmfArgs }
  | { op: 'record'; sessionId: string; args: RecordArgs }
  | { op: 'stopRecord'; sessionId: string }
  | { op: 'recordMessage'; sessionId: string; leg: LegName; args: RecordMessageArgs }
  | { op: 'stopMessage'; sessionId: string; leg: LegName }
  | { op: 'mix'; sessionId: string; leg?: LegName; args: unknown }
  /** Test hook: the worker thread exits at once, as if it had crashed. */
  | { op: 'crash' };

export interface CreateSessionResult {
  a: LocalPorts;
  b: LocalPorts;
}

export interface DtmfEvent {
  sessionId: string;
  leg: LegName;
  digit: string;
  durationMs: number;
  source: 'rfc4733' | 'inband';
}

export interface PlayDoneEvent {
  sessionId: string;
  leg: LegName;
  playId: number;
  reason: 'finished' | 'stopped' | 'interrupted';
  /** RTP packets the play sent. */
  packets: number;
}

export interface RecordDoneEvent {
  sessionId: string;
  path: string;
  seconds: number;
  /** Set when the recording ended because writing failed. */
  error?: string;
}

/** A voice message was closed: by itself (max-length, silence, digit), stopMessage/destroy ('stopped'), or a write error. */
export interface MessageDoneEvent {
  sessionId: string;
  leg: LegName;
  path: string;
  /** Seconds of audio in the file, after trailing silence / the key's tone were cut off. */
  seconds: number;
  reason: MessageEndReason;
  /** The key that ended it (reason 'digit'). */
  digit?: string;
  /** What failed (reason 'error'); the file keeps what was written. */
  error?: string;
}

/** Events a worker reports. */
export type MediaEvent =
  | { type: 'rtpTimeout'; sessionId: string; leg: LegName; silentMs: number }
  | { type: 'stats'; stats: WorkerStats }
  | ({ type: 'dtmf' } & DtmfEvent)
  | ({ type: 'playDone' } & PlayDoneEvent)
  | ({ type: 'recordDone' } & RecordDoneEvent)
  | ({ type: 'messageDone' } & MessageDoneEvent);

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
  /** Prompt directories searched in order (PromptLibrary); default the shipped media/prompts. */
  promptDirs?: string[];
  /** RTCP report interval where the worker terminates media (leg-rtcp.ts); default 5000, 0 = none. */
  rtcpIntervalMs?: number;
  /**
   * Endpoints (RTP/RTCP socket pairs) kept bound in advance so createSession answers without
   * waiting for socket binds (default 0). Spares hold their ports (counted as in use).
   */
  spareEndpoints?: number;
}

/** Wire format on the worker's port. */
export type ToWorker = { kind: 'cmd'; id: number; cmd: MediaCommand };
export type FromWorker =
  | { kind: 'ready' }
  | { kind: 'reply'; id: number; ok: true; result: unknown }
  | { kind: 'reply'; id: number; ok: false; error: { name: string; message: string } }
  | { kind: 'event'; event: MediaEvent };
