// REGISTER handling (RFC 3261 §10.3) with digest authentication.
//
// Order of work, cheapest rejection first: To URI → digest → authorisation (the authenticated
// user must be the To user) → Contact processing → write-through to the location service.
// Blocked sources and scanners never get here: the ingress (src/sip/ingress.ts) drops them
// for every method before dispatch.
//
// DECISIONS
// - Wrong password and unknown user: both answered with a fresh `401` challenge, identical in
//   status, reason and header shape (only the nonce differs, as it does between any two
//   challenges), and both counted as a failure for the source. No 403 on a wrong password:
//   403 vs 401 would tell a scanner which extensions exist, and a phone whose password was
//   just changed keeps retrying a 401 and recovers once the new password is typed in.
//   403 is used only when a *correctly authenticated* user tries to register another AOR.
// - Stale nonce (too old, from before a restart, or a replayed/lower nonce-count) with the
//   right password: `401` with `stale=true`, not counted as a failure.
// - Terminal limit (Account.maxContacts, 1–3): a REGISTER that would take the extension past
//   its limit REPLACES the existing binding that expires soonest (ties: the oldest) and logs
//   it; it is not rejected. A phone that reboots and re-registers from a new port or address
//   (new Contact, often a new Call-ID) must not be locked out until its old binding expires —
//   that is what an office expects, and what Asterisk's `remove_existing` does. The replaced
//   terminal, if it is really still alive, will push another one out at its next refresh;
//   the log shows it. Only a single REGISTER that itself carries more live contacts than the
//   limit is refused: `403 Too Many Contacts`.
// - Same Call-ID with a CSeq not higher than the stored one (§10.3 step 7: "the update MUST
//   be aborted and the request fails"): `500` with Retry-After, as §12.2.2 prescribes for an
//   out-of-order CSeq inside a dialog; nothing is changed.
// - Expires: contact `expires` param, else the Expires header, else `defaultExpires`;
//   0 < e < minExpires → `423 Interval Too Brief` with Min-Expires (nothing changed);
//   e > maxExpires → lowered to maxExpires (the 200 tells the phone).
// - NAT: when the source address/port differs from the Contact's host/port, the binding is
//   marked `natted`; the source (transport, address, port, connection) is always stored and
//   is where requests to a natted binding go; keepalive.ts pings those.
import type { IncomingRequest } from '../stack-api.ts';
import type { Peer, SipUri } from '../message.ts';
import type { AccountSource, Binding } from './ports.ts';
import type { DigestAuthenticator } from '../digest.ts';
import type { AuthFailureLimiter } from '../guard/auth-failure-limiter.ts';
import { normalizeAddress } from '../guard/auth-failure-limiter.ts';
import { contactKey, type LocationService } from './location.ts';
import { parseUri, bareHost, unescapeUser } from '../uri.ts';
import { RequestAuthenticator } from '../request-authenticator.ts';
import { log as defaultLog, type Logger } from '../../log.ts';

export interface RegistrarOptions {
  accounts: AccountSource;
  location: LocationService;
  digest: DigestAuthenticator;
  limiter: AuthFailureLimiter;
  /** The authentication step shared with other requests (built from accounts/digest/limiter when omitted). */
  authenticator?: RequestAuthenticator;
  /** Shortest registration accepted, s. Default 60. */
  minExpires?: number;
  /** Longest registration granted, s (longer requests are lowered). Default 3600. */
  maxExpires?: number;
  /** Used when neither the contact nor the request says, s. Default 3600. */
  defaultExpires?: number;
  now?: () => number;
  log?: Logger;
}

interface WantedContact {
  uri: string;
  key: string;
  parsed: SipUri;
  expires: number; // seconds, already clamped to maxExpires
}

export class Registrar {
  readonly minExpires: number;
  readonly maxExpires: number;
  readonly defaultExpires: number;
  private readonly location: LocationService;
  private readonly authenticator: RequestAuthenticator;
  private readonly now: () => number;
  private readonly log: Logger;

  constructor(options: RegistrarOptions) {
    this.location = options.location;
    this.authenticator =
      options.authenticator ?? new RequestAuthenticator({ accounts: options.accounts, digest: options.digest, limiter: options.limiter, log: options.log });
    this.minExpires = options.minExpires ?? 60;
    this.maxExpires = options.maxExpires ?? 3600;
    this.defaultExpires = Math.min(options.defaultExpires ?? 3600, this.maxExpires);
    if (this.minExpires < 1 || this.maxExpires < this.minExpires) {
      throw new Error(`registrar: need 1 ≤ minExpires (${this.minExpires}) ≤ maxExpires (${this.maxExpires})`);
    }
    this.now = options.now ?? Date.now;
    this.log = options.log ?? defaultLog;
  }

  /** The request handler for REGISTER (register it with the ingress). */
  handle(incoming: IncomingRequest): void {
    try {
      this.process(incoming);
    } catch (err) {
      this.log.error({ err, source: incoming.source.address }, 'REGISTER handling failed');
      incoming.respond(500, 'Server Internal Error');
    }
  }

  private process(incoming: IncomingRequest): void {
    const { request: req, source } = incoming;
    if (req.method !== 'REGISTER') {
      incoming.respond(405, 'Method Not Allowed', { headers: { Allow: 'REGISTER' } });
      return;
    }
    const to = req.headers.to ? parseUri(req.headers.to.uri) : undefined;
    if (!to || (to.scheme !== 'sip' && to.scheme !== 'sips')) {
      incoming.respond(400, 'Bad To Header');
      return;
    }
    const domain = bareHost(to.host).toLowerCase();
    const account = this.authenticator.authenticate(incoming, domain);
    if (!account) return;
    if (to.user === undefined || unescapeUser(to.user) !== account.user) {
      this.log.info({ source: source.address, username: account.user, to: req.headers.to.uri }, 'REGISTER for another user refused');
      incoming.respond(403, 'Forbidden');
      return;
    }

    const now = this.now();
    const headerExpires = parseDelta(req.headers.expires);
    if (headerExpires === null) {
      incoming.respond(400, 'Bad Expires Header');
      return;
    }
    const callId = req.headers['call-id'];
    const cseq = req.headers.cseq?.seq;
    if (typeof callId !== 'string' || typeof cseq !== 'number') {
      incoming.respond(400, 'Bad Request');
      return;
    }
    const contact = req.headers.contact;
    const extensionId = account.extensionId;

    if (contact === '*') {
      // §10.3 step 6: only with Expires: 0 and no other Contact.
      if (headerExpires !== 0) {
        incoming.respond(400, 'Invalid Contact: * needs Expires: 0');
        return;
      }
      const current = this.location.contactsOf(extensionId);
      if (current.some((b) => b.callId === callId && cseq <= b.cseq)) {
        this.outOfOrder(incoming);
        return;
      }
      this.location.removeAll(extensionId, 'unregistered');
      this.ok(incoming, extensionId, now);
      return;
    }
    if (contact === undefined || contact.length === 0) {
      this.ok(incoming, extensionId, now); // a query: the current bindings
      return;
    }

    const wanted = new Map<string, WantedContact>();
    for (const c of contact) {
      const parsed = parseUri(c.uri);
      if (!parsed || parsed.scheme === 'tel') {
        incoming.respond(400, 'Bad Contact');
        return;
      }
      let expires = headerExpires ?? this.defaultExpires;
      const param = c.params.expires;
      if (param !== undefined && param !== null) {
        const v = parseDelta(param);
        if (v === null || v === undefined) {
          incoming.respond(400, 'Bad Contact Expires');
          return;
        }
        expires = v;
      }
      if (expires > 0 && expires < this.minExpires) {
        incoming.respond(423, 'Interval Too Brief', { headers: { 'Min-Expires': String(this.minExpires) } });
        return;
      }
      if (expires > this.maxExpires) expires = this.maxExpires;
      const key = contactKey(c.uri);
      wanted.set(key, { uri: c.uri, key, parsed, expires });
    }

    const current = this.location.contactsOf(extensionId);
    const currentByKey = new Map<string, Binding>();
    for (const b of current) currentByKey.set(contactKey(b.contact), b);
    for (const w of wanted.values()) {
      const existing = currentByKey.get(w.key);
      if (existing && existing.callId === callId && cseq <= existing.cseq) {
        this.outOfOrder(incoming);
        return;
      }
    }

    const limit = Math.max(1, account.maxContacts);
    const upserts: WantedContact[] = [];
    for (const w of wanted.values()) if (w.expires > 0) upserts.push(w);
    if (upserts.length > limit) {
      incoming.respond(403, 'Too Many Contacts');
      return;
    }
    const others = current.filter((b) => !wanted.has(contactKey(b.contact)));
    const overflow = others.length + upserts.length - limit;

    // Apply: removals, replacements over the limit, then the new/refreshed bindings.
    for (const w of wanted.values()) {
      if (w.expires === 0 && currentByKey.has(w.key)) this.location.remove(extensionId, w.uri, 'unregistered');
    }
    if (overflow > 0) {
      others.sort((a, b) => a.expiresAt - b.expiresAt || a.registeredAt - b.registeredAt);
      for (let i = 0; i < overflow; i++) {
        const old = others[i];
        this.log.info(
          { extensionId, user: account.user, replaced: old.contact, by: upserts.map((u) => u.uri), limit, source: source.address },
          'terminal limit reached: replacing the binding that expires soonest',
        );
        this.location.remove(extensionId, old.contact, 'replaced');
      }
    }
    const userAgent = req.headers['user-agent'];
    for (const w of upserts) {
      const existing = currentByKey.get(w.key);
      const binding: Binding = {
        tenantId: account.tenantId,
        extensionId,
        user: account.user,
        contact: w.uri,
        callId,
        cseq,
        expiresAt: now + w.expires * 1000,
        registeredAt: existing ? existing.registeredAt : now,
        source: copyPeer(source),
        natted: isNatted(w.parsed, source),
      };
      if (typeof userAgent === 'string') binding.userAgent = userAgent;
      this.location.save(binding);
    }
    this.ok(incoming, extensionId, now);
  }

  private outOfOrder(incoming: IncomingRequest): void {
    incoming.respond(500, 'Server Internal Error', { headers: { 'Retry-After': String(1 + Math.floor(Math.random() * 10)) } });
  }

  /**
   * 200 listing every current binding with its remaining time, plus Date (§10.3 step 8),
   * sent once the changes are committed: a 200 never announces what a crash could lose.
   */
  private ok(incoming: IncomingRequest, extensionId: number, now: number): void {
    const bindings = this.location.contactsOf(extensionId);
    const headers: Record<string, string | string[]> = { Date: new Date(now).toUTCString() };
    if (bindings.length > 0) {
      headers.Contact = bindings.map((b) => `<${b.contact}>;expires=${Math.max(0, Math.ceil((b.expiresAt - now) / 1000))}`);
    }
    this.location.afterPersist(() => incoming.respond(200, 'OK', { headers }));
  }
}

/** `undefined`: absent; `null`: present but not a delta-seconds value. Huge values saturate. */
function parseDelta(text: string | number | undefined): number | undefined | null {
  if (text === undefined) return undefined;
  const t = String(text).trim();
  if (!/^[0-9]{1,20}$/.test(t)) return null;
  const n = Number(t);
  return n > 0xffffffff ? 0xffffffff : n;
}

function copyPeer(p: Peer): Peer {
  const out: Peer = { transport: p.transport, address: p.address, port: p.port };
  if (p.connectionId !== undefined) out.connectionId = p.connectionId;
  return out;
}

/**
 * A contact is natted when the request did not come from the address/port its Contact names
 * (RFC 3581 situation). Stream transports (TCP/TLS/WS) always differ in port (the phone
 * connects from an ephemeral port), so they count as natted: they are reached over their
 * connection and kept alive by the pings.
 */
export function isNatted(contact: SipUri, source: Peer): boolean {
  const host = normalizeAddress(bareHost(contact.host).toLowerCase());
  if (host !== normalizeAddress(source.address.toLowerCase())) return true;
  const transport = contact.params.transport?.toLowerCase();
  const defaultPort = contact.scheme === 'sips' || transport === 'tls' ? 5061 : 5060;
  return (contact.port ?? defaultPort) !== source.port;
}
