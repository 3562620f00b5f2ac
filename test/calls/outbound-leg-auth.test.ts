// An outbound leg toward a carrier that challenges INVITEs, over real loopback UDP: our SipStack
// places the leg, a second SipStack plays the carrier (digest.ts). The fork above must see only
// the retried transaction; CSeq must carry on correctly into the dialog.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OutboundLeg, type OutboundTarget } from '../../src/calls/outbound-leg.ts';
import { parseDigestText } from '../../src/sip/digest.ts';
import type { SipRequest, SipResponse } from '../../src/sip/message.ts';
import { SipStack, type StackIncomingRequest } from '../../src/sip/stack.ts';
import { FakeCarrier, logger, until } from '../trunks/fake-carrier.ts';

const SDP = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n';
const CREDENTIALS = { username: 'trunk1', password: 's3cret' };

let pbx: SipStack;
let carrier: FakeCarrier;

beforeEach(async () => {
  pbx = await SipStack.start({ udp: [{ host: '127.0.0.1', port: 0 }], logger });
  carrier = await FakeCarrier.start();
});

afterEach(async () => {
  await Promise.all([pbx.close(), carrier.close()]);
});

function target(o: Partial<OutboundTarget> = {}): OutboundTarget {
  const host = `127.0.0.1:${carrier.port}`;
  return {
    uri: `sip:13800138000@${host}`,
    peer: { transport: 'udp', address: '127.0.0.1', port: carrier.port },
    to: { uri: `sip:13800138000@${host}`, params: {} },
    from: { uri: `sip:01088886666@${host}`, params: {} },
    headers: { 'P-Asserted-Identity': `<sip:01088886666@${host}>` },
    credentials: CREDENTIALS,
    ...o,
  };
}

function place(t: OutboundTarget) {
  const provisionals: number[] = [];
  const finals: SipResponse[] = [];
  const leg = new OutboundLeg('leg-1', t, { name: '"Alice"', uri: 'sip:100@pbx.example', params: {} }, `sip:pbx@127.0.0.1:${pbx.boundPorts().udp[0]}`, pbx);
  leg.start({ body: SDP }, { provisional: (_l, r) => provisionals.push(r.status), final: (_l, r) => finals.push(r) });
  const final = async () => {
    await until(() => finals.length > 0, 3000, 'final response');
    return finals[0]!;
  };
  return { leg, provisionals, finals, final };
}

const invites = (): SipRequest[] => carrier.requests.filter((r) => r.method === 'INVITE');
const byMethod = (m: string): SipRequest[] => carrier.requests.filter((r) => r.method === m);
const credentialsOf = (r: SipRequest, header: string) => {
  const v = r.headers[header];
  if (!Array.isArray(v) && typeof v !== 'string') return undefined;
  const first = Array.isArray(v) ? v[0] : v;
  if (typeof first === 'string') return parseDigestText(first);
  return Object.fromEntries(Object.entries(first as Record<string, string>).map(([k, x]) => [k, x.replace(/^"(.*)"$/, '$1')]));
};
const contact = () => ({ Contact: `<sip:gw@127.0.0.1:${carrier.port}>` });

/** Challenges (407 or, with `asRegistrar`, 401), then rings and answers with one To tag. */
function challengeThenAnswer(asRegistrar = false, before200?: (inc: StackIncomingRequest) => void): void {
  carrier.onInvite = (inc) => {
    if (!carrier.authenticate(inc, !asRegistrar)) return;
    const toTag = 'carrier1';
    inc.respond(180, undefined, { toTag });
    before200?.(inc);
    setTimeout(() => inc.respond(200, undefined, { toTag, headers: contact(), body: SDP, contentType: 'application/sdp' }), 20);
  };
}

describe('outbound leg toward a carrier that challenges', () => {
  it('407 then 200: the INVITE again with Proxy-Authorization and CSeq 2; only the retry reaches the fork; BYE is CSeq 3', async () => {
    challengeThenAnswer();
    const call = place(target());
    const r = await call.final();
    expect(r.status).toBe(200);
    expect(call.finals).toHaveLength(1);
    expect(call.provisionals).toEqual([180]);
    expect(call.leg.state).toBe('answered');

    const [first, second] = invites();
    expect(invites()).toHaveLength(2);
    expect(first!.headers.cseq.seq).toBe(1);
    expect(first!.headers['proxy-authorization']).toBeUndefined();
    expect(second!.headers.cseq).toEqual({ seq: 2, method: 'INVITE' });
    expect(second!.headers['call-id']).toBe(first!.headers['call-id']);
    expect(second!.headers.from).toEqual(first!.headers.from);
    expect(second!.headers.via[0]!.params.branch).not.toBe(first!.headers.via[0]!.params.branch);
    expect(credentialsOf(second!, 'proxy-authorization')).toMatchObject({ username: 'trunk1', realm: 'carrier.example', uri: first!.uri, algorithm: 'SHA-256' });
    // the target's From and headers, on both INVITEs
    for (const inv of [first!, second!]) {
      expect(inv.headers.from.uri).toBe(`sip:01088886666@127.0.0.1:${carrier.port}`);
      expect(inv.headers['p-asserted-identity']).toBe(`<sip:01088886666@127.0.0.1:${carrier.port}>`);
      expect(inv.content).toBe(SDP);
    }

    await until(() => byMethod('ACK').length === 1, 3000, 'ACK');
    const ack = byMethod('ACK')[0]!;
    expect(ack.headers.cseq).toEqual({ seq: 2, method: 'ACK' });
    expect(credentialsOf(ack, 'proxy-authorization')?.response).toBe(credentialsOf(second!, 'proxy-authorization')?.response);

    expect(call.leg.dialog!.local.uri).toBe(`sip:01088886666@127.0.0.1:${carrier.port}`);
    const bye = await call.leg.bye();
    expect(bye?.status).toBe(200);
    const sentBye = byMethod('BYE')[0]!;
    expect(sentBye.headers.cseq).toEqual({ seq: 3, method: 'BYE' });
    expect(sentBye.headers.from.params.tag).toBe(first!.headers.from.params.tag);
    expect(sentBye.headers.to.params.tag).toBe('carrier1');
  });

  it('401 is answered with Authorization the same way', async () => {
    challengeThenAnswer(true);
    const call = place(target());
    expect((await call.final()).status).toBe(200);
    expect(credentialsOf(invites()[1]!, 'authorization')?.username).toBe('trunk1');
    expect(invites()[1]!.headers['proxy-authorization']).toBeUndefined();
  });

  it("a proxy's 407 and then the far end's 401 are both answered; the last INVITE carries both, nc counting on", async () => {
    carrier.onInvite = (inc) => {
      if (!carrier.authenticate(inc, true) || !carrier.authenticate(inc, false)) return;
      inc.respond(200, undefined, { headers: contact(), body: SDP, contentType: 'application/sdp' });
    };
    const call = place(target());
    expect((await call.final()).status).toBe(200);
    expect(invites().map((i) => i.headers.cseq.seq)).toEqual([1, 2, 3]);
    const last = invites()[2]!;
    expect(credentialsOf(last, 'proxy-authorization')).toMatchObject({ nc: '00000002', nonce: credentialsOf(invites()[1]!, 'proxy-authorization')?.nonce });
    expect(credentialsOf(last, 'authorization')).toMatchObject({ nc: '00000001', username: 'trunk1' });
    await call.leg.bye();
    expect(byMethod('BYE')[0]!.headers.cseq.seq).toBe(4);
  });

  it('a reliable 183 after the challenge is PRACKed naming INVITE 2, and the dialog goes on from the PRACK', async () => {
    carrier.onInvite = (inc) => {
      if (!carrier.authenticate(inc, true)) return;
      const toTag = 'carrier2';
      inc.respond(183, undefined, { toTag, headers: { Require: '100rel', RSeq: '7' }, body: SDP, contentType: 'application/sdp' });
      void until(() => byMethod('PRACK').length === 1, 3000, 'PRACK').then(() =>
        inc.respond(200, undefined, { toTag, headers: contact(), body: SDP, contentType: 'application/sdp' }),
      );
    };
    const call = place(target());
    expect((await call.final()).status).toBe(200);
    const prack = byMethod('PRACK')[0]!;
    expect(prack.headers.rack).toBe('7 2 INVITE');
    expect(prack.headers.cseq.seq).toBe(3);
    await call.leg.bye();
    expect(byMethod('BYE')[0]!.headers.cseq.seq).toBe(4);
  });

  it('without credentials a 407 is the final response, as for any failure', async () => {
    challengeThenAnswer();
    const call = place(target({ credentials: undefined }));
    const r = await call.final();
    expect(r.status).toBe(407);
    expect(call.leg.state).toBe('failed');
    expect(invites()).toHaveLength(1);
  });

  it('wrong credentials: answered once, the second challenge is the final response', async () => {
    challengeThenAnswer();
    const call = place(target({ credentials: { username: 'trunk1', password: 'nope' } }));
    const r = await call.final();
    expect(r.status).toBe(407);
    expect(call.finals).toHaveLength(1);
    expect(call.leg.state).toBe('failed');
    await new Promise((res) => setTimeout(res, 100));
    expect(invites()).toHaveLength(2);
  });

  // The stack answers CANCELs itself; the carrier learns of one through onCancel on the INVITE it matched.
  it('CANCEL while the retried INVITE rings cancels that transaction (CSeq 2)', async () => {
    const cancelled: SipRequest[] = [];
    carrier.onInvite = (inc) => {
      inc.onCancel(() => cancelled.push(inc.request));
      if (!carrier.authenticate(inc, true)) return;
      inc.respond(180, undefined, { toTag: 'carrier3' }); // and rings for ever
    };
    const call = place(target());
    await until(() => call.provisionals.length === 1, 3000, '180');
    call.leg.cancel('SIP;cause=487;text="caller gave up"');
    const r = await call.final();
    expect(r.status).toBe(487);
    expect(call.leg.state).toBe('cancelled');
    expect(cancelled).toHaveLength(1);
    expect(cancelled[0]).toBe(invites()[1]);
    expect(cancelled[0]!.headers.cseq.seq).toBe(2);
  });

  it('a challenge that crosses our CANCEL ends the leg as cancelled, with no retry', async () => {
    let cancels = 0;
    carrier.onInvite = (inc) => {
      // the carrier sends its challenge only when the CANCEL arrives (the two cross)
      inc.onCancel(() => {
        cancels++;
        carrier.authenticate(inc, true);
      });
    };
    const call = place(target());
    await until(() => invites().length === 1, 3000, 'INVITE');
    await new Promise((res) => setTimeout(res, 50)); // the carrier's 100 Trying lets our CANCEL go
    call.leg.cancel();
    const r = await call.final();
    expect(r.status).toBe(407);
    expect(call.leg.state).toBe('cancelled');
    expect(cancels).toBe(1);
    await new Promise((res) => setTimeout(res, 100));
    expect(invites()).toHaveLength(1);
  });
});
