// A SIP dialog (RFC 3261 §12): the state two user agents share after a 2xx (or a 1xx with a
// to-tag) — Call-ID, both tags, both CSeq counters, the remote target and route set — and the
// requests we send inside it. A B2BUA holds two dialogs per call, one per leg.
//
// Where requests go: to `peer`, the transport address the other side's messages come from
// (the INVITE's source for a dialog we accepted, the registered source for one we started),
// not to the Contact host. Phones behind NAT put private addresses in their Contact; their
// source is the only address that reaches them (what Asterisk calls force_rport + comedia).
import type { NameAddr, Peer, SipRequest, SipResponse } from '../message.ts';
import { parseRouteEntry } from '../header-values.ts';
import { formatUri, formatParams } from '../uri.ts';
import type { OutgoingInvite } from '../stack.ts';
import { challengeOf, DigestClient, type DigestCredentials } from '../digest-client.ts';

/** The part of the signalling stack a dialog needs. */
export interface DialogTransport {
  requestWith(req: Omit<SipRequest, 'version'>, target: Peer, hooks: { provisional?: (r: SipResponse) => void }): Promise<SipResponse>;
  invite(req: Omit<SipRequest, 'version'>, target: Peer, hooks?: { provisional?: (r: SipResponse) => void; retransmitted2xx?: (r: SipResponse) => void }): OutgoingInvite;
  sendStatelessRequest(req: Omit<SipRequest, 'version'>, target: Peer): void;
}

export interface DialogInit {
  callId: string;
  localTag: string;
  remoteTag: string;
  /** Our party (From of the requests we send), without tag. */
  local: NameAddr;
  /** The other party (To of the requests we send), without tag. */
  remote: NameAddr;
  localSeq: number;
  remoteSeq: number;
  /** The other side's Contact URI (Request-URI of our requests). */
  remoteTarget: string;
  /** Route set, in the order our requests carry it. */
  routeSet: string[];
  /** Our Contact URI. */
  contact: string;
  peer: Peer;
  /** Answers a 401/407 to our requests inside the dialog (carriers that challenge BYE, re-INVITE). */
  credentials?: DigestCredentials;
}

export interface SendOptions {
  headers?: Record<string, string>;
  body?: string;
  contentType?: string;
}

export class Dialog {
  readonly callId: string;
  readonly localTag: string;
  remoteTag: string;
  readonly local: NameAddr;
  readonly remote: NameAddr;
  localSeq: number;
  remoteSeq: number;
  remoteTarget: string;
  readonly routeSet: string[];
  readonly contact: string;
  peer: Peer;
  credentials: DigestCredentials | undefined;
  private readonly transport: DialogTransport;
  private digest: DigestClient | undefined;

  constructor(init: DialogInit, transport: DialogTransport) {
    this.callId = init.callId;
    this.localTag = init.localTag;
    this.remoteTag = init.remoteTag;
    this.local = init.local;
    this.remote = init.remote;
    this.localSeq = init.localSeq;
    this.remoteSeq = init.remoteSeq;
    this.remoteTarget = init.remoteTarget;
    this.routeSet = init.routeSet;
    this.contact = init.contact;
    this.peer = init.peer;
    this.credentials = init.credentials;
    this.transport = transport;
  }

  /** The key under which requests from the other side find this dialog (see dialogKey). */
  get key(): string {
    return dialogKey(this.callId, this.localTag);
  }

  /** A request inside the dialog, CSeq taken from our counter (ACK reuses the INVITE's). */
  build(method: string, opts: SendOptions = {}, cseq?: number): Omit<SipRequest, 'version'> {
    const seq = cseq ?? ++this.localSeq;
    const headers: SipRequest['headers'] = {
      via: [],
      to: { ...this.remote, params: { ...this.remote.params, tag: this.remoteTag } },
      from: { ...this.local, params: { ...this.local.params, tag: this.localTag } },
      'call-id': this.callId,
      cseq: { seq, method },
    };
    if (this.routeSet.length > 0) headers.route = this.routeSet.map((r) => parseRouteEntry(r)).filter((r) => r !== undefined);
    if (method !== 'ACK' && method !== 'CANCEL' && method !== 'BYE' && method !== 'PRACK') headers.contact = [{ uri: this.contact, params: {} }];
    for (const [k, v] of Object.entries(opts.headers ?? {})) headers[k.toLowerCase()] = v;
    const req: Omit<SipRequest, 'version'> = { method, uri: this.remoteTarget, headers, content: opts.body ?? '' };
    if (opts.body) headers['content-type'] = opts.contentType ?? 'application/sdp';
    return req;
  }

  /**
   * A non-INVITE request (BYE, INFO, NOTIFY, REFER, UPDATE, PRACK); resolves with the final
   * response. A challenge is answered once, with the next CSeq, when the dialog has credentials.
   */
  async request(method: string, opts: SendOptions = {}): Promise<SipResponse> {
    const first = await this.transport.requestWith(this.build(method, opts), this.peer, {});
    const auth = this.authorization(first, method);
    if (auth === undefined) return first;
    return this.transport.requestWith(this.build(method, { ...opts, headers: { ...opts.headers, ...auth } }), this.peer, {});
  }

  /** The header answering a 401/407 to our `method` request, or undefined (no credentials or no usable challenge). */
  authorization(response: SipResponse, method: string): Record<string, string> | undefined {
    if (this.credentials === undefined) return undefined;
    const ch = challengeOf(response);
    if (ch === undefined) return undefined;
    this.digest ??= new DigestClient();
    return { [ch.header]: this.digest.authorize(ch.challenge, this.credentials, method, this.remoteTarget) };
  }

  /** A re-INVITE; the caller ACKs a 2xx with `ack(cseq)`. */
  reinvite(opts: SendOptions, hooks?: { provisional?: (r: SipResponse) => void }): OutgoingInvite & { cseq: number } {
    const req = this.build('INVITE', opts);
    const out = this.transport.invite(req, this.peer, { ...hooks, retransmitted2xx: () => this.ack(req.headers.cseq.seq) });
    return Object.assign(out, { cseq: req.headers.cseq.seq });
  }

  /** The ACK for a 2xx to our INVITE with CSeq `cseq` (end to end, outside any transaction). */
  ack(cseq: number, opts: SendOptions = {}): void {
    this.transport.sendStatelessRequest(this.build('ACK', opts, cseq), this.peer);
  }

  /**
   * An in-dialog request from the other side: checks and takes its CSeq (RFC 3261 §12.2.2);
   * false when it is older than one already seen (the caller answers 500).
   */
  acceptRemoteSeq(req: SipRequest): boolean {
    const seq = req.headers.cseq.seq;
    if (req.method === 'ACK' || req.method === 'CANCEL') return true;
    if (seq < this.remoteSeq) return false;
    this.remoteSeq = seq;
    return true;
  }

  /** A target refresh (re-INVITE, UPDATE) may move the other side's Contact. */
  refreshTarget(contact: unknown): void {
    const uri = contactUri(contact);
    if (uri !== undefined) this.remoteTarget = uri;
  }
}

/** How an in-dialog request finds its dialog: Call-ID plus our tag (its To tag). */
export function dialogKey(callId: string, localTag: string): string {
  return callId + '\u0000' + localTag;
}

/** The first Contact URI of a message, if any. */
export function contactUri(contact: unknown): string | undefined {
  if (Array.isArray(contact) && contact.length > 0) {
    const c = contact[0] as NameAddr;
    return typeof c.uri === 'string' ? c.uri : undefined;
  }
  return undefined;
}

/** Route set from Record-Route (UAS: as received; UAC: reversed), as header values. */
export function routeSetOf(message: SipRequest | SipResponse, reverse: boolean): string[] {
  const rr = message.headers['record-route'];
  if (!Array.isArray(rr)) return [];
  const values = rr.map((r) => {
    const uri = typeof r.uri === 'string' ? r.uri : formatUri(r.uri);
    return '<' + uri + '>' + formatParams(r.params);
  });
  return reverse ? values.reverse() : values;
}
