// Outbound REGISTER of one trunk (RFC 3261 §10.2) to a carrier that wants to know where we are.
// One Call-ID for the life of the registration, CSeq counting up across refreshes and the final
// unregister (§10.2.4). Refreshed at 80 % of the time the registrar granted (at least 5 s before
// it runs out); after a failure retried in 30 s, 60 s, 120 s … 600 s, for ever: a carrier that
// is down today is usually back tomorrow, and an operator should not have to restart anything.
//
// Challenges: a refresh re-sends the last credentials with the next nc (most registrars accept
// that and it saves a round trip); a challenge is answered once. Challenged again after answering
// (unless stale=true), or challenged with the very nonce our credentials used, means the carrier
// refused them: failed, wrong credentials. A wrong password cannot be told apart by the nonce
// alone — digest.ts, like most registrars, answers it with a fresh nonce.
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Logger } from '../log.ts';
import { challengeOf, DigestClient, type DigestChallenge } from '../sip/digest-client.ts';
import type { NameAddr, Peer, SipResponse } from '../sip/message.ts';
import { newCallId, newTag } from '../sip/random-id.ts';
import type { SipStackApi } from '../sip/stack-api.ts';
import { bareHost, formatHost, parseUri } from '../sip/uri.ts';
import type { TrunkRow } from './schema.ts';

export type TrunkRegistrationState = 'registering' | 'registered' | 'failed' | 'unregistered';

export interface TrunkRegistrationStatus {
  trunkId: number;
  name: string;
  state: TrunkRegistrationState;
  lastStatus?: number;
  lastError?: string;
  registeredAt?: number;
  expiresAt?: number;
  nextAttemptAt?: number;
}

/** What one registration needs from around it (TrunkRegistrations fills it in). */
export interface TrunkRegistrationContext {
  stack: Pick<SipStackApi, 'request' | 'localAddress'>;
  log: Logger;
  now: () => number;
  setTimer: (fn: () => void, ms: number) => unknown;
  clearTimer: (handle: unknown) => void;
  /** Host name → address. */
  lookup: (host: string) => Promise<string>;
  /** The cnonce source of the digest client. */
  cnonce?: () => string;
  /** Every change of status (metrics). */
  onChange?: (status: TrunkRegistrationStatus) => void;
}

const BACKOFF_FIRST_S = 30;
const BACKOFF_MAX_S = 600;
/** stale=true re-challenges answered in one attempt before we call it a failure (a loop guard). */
const MAX_STALE_RETRIES = 2;
/** 423 retries in one attempt (a registrar raising Min-Expires each time would loop). */
const MAX_INTERVAL_RETRIES = 2;

/** The fields whose change means a new registration (TrunkRegistrations restarts it). */
export function registrationKey(t: TrunkRow): string {
  return JSON.stringify([t.name, t.host, t.port, t.transport, t.username, t.password, t.registerExpiresS]);
}

export class TrunkRegistration {
  readonly key: string;
  private readonly trunk: TrunkRow;
  private readonly ctx: TrunkRegistrationContext;
  private readonly digest: DigestClient;
  private readonly callId = newCallId();
  private readonly fromTag = newTag();
  private cseq = 0;
  /** Expires we ask for: the configured one, raised by a 423's Min-Expires. */
  private expires: number;
  /** Credentials answering the last challenge, re-sent on refreshes. */
  private auth: { challenge: DigestChallenge; header: 'authorization' | 'proxy-authorization' } | undefined;
  private current: TrunkRegistrationStatus;
  /** Where the registrar was last reached, and until when it holds our binding. */
  private peer: Peer | undefined;
  private boundUntil = 0;
  private failures = 0;
  private timer: unknown;
  private stopped = false;

  constructor(trunk: TrunkRow, ctx: TrunkRegistrationContext) {
    this.trunk = trunk;
    this.key = registrationKey(trunk);
    this.ctx = ctx;
    this.digest = new DigestClient(ctx.cnonce ? { cnonce: ctx.cnonce } : {});
    this.expires = Math.max(1, trunk.registerExpiresS);
    this.current = { trunkId: trunk.id, name: trunk.name, state: 'unregistered' };
  }

  status(): TrunkRegistrationStatus {
    return { ...this.current };
  }

  get registered(): boolean {
    return this.current.state === 'registered';
  }

  start(): void {
    if (!this.trunk.username) {
      this.update({ state: 'failed', lastError: 'the trunk registers but has no username: set one (and its password)' });
      return;
    }
    this.update({ state: 'registering' });
    void this.attempt();
  }

  /** Stops timers and, if the registrar may hold our binding, unregisters (Expires: 0). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.ctx.clearTimer(this.timer);
    const peer = this.peer;
    const bound = peer !== undefined && this.boundUntil > this.ctx.now();
    this.update({ state: 'unregistered', lastError: undefined, expiresAt: undefined, nextAttemptAt: undefined });
    if (!bound) return;
    try {
      let res = await this.send(peer, 0);
      const ch = challengeOf(res);
      if (ch && this.trunk.password != null) {
        this.auth = ch;
        res = await this.send(peer, 0);
      }
      this.ctx.log.info({ trunk: this.trunk.name, status: res.status }, 'trunk unregistered');
    } catch (err) {
      this.ctx.log.warn({ trunk: this.trunk.name, err: (err as Error).message }, 'trunk unregister failed');
    }
  }

  // ------------------------------------------------------------------ one attempt

  private async attempt(): Promise<void> {
    this.timer = undefined;
    let peer: Peer;
    try {
      peer = await this.resolve();
    } catch (err) {
      if (!this.stopped) this.failed(undefined, `cannot resolve ${this.trunk.host}: ${(err as Error).message}`);
      return;
    }
    if (this.stopped) return;
    let answered = false;
    let staleRetries = 0;
    let intervalRetries = 0;
    for (;;) {
      const sentNonce = this.auth?.challenge.nonce;
      let res: SipResponse;
      try {
        res = await this.send(peer, this.expires);
      } catch (err) {
        if (!this.stopped) this.failed(undefined, (err as Error).message);
        return;
      }
      if (this.stopped) {
        // stopped while this REGISTER was out: take back a binding it may just have made
        if (res.status >= 200 && res.status < 300) void this.send(peer, 0).catch(() => undefined);
        return;
      }
      this.peer = peer;
      if (res.status >= 200 && res.status < 300) return this.registeredBy(res);
      if (res.status === 401 || res.status === 407) {
        const ch = challengeOf(res);
        if (!ch) return this.failed(res, `${res.status}: no digest challenge we can answer (MD5, SHA-256, SHA-512-256 with qop=auth or none)`);
        if (this.trunk.password == null) return this.failed(res, `${res.status}: challenged, but the trunk has no password`);
        const refused = (answered && !(ch.challenge.stale && staleRetries++ < MAX_STALE_RETRIES)) || (sentNonce === ch.challenge.nonce && !ch.challenge.stale);
        if (refused) {
          this.auth = undefined;
          return this.failed(res, `${res.status}: credentials refused (check the trunk's username and password)`);
        }
        this.auth = ch;
        answered = true;
        continue;
      }
      if (res.status === 423) {
        const min = Number(String(res.headers['min-expires'] ?? '').trim());
        if (Number.isInteger(min) && min > this.expires && intervalRetries++ < MAX_INTERVAL_RETRIES) {
          this.expires = min;
          continue;
        }
        return this.failed(res, `423 Interval Too Brief without a usable Min-Expires (${String(res.headers['min-expires'] ?? 'none')})`);
      }
      return this.failed(res, `${res.status} ${res.reason}`);
    }
  }

  /** One REGISTER (async so that a missing listener for the transport rejects instead of throwing). */
  private async send(peer: Peer, expires: number): Promise<SipResponse> {
    const username = this.trunk.username!;
    const aor: NameAddr = { uri: `sip:${username}@${formatHost(bareHost(this.trunk.host))}`, params: {} };
    const uri = this.requestUri();
    const headers: Record<string, unknown> = {
      via: [],
      to: aor,
      from: { ...aor, params: { tag: this.fromTag } },
      'call-id': this.callId,
      cseq: { seq: ++this.cseq, method: 'REGISTER' },
      contact: [{ uri: this.contactUri(peer), params: {} }],
      expires: String(expires),
    };
    if (this.auth) {
      const value = this.digest.authorize(this.auth.challenge, { username, password: this.trunk.password ?? '' }, 'REGISTER', uri);
      headers[this.auth.header] = [value];
    }
    return this.ctx.stack.request({ method: 'REGISTER', uri, headers: headers as never, content: '' }, { target: peer });
  }

  private registeredBy(res: SipResponse): void {
    const granted = grantedSeconds(res, this.contactUri(this.peer!), this.expires);
    if (granted <= 0) return this.failed(res, `${res.status}: the registrar kept no binding (expires 0)`);
    const now = this.ctx.now();
    const refreshMs = Math.max(1000, Math.min(granted * 800, (granted - 5) * 1000));
    this.failures = 0;
    this.boundUntil = now + granted * 1000;
    this.update({ state: 'registered', lastStatus: res.status, lastError: undefined, registeredAt: now, expiresAt: this.boundUntil, nextAttemptAt: now + refreshMs });
    this.schedule(refreshMs);
  }

  private failed(res: SipResponse | undefined, error: string): void {
    const delayS = Math.min(BACKOFF_MAX_S, BACKOFF_FIRST_S * 2 ** Math.min(this.failures, 5));
    this.failures++;
    const now = this.ctx.now();
    this.update({ state: 'failed', lastStatus: res?.status, lastError: error, expiresAt: undefined, nextAttemptAt: now + delayS * 1000 });
    this.schedule(delayS * 1000);
  }

  private schedule(ms: number): void {
    this.ctx.clearTimer(this.timer);
    this.timer = this.ctx.setTimer(() => void this.attempt(), ms);
  }

  private update(change: Partial<TrunkRegistrationStatus>): void {
    const before = this.current;
    const next: TrunkRegistrationStatus = { ...before, ...change };
    for (const k of Object.keys(next) as Array<keyof TrunkRegistrationStatus>) if (next[k] === undefined) delete next[k];
    this.current = next;
    const log = { trunk: this.trunk.name, state: next.state, status: next.lastStatus, error: next.lastError, expiresAt: next.expiresAt };
    if (next.state !== before.state) {
      if (next.state === 'failed') this.ctx.log.warn(log, 'trunk registration failed');
      else this.ctx.log.info(log, `trunk registration ${next.state}`);
    } else if (next.state === 'failed' && next.lastError !== before.lastError) {
      this.ctx.log.warn(log, 'trunk registration still failing');
    }
    this.ctx.onChange?.(this.status());
  }

  // ------------------------------------------------------------------ addresses

  /** `sip:host[:port][;transport=tcp|tls]`: the registrar's domain, port only when not the default. */
  private requestUri(): string {
    const t = this.trunk;
    const defaultPort = t.transport === 'tls' ? 5061 : 5060;
    return `sip:${formatHost(bareHost(t.host))}${t.port !== defaultPort ? ':' + t.port : ''}${t.transport !== 'udp' ? ';transport=' + t.transport : ''}`;
  }

  private contactUri(peer: Peer): string {
    const local = this.ctx.stack.localAddress(peer.transport);
    return `sip:${this.trunk.username}@${formatHost(local.address)}:${local.port}${peer.transport !== 'udp' ? ';transport=' + peer.transport : ''}`;
  }

  private async resolve(): Promise<Peer> {
    const host = bareHost(this.trunk.host);
    const address = isIP(host) ? host : await this.ctx.lookup(host);
    return { transport: this.trunk.transport, address, port: this.trunk.port };
  }
}

/** The default `lookup`: the system resolver (hosts file, DNS), as every other program on the box. */
export async function systemLookup(host: string): Promise<string> {
  return (await dnsLookup(host)).address;
}

/** What the registrar granted: our Contact's expires, else the Expires header, else what we asked (RFC 3261 §10.2.4). */
function grantedSeconds(res: SipResponse, contact: string, requested: number): number {
  const contacts = Array.isArray(res.headers.contact) ? res.headers.contact : [];
  const mine = contacts.find((c) => sameContact(c.uri, contact)) ?? (contacts.length === 1 ? contacts[0] : undefined);
  for (const v of [mine?.params.expires, res.headers.expires]) {
    const n = Number(String(v ?? '').trim());
    if (v != null && String(v).trim() !== '' && Number.isInteger(n) && n >= 0) return n;
  }
  return requested;
}

function sameContact(a: string, b: string): boolean {
  const x = parseUri(a);
  const y = parseUri(b);
  return x !== undefined && y !== undefined && x.user === y.user && bareHost(x.host).toLowerCase() === bareHost(y.host).toLowerCase() && (x.port ?? 5060) === (y.port ?? 5060);
}
