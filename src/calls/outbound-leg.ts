// A leg the PBX places (UAC side): one INVITE to one terminal — a registered contact of an
// extension — and, once it answers, the dialog (RFC 3261 §12.1.2). Reports provisional
// responses (PRACKing reliable ones, RFC 3262), ACKs its 2xx (re-ACKs retransmissions),
// CANCELs while ringing, and sends BYE and re-INVITEs after.
//
// A carrier may challenge the INVITE (401/407). With credentials the leg answers: the same
// INVITE again, next CSeq, same Call-ID and From tag, with (Proxy-)Authorization (RFC 3261
// §22.2) — once per realm (a proxy's 407 may be followed by the far end's 401), again only for
// stale=true: the same realm challenging again means our credentials were refused. Those above
// never see a challenge: provisionals and the final response they get are the retried
// transaction's.
import type { NameAddr, Peer, SipResponse } from '../sip/message.ts';
import { newCallId, newTag } from '../sip/random-id.ts';
import { challengeOf, DigestClient, type DigestChallenge } from '../sip/digest-client.ts';
import type { OutgoingInvite } from '../sip/stack.ts';
import { contactUri, Dialog, routeSetOf, type DialogTransport, type SendOptions } from '../sip/dialog/dialog.ts';
import { hasOptionTag } from './sip-headers.ts';

export interface OutboundTarget {
  /** Request-URI: the registered Contact. */
  uri: string;
  /** Where to send: the registration's source (reaches phones behind NAT). */
  peer: Peer;
  /** To header (the dialled party). */
  to: NameAddr;
  /** Overrides the call's From (trunk legs show the tenant's number). */
  from?: NameAddr;
  /** Extra request headers for the INVITE (P-Asserted-Identity, Diversion). */
  headers?: Record<string, string>;
  /** Credentials to answer a 401/407 from the target (carriers that challenge INVITEs). */
  credentials?: { username: string; password: string };
}

type InviteRequest = { method: 'INVITE'; uri: string; headers: Record<string, unknown>; content: string };

/** Challenges answered for one call at most (stale ones and several realms included): a loop guard. */
const MAX_CHALLENGES = 4;

export type OutboundState = 'calling' | 'ringing' | 'answered' | 'failed' | 'cancelled' | 'ended';

export interface OutboundEvents {
  provisional(leg: OutboundLeg, response: SipResponse): void;
  /** 2xx (the dialog exists and has been ACKed) or a failure. */
  final(leg: OutboundLeg, response: SipResponse): void;
}

export class OutboundLeg {
  readonly id: string;
  readonly target: OutboundTarget;
  state: OutboundState = 'calling';
  dialog: Dialog | undefined;
  /** The final response, once there is one. */
  finalResponse: SipResponse | undefined;
  /** SDP from the last provisional or final response that carried one. */
  remoteSdp: string | undefined;
  private invite: OutgoingInvite | undefined;
  private readonly transport: DialogTransport;
  private readonly callId = newCallId();
  private readonly localTag = newTag();
  private readonly from: NameAddr;
  private readonly contact: string;
  private prackedRseq = -1;
  /** The Reason our CANCEL carried: a 2xx that crosses it is BYEd with the same one. */
  private cancelReason: string | undefined;
  /** Our CSeq so far (INVITE = 1, or 2… after a challenge; PRACKs after), carried into the confirmed dialog. */
  private seq = 1;
  /** The CSeq of the INVITE now out (what ACK and RAck name). */
  private inviteSeq = 1;
  /** The credentials of the INVITE now out: its ACK for a 2xx carries them too (RFC 3261 §13.2.2.4). */
  private authHeader: Record<string, string> = {};
  /** The challenge we answer per realm (and header): each retry answers them all, fresh nc each time. */
  private readonly answered = new Map<string, { challenge: DigestChallenge; header: 'authorization' | 'proxy-authorization' }>();
  private retries = 0;
  private digest: DigestClient | undefined;

  constructor(id: string, target: OutboundTarget, from: NameAddr, contact: string, transport: DialogTransport) {
    this.id = id;
    this.target = target;
    this.from = target.from ?? from;
    this.contact = contact;
    this.transport = transport;
  }

  get sipCallId(): string {
    return this.callId;
  }

  /** Sends the INVITE with our SDP offer. */
  start(offer: SendOptions, events: OutboundEvents): void {
    const headers: Record<string, unknown> = {
      via: [],
      to: this.target.to,
      from: { ...this.from, params: { ...this.from.params, tag: this.localTag } },
      'call-id': this.callId,
      cseq: { seq: 1, method: 'INVITE' },
      contact: [{ uri: this.contact, params: {} }],
      allow: 'INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, REFER, NOTIFY, UPDATE, PRACK',
      supported: '100rel, replaces, timer',
    };
    for (const [k, v] of Object.entries(this.target.headers ?? {})) headers[k.toLowerCase()] = v;
    for (const [k, v] of Object.entries(offer.headers ?? {})) headers[k.toLowerCase()] = v;
    if (offer.body) headers['content-type'] = offer.contentType ?? 'application/sdp';
    this.send({ method: 'INVITE', uri: this.target.uri, headers, content: offer.body ?? '' }, events);
  }

  /** One INVITE transaction: the first, or a retry with credentials. */
  private send(req: InviteRequest, events: OutboundEvents): void {
    const invite = this.transport.invite({ ...req, headers: req.headers as never }, this.target.peer, {
      provisional: (r) => {
        if (r.status === 100 || this.state !== 'calling' && this.state !== 'ringing') return;
        this.state = 'ringing';
        if (r.content) this.remoteSdp = r.content;
        this.prackIfReliable(r);
        events.provisional(this, r);
      },
      retransmitted2xx: () => this.dialog?.ack(this.inviteSeq, { headers: this.authHeader }),
    });
    this.invite = invite;
    void invite.response.then((r) => {
      if (this.answerChallenge(req, r, events)) return;
      this.finalResponse = r;
      if (r.status >= 200 && r.status < 300) {
        this.dialog = this.dialogFrom(r);
        this.dialog.ack(this.inviteSeq, { headers: this.authHeader });
        if (r.content) this.remoteSdp = r.content;
        if (this.state === 'cancelled') {
          // answered while our CANCEL was on its way: end it at once
          this.state = 'ended';
          void this.dialog.request('BYE', this.cancelReason ? { headers: { Reason: this.cancelReason } } : {});
          events.final(this, r);
          return;
        }
        this.state = 'answered';
      } else if (this.state !== 'cancelled') {
        this.state = 'failed';
      }
      events.final(this, r);
    });
  }

  /**
   * A 401/407 we answer: the INVITE again with credentials (true). False when it is the final
   * response: no credentials, no usable challenge, cancelled meanwhile, or a realm we answered
   * challenging again without stale=true (it refused our credentials).
   */
  private answerChallenge(req: InviteRequest, r: SipResponse, events: OutboundEvents): boolean {
    const credentials = this.target.credentials;
    if (!credentials || (this.state !== 'calling' && this.state !== 'ringing')) return false;
    const ch = challengeOf(r);
    if (!ch) return false;
    const realm = `${ch.header} ${ch.challenge.realm}`;
    if ((this.answered.has(realm) && !ch.challenge.stale) || this.retries >= MAX_CHALLENGES) return false;
    this.retries++;
    this.answered.set(realm, ch);
    const digest = (this.digest ??= new DigestClient());
    const auth: Record<string, string[]> = {};
    for (const a of this.answered.values()) (auth[a.header] ??= []).push(digest.authorize(a.challenge, credentials, 'INVITE', req.uri));
    // the ACK of a 2xx repeats the credentials (one per header there: ACK is never challenged)
    this.authHeader = Object.fromEntries(Object.entries(auth).map(([name, values]) => [name, values.at(-1)!]));
    this.inviteSeq = ++this.seq;
    const headers: Record<string, unknown> = { ...req.headers, cseq: { seq: this.inviteSeq, method: 'INVITE' }, ...auth };
    this.prackedRseq = -1; // RSeq counts per transaction
    this.send({ ...req, headers }, events);
    return true;
  }

  /** CANCEL while not answered (the Reason header says why, RFC 3326). */
  cancel(reason?: string): void {
    if (this.state !== 'calling' && this.state !== 'ringing') return;
    this.state = 'cancelled';
    this.cancelReason = reason;
    this.invite?.cancel(reason ? { Reason: reason } : {});
  }

  /** BYE an answered leg. */
  bye(headers?: Record<string, string>): Promise<SipResponse> | undefined {
    if (this.state !== 'answered' || this.dialog === undefined) return undefined;
    this.state = 'ended';
    return this.dialog.request('BYE', { headers });
  }

  private dialogFrom(r: SipResponse): Dialog {
    const { tag, ...toParams } = r.headers.to.params;
    return new Dialog(
      {
        callId: this.callId,
        localTag: this.localTag,
        remoteTag: tag ?? '',
        local: this.from,
        remote: { ...this.target.to, params: toParams },
        localSeq: this.seq,
        remoteSeq: 0,
        remoteTarget: contactUri(r.headers.contact) ?? this.target.uri,
        routeSet: routeSetOf(r, true),
        contact: this.contact,
        peer: this.target.peer,
        ...(this.target.credentials === undefined ? {} : { credentials: this.target.credentials }),
      },
      this.transport,
    );
  }

  /** RFC 3262: a provisional with Require: 100rel and RSeq gets a PRACK in the early dialog. */
  private prackIfReliable(r: SipResponse): void {
    if (!hasOptionTag(r.headers.require, '100rel')) return;
    const rseq = Number(String(r.headers.rseq ?? '').trim());
    if (!Number.isInteger(rseq) || rseq <= this.prackedRseq) return;
    this.prackedRseq = rseq;
    const early = this.dialogFrom(r);
    void early.request('PRACK', { headers: { RAck: `${rseq} ${this.inviteSeq} INVITE` } });
    this.seq = early.localSeq;
  }
}
