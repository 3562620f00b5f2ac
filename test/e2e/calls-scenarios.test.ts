// The call scenarios of calls.test.ts checked WITHOUT the PBX, SIPp against SIPp: each caller
// scenario (calls-sipp/uac-*.xml) runs against a SIPp stand-in that challenges and answers like
// the PBX would (calls-sipp/mock/pbx-*.xml), each callee scenario (calls-sipp/uas-*.xml)
// against a stand-in that places the call like the PBX would. This proves the scenarios parse,
// branch and time out as written in SIPp 3.6.1, so a failure in calls.test.ts is the PBX's.
// The mocks are not the PBX; what the PBX must do is asserted in calls.test.ts only.
import { describe, expect, it } from 'vitest';
import { startSipp, type SippOptions, type SippResult } from '../support/sipp.ts';

const dir = 'test/e2e/calls-sipp';
const caller = `SEQUENTIAL\n1001;secret-1001;[authentication username=1001 password=secret-1001]\n`;

/** Starts the UAS side, waits until it listens, runs the UAC side against it. */
async function pair(uas: SippOptions, uac: Omit<SippOptions, 'target'>): Promise<{ uas: SippResult; uac: SippResult }> {
  const server = await startSipp({ timeoutS: 20, ...uas });
  await server.listening();
  const client = await startSipp({ timeoutS: 20, ...uac, target: `127.0.0.1:${server.port}` });
  const [c, s] = await Promise.all([client.done, server.done]);
  return { uas: s, uac: c };
}

/** A caller scenario against a PBX stand-in (challenge 407 first). */
function callerPair(mock: string, scenario: string, pauseMs = 500) {
  return pair(
    { scenario: `${dir}/mock/${mock}.xml` },
    { scenario: `${dir}/${scenario}.xml`, injection: caller, service: '1002', authUri: '1002@127.0.0.1', pauseMs },
  );
}

/** A callee scenario called by a PBX stand-in. */
function calleePair(scenario: string, mock: string, keys?: Record<string, string>) {
  return pair(
    { scenario: `${dir}/${scenario}.xml`, service: '1002', pauseMs: 300, ...(keys ? { keys } : {}) },
    { scenario: `${dir}/mock/${mock}.xml`, service: '1002', pauseMs: 500 },
  );
}

function ok(r: { uas: SippResult; uac: SippResult }) {
  expect(r.uac.code, r.uac.log).toBe(0);
  expect(r.uas.code, r.uas.log).toBe(0);
}

describe.concurrent('call scenarios, SIPp to SIPp (no PBX)', () => {
  it('register-stay.xml registers with digest auth (verified by the stand-in registrar)', async () => {
    const r = await pair({ scenario: `${dir}/mock/registrar.xml` }, { scenario: 'test/e2e/register-stay.xml', injection: caller });
    ok(r);
    expect(r.uas.values.contact?.[0]).toMatch(/^sip:1001@127\.0\.0\.1:\d+/);
  });

  it('uac-call.xml: 407, authenticated INVITE, 100/180/200, ACK, RTP, BYE', async () => {
    const r = await callerPair('pbx-answer', 'uac-call');
    ok(r);
    expect(r.uac.values.got).toEqual(['407', '100', '180', '200', 'bye-200']);
    expect(r.uas.values['proxy-authorization']?.[0]).toMatch(/uri="sip:1002@127\.0\.0\.1"/);
    expect(r.uac.values['sdp200.m']?.[0]).toMatch(/^m=audio \d+$/);
  });

  it('uac-call.xml answers a re-INVITE from the other side and still hangs up', async () => {
    const r = await callerPair('pbx-answer-reinvite', 'uac-call', 10_000);
    ok(r);
    expect(r.uac.values.got).toContain('reinvite');
    expect(r.uac.values['reinvite.dir']).toEqual(['a=sendrecv']);
  });

  it('uac-call-wait-bye.xml answers the BYE of the other side', async () => {
    const r = await callerPair('pbx-answer-bye', 'uac-call-wait-bye');
    ok(r);
    expect(r.uac.values.got).toContain('bye');
  });

  it('uac-cancel.xml: CANCEL while ringing, 200 then 487, ACK', async () => {
    const r = await callerPair('pbx-ring', 'uac-cancel');
    ok(r);
    expect(r.uac.values.got).toEqual(['407', '100', '180', 'cancel-200', '487']);
    // CANCEL and the ACK of the 487 carry the INVITE's branch
    const branches = [...r.uac.messages.matchAll(/^(INVITE|CANCEL|ACK) [^\n]*\nVia: [^\n]*branch=([^;\s]+)/gm)].map((m) => `${m[1]} ${m[2]}`);
    const invite = branches.filter((b) => b.startsWith('INVITE')).at(-1)!.split(' ')[1];
    expect(branches.filter((b) => !b.startsWith('INVITE')).slice(-2)).toEqual([`CANCEL ${invite}`, `ACK ${invite}`]);
  });

  it('uac-rejected.xml logs the final status (486 here) and ACKs it', async () => {
    const r = await callerPair('pbx-reject', 'uac-rejected');
    ok(r);
    expect(r.uac.values.final).toEqual(['486']);
  });

  it('uac-hold.xml: re-INVITE sendonly -> recvonly, then sendrecv', async () => {
    const r = await callerPair('pbx-hold', 'uac-hold');
    ok(r);
    expect(r.uac.values['hold.dir']).toEqual(['a=recvonly']);
    expect(r.uac.values['unhold.dir']).toEqual(['a=sendrecv']);
  });

  it('uas-answer.xml: rings, answers with SDP, RTP, BYE', async () => {
    const r = await calleePair('uas-answer', 'pbx-call');
    ok(r);
    expect(r.uas.values['invite.from']).toEqual(['sip:1001']);
    expect(r.uas.values['sdp.c']).toEqual(['c=IN IP4 127.0.0.1']);
    expect(r.uas.values.got).toEqual(['bye']);
  });

  it('uas-answer-bye.xml hangs up itself', async () => {
    const r = await calleePair('uas-answer-bye', 'pbx-call-wait-bye');
    ok(r);
    expect(r.uas.values.got).toEqual(['bye-200']);
  });

  it('uas-early-media.xml: 183 with SDP, then 200', async () => {
    const r = await calleePair('uas-early-media', 'pbx-call');
    ok(r);
    expect(r.uac.values.got?.[0]).toMatch(/^183 m=audio \d+$/);
  });

  it('uas-busy.xml answers 486', async () => {
    ok(await calleePair('uas-busy', 'pbx-call-busy'));
  });

  it('uas-ring-cancelled.xml: 180, CANCEL -> 200 + 487, ACK; logs the Reason', async () => {
    const r = await calleePair('uas-ring-cancelled', 'pbx-cancel');
    ok(r);
    expect(r.uas.values.reason).toEqual(['SIP;cause=487;text="Request Terminated"']);
  });

  it('uas-ring-completed-elsewhere.xml passes on Reason: SIP;cause=200;text="Call completed elsewhere"', async () => {
    const r = await calleePair('uas-ring-completed-elsewhere', 'pbx-cancel-elsewhere');
    ok(r);
  });

  it('uas-ring-completed-elsewhere.xml FAILS on a CANCEL with another Reason (check_it works)', async () => {
    const r = await calleePair('uas-ring-completed-elsewhere', 'pbx-cancel');
    expect(r.uac.code, r.uac.log).toBe(0);
    expect(r.uas.code, r.uas.log).not.toBe(0);
    expect(r.uas.log).toMatch(/Failed regexp match/);
  });

  it('uas-hold.xml: sendonly re-INVITE answered recvonly, sendrecv answered sendrecv', async () => {
    const r = await calleePair('uas-hold', 'pbx-reinvite-hold');
    ok(r);
    expect(r.uas.values['hold.dir']).toEqual(['a=sendonly']);
    expect(r.uac.values.answer2).toEqual(['a=recvonly']);
    expect(r.uac.values.answer3).toEqual(['a=sendrecv']);
  });

  it('uas-transferor.xml: REFER, 202, NOTIFY 100 + 200, then the BYE of the other side', async () => {
    const r = await calleePair('uas-transferor', 'pbx-transfer', { transfer_to: 'sip:1003@127.0.0.1:5999' });
    ok(r);
    expect(r.uac.values['refer-to']).toEqual(['sip:1003@127.0.0.1:5999']);
    expect(r.uas.values['notify.sipfrag']).toEqual(['SIP/2.0 100 Trying', 'SIP/2.0 200 OK']);
    expect(r.uas.values.end).toEqual(['bye-received']);
  });

  it('uas-transferor.xml: a single NOTIFY 200 and no BYE -> the transferor hangs up', async () => {
    const r = await calleePair('uas-transferor', 'pbx-transfer-nobye', { transfer_to: 'sip:1003@127.0.0.1:5999' });
    ok(r);
    expect(r.uas.values['notify.sipfrag']).toEqual(['SIP/2.0 200 OK']);
    expect(r.uas.values.end).toEqual(['bye-sent']);
  });
});
