// The media facade: the only way the main thread reaches media. It starts the media workers
// (worker threads, default one per core — or the same code in-thread for tests), gives each a
// slice of the RTP port range, places each session on the least-loaded worker and forwards
// commands to it. Workers report rtpTimeout and stats; a worker that dies is noticed, its
// sessions are reported ended ('worker-died') and a replacement takes over its port slice,
// while the other workers keep relaying. Modelled on mediasoup's Worker/channel split.
import { EventEmitter } from 'node:events';
import { availableParallelism, networkInterfaces } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { startWorkerThread } from '../worker-thread.ts';
import type {
  CollectDigitsArgs,
  CreateSessionResult,
  DtmfEvent,
  PlayArgs,
  PlayDoneEvent,
  PlayStarted,
  RecordDoneEvent,
  RecordResult,
  SendDtmfArgs,
  FromWorker,
  LegConfig,
  LegName,
  LocalPorts,
  MediaCommand,
  MediaEvent,
  MessageDoneEvent,
  MessageResult,
  RecordMessageArgs,
  SessionOptions,
  SessionStats,
  ToWorker,
  WorkerInit,
  WorkerStats,
} from './media-protocol.ts';
import { MediaWorkerCore } from './media-worker.ts';
import { DEFAULT_PROMPT_DIR } from './prompt-library.ts';
import { MediaCommandError } from './media-protocol.ts';
import { PortsExhaustedError, splitPortRange, type PortRange } from './port-allocator.ts';

export { PortsExhaustedError } from './port-allocator.ts';
export { MediaCommandError } from './media-protocol.ts';
export type {
  Codec,
  CollectDigitsArgs,
  DtmfEvent,
  LegConfig,
  LegName,
  LegStats,
  MessageDoneEvent,
  MessageEndReason,
  MessageResult,
  PlayArgs,
  ReceptionStats,
  PlayDoneEvent,
  PromptRef,
  RecordDoneEvent,
  RecordMessageArgs,
  RecordResult,
  RemoteAddress,
  SendDtmfArgs,
  SessionOptions,
  SessionStats,
  ToneSpec,
  WorkerStats,
} from './media-protocol.ts';

export interface MediaEngineOptions {
  /** Worker threads (default: one per core). In-thread mode runs this many cores on the main thread. */
  workers?: number;
  /** RTP port range from config (media.rtp_port_min / rtp_port_max). */
  portRange: PortRange;
  /** Address the RTP sockets bind to (default 0.0.0.0). */
  host?: string;
  /** Address to put into SDP (media.advertised_address); default `host`, or for 0.0.0.0 the first external IPv4. */
  advertisedAddress?: string;
  /** No RTP for this long on a leg → rtpTimeout (default 60; 0 = off). */
  rtpTimeoutS?: number;
  /** Silence of the latched source before another source may take over (default 2000). */
  relatchSilenceMs?: number;
  /** Consistent packets a new source must send to take over (default 3). */
  relatchPackets?: number;
  /** Period of `stats` events per worker in ms (default 0 = none). */
  statsIntervalMs?: number;
  /** Run the workers' code on the main thread (tests). */
  inThread?: boolean;
  /** Start a replacement when a worker dies (default true). */
  respawn?: boolean;
  /** Prompt directories searched in order (tenant greetings first); default the repository's media/prompts. */
  promptDirs?: string[];
  /**
   * Nominal interval of the RTCP reports the workers send a phone while they terminate its media
   * (session not connected: prompts, IVR), randomised ×[0.5, 1.5]. Default 5000 (RFC 3550's
   * minimum); shorter only for tests; 0 = send none (RTCP is still relayed while connected).
   */
  rtcpIntervalMs?: number;
  /**
   * RTP/RTCP socket pairs each worker keeps bound in advance, so createSession answers without
   * waiting for binds — the one worker round trip left in a call's set-up (default 0).
   */
  spareEndpoints?: number;
}

export interface SessionInfo {
  sessionId: string;
  worker: number;
  /** Address for the SDP c= line. */
  address: string;
  /** Ports to offer to the phone of leg A / leg B. */
  a: LocalPorts;
  b: LocalPorts;
}

export interface RtpTimeoutEvent {
  sessionId: string;
  leg: LegName;
  silentMs: number;
}

export interface SessionEndedEvent {
  sessionId: string;
  reason: 'worker-died';
}

export interface WorkerExitEvent {
  worker: number;
  code: number;
  respawned: boolean;
}

export interface EngineStats {
  sessions: number;
  workers: WorkerStats[];
}

export interface MediaEngineEvents {
  rtpTimeout: [RtpTimeoutEvent];
  sessionEnded: [SessionEndedEvent];
  stats: [WorkerStats];
  workerExit: [WorkerExitEvent];
  /** A digit detected on a leg with collectDigits on. */
  dtmf: [DtmfEvent];
  /** A play ended: 'finished', 'stopped' (stopPlay, destroy) or 'interrupted' (a digit). */
  playDone: [PlayDoneEvent];
  /** A recording was closed (stopRecord, destroy, or a write error in `error`). */
  recordDone: [RecordDoneEvent];
  /** A voice message was closed: 'max-length', 'silence', 'digit' (with `digit`), 'stopped' (stopMessage, destroy) or 'error'. */
  messageDone: [MessageDoneEvent];
}

/** How the facade talks to one worker: a thread, or the same core in-thread. */
interface Backend {
  call(cmd: MediaCommand): Promise<unknown>;
  stop(): Promise<void>;
}

class InThreadBackend implements Backend {
  private readonly core: MediaWorkerCore;
  constructor(init: WorkerInit, onEvent: (e: MediaEvent) => void) {
    this.core = new MediaWorkerCore(init, onEvent);
  }
  call(cmd: MediaCommand): Promise<unknown> {
    if (cmd.op === 'crash') return Promise.reject(new MediaCommandError('crash is only possible with worker threads'));
    return this.core.handle(cmd);
  }
  async stop(): Promise<void> {
    this.core.close();
  }
}

const workerEntry = new URL('./media-worker.ts', import.meta.url);

/** Starts media-worker.ts in a thread. */
function spawnWorker(init: WorkerInit): Worker {
  return startWorkerThread(workerEntry, { mediaWorker: init });
}

/** The bind address when it is a real one; for 0.0.0.0 the first external IPv4 of this host (loopback if none). */
function defaultAdvertisedAddress(host: string): string {
  if (host !== '0.0.0.0') return host;
  for (const list of Object.values(networkInterfaces())) {
    for (const i of list ?? []) if (i.family === 'IPv4' && !i.internal) return i.address;
  }
  return '127.0.0.1';
}

function rebuildError(e: { name: string; message: string }): Error {
  if (e.name === 'PortsExhaustedError') return new PortsExhaustedError(e.message);
  if (e.name === 'MediaCommandError') return new MediaCommandError(e.message);
  const err = new Error(e.message);
  err.name = e.name;
  return err;
}

class ThreadBackend implements Backend {
  readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private stopping = false;
  readonly ready: Promise<void>;

  constructor(init: WorkerInit, onEvent: (e: MediaEvent) => void, onDeath: (code: number) => void) {
    this.worker = spawnWorker(init);
    let readyResolve!: () => void;
    let readyReject!: (e: Error) => void;
    this.ready = new Promise((res, rej) => {
      readyResolve = res;
      readyReject = rej;
    });
    let lastError: Error | undefined;
    this.worker.on('message', (m: FromWorker) => {
      if (m.kind === 'event') onEvent(m.event);
      else if (m.kind === 'ready') readyResolve();
      else {
        const p = this.pending.get(m.id);
        if (p === undefined) return;
        this.pending.delete(m.id);
        if (m.ok) p.resolve(m.result);
        else p.reject(rebuildError(m.error));
      }
    });
    this.worker.on('error', (e) => {
      lastError = e; // followed by 'exit'
    });
    this.worker.on('exit', (code) => {
      const err = new Error(`media worker ${init.index} exited (code ${code})${lastError ? `: ${lastError.message}` : ''}`);
      readyReject(err);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
      if (!this.stopping) onDeath(code);
    });
  }

  call(cmd: MediaCommand): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ kind: 'cmd', id, cmd } satisfies ToWorker);
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.worker.terminate();
  }
}

interface Slot {
  index: number;
  init: WorkerInit;
  backend: Backend;
  alive: boolean;
  sessions: Set<string>;
}

export class MediaEngine extends EventEmitter<MediaEngineEvents> {
  readonly address: string;
  private readonly options: MediaEngineOptions;
  private readonly slots: Slot[] = [];
  private readonly sessionSlot = new Map<string, Slot>();
  /** Sessions whose createSession has not been answered: a worker dying meanwhile fails the call instead. */
  private readonly creating = new Set<string>();
  private nextSession = 1;
  private closed = false;

  private constructor(options: MediaEngineOptions) {
    super();
    this.options = options;
    this.address = options.advertisedAddress ?? defaultAdvertisedAddress(options.host ?? '0.0.0.0');
  }

  static async start(options: MediaEngineOptions): Promise<MediaEngine> {
    const engine = new MediaEngine(options);
    const n = Math.max(1, options.workers ?? availableParallelism());
    const ranges = splitPortRange(options.portRange, n);
    const rtpTimeoutS = options.rtpTimeoutS ?? 60;
    for (let i = 0; i < n; i++) {
      const init: WorkerInit = {
        index: i,
        portRange: ranges[i]!,
        host: options.host ?? '0.0.0.0',
        rtpTimeoutMs: rtpTimeoutS * 1000,
        relatchSilenceMs: options.relatchSilenceMs ?? 2000,
        relatchPackets: options.relatchPackets ?? 3,
        statsIntervalMs: options.statsIntervalMs ?? 0,
        promptDirs: options.promptDirs ?? [DEFAULT_PROMPT_DIR],
        rtcpIntervalMs: options.rtcpIntervalMs ?? 5000,
        spareEndpoints: options.spareEndpoints ?? 0,
      };
      engine.slots.push({ index: i, init, backend: undefined as unknown as Backend, alive: false, sessions: new Set() });
    }
    try {
      await Promise.all(engine.slots.map((s) => engine.startSlot(s)));
    } catch (e) {
      await engine.close();
      throw e;
    }
    return engine;
  }

  private async startSlot(slot: Slot): Promise<void> {
    const onEvent = (e: MediaEvent): void => this.onWorkerEvent(e);
    if (this.options.inThread) {
      slot.backend = new InThreadBackend(slot.init, onEvent);
      slot.alive = true;
      return;
    }
    const backend = new ThreadBackend(slot.init, onEvent, (code) => this.onWorkerDeath(slot, backend, code));
    slot.backend = backend;
    await backend.ready;
    if (slot.backend === backend && !this.closed) slot.alive = true;
  }

  private onWorkerEvent(e: MediaEvent): void {
    switch (e.type) {
      case 'rtpTimeout':
        this.emit('rtpTimeout', { sessionId: e.sessionId, leg: e.leg, silentMs: e.silentMs });
        break;
      case 'stats':
        this.emit('stats', e.stats);
        break;
      case 'dtmf':
        this.emit('dtmf', { sessionId: e.sessionId, leg: e.leg, digit: e.digit, durationMs: e.durationMs, source: e.source });
        break;
      case 'playDone':
        this.emit('playDone', { sessionId: e.sessionId, leg: e.leg, playId: e.playId, reason: e.reason, packets: e.packets });
        break;
      case 'recordDone': {
        const { type: _type, ...rest } = e;
        this.emit('recordDone', rest);
        break;
      }
      case 'messageDone': {
        const { type: _type, ...rest } = e;
        this.emit('messageDone', rest);
        break;
      }
    }
  }

  private onWorkerDeath(slot: Slot, backend: Backend, code: number): void {
    if (slot.backend !== backend || this.closed) return;
    const wasRunning = slot.alive; // a replacement that dies before it is ready is not restarted again
    slot.alive = false;
    const ended = [...slot.sessions].filter((id) => !this.creating.has(id));
    slot.sessions.clear();
    for (const id of ended) this.sessionSlot.delete(id);
    // the thread's sockets closed with it: its port slice is free for the replacement
    const respawn = (this.options.respawn ?? true) && wasRunning;
    this.emit('workerExit', { worker: slot.index, code, respawned: respawn });
    for (const sessionId of ended) this.emit('sessionEnded', { sessionId, reason: 'worker-died' });
    if (respawn) {
      this.startSlot(slot).catch(() => {
        /* a replacement that fails to start leaves the slot dead; the others keep running */
      });
    }
  }

  /**
   * Allocates two endpoints (A and B) on the least-loaded worker. Throws PortsExhaustedError
   * when no worker has two free port pairs (→ 503).
   */
  async createSession(options: SessionOptions = {}): Promise<SessionInfo> {
    if (this.closed) throw new MediaCommandError('media engine is closed');
    const candidates = this.slots.filter((s) => s.alive).sort((x, y) => x.sessions.size - y.sessions.size);
    if (candidates.length === 0) throw new PortsExhaustedError('no media worker is running');
    const sessionId = `ms${this.nextSession++}`;
    let exhausted: PortsExhaustedError | undefined;
    for (const slot of candidates) {
      slot.sessions.add(sessionId); // counted as load at once, so concurrent creates spread
      this.sessionSlot.set(sessionId, slot);
      this.creating.add(sessionId);
      try {
        const r = (await slot.backend.call({ op: 'createSession', sessionId, options })) as CreateSessionResult;
        return { sessionId, worker: slot.index, address: this.address, a: r.a, b: r.b };
      } catch (e) {
        slot.sessions.delete(sessionId);
        this.sessionSlot.delete(sessionId);
        if (!(e instanceof PortsExhaustedError)) throw e;
        exhausted = e;
      } finally {
        this.creating.delete(sessionId);
      }
    }
    throw exhausted ?? new PortsExhaustedError();
  }

  private slotOf(sessionId: string): Slot {
    const slot = this.sessionSlot.get(sessionId);
    if (slot === undefined) throw new MediaCommandError(`no media session ${sessionId}`);
    return slot;
  }

  /** Starts relaying A↔B (sessions are created connected unless `connect: false`). */
  async connect(sessionId: string): Promise<void> {
    await this.slotOf(sessionId).backend.call({ op: 'connect', sessionId });
  }

  /** Stops relaying; packets are still received (and latched) but dropped. */
  async disconnect(sessionId: string): Promise<void> {
    await this.slotOf(sessionId).backend.call({ op: 'disconnect', sessionId });
  }

  /**
   * New signalling for one leg (answer, re-INVITE): address, codecs, rtcp-mux. A changed address
   * restarts latching; any update restarts both legs' rtpTimeout clocks.
   */
  async update(sessionId: string, leg: LegName, config: LegConfig): Promise<void> {
    await this.slotOf(sessionId).backend.call({ op: 'update', sessionId, leg, config });
  }

  /**
   * Closes the session's sockets and frees its ports; resolves with its final counters.
   * Unknown ids are ignored (the worker may have died): undefined.
   */
  async destroy(sessionId: string): Promise<SessionStats | undefined> {
    const slot = this.sessionSlot.get(sessionId);
    if (slot === undefined) return undefined;
    this.sessionSlot.delete(sessionId);
    slot.sessions.delete(sessionId);
    if (!slot.alive) return undefined;
    return ((await slot.backend.call({ op: 'destroy', sessionId })) as SessionStats | null) ?? undefined;
  }

  /**
   * Plays prompts / files / tones to a leg's phone in its G.711 codec, continuing the leg's
   * outgoing stream; relayed audio toward that phone is replaced while it plays. Plays queue.
   * Ends with a `playDone` event carrying the returned playId. Unknown prompt or unplayable
   * file → MediaCommandError.
   */
  async play(sessionId: string, leg: LegName, args: PlayArgs): Promise<PlayStarted> {
    return (await this.slotOf(sessionId).backend.call({ op: 'play', sessionId, leg, args })) as PlayStarted;
  }

  /** Stops the play `playId` on a leg (or all its plays): playDone 'stopped'. Returns how many ended. */
  async stopPlay(sessionId: string, leg: LegName, playId?: number): Promise<number> {
    const r = (await this.slotOf(sessionId).backend.call({ op: 'stopPlay', sessionId, leg, ...(playId === undefined ? {} : { playId }) })) as { stopped: number };
    return r.stopped;
  }

  /** Turns on DTMF detection for a leg (RFC 4733, and with `inband` the tone detector): `dtmf` events. */
  async collectDigits(sessionId: string, leg: LegName, args: CollectDigitsArgs = {}): Promise<void> {
    await this.slotOf(sessionId).backend.call({ op: 'collectDigits', sessionId, leg, args });
  }

  /** Turns DTMF detection off for a leg. */
  async stopDigits(sessionId: string, leg: LegName): Promise<void> {
    await this.slotOf(sessionId).backend.call({ op: 'stopDigits', sessionId, leg });
  }

  /** Sends one digit to a leg's phone as RFC 4733 events (e.g. from SIP INFO); resolves when sent. */
  async sendDtmf(sessionId: string, leg: LegName, digit: string, args: SendDtmfArgs = {}): Promise<{ durationMs: number }> {
    return (await this.slotOf(sessionId).backend.call({ op: 'sendDtmf', sessionId, leg, digit, args })) as { durationMs: number };
  }

  /**
   * Records both legs' incoming audio to a stereo 8 kHz WAV at `path` (left = A, right = B)
   * until stopRecord or destroy (→ `recordDone`). Relaying is unaffected.
   */
  async record(sessionId: string, args: { path: string }): Promise<{ path: string }> {
    return (await this.slotOf(sessionId).backend.call({ op: 'record', sessionId, args })) as { path: string };
  }

  /** Finalises the session's recording; null when it was not recording. */
  async stopRecord(sessionId: string): Promise<RecordResult | null> {
    return (await this.slotOf(sessionId).backend.call({ op: 'stopRecord', sessionId })) as RecordResult | null;
  }

  /**
   * Records a voice message: `leg`'s incoming audio alone, to a mono 8 kHz PCM16 WAV at
   * `args.path`, alongside any call recording. Resolves once started; the end comes as a
   * `messageDone` event — after `maxSeconds` ('max-length'), after `silenceSeconds` of silence
   * following speech ('silence'), on a key in `stopOnDigits` ('digit'; RFC 4733, or in-band
   * when the leg's collectDigits has `inband`; the key's tone is cut off), or on
   * stopMessage/destroy ('stopped'). Trailing silence is trimmed to 0.5 s. Bad arguments, a
   * message already running on the leg or an unwritable path → MediaCommandError.
   */
  async recordMessage(sessionId: string, leg: LegName, args: RecordMessageArgs): Promise<{ path: string }> {
    return (await this.slotOf(sessionId).backend.call({ op: 'recordMessage', sessionId, leg, args })) as { path: string };
  }

  /** Ends a leg's voice message now ('stopped', also reported as messageDone); null when none was running. */
  async stopMessage(sessionId: string, leg: LegName): Promise<MessageResult | null> {
    return (await this.slotOf(sessionId).backend.call({ op: 'stopMessage', sessionId, leg })) as MessageResult | null;
  }

  /** Reserved for the conference mixer: answered with a MediaCommandError for now. */
  async mix(sessionId: string, args: unknown = {}): Promise<never> {
    await this.slotOf(sessionId).backend.call({ op: 'mix', sessionId, args });
    throw new MediaCommandError('mix is not implemented yet');
  }

  async sessionStats(sessionId: string): Promise<SessionStats> {
    return (await this.slotOf(sessionId).backend.call({ op: 'sessionStats', sessionId })) as SessionStats;
  }

  async stats(): Promise<EngineStats> {
    const alive = this.slots.filter((s) => s.alive);
    const workers = (await Promise.all(alive.map((s) => s.backend.call({ op: 'stats' }).catch(() => null)))).filter((w): w is WorkerStats => w !== null);
    return { sessions: this.sessionSlot.size, workers };
  }

  /** The worker a session runs on. */
  workerOf(sessionId: string): number | undefined {
    return this.sessionSlot.get(sessionId)?.index;
  }

  /** Test hook: makes worker `index` exit as if it had crashed (worker threads only). */
  async crashWorker(index: number): Promise<void> {
    const slot = this.slots[index];
    if (this.options.inThread) throw new MediaCommandError('crashWorker needs worker threads');
    if (slot === undefined || !slot.alive) throw new MediaCommandError(`no running media worker ${index}`);
    await slot.backend.call({ op: 'crash' }).catch(() => undefined);
  }

  /** Resolves once every worker slot has a running worker (e.g. after a respawn). */
  async whenAllRunning(timeoutMs = 10_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (this.slots.some((s) => !s.alive)) {
      if (Date.now() > until) throw new Error('media workers did not come back');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Terminates the workers and frees every socket and port. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.sessionSlot.clear();
    await Promise.all(
      this.slots.map(async (s) => {
        s.alive = false;
        s.sessions.clear();
        if (s.backend !== undefined) await s.backend.stop();
      }),
    );
  }
}
