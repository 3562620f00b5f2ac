// A carrier for trunk tests: a real SipStack on 127.0.0.1 (UDP and TCP, port 0) that acts as registrar
// (digest with src/sip/digest.ts, Min-Expires, grants at most `maxExpires`, can play dead) and
// records every request; tests may take over INVITEs with `onInvite`. Also a hand-driven timer
// set with its clock, and a trunk row builder.
import { createLogger } from '../../src/log.ts';
import { DigestAuthenticator, type DigestAlgorithm } from '../../src/sip/digest.ts';
import type { SipRequest } from '../../src/sip/message.ts';
import { SipStack, type StackIncomingRequest } from '../../src/sip/stack.ts';
import type { TrunkRow } from '../../src/trunks/schema.ts';

export const logger = createLogger('silent');
export const REALM = 'carrier.example';

export interface CarrierOptions {
  username?: string;
  password?: string;
  algorithms?: DigestAlgorithm[];
  now?: () => number;
  nonceLifetimeMs?: number;
  /** Listening address (default 127.0.0.1; '::1' for IPv6). */
  host?: string;
}

export class FakeCarrier {
  readonly requests: SipRequest[] = [];
  /** 'answer' as a registrar would; 'drop' ignores every request (a dead carrier). */
  mode: 'answer' | 'drop' = 'answer';
  /** Longest binding granted, seconds. */
  maxExpires = 3600;
  /** When set, a shorter Expires gets 423 with this Min-Expires. */
  minExpires: number | undefined;
  /** Grant through the Contact's expires parameter (default) or the Expires header only. */
  grantVia: 'contact' | 'header' = 'contact';
  /** Challenge REGISTER with 407/Proxy-Authenticate instead of 401. */
  challengeAsProxy = false;
  /** Bindings: contact URI → expiry (s, as granted). */
  readonly bindings = new Map<string, number>();
  onInvite: ((inc: StackIncomingRequest) => void) | undefined;
  /** Challenge requests inside a dialog too (407), as some carriers do for BYE and re-INVITE. */
  challengeInDialog = false;
  readonly digest: DigestAuthenticator;
  private readonly username: string;
  private readonly password: string;

  private constructor(readonly stack: SipStack, o: CarrierOptions) {
    this.username = o.username ?? 'trunk1';
    this.password = o.password ?? 's3cret';
    this.digest = new DigestAuthenticator({ algorithms: o.algorithms, now: o.now, nonceLifetimeMs: o.nonceLifetimeMs });
    stack.onRequest((inc) => this.handle(inc as StackIncomingRequest));
  }

  static async start(o: CarrierOptions = {}): Promise<FakeCarrier> {
    return new FakeCarrier(await SipStack.start({ udp: [{ host: o.host ?? '127.0.0.1', port: 0 }], tcp: [{ host: o.host ?? '127.0.0.1', port: 0 }], logger }), o);
  }

  get port(): number {
    return this.stack.boundPorts().udp[0]!;
  }

  get tcpPort(): number {
    return this.stack.boundPorts().tcp[0]!;
  }

  registers(): SipRequest[] {
    return this.requests.filter((r) => r.method === 'REGISTER');
  }

  /** Checks digest credentials of a REGISTER (401) or any other request (407); true when they pass (else it answered). */
  authenticate(inc: StackIncomingRequest, asProxy: boolean): boolean {
    const req = inc.request;
    const result = this.digest.verify(
      { method: req.method, uri: req.uri, authorization: asProxy ? req.headers['proxy-authorization'] : req.headers.authorization },
      REALM,
      (u) => (u === this.username ? { password: this.password } : undefined),
    );
    if (result.kind === 'ok') return true;
    const challenge = this.digest.challenge(REALM, result.kind === 'challenge' && result.stale);
    if (asProxy) inc.respond(407, undefined, { headers: { 'Proxy-Authenticate': challenge } });
    else inc.respond(401, undefined, { headers: { 'WWW-Authenticate': challenge } });
    return false;
  }

  close(): Promise<void> {
    return this.stack.close();
  }

  private handle(inc: StackIncomingRequest): void {
    this.requests.push(inc.request);
    if (this.mode === 'drop') return;
    const req = inc.request;
    if (req.method === 'REGISTER') return this.register(inc);
    if (req.method === 'ACK') return;
    const inDialog = req.headers.to.params.tag !== undefined;
    if (inDialog && this.challengeInDialog && !this.authenticate(inc, true)) return;
    if (req.method === 'INVITE' && inDialog) return void inc.respond(200, 'OK', { body: CARRIER_SDP, contentType: 'application/sdp' });
    if (req.method === 'INVITE' && this.onInvite) return this.onInvite(inc);
    inc.respond(200);
  }

  private register(inc: StackIncomingRequest): void {
    if (!this.authenticate(inc, this.challengeAsProxy)) return;
    const h = inc.request.headers;
    const asked = Number(h.expires ?? 3600);
    const contact = Array.isArray(h.contact) ? h.contact[0]!.uri : '';
    if (asked === 0) {
      this.bindings.delete(contact);
      inc.respond(200);
      return;
    }
    if (this.minExpires !== undefined && asked < this.minExpires) {
      inc.respond(423, undefined, { headers: { 'Min-Expires': String(this.minExpires) } });
      return;
    }
    const granted = Math.min(asked, this.maxExpires);
    this.bindings.set(contact, granted);
    const headers: Record<string, string> =
      this.grantVia === 'contact' ? { Contact: `<${contact}>;expires=${granted}` } : { Contact: `<${contact}>`, Expires: String(granted) };
    inc.respond(200, undefined, { headers });
  }
}

/** The carrier's media: PCMA on 127.0.0.4. */
export const CARRIER_SDP = 'v=0\r\no=- 1 1 IN IP4 127.0.0.4\r\ns=-\r\nc=IN IP4 127.0.0.4\r\nt=0 0\r\nm=audio 40000 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n';

/** Timers run by hand: `fire` runs the earliest pending one and moves the clock to it. */
export class ManualTimers {
  t = Date.UTC(2026, 10, 2, 9, 0, 0);
  readonly pending: Array<{ at: number; ms: number; fn: () => void }> = [];
  now = (): number => this.t;
  setTimer = (fn: () => void, ms: number): unknown => {
    const timer = { at: this.t + ms, ms, fn };
    this.pending.push(timer);
    return timer;
  };
  clearTimer = (handle: unknown): void => {
    const i = this.pending.indexOf(handle as (typeof this.pending)[number]);
    if (i >= 0) this.pending.splice(i, 1);
  };
  /** The delays (ms) of the pending timers, earliest first. */
  delays(): number[] {
    return [...this.pending].sort((a, b) => a.at - b.at).map((p) => p.ms);
  }
  fire(): number {
    const next = [...this.pending].sort((a, b) => a.at - b.at)[0];
    if (!next) throw new Error('no timer pending');
    this.clearTimer(next);
    this.t = next.at;
    next.fn();
    return next.ms;
  }
}

/** Polls `cond` every 5 ms until true, failing after `ms`. */
export async function until(cond: () => boolean, ms = 3000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export function trunkRow(o: Partial<TrunkRow> = {}): TrunkRow {
  return {
    id: 1, name: 'carrier-a', kind: 'carrier', tenantId: null, host: '127.0.0.1', port: 5080, transport: 'udp',
    register: true, registerExpiresS: 60, username: 'trunk1', password: 's3cret', inboundAuth: 'ip', inboundUsername: null,
    inboundPassword: null, addresses: '[]', maxCalls: 0, codecs: null, calledFormat: 'national', callerIdFormat: 'national',
    callerIdHeader: 'both', diversion: false, rewrite: '[]', priority: 100, countryCode: '86', enabled: true, configManaged: false,
    createdAt: 0, ...o,
  };
}
