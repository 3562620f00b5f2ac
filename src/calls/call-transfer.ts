// Call transfer by REFER (RFC 3515), what the operator and every desk phone use:
//  - blind: the transferor (one side of an answered call) REFERs us to a number; we ring it and,
//    when it answers, it takes the transferor's place opposite the transferee;
//  - attended: Refer-To carries Replaces (RFC 3891) naming the transferor's dialog in a second
//    call; the far party of that call takes the transferor's place here and the second call ends.
// Progress goes back to the transferor as NOTIFY message/sipfrag (RFC 3515 §2.4.5): 100 Trying,
// then the final status. The transferor is BYEd once the new party is connected.
//
// The transferee keeps its port on the PBX: the new party is offered that port's counterpart,
// and the transferee gets one re-INVITE with the new party's SDP, sendrecv (it was usually on
// hold while its transferor dialled), so it hears the new party without anything else changing.
import type { LegName } from '../media/media-protocol.ts';
import type { NameAddr } from '../sip/message.ts';
import { parseUri } from '../sip/uri.ts';
import type { Dialog } from '../sip/dialog/dialog.ts';
import { other, type Call, type InDialogRequest, type Side } from './call.ts';
import { InboundLeg } from './inbound-leg.ts';

export async function handleRefer(call: Call, side: LegName, req: InDialogRequest): Promise<void> {
  const transferor = call.side(side);
  const referTo = req.request.headers['refer-to'] as NameAddr | string | undefined;
  const uriText = typeof referTo === 'string' ? referTo.replace(/^.*<|>.*$/g, '') : referTo?.uri;
  const target = uriText ? parseUri(uriText) : undefined;
  if (transferor?.leg.dialog === undefined || call.state === 'ringing' || call.isEnded) {
    req.respond(403, 'Forbidden', { headers: { Warning: '399 tspbx "only an answered call can be transferred"' } });
    return;
  }
  if (target === undefined || !target.user) {
    req.respond(400, 'Bad Refer-To');
    return;
  }
  req.respond(202, 'Accepted', { headers: { Contact: `<${transferor.leg.dialog.contact}>` } });
  const dialog = transferor.leg.dialog;
  const notify = new SipfragNotifier(dialog, String(req.request.headers.cseq.seq));
  notify.send(100, 'Trying', false);
  call.state = 'transferring';
  const replaces = target.headers.Replaces ?? target.headers.replaces;
  try {
    const result = replaces !== undefined ? await attended(call, side, decodeURIComponent(replaces)) : await blind(call, side, target.user, uriText!);
    notify.send(result.status, result.reason, true);
    if (result.status >= 200 && result.status < 300) {
      // the transferor's job is done: end its leg (it may BYE first; a second BYE gets 481, harmlessly)
      void transferor.leg.bye({ Reason: 'SIP;cause=200;text="Call transferred"' });
    } else if (!call.isEnded) {
      call.state = 'answered';
    }
  } catch (err) {
    call.ctx.log.error({ callId: call.id, err }, 'transfer failed');
    notify.send(500, 'Server Internal Error', true);
    if (!call.isEnded) call.state = 'answered';
  }
}

interface TransferResult {
  status: number;
  reason: string;
}

/** Rings the Refer-To target; on answer it replaces the transferor's side. */
async function blind(call: Call, side: LegName, user: string, toUri: string): Promise<TransferResult> {
  const target = call.ctx.transferTarget(call.tenantId, user, toUri, call.side(side)?.party.extensionId);
  if ('status' in target) return target;
  const transferee = call.side(other(side))!;
  const offer = call.media.offerToward(side, 'sendrecv');
  const fork = call.ring(target.terminals, { strategy: target.strategy, timeoutS: target.timeoutS, party: target.party }, transferee.party, offer, () => {});
  const outcome = await fork.outcome;
  if (!outcome.answered) return { status: outcome.status, reason: outcome.reason };
  const leg = outcome.leg;
  if (call.isEnded) {
    void leg.bye();
    return { status: 487, reason: 'Request Terminated' };
  }
  call.ctx.bus.emit('leg.answered', { callId: call.id, legId: leg.id, at: call.ctx.now() });
  await swapIn(call, side, { leg, legId: leg.id, party: target.party }, leg.remoteSdp ?? '');
  return { status: 200, reason: 'OK' };
}

/** Replaces: the far party of the named dialog's call takes the transferor's place here. */
async function attended(call: Call, side: LegName, replaces: string): Promise<TransferResult> {
  const parts = replaces.split(';');
  const callId = parts[0]!.trim();
  const params = new Map(parts.slice(1).map((p) => p.split('=').map((x) => x.trim()) as [string, string]));
  const ourTag = params.get('to-tag');
  if (!callId || !ourTag) return { status: 400, reason: 'Bad Replaces' };
  const found = call.ctx.findDialog(callId, ourTag);
  if (found === undefined || found.call === call) return { status: 481, reason: 'Call/Transaction Does Not Exist' };
  const otherCall = found.call;
  const farSide = other(found.side);
  const far = otherCall.side(farSide);
  if (far?.leg.dialog === undefined) return { status: 481, reason: 'Call/Transaction Does Not Exist' };
  // the far party leaves the other call (whose transferor leg is BYEd) and joins this one
  const moved = await otherCall.release(farSide, 'call transferred');
  if (moved === undefined) return { status: 481, reason: 'Call/Transaction Does Not Exist' };
  const legId = call.newLegId();
  call.ctx.bus.emit('leg.started', { callId: call.id, legId, at: call.ctx.now(), direction: moved.leg instanceof InboundLeg ? 'inbound' : 'outbound', party: moved.party, target: moved.leg.dialog!.remoteTarget });
  // re-INVITE the moved party toward this call's port for the transferor's side
  const offer = call.media.offerToward(side, 'sendrecv');
  const response = await call.offer(moved.leg.dialog!, 'INVITE', offer);
  if (response.status < 200 || response.status >= 300 || !response.content) {
    void moved.leg.bye();
    return { status: response.status >= 300 ? response.status : 488, reason: response.reason };
  }
  call.ctx.bus.emit('leg.answered', { callId: call.id, legId, at: call.ctx.now() });
  await swapIn(call, side, { leg: moved.leg, legId, party: moved.party }, response.content);
  return { status: 200, reason: 'OK' };
}

/**
 * The new party has answered with `sdp`: the relay points the transferor's port at it, the
 * transferee gets a re-INVITE with the new party's SDP (sendrecv), and the sides swap.
 */
async function swapIn(call: Call, side: LegName, next: Side, sdp: string): Promise<void> {
  call.media.resetSide(side);
  await call.media.fromSide(side, sdp);
  call.replaceSide(side, next, 'call transferred');
  const transferee = call.side(other(side));
  const dialog = transferee?.leg.dialog;
  if (dialog !== undefined) {
    const reoffer = call.media.offerToward(other(side), 'sendrecv');
    const r = await call.offer(dialog, 'INVITE', reoffer);
    if (r.status >= 200 && r.status < 300 && r.content) await call.media.fromSide(other(side), r.content);
  }
  call.state = 'answered';
}

/** NOTIFYs of the implicit refer subscription (RFC 3515 §2.4.4–2.4.5). */
class SipfragNotifier {
  private done = false;
  constructor(
    private readonly dialog: Dialog,
    private readonly id: string,
  ) {}

  send(status: number, reason: string, final: boolean): void {
    if (this.done) return;
    if (final) this.done = true;
    void this.dialog.request('NOTIFY', {
      headers: { Event: `refer;id=${this.id}`, 'Subscription-State': final ? 'terminated;reason=noresource' : 'active;expires=60' },
      body: `SIP/2.0 ${status} ${reason}\r\n`,
      contentType: 'message/sipfrag;version=2.0',
    });
  }
}
