// Message-waiting subscriptions (RFC 6665 SUBSCRIBE/NOTIFY, event package message-summary of
// RFC 3842): a registered phone subscribes to its own box. The SUBSCRIBE is digest-authenticated
// like an INVITE (407); the box is the authenticated extension's, whatever the Request-URI names
// (phones put their own number there, or a voicemail access number). We answer 200 with the
// granted Expires, which creates the subscription dialog (we are its UAS), and NOTIFY the box's
// counts at once, again on every refresh and whenever they change, and a final NOTIFY
// (Subscription-State: terminated) on unsubscribe (Expires: 0) and on expiry.
//
// NOTIFYs of one subscription never overlap: a change while one is out is sent once that one
// is answered, with the counts of that moment (so a burst of changes costs one more NOTIFY, and
// the phone never sees an older count after a newer one). A NOTIFY answered 481 or not at all
// (408) ends the subscription (RFC 6665 §4.2.2); the phone subscribes again when it notices.
import type { IncomingRequest } from '../sip/stack-api.ts';
import type { Peer } from '../sip/message.ts';
import type { Binding } from '../sip/registrar/ports.ts';
import { contactKey } from '../sip/registrar/location.ts';
import { contactUri, Dialog, dialogKey, routeSetOf, type DialogTransport } from '../sip/dialog/dialog.ts';
import { newTag } from '../sip/random-id.ts';
import { bareHost, formatHost, parseUri } from '../sip/uri.ts';
import type { Account } from '../sip/registrar/ports.ts';
import { boxKey, type VoicemailBox, type VoicemailStore } from './voicemail-store.ts';
import { MESSAGE_SUMMARY_EVENT, MESSAGE_SUMMARY_TYPE, messageAccount, messageSummary } from './message-summary.ts';
import { log as defaultLog, type Logger } from '../log.ts';

/** What the subscriptions need from the signalling stack (SipStack has it all). */
export interface MwiStack extends DialogTransport {
  localAddress(transport: Peer['transport']): { address: string; port: number };
}

export interface MwiSubscriptionsOptions {
  stack: MwiStack;
  store: Pick<VoicemailStore, 'counts' | 'boxAddress'>;
  authenticator: { authenticate(incoming: IncomingRequest, domain: string): Account | undefined };
  log?: Logger;
  now?: () => number;
  /** Expires when the SUBSCRIBE has none (RFC 3842 suggests an hour). Default 3600 s. */
  defaultExpiresS?: number;
  /** Shorter non-zero Expires get 423 with Min-Expires. Default 60 s. */
  minExpiresS?: number;
  /** Longer Expires are cut to this. Default 3600 s. */
  maxExpiresS?: number;
}

interface Subscription {
  key: string;
  dialog: Dialog;
  box: VoicemailBox;
  extensionId: number;
  account: string;
  expiresAt: number;
  timer: NodeJS.Timeout | undefined;
  inFlight: boolean;
  again: boolean;
  ended: boolean;
}

const ACCEPTABLE = new Set([MESSAGE_SUMMARY_TYPE, 'application/*', '*/*']);

export class MwiSubscriptions {
  private readonly o: MwiSubscriptionsOptions;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly defaultExpiresS: number;
  private readonly minExpiresS: number;
  private readonly maxExpiresS: number;
  private readonly byKey = new Map<string, Subscription>();
  private readonly byBox = new Map<string, Set<Subscription>>();
  private stopped = false;

  constructor(options: MwiSubscriptionsOptions) {
    this.o = options;
    this.log = options.log ?? defaultLog;
    this.now = options.now ?? Date.now;
    this.minExpiresS = options.minExpiresS ?? 60;
    this.maxExpiresS = Math.max(this.minExpiresS, options.maxExpiresS ?? 3600);
    this.defaultExpiresS = Math.min(Math.max(options.defaultExpiresS ?? 3600, this.minExpiresS), this.maxExpiresS);
  }

  /** A SUBSCRIBE (new, or a refresh inside a subscription dialog). */
  handle(incoming: IncomingRequest): void {
    const req = incoming.request;
    if (this.stopped) return incoming.respond(503, 'Service Unavailable');
    const event = eventPackage(req.headers.event ?? req.headers.o);
    if (event !== MESSAGE_SUMMARY_EVENT) return incoming.respond(489, 'Bad Event', { headers: { 'Allow-Events': MESSAGE_SUMMARY_EVENT } });
    if (!accepts(req.headers.accept)) return incoming.respond(406, 'Not Acceptable', { headers: { Accept: MESSAGE_SUMMARY_TYPE } });
    const expires = parseExpires(req.headers.expires, this.defaultExpiresS);
    if (expires === undefined) return incoming.respond(400, 'Bad Expires Header');
    if (expires > 0 && expires < this.minExpiresS) return incoming.respond(423, 'Interval Too Brief', { headers: { 'Min-Expires': String(this.minExpiresS) } });
    const granted = Math.min(expires, this.maxExpiresS);
    const toTag = req.headers.to.params.tag;
    if (typeof toTag === 'string') return this.refresh(incoming, toTag, granted);

    const contact = contactUri(req.headers.contact);
    if (contact === undefined) return incoming.respond(400, 'Missing Contact Header');
    const from = parseUri(req.headers.from.uri);
    if (!from) return incoming.respond(400, 'Bad From Header');
    const domain = bareHost(from.host).toLowerCase();
    const account = this.o.authenticator.authenticate(incoming, domain);
    if (!account) return; // challenged (407)
    if (account.trunkId !== undefined) return incoming.respond(403, 'Forbidden');

    const h = req.headers;
    const { tag: remoteTag, ...fromParams } = h.from.params;
    const { tag: _none, ...toParams } = h.to.params;
    const dialog = new Dialog(
      {
        callId: h['call-id'],
        localTag: newTag(),
        remoteTag: remoteTag ?? '',
        local: { ...(h.to.name === undefined ? {} : { name: h.to.name }), uri: h.to.uri, params: toParams },
        remote: { ...(h.from.name === undefined ? {} : { name: h.from.name }), uri: h.from.uri, params: fromParams },
        localSeq: Math.floor(Math.random() * 10000) + 1,
        remoteSeq: h.cseq.seq,
        remoteTarget: contact,
        routeSet: routeSetOf(req, false),
        contact: this.contactFor(incoming.source.transport),
        peer: incoming.source,
      },
      this.o.stack,
    );
    const box: VoicemailBox = { tenantId: account.tenantId, extensionId: account.extensionId };
    const tenantDomain = this.o.store.boxAddress(box).domain;
    const sub: Subscription = {
      key: dialog.key,
      dialog,
      box,
      extensionId: account.extensionId,
      account: messageAccount(account.user, formatHost(tenantDomain ?? domain)),
      expiresAt: this.now() + granted * 1000,
      timer: undefined,
      inFlight: false,
      again: false,
      ended: false,
    };
    incoming.respond(200, 'OK', { toTag: dialog.localTag, headers: { Expires: String(granted), Contact: `<${dialog.contact}>` } });
    if (granted === 0) {
      // a fetch (RFC 6665 §4.4.3): one NOTIFY with the state, no subscription kept
      this.finalNotify(sub, 'timeout');
      return;
    }
    this.byKey.set(sub.key, sub);
    const k = boxKey(box);
    let set = this.byBox.get(k);
    if (!set) this.byBox.set(k, (set = new Set()));
    set.add(sub);
    this.arm(sub);
    this.log.info({ extension: account.user, tenantId: account.tenantId, expires: granted, source: incoming.source.address }, 'mwi subscription');
    this.push(sub);
  }

  /** The box's counts changed: every subscription of the box gets a NOTIFY. */
  notifyBox(box: VoicemailBox): void {
    const set = this.byBox.get(boxKey(box));
    if (!set) return;
    for (const sub of set) this.push(sub);
  }

  /** Whether a registered contact is covered by a subscription (it then gets no unsolicited NOTIFY). */
  isSubscribed(binding: Binding): boolean {
    const set = this.byBox.get(boxKey({ tenantId: binding.tenantId, extensionId: binding.extensionId }));
    if (!set) return false;
    const key = contactKey(binding.contact);
    for (const sub of set) {
      const p = sub.dialog.peer;
      if (p.address === binding.source.address && p.port === binding.source.port) return true;
      if (contactKey(sub.dialog.remoteTarget) === key) return true;
    }
    return false;
  }

  /** Live subscriptions. */
  get size(): number {
    return this.byKey.size;
  }

  /** Forgets every subscription (no NOTIFY: phones find out at their next refresh, 481, and subscribe again). */
  stop(): void {
    this.stopped = true;
    for (const sub of this.byKey.values()) {
      sub.ended = true;
      clearTimeout(sub.timer);
    }
    this.byKey.clear();
    this.byBox.clear();
  }

  private refresh(incoming: IncomingRequest, toTag: string, granted: number): void {
    const req = incoming.request;
    const sub = this.byKey.get(dialogKey(req.headers['call-id'], toTag));
    if (!sub || sub.dialog.remoteTag !== (req.headers.from.params.tag ?? '')) return incoming.respond(481, 'Subscription Does Not Exist');
    if (!sub.dialog.acceptRemoteSeq(req)) return incoming.respond(500, 'CSeq Out of Order');
    // SUBSCRIBE refreshes the target (RFC 6665 §4.1.2.1); a NATed phone may come from a new port
    sub.dialog.refreshTarget(req.headers.contact);
    sub.dialog.peer = incoming.source;
    incoming.respond(200, 'OK', { headers: { Expires: String(granted), Contact: `<${sub.dialog.contact}>` } });
    if (granted === 0) {
      this.log.info({ account: sub.account }, 'mwi unsubscribe');
      this.end(sub);
      return;
    }
    sub.expiresAt = this.now() + granted * 1000;
    this.arm(sub);
    this.push(sub);
  }

  private arm(sub: Subscription): void {
    clearTimeout(sub.timer);
    sub.timer = setTimeout(() => {
      this.log.info({ account: sub.account }, 'mwi subscription expired');
      this.end(sub, 'timeout');
    }, Math.max(0, sub.expiresAt - this.now()));
    sub.timer.unref();
  }

  /** Removes the subscription and sends its final NOTIFY. */
  private end(sub: Subscription, reason?: string): void {
    if (!this.drop(sub)) return;
    this.finalNotify(sub, reason);
  }

  /** Removes the subscription without a NOTIFY; false when it was gone already. */
  private drop(sub: Subscription): boolean {
    if (sub.ended) return false;
    sub.ended = true;
    clearTimeout(sub.timer);
    this.byKey.delete(sub.key);
    const k = boxKey(sub.box);
    const set = this.byBox.get(k);
    set?.delete(sub);
    if (set?.size === 0) this.byBox.delete(k);
    return true;
  }

  private finalNotify(sub: Subscription, reason?: string): void {
    void this.send(sub, `terminated${reason ? `;reason=${reason}` : ''}`).catch((err) => this.log.warn({ err, account: sub.account }, 'final mwi NOTIFY failed'));
  }

  /** The current counts to the subscriber, one NOTIFY at a time. */
  private push(sub: Subscription): void {
    if (sub.ended) return;
    if (sub.inFlight) {
      sub.again = true;
      return;
    }
    sub.inFlight = true;
    sub.again = false;
    const left = Math.max(0, Math.ceil((sub.expiresAt - this.now()) / 1000));
    this.send(sub, `active;expires=${left}`).then(
      (status) => {
        sub.inFlight = false;
        if (status === 481 || status === 408) {
          if (this.drop(sub)) this.log.info({ account: sub.account, status }, 'mwi subscription ended: the subscriber did not take the NOTIFY');
          return;
        }
        if (sub.again) this.push(sub);
      },
      (err) => {
        sub.inFlight = false;
        this.log.warn({ err, account: sub.account }, 'mwi NOTIFY failed');
      },
    );
  }

  private async send(sub: Subscription, state: string): Promise<number> {
    const counts = this.o.store.counts(sub.box.tenantId, sub.box.extensionId);
    const res = await sub.dialog.request('NOTIFY', {
      headers: { Event: MESSAGE_SUMMARY_EVENT, 'Subscription-State': state },
      body: messageSummary(counts, sub.account),
      contentType: MESSAGE_SUMMARY_TYPE,
    });
    return res.status;
  }

  private contactFor(transport: string): string {
    const t = transport === 'tcp' || transport === 'tls' ? transport : 'udp';
    const local = this.o.stack.localAddress(t);
    return `sip:tspbx@${formatHost(local.address)}:${local.port}${t === 'udp' ? '' : `;transport=${t}`}`;
  }
}

/** The package of an Event header value ("message-summary;id=1" → "message-summary"). */
function eventPackage(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  return value.split(';')[0]!.trim().toLowerCase();
}

/** Accept absent, or naming our type (or a wildcard). */
function accepts(value: unknown): boolean {
  if (value === undefined) return true;
  const text = Array.isArray(value) ? value.join(',') : String(value);
  if (text.trim() === '') return true;
  return text.split(',').some((t) => ACCEPTABLE.has(t.split(';')[0]!.trim().toLowerCase()));
}

/** Expires as a delta-seconds; the default when absent, undefined when malformed. */
function parseExpires(value: unknown, fallback: number): number | undefined {
  if (value === undefined) return fallback;
  const s = String(value).trim();
  if (!/^[0-9]{1,10}$/.test(s)) return undefined;
  return Number(s);
}
