// A media worker: owns one slice of the RTP port range and the sockets of its sessions, and
// everything a packet touches. MediaWorkerCore does the work and is also what the facade runs
// in-thread for tests; the bottom of this file binds it to a worker thread's parentPort when
// the file is loaded as a worker (workerData.mediaWorker). Replies and events go out as
// messages; nothing is posted per packet — rtpTimeout comes from a sweep, stats on a timer.
// Media features (play, sendDtmf, collectDigits, record, recordMessage — session-media.ts) are
// created for a session by its first such command; their events (playDone, dtmf, recordDone,
// messageDone) are per play, digit or recording, never per packet.
// Where a worker terminates media — a session that is not connected — it also sends each leg's
// phone RTCP reports of its own (leg-rtcp.ts) from one RTCP timer that walks only those
// sessions and runs only while there are any; connected sessions relay RTCP and cost nothing.
import { createSocket, type Socket } from 'node:dgram';
import { parentPort, workerData } from 'node:worker_threads';
import {
  MediaCommandError,
  type CreateSessionResult,
  type FromWorker,
  type LegName,
  type MediaCommand,
  type MediaEvent,
  type LegConfig,
  type SessionOptions,
  type SessionStats,
  type ToWorker,
  type WorkerInit,
  type WorkerStats,
  type PlayStarted,
} from './media-protocol.ts';
import { playItems } from './play-request.ts';
import { PortAllocator } from './port-allocator.ts';
import { DEFAULT_PROMPT_DIR, PromptLibrary } from './prompt-library.ts';
import { DEFAULT_RTCP_INTERVAL_MS, LegRtcp } from './leg-rtcp.ts';
import { RelayEndpoint } from './relay-endpoint.ts';
import { RelaySession } from './relay-session.ts';
import { SessionMedia } from './session-media.ts';

/**
 * Destinations are IPv4 literals (SDP addresses are checked in RelayEndpoint.configure, latched
 * ones come from the kernel), so the per-send "DNS lookup" answers at once: node's default goes
 * through dns.lookup and a process.nextTick for every packet.
 */
function literalLookup(address: string, _family: unknown, callback: (err: Error | null, address: string, family: number) => void): void {
  callback(null, address, 4);
}

function bindSocket(port: number, host: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createSocket({ type: 'udp4', lookup: literalLookup as never });
    const onError = (e: Error): void => {
      s.close();
      reject(e);
    };
    s.once('error', onError);
    s.bind(port, host, () => {
      s.off('error', onError);
      resolve(s);
    });
  });
}

async function bindPair(port: number, host: string): Promise<[Socket, Socket]> {
  const rtp = await bindSocket(port, host);
  try {
    return [rtp, await bindSocket(port + 1, host)];
  } catch (e) {
    rtp.close();
    throw e;
  }
}

export class MediaWorkerCore {
  private readonly init: WorkerInit;
  private readonly emit: (e: MediaEvent) => void;
  private readonly ports: PortAllocator;
  private readonly sessions = new Map<string, RelaySession>();
  private readonly sweepTimer: NodeJS.Timeout;
  private readonly statsTimer: NodeJS.Timeout | null;
  /** Media features of the sessions that asked for any (play, DTMF, recording). */
  private readonly media = new Map<string, SessionMedia>();
  /** Recorder ticks and DTMF timeouts; runs only while `media` is not empty. */
  private featureTimer: NodeJS.Timeout | null = null;
  private library: PromptLibrary | null = null;
  /** Endpoints bound in advance (init.spareEndpoints) so createSession does not wait for binds. */
  private readonly spares: RelayEndpoint[] = [];
  private replenishing = false;
  private closed = false;
  /** Sessions not connected: the worker terminates their media and reports in RTCP itself. */
  private readonly terminated = new Map<string, RelaySession>();
  /** Polls the legs of `terminated` for due RTCP reports; runs only while it is not empty. */
  private rtcpTimer: NodeJS.Timeout | null = null;
  private readonly rtcpIntervalMs: number;

  constructor(init: WorkerInit, emit: (e: MediaEvent) => void) {
    this.init = init;
    this.emit = emit;
    this.ports = new PortAllocator(init.portRange);
    const sweepMs = Math.max(20, Math.min(1000, Math.floor(init.rtpTimeoutMs / 4) || 1000));
    this.sweepTimer = setInterval(() => this.sweep(), sweepMs);
    this.sweepTimer.unref();
    this.statsTimer = init.statsIntervalMs > 0 ? setInterval(() => this.emit({ type: 'stats', stats: this.workerStats() }), init.statsIntervalMs) : null;
    this.statsTimer?.unref();
    this.replenish();
    this.rtcpIntervalMs = init.rtcpIntervalMs ?? DEFAULT_RTCP_INTERVAL_MS;
  }

  async handle(cmd: MediaCommand): Promise<unknown> {
    switch (cmd.op) {
      case 'createSession':
        return this.createSession(cmd.sessionId, cmd.options);
      case 'connect': {
        const s = this.session(cmd.sessionId);
        s.connect();
        this.relayed(s);
        return null;
      }
      case 'disconnect': {
        const s = this.session(cmd.sessionId);
        s.disconnect();
        this.terminate(s);
        return null;
      }
      case 'update':
        this.update(cmd.sessionId, cmd.leg, cmd.config);
        return null;
      case 'destroy': {
        // the session's final counters go back with the reply (metrics and call logs want them)
        const stats = this.sessions.get(cmd.sessionId)?.stats() ?? null;
        this.destroy(cmd.sessionId);
        return stats;
      }
      case 'stats':
        return this.workerStats();
      case 'sessionStats':
        return this.session(cmd.sessionId).stats() satisfies SessionStats;
      case 'play': {
        const items = playItems(cmd.args, this.prompts());
        const m = this.mediaOf(cmd.sessionId);
        return { playId: m.leg(checkLeg(cmd.leg)).play(items, { loop: cmd.args.loop === true, interruptible: cmd.args.interruptible === true }) } satisfies PlayStarted;
      }
      case 'stopPlay':
        return { stopped: this.media.get(this.session(cmd.sessionId).id)?.leg(checkLeg(cmd.leg)).stopPlay(cmd.playId) ?? 0 };
      case 'collectDigits': {
        const m = this.mediaOf(cmd.sessionId);
        m.leg(checkLeg(cmd.leg)).collectDigits(cmd.args ?? {});
        m.refreshTaps();
        return null;
      }
      case 'stopDigits': {
        const m = this.media.get(this.session(cmd.sessionId).id);
        m?.leg(checkLeg(cmd.leg)).stopDigits();
        m?.refreshTaps();
        return null;
      }
      case 'sendDtmf':
        return this.mediaOf(cmd.sessionId)
          .leg(checkLeg(cmd.leg))
          .sendDtmf(cmd.digit, cmd.args ?? {});
      case 'record':
        return this.mediaOf(cmd.sessionId).record(cmd.args?.path);
      case 'stopRecord':
        return this.media.get(this.session(cmd.sessionId).id)?.stopRecord() ?? null;
      case 'recordMessage':
        return this.mediaOf(cmd.sessionId).recordMessage(checkLeg(cmd.leg), cmd.args);
      case 'stopMessage':
        return this.media.get(this.session(cmd.sessionId).id)?.stopMessage(checkLeg(cmd.leg)) ?? null;
      case 'mix':
        throw new MediaCommandError(`media command 'mix' is not implemented yet (conference mixing)`);
      case 'crash':
        process.exit(70); // in a worker thread this ends the thread only
      default:
        throw new MediaCommandError(`unknown media command '${(cmd as { op: string }).op}'`);
    }
  }

  private prompts(): PromptLibrary {
    return (this.library ??= new PromptLibrary(this.init.promptDirs ?? [DEFAULT_PROMPT_DIR]));
  }

  private mediaOf(id: string): SessionMedia {
    const s = this.session(id);
    let m = this.media.get(id);
    if (m === undefined) {
      m = new SessionMedia(s, this.emit);
      this.media.set(id, m);
      if (this.featureTimer === null) {
        this.featureTimer = setInterval(() => this.tickFeatures(), 200);
        this.featureTimer.unref();
      }
    }
    return m;
  }

  private tickFeatures(): void {
    const now = performance.now();
    for (const m of this.media.values()) m.tick(now);
  }

  private update(id: string, leg: LegName, config: LegConfig): void {
    const session = this.session(id);
    session.update(leg, config);
    // new signalling (an answer, a resume) restarts both legs' silence clocks: a call that rang
    // for a minute, or sat on hold, gets a full rtpTimeout for its media to start flowing
    const now = Date.now();
    for (const e of [session.a, session.b]) {
      e.lastRtp = now;
      e.timedOut = false;
    }
    this.media.get(id)?.refresh();
  }

  private session(id: string): RelaySession {
    const s = this.sessions.get(id);
    if (s === undefined) throw new MediaCommandError(`no media session ${id}`);
    return s;
  }

  /** A fresh endpoint: a spare bound in advance when there is one (no wait), else bound now. */
  private async allocateEndpoint(): Promise<RelayEndpoint> {
    const spare = this.spares.pop();
    if (spare !== undefined) {
      spare.lastRtp = Date.now(); // its silence starts now, not when it was bound
      this.replenish();
      return spare;
    }
    return this.bindEndpoint();
  }

  private async bindEndpoint(): Promise<RelayEndpoint> {
    const { port, value } = await this.ports.allocate((p) => bindPair(p, this.init.host));
    return new RelayEndpoint(port, value[0], value[1], this.init);
  }

  /** Tops the spare pool up in the background; stops quietly when the ports run out. */
  private replenish(): void {
    if (this.replenishing || this.closed || this.spares.length >= (this.init.spareEndpoints ?? 0)) return;
    this.replenishing = true;
    void (async () => {
      try {
        while (!this.closed && this.spares.length < (this.init.spareEndpoints ?? 0)) {
          const e = await this.bindEndpoint();
          if (this.closed) this.closeEndpoint(e);
          else this.spares.push(e);
        }
      } catch {
        // no free ports (or a bind failed): the pool stays short; sessions bind on demand
      } finally {
        this.replenishing = false;
      }
    })();
  }

  private async createSession(id: string, options: SessionOptions): Promise<CreateSessionResult> {
    if (this.sessions.has(id)) throw new MediaCommandError(`media session ${id} exists`);
    const a = await this.allocateEndpoint();
    let b: RelayEndpoint;
    try {
      b = await this.allocateEndpoint();
    } catch (e) {
      this.closeEndpoint(a);
      throw e;
    }
    const timeoutMs = options.rtpTimeoutS === undefined ? this.init.rtpTimeoutMs : options.rtpTimeoutS * 1000;
    let s: RelaySession;
    try {
      s = new RelaySession(id, a, b, options.a ?? {}, options.b ?? {}, timeoutMs);
    } catch (e) {
      this.closeEndpoint(a);
      this.closeEndpoint(b);
      throw e;
    }
    if (options.connect ?? true) s.connect();
    this.sessions.set(id, s);
    if (!s.connected) this.terminate(s);
    return { a: { port: a.port, rtcpPort: a.port + 1 }, b: { port: b.port, rtcpPort: b.port + 1 } };
  }

  private closeEndpoint(e: RelayEndpoint): void {
    e.close();
    this.ports.release(e.port);
  }

  private destroy(id: string): boolean {
    const s = this.sessions.get(id);
    if (s === undefined) return false;
    this.sessions.delete(id);
    if (this.terminated.has(id)) {
      s.a.reporter?.bye();
      s.b.reporter?.bye();
      this.relayed(s);
    }
    const m = this.media.get(id);
    if (m !== undefined) {
      this.media.delete(id);
      m.close();
      if (this.media.size === 0 && this.featureTimer !== null) {
        clearInterval(this.featureTimer);
        this.featureTimer = null;
      }
    }
    s.close();
    this.ports.release(s.a.port);
    this.ports.release(s.b.port);
    return true;
  }

  // ---------------------------------------------------------------- RTCP where media is terminated

  /** The session is not (or no longer) connected: its legs get RTCP reports from the worker. */
  private terminate(s: RelaySession): void {
    if (this.rtcpIntervalMs <= 0 || this.terminated.has(s.id)) return;
    for (const leg of ['a', 'b'] as const) {
      const e = s.leg(leg);
      e.reporter ??= new LegRtcp(e, { intervalMs: this.rtcpIntervalMs, sender: () => this.media.get(s.id)?.leg(leg).senderState() ?? null });
      e.reporter.start();
    }
    this.terminated.set(s.id, s);
    if (this.rtcpTimer === null) {
      // fine enough for a randomised interval, and at most a few wake-ups a second
      const tickMs = Math.max(20, Math.min(250, Math.floor(this.rtcpIntervalMs / 20)));
      this.rtcpTimer = setInterval(() => this.tickRtcp(), tickMs);
      this.rtcpTimer.unref();
    }
  }

  /** The session relays (connected) or is gone: the phones' own RTCP is relayed. */
  private relayed(s: RelaySession): void {
    if (!this.terminated.delete(s.id)) return;
    s.a.reporter?.stop();
    s.b.reporter?.stop();
    if (this.terminated.size === 0 && this.rtcpTimer !== null) {
      clearInterval(this.rtcpTimer);
      this.rtcpTimer = null;
    }
  }

  private tickRtcp(): void {
    for (const s of this.terminated.values()) {
      s.a.reporter?.poll();
      s.b.reporter?.poll();
    }
  }

  /** rtpTimeout: once per silence, re-armed when media flows again. */
  private sweep(): void {
    const now = Date.now();
    for (const s of this.sessions.values()) {
      if (s.rtpTimeoutMs <= 0) continue;
      this.check(s, 'a', now);
      this.check(s, 'b', now);
    }
  }

  private check(s: RelaySession, leg: LegName, now: number): void {
    const e = s.leg(leg);
    const silent = now - e.lastRtp;
    if (silent < s.rtpTimeoutMs) {
      e.timedOut = false;
    } else if (!e.timedOut) {
      e.timedOut = true;
      this.emit({ type: 'rtpTimeout', sessionId: s.id, leg, silentMs: silent });
    }
  }

  workerStats(): WorkerStats {
    let rtpIn = 0;
    let rtpOut = 0;
    let dropped = 0;
    for (const s of this.sessions.values()) {
      for (const e of [s.a, s.b]) {
        rtpIn += e.rtpIn;
        rtpOut += e.rtpOut;
        dropped += e.droppedInvalid + e.droppedNoPeer + e.droppedStranger;
      }
    }
    return {
      worker: this.init.index,
      sessions: this.sessions.size,
      portPairsInUse: this.ports.allocated,
      portPairsCapacity: this.ports.capacity,
      rtpIn,
      rtpOut,
      dropped,
    };
  }

  close(): void {
    this.closed = true;
    for (const e of this.spares.splice(0)) this.closeEndpoint(e);
    clearInterval(this.sweepTimer);
    if (this.rtcpTimer !== null) clearInterval(this.rtcpTimer);
    if (this.statsTimer !== null) clearInterval(this.statsTimer);
    for (const id of [...this.sessions.keys()]) this.destroy(id);
  }
}

function checkLeg(leg: LegName): LegName {
  if (leg !== 'a' && leg !== 'b') throw new MediaCommandError(`no leg ${String(leg)}: legs are 'a' and 'b'`);
  return leg;
}

/** Serialisable form of an error for the reply. */
export function errorShape(e: unknown): { name: string; message: string } {
  return e instanceof Error ? { name: e.name, message: e.message } : { name: 'Error', message: String(e) };
}

// ---- thread entry ----
const data = workerData as { mediaWorker?: WorkerInit } | null;
if (parentPort !== null && data?.mediaWorker !== undefined) {
  const port = parentPort;
  const post = (m: FromWorker): void => port.postMessage(m);
  const core = new MediaWorkerCore(data.mediaWorker, (event) => post({ kind: 'event', event }));
  port.on('message', (m: ToWorker) => {
    core.handle(m.cmd).then(
      (result) => post({ kind: 'reply', id: m.id, ok: true, result }),
      (e: unknown) => post({ kind: 'reply', id: m.id, ok: false, error: errorShape(e) }),
    );
  });
  post({ kind: 'ready' });
}
