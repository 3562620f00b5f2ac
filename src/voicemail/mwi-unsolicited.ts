// Unsolicited message-waiting NOTIFY: many IADs and older phones never SUBSCRIBE and expect the
// PBX to send message-summary NOTIFYs out of any dialog (what Asterisk calls unsolicited MWI).
// When a box's counts change, every registered contact of the extension that is not covered by
// a subscription gets one, sent to the address it registered from (its NAT mapping); a contact
// that registers anew gets one too when its box holds new messages, and so does a contact
// refreshing for the first time since this process started (after a restart its lamp may be
// stale: messages came or went while we were down). Answers do not matter:
// a phone that does not want them says so (489/481/405) and nothing follows from it.
import type { Peer, SipRequest, SipResponse } from '../sip/message.ts';
import type { Binding } from '../sip/registrar/ports.ts';
import type { LocationEvent } from '../sip/registrar/location.ts';
import { newCallId, newTag } from '../sip/random-id.ts';
import { formatHost } from '../sip/uri.ts';
import type { BoxCounts, VoicemailBox, VoicemailStore } from './voicemail-store.ts';
import { MESSAGE_SUMMARY_EVENT, MESSAGE_SUMMARY_TYPE, messageAccount, messageSummary } from './message-summary.ts';
import { log as defaultLog, type Logger } from '../log.ts';

export interface MwiUnsolicitedOptions {
  stack: {
    request(req: Omit<SipRequest, 'version'>, options: { target: Peer }): Promise<SipResponse>;
    localAddress(transport: Peer['transport']): { address: string; port: number };
  };
  location: { contactsOf(extensionId: number): Binding[] };
  store: Pick<VoicemailStore, 'counts' | 'boxAddress'>;
  /** Contacts that subscribed get their NOTIFYs in their subscription instead. */
  isSubscribed: (binding: Binding) => boolean;
  log?: Logger;
}

export class MwiUnsolicited {
  private readonly o: MwiUnsolicitedOptions;
  private readonly log: Logger;
  /** Contacts whose lamp this process knows to be right: seen registering or sent a NOTIFY. */
  private readonly inSync = new Set<string>();

  constructor(options: MwiUnsolicitedOptions) {
    this.o = options;
    this.log = options.log ?? defaultLog;
  }

  /** A box's counts changed: its extension's unsubscribed contacts are told. */
  notifyBox(box: VoicemailBox, counts: BoxCounts): void {
    if (box.extensionId === null) return; // the general box has no phones
    const contacts = this.o.location.contactsOf(box.extensionId).filter((b) => !this.o.isSubscribed(b));
    if (contacts.length === 0) return;
    const domain = this.o.store.boxAddress(box).domain;
    for (const b of contacts) this.send(b, counts, domain);
  }

  /** A registration change: a new contact hears about waiting messages at once; one refreshing
   *  for the first time since start-up hears the box's state, whatever it is. */
  onLocation(event: LocationEvent): void {
    const b = event.binding;
    const key = syncKey(b);
    if (event.change !== 'registered' && event.change !== 'refreshed') {
      this.inSync.delete(key);
      return;
    }
    if (event.change === 'refreshed' && this.inSync.has(key)) return;
    const box = { tenantId: b.tenantId, extensionId: b.extensionId };
    const counts = this.o.store.counts(box.tenantId, box.extensionId);
    this.inSync.add(key);
    if (this.o.isSubscribed(b) || (event.change === 'registered' && counts.new === 0)) return;
    this.send(b, counts, this.o.store.boxAddress(box).domain);
  }

  /** One NOTIFY out of dialog to a registered contact. */
  send(b: Binding, counts: BoxCounts, tenantDomain: string | null): void {
    this.inSync.add(syncKey(b));
    let local: { address: string; port: number };
    try {
      local = this.o.stack.localAddress(b.source.transport);
    } catch (err) {
      this.log.warn({ err: (err as Error).message, contact: b.contact }, 'no transport for an unsolicited mwi NOTIFY');
      return;
    }
    const account = messageAccount(b.user, formatHost(tenantDomain ?? local.address));
    const t = b.source.transport;
    const req: Omit<SipRequest, 'version'> = {
      method: 'NOTIFY',
      uri: b.contact,
      headers: {
        via: [],
        to: { uri: b.contact, params: {} },
        from: { uri: account, params: { tag: newTag() } },
        'call-id': newCallId(),
        cseq: { seq: 1, method: 'NOTIFY' },
        contact: [{ uri: `sip:tspbx@${formatHost(local.address)}:${local.port}${t === 'udp' ? '' : `;transport=${t}`}`, params: {} }],
        event: MESSAGE_SUMMARY_EVENT,
        'subscription-state': 'active',
        'content-type': MESSAGE_SUMMARY_TYPE,
      },
      content: messageSummary(counts, account),
    };
    this.o.stack.request(req, { target: b.source }).then(
      (res) => {
        if (res.status >= 300) this.log.debug({ contact: b.contact, status: res.status }, 'unsolicited mwi NOTIFY refused');
      },
      (err) => this.log.debug({ err, contact: b.contact }, 'unsolicited mwi NOTIFY failed'),
    );
  }
}

const syncKey = (b: Binding): string => `${b.extensionId} ${b.contact}`;
