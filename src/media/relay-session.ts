// A relayed call: endpoint A (offered to one phone) ↔ endpoint B (offered to the other).
// A packet phone A sends to endpoint A leaves through endpoint B's socket to phone B, and vice
// versa. When both legs use the same codecs with the same payload types the relay is
// transparent (no rewrite table at all: rtpengine's fast path); otherwise a Rewrite table per
// direction remaps payload types (telephone-event 101 ↔ 96) and transcodes A-law ↔ µ-law.
import { isIPv4 } from 'node:net';
import { MediaCommandError, type Codec, type LegConfig, type LegName, type SessionStats } from './media-protocol.ts';
import { TRANSCODE_ALAW_TO_ULAW, TRANSCODE_ULAW_TO_ALAW, type RelayEndpoint, type Rewrite } from './relay-endpoint.ts';

const norm = (name: string): string => name.trim().toUpperCase();

/** Rejects what the relay cannot use before anything is changed. */
function validateLeg(leg: LegName, c: LegConfig): void {
  const r = c.remote;
  if (r == null) return;
  // sockets send without a DNS lookup (media-worker.ts): names must be resolved by signalling
  if (!isIPv4(r.address)) throw new MediaCommandError(`leg ${leg}: media address ${r.address} is not an IPv4 address`);
  for (const p of [r.port, r.rtcpPort ?? 1]) {
    if (!Number.isInteger(p) || p < 1 || p > 65535) throw new MediaCommandError(`leg ${leg}: bad media port ${p}`);
  }
}

/**
 * The rewrite for packets from a leg using `from` to a leg using `to`, or null when every
 * payload type passes unchanged. A payload type the receiving leg lacks by name is transcoded
 * when it is PCMA/PCMU and the other law is on offer; otherwise it passes unchanged.
 */
export function compileRewrite(from: Codec[] | undefined, to: Codec[] | undefined): Rewrite | null {
  if (from === undefined || to === undefined) return null;
  const outPt = new Int16Array(128).fill(-1);
  const transcode = new Uint8Array(128);
  let needed = false;
  const byName = new Map<string, number>();
  for (const c of to) if (!byName.has(norm(c.name))) byName.set(norm(c.name), c.pt);
  for (const c of from) {
    if (c.pt < 0 || c.pt > 127) continue;
    const name = norm(c.name);
    const same = byName.get(name);
    if (same !== undefined) {
      if (same !== c.pt) {
        outPt[c.pt] = same;
        needed = true;
      }
      continue;
    }
    const other = name === 'PCMA' ? byName.get('PCMU') : name === 'PCMU' ? byName.get('PCMA') : undefined;
    if (other !== undefined) {
      transcode[c.pt] = name === 'PCMA' ? TRANSCODE_ALAW_TO_ULAW : TRANSCODE_ULAW_TO_ALAW;
      if (other !== c.pt) outPt[c.pt] = other;
      needed = true;
    }
  }
  return needed ? { outPt, transcode } : null;
}

export class RelaySession {
  readonly id: string;
  readonly a: RelayEndpoint;
  readonly b: RelayEndpoint;
  private cfgA: LegConfig;
  private cfgB: LegConfig;
  connected = false;
  /** rtpTimeout for this session in ms; 0 = off. */
  readonly rtpTimeoutMs: number;

  constructor(id: string, a: RelayEndpoint, b: RelayEndpoint, cfgA: LegConfig, cfgB: LegConfig, rtpTimeoutMs: number) {
    this.id = id;
    this.a = a;
    this.b = b;
    this.cfgA = cfgA;
    this.cfgB = cfgB;
    this.rtpTimeoutMs = rtpTimeoutMs;
    validateLeg('a', cfgA);
    validateLeg('b', cfgB);
    this.apply();
  }

  leg(name: LegName): RelayEndpoint {
    return name === 'a' ? this.a : this.b;
  }

  /** The signalling's current view of a leg (codecs for playback and DTMF). */
  config(name: LegName): Readonly<LegConfig> {
    return name === 'a' ? this.cfgA : this.cfgB;
  }

  update(leg: LegName, config: LegConfig): void {
    validateLeg(leg, config);
    if (leg === 'a') this.cfgA = { ...this.cfgA, ...config };
    else this.cfgB = { ...this.cfgB, ...config };
    this.apply();
  }

  private apply(): void {
    this.a.configure(this.cfgA.remote, this.cfgA.rtcpMux ?? false, this.cfgA.codecs, this.cfgA.symmetric ?? true);
    this.b.configure(this.cfgB.remote, this.cfgB.rtcpMux ?? false, this.cfgB.codecs, this.cfgB.symmetric ?? true);
    this.a.rewrite = compileRewrite(this.cfgA.codecs, this.cfgB.codecs);
    this.b.rewrite = compileRewrite(this.cfgB.codecs, this.cfgA.codecs);
  }

  connect(): void {
    this.connected = true;
    this.a.peer = this.b;
    this.b.peer = this.a;
  }

  disconnect(): void {
    this.connected = false;
    this.a.peer = null;
    this.b.peer = null;
  }

  stats(): SessionStats {
    return { sessionId: this.id, connected: this.connected, a: this.a.stats(), b: this.b.stats() };
  }

  close(): void {
    this.disconnect();
    this.a.close();
    this.b.close();
  }
}
