// The media of one call: one media-engine session whose leg A faces the caller and leg B the
// called side, and the SDP each side gets from us (ARCHITECTURE.md: the PBX anchors every
// call). Each side sees only the PBX: what one phone declares is passed to the other with our
// address and port in place of its own (sip/sdp/anchor.ts), so codecs and direction (hold)
// travel end to end while RTP goes through the relay. A side can be replaced (a transfer)
// without the other noticing: its port on the PBX stays the same.
import type { MediaEngine, SessionInfo } from '../media/engine.ts';
import type { LegConfig, LegName, SessionStats } from '../media/media-protocol.ts';
import { anchorSdp } from '../sip/sdp/anchor.ts';
import { withDirection } from '../sip/sdp/direction.ts';
import { filterCodecs } from '../sip/sdp/filter-codecs.ts';
import { legConfigOf } from '../sip/sdp/leg-config.ts';
import { parseSdp } from '../sip/sdp/parse-sdp.ts';
import { SdpError } from '../sip/sdp/sdp-error.ts';
import { serializeSdp } from '../sip/sdp/serialize-sdp.ts';
import type { Direction, SessionDescription } from '../sip/sdp/session-description.ts';
import { newSessionId } from '../sip/sdp/session-id.ts';
import { buildAnswerSdp } from '../sip/sdp/build-answer.ts';
import { codecsOf, isAuxiliaryCodec } from '../sip/sdp/codecs.ts';
import { audioMediaOf } from '../sip/sdp/audio-line.ts';

/** SDP we cannot use: the caller answers 488 Not Acceptable Here with this text. */
export class UnacceptableSdpError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnacceptableSdpError';
  }
}

interface Side {
  /** The last description this side sent us. */
  desc: SessionDescription | undefined;
  sessionId: string;
  /** The o= version our next changed description toward this side carries. */
  version: number;
  /** The last SDP we sent this side. */
  lastSent?: string;
}

/**
 * Our offer (an SDP we wrote) narrowed to the encodings a target accepts: a trunk that takes
 * only PCMA gets only PCMA (and telephone-event if it lists it). Null when nothing is left: the
 * target is not tried, since its answer would name a codec the caller never offered.
 */
export function narrowOffer(offer: string, codecs: readonly string[]): string | null {
  const narrowed = filterCodecs(parseSdp(offer), codecs);
  return narrowed === null ? null : serializeSdp(narrowed);
}

export class CallMedia {
  readonly engine: MediaEngine;
  readonly session: SessionInfo;
  private readonly codecs: readonly string[];
  private readonly symmetric: boolean;
  private readonly sides: Record<LegName, Side>;
  private destroyed = false;

  private constructor(engine: MediaEngine, session: SessionInfo, codecs: readonly string[], symmetric: boolean) {
    this.engine = engine;
    this.session = session;
    this.codecs = codecs;
    this.symmetric = symmetric;
    this.sides = {
      a: { desc: undefined, sessionId: newSessionId(), version: 1 },
      b: { desc: undefined, sessionId: newSessionId(), version: 1 },
    };
  }

  /** Parses and checks an SDP body; UnacceptableSdpError when there is no usable audio. */
  static parse(body: string, codecs: readonly string[]): SessionDescription {
    let desc: SessionDescription;
    try {
      desc = parseSdp(body);
    } catch (e) {
      throw new UnacceptableSdpError(e instanceof SdpError ? `bad SDP: ${e.message}` : 'bad SDP');
    }
    const filtered = filterCodecs(desc, codecs);
    if (filtered === null) throw new UnacceptableSdpError(`no common codec (the PBX accepts ${codecs.join(', ')})`);
    if (legConfigOf(filtered) === null) throw new UnacceptableSdpError('no audio stream in the SDP');
    return filtered;
  }

  /**
   * A session for a call whose caller offered `offer` (already parsed): leg A knows the
   * caller's address at once; leg B learns its address from the called side's answer.
   * Throws PortsExhaustedError (→ 503) when no ports are free.
   */
  static async create(engine: MediaEngine, offer: SessionDescription, options: { codecs: readonly string[]; symmetric?: boolean; rtpTimeoutS?: number }): Promise<CallMedia> {
    const symmetric = options.symmetric ?? true;
    const a = { ...(legConfigOf(offer) ?? {}), symmetric };
    const session = await engine.createSession({ a, b: { symmetric }, connect: true, ...(options.rtpTimeoutS === undefined ? {} : { rtpTimeoutS: options.rtpTimeoutS }) });
    const m = new CallMedia(engine, session, options.codecs, symmetric);
    m.sides.a.desc = offer;
    return m;
  }

  get sessionId(): string {
    return this.session.sessionId;
  }

  private ports(leg: LegName): { port: number; rtcpPort: number } {
    return leg === 'a' ? this.session.a : this.session.b;
  }

  /**
   * What `toward` gets from us in place of the other side's last description. The o= version
   * goes up only when the description changed (RFC 3264 §8): a re-sent, unchanged SDP keeps it.
   */
  private anchoredFor(toward: LegName, desc: SessionDescription, direction?: Direction): string {
    const side = this.sides[toward];
    const p = this.ports(toward);
    const source = direction === undefined ? desc : withDirection(desc, direction);
    const render = (version: number): string =>
      serializeSdp(anchorSdp(source, { address: this.session.address, port: p.port, rtcpPort: p.rtcpPort, sessionId: side.sessionId, sessionVersion: version }));
    if (side.lastSent !== undefined) {
      const same = render(side.version - 1);
      if (same === side.lastSent) return same;
    }
    side.lastSent = render(side.version++);
    return side.lastSent;
  }

  /**
   * Our offer toward leg `toward`, built from the other side's last description. `direction`
   * forces a=sendrecv etc.: a new party (transfer) must not inherit a hold the old one made.
   */
  offerToward(toward: LegName, direction?: Direction): string {
    const from = this.sides[other(toward)].desc;
    if (from === undefined) throw new Error(`no description from leg ${other(toward)} yet`);
    return this.anchoredFor(toward, from, direction);
  }

  /**
   * A side sent a description (an answer, an early-media 183, a re-INVITE's offer): the relay
   * learns where that phone receives; returns what the other side gets from us.
   */
  async fromSide(leg: LegName, body: string): Promise<string> {
    const desc = CallMedia.parse(body, this.codecs);
    this.sides[leg].desc = desc;
    this.apply(leg, legConfigOf(desc));
    return this.anchoredFor(other(leg), desc);
  }

  /** Our last description toward `leg` again (a re-INVITE without SDP asks for it). */
  currentToward(leg: LegName): string | undefined {
    const from = this.sides[other(leg)].desc;
    if (from === undefined) return leg === 'a' ? this.localAnswer : undefined;
    return this.anchoredFor(leg, from);
  }

  /** The SDP the PBX answered the caller with itself (an IVR), until a called side is connected. */
  private localAnswer: string | undefined;

  /**
   * The PBX answers the caller itself (switchboard greeting, announcements): our answer picks
   * one voice codec the engine plays and records (G.711) plus telephone-event. The caller's side
   * is narrowed to what was agreed, so a called side dialled later is offered exactly that codec
   * and the relay never needs to transcode. Throws UnacceptableSdpError when nothing fits.
   */
  answerLocally(): string {
    const offer = this.sides.a.desc;
    if (offer === undefined) throw new Error('no offer from the caller');
    const side = this.sides.a;
    const answer = buildAnswerSdp(offer, {
      address: this.session.address,
      port: this.session.a.port,
      supported: ['PCMA', 'PCMU', 'telephone-event'],
      sessionId: side.sessionId,
      sessionVersion: side.version++,
    });
    const audio = answer === null ? undefined : audioMediaOf(answer);
    const voice = audio === undefined ? undefined : codecsOf(audio).find((c) => !isAuxiliaryCodec(c.name));
    if (answer === null || voice === undefined) throw new UnacceptableSdpError('no G.711 codec in the offer (the PBX answers with PCMA or PCMU)');
    const agreed = filterCodecs(offer, [voice.name, 'telephone-event']);
    if (agreed !== null) {
      side.desc = agreed;
      this.apply('a', legConfigOf(agreed));
    }
    this.localAnswer = serializeSdp(answer);
    return this.localAnswer;
  }

  /** Whether a side declared RFC 4733 telephone-event (then DTMF from SIP INFO is sent to it as RTP events). */
  hasTelephoneEvent(leg: LegName): boolean {
    const desc = this.sides[leg].desc;
    return desc !== undefined && (legConfigOf(desc)?.codecs ?? []).some((c) => c.name.toLowerCase() === 'telephone-event');
  }

  /** The B side is a new phone from now on (a transfer target answered): forget the old one. */
  resetSide(leg: LegName): void {
    this.sides[leg].desc = undefined;
  }

  /**
   * Tells the relay, without waiting for the worker's reply: commands reach a worker in order, so
   * whatever follows (record, destroy) sees it applied, and the SIP answer that depends on it
   * need not wait a worker round trip (measured: most of the PBX's share of the answer phase).
   */
  private apply(leg: LegName, config: LegConfig | null): void {
    if (this.destroyed || config === null) return;
    this.engine.update(this.sessionId, leg, { ...config, symmetric: this.symmetric }).catch((e: unknown) => {
      this.onError?.(`media update of leg ${leg} failed: ${(e as Error).message}`);
    });
  }

  /** Where failures of commands not waited for are reported (the call logs them). */
  onError: ((message: string) => void) | undefined;

  async record(path: string): Promise<void> {
    await this.engine.record(this.sessionId, { path });
  }

  /** Packet counters of the session as it ended (for metrics and the call's log line). */
  lastStats: SessionStats | undefined;

  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    this.lastStats = await this.engine.destroy(this.sessionId);
  }
}

function other(leg: LegName): LegName {
  return leg === 'a' ? 'b' : 'a';
}
