// End to end: calls through the PBX's B2BUA (issue 4), the real PBX process (bin/pbx start)
// with SIPp as every phone. Callers run calls-sipp/uac-*.xml; callee terminals first register
// with test/e2e/register-stay.xml from their own port, then run calls-sipp/uas-*.xml on it.
// The scenarios themselves are checked SIPp-to-SIPp, without the PBX, in calls-scenarios.test.ts.
//
// What the PBX must expose for media, call records and recordings is assumed in ONE place:
// test/support/call-expectations.ts.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freeUdpTcpPort } from '../support/free-port.ts';
import { startPbxProcess, type PbxProcess } from '../support/pbx-process.ts';
import { runSipp, sippTimestamp, startSipp, type SippHandle, type SippResult } from '../support/sipp.ts';
import {
  cdrListCli,
  expectCallRecord,
  expectInterruptedCall,
  expectRecordingWav,
  expectRtpBothWays,
  rtpCounters,
  waitForAnsweredCall,
} from '../support/call-expectations.ts';

const SIPP = 'test/e2e/calls-sipp';

// The PBX's RTP ports: a random 200-port window in 20000-29999 (SIPp's own media ports are
// taken from 30000-32767, see freeUdpPortBlock), so an m= port tells whose SDP it is.
const RTP_MIN = 20000 + 200 * Math.floor(Math.random() * 49);
const RTP_MAX = RTP_MIN + 199;

interface Ext {
  number: string;
  password: string;
}

interface ExtOptions {
  terminals?: number;
  strategy?: 'sequential' | 'simultaneous';
  ringTimeoutS?: number;
}

/** The PBX on free loopback ports, media on loopback in the RTP window, no NAT keepalive
 * (OPTIONS to terminals whose SIPp has exited would hit a later SIPp on a reused port). */
function startCallPbx(): Promise<PbxProcess> {
  return startPbxProcess({
    sipYaml: '  registrar: { keepalive_interval_s: 0 }',
    extraYaml: [
      'media:',
      '  host: 127.0.0.1',
      '  public_address: 127.0.0.1',
      `  rtp_port_min: ${RTP_MIN}`,
      `  rtp_port_max: ${RTP_MAX}`,
      '  workers: 1',
    ].join('\n'),
  });
}

/** The calls' test bench around one PBX: extensions, registered terminals, callers. */
class Bench {
  private next = 2001;
  private readonly running: SippHandle[] = [];

  constructor(readonly pbx: PbxProcess) {}

  get target(): string {
    return `127.0.0.1:${this.pbx.sipPort}`;
  }

  /** `pbx ext add` with a fresh number; no voicemail (unanswered calls must fail, not divert). */
  addExtension(options: ExtOptions = {}): Ext {
    const number = String(this.next++);
    const ext = { number, password: `secret-${number}-pw` };
    const args = ['ext', 'add', ext.number, '--password', ext.password, '--no-voicemail'];
    args.push('--max-terminals', String(options.terminals ?? 1));
    if (options.strategy) args.push('--ring-strategy', options.strategy);
    if (options.ringTimeoutS) args.push('--ring-timeout', String(options.ringTimeoutS));
    const r = this.pbx.cli(...args);
    expect(r.status, r.stderr).toBe(0);
    return ext;
  }

  csv(ext: Ext): string {
    return `SEQUENTIAL\n${ext.number};${ext.password};[authentication username=${ext.number} password=${ext.password}]\n`;
  }

  /** REGISTER (401, 200) from a new local port that stays registered; returns the port. */
  async register(ext: Ext): Promise<number> {
    const port = await freeUdpTcpPort();
    const r = await runSipp({ scenario: 'test/e2e/register-stay.xml', target: this.target, injection: this.csv(ext), port });
    expect(r.code, r.log).toBe(0);
    return port;
  }

  /** A terminal of `ext`: registers from a new port, then listens there with a uas-* scenario. */
  async terminal(ext: Ext, scenario: string, options: { pauseMs?: number; keys?: Record<string, string>; timeoutS?: number } = {}): Promise<SippHandle> {
    const port = await this.register(ext);
    const handle = await startSipp({
      scenario: `${SIPP}/${scenario}.xml`,
      port,
      service: ext.number,
      timeoutS: options.timeoutS ?? 40,
      ...(options.pauseMs !== undefined ? { pauseMs: options.pauseMs } : {}),
      ...(options.keys ? { keys: options.keys } : {}),
    });
    this.running.push(handle);
    await handle.listening();
    return handle;
  }

  /** `from` (registered first, as a phone would be) calls `dialled` with a uac-* scenario. */
  async call(from: Ext, dialled: string, scenario: string, options: { pauseMs?: number; timeoutS?: number } = {}): Promise<SippHandle> {
    const port = await this.register(from);
    const handle = await startSipp({
      scenario: `${SIPP}/${scenario}.xml`,
      target: this.target,
      injection: this.csv(from),
      port,
      service: dialled,
      authUri: `${dialled}@${this.target}`,
      timeoutS: options.timeoutS ?? 40,
      ...(options.pauseMs !== undefined ? { pauseMs: options.pauseMs } : {}),
    });
    this.running.push(handle);
    return handle;
  }

  /** Kills whatever SIPp a failed test left behind. */
  async cleanup(): Promise<void> {
    await Promise.all(this.running.splice(0).map((h) => h.kill()));
  }
}

function expectOk(...results: SippResult[]) {
  for (const r of results) expect(r.code, r.log).toBe(0);
}

/** An SDP c=/m= pair that points at the PBX: loopback and a port of its RTP window. */
function expectPbxMedia(c: string | undefined, m: string | undefined, context: string) {
  expect(c, context).toBe('c=IN IP4 127.0.0.1');
  const port = Number(/^m=audio (\d+)$/.exec(m ?? '')?.[1]);
  expect(port, `${context}: ${m} in ${RTP_MIN}-${RTP_MAX}`).toBeGreaterThanOrEqual(RTP_MIN);
  expect(port, `${context}: ${m} in ${RTP_MIN}-${RTP_MAX}`).toBeLessThanOrEqual(RTP_MAX);
}

function at(r: SippResult, key: string): number {
  return sippTimestamp(r.values[`at.${key}`]?.[0]);
}

describe('calls: what the PBX does before call control (always runs)', () => {
  let pbx: PbxProcess;
  let bench: Bench;

  beforeAll(async () => {
    pbx = await startCallPbx();
    bench = new Bench(pbx);
  });
  afterEach(() => bench.cleanup());
  afterAll(async () => {
    expect(await pbx.stop()).toBe(0);
  });

  it('challenges the INVITE (407), accepts SIPp\'s digest and answers 480 for an extension with nothing registered', async () => {
    const a = bench.addExtension();
    const b = bench.addExtension();
    const r = await (await bench.call(a, b.number, 'uac-rejected')).done;
    expectOk(r);
    expect(r.values.got).toContain('407');
    expect(r.values.final).toEqual(['480']);
  });
});

describe('calls through the B2BUA', () => {
  let pbx: PbxProcess;
  let bench: Bench;
  let token: string;

  beforeAll(async () => {
    pbx = await startCallPbx();
    bench = new Bench(pbx);
    const t = pbx.cli('token', 'create', 'calls-e2e', '--json');
    expect(t.status, t.stderr).toBe(0);
    token = (JSON.parse(t.stdout) as { token: string }).token;
  });
  afterEach(() => bench.cleanup());
  afterAll(async () => {
    expect(await pbx.stop()).toBe(0);
  });

  it('connects a call: 407, 100, a new INVITE to the callee from the caller\'s number, 180, 200 with the PBX\'s SDP, RTP both ways through the PBX, BYE from the caller', async () => {
    const a = bench.addExtension();
    const b = bench.addExtension();
    const before = await rtpCounters(pbx);
    const callee = await bench.terminal(b, 'uas-answer', { pauseMs: 500 });
    const caller = await bench.call(a, b.number, 'uac-call', { pauseMs: 3000 });
    const [A, B] = await Promise.all([caller.done, callee.done]);
    expectOk(A, B);

    expect(A.values.got).toEqual(expect.arrayContaining(['407', '100', '180', '200', 'bye-200']));
    expect(B.values['invite.from']).toEqual([`sip:${a.number}`]);
    expect(B.values['invite.call-id']?.[0], 'the callee leg has its own Call-ID').not.toBe(A.values['call-id']?.[0]);
    expectPbxMedia(B.values['sdp.c']?.[0], B.values['sdp.m']?.[0], "the PBX's offer to the callee");
    expectPbxMedia(A.values['sdp200.c']?.[0], A.values['sdp200.m']?.[0], "the PBX's answer to the caller");
    expect(B.values.got).toEqual(['bye']); // the caller's BYE reached the callee

    await expectRtpBothWays(pbx, before, 50);
    await expectCallRecord(pbx, token, { caller: a.number, callee: b.number, disposition: 'answered' });
  }, 60_000);

  it('passes the callee\'s BYE on: the callee hangs up, the PBX sends BYE to the caller', async () => {
    const a = bench.addExtension();
    const b = bench.addExtension();
    const callee = await bench.terminal(b, 'uas-answer-bye', { pauseMs: 2000 });
    const caller = await bench.call(a, b.number, 'uac-call-wait-bye');
    const [A, B] = await Promise.all([caller.done, callee.done]);
    expectOk(A, B);
    expect(B.values.got).toEqual(['bye-200']);
    expect(A.values.got).toContain('bye');
  }, 60_000);

  it('relays early media: the callee\'s 183 with SDP reaches the caller as 183 with the PBX\'s SDP', async () => {
    const a = bench.addExtension();
    const b = bench.addExtension();
    const callee = await bench.terminal(b, 'uas-early-media');
    const caller = await bench.call(a, b.number, 'uac-call', { pauseMs: 1000 });
    const [A, B] = await Promise.all([caller.done, callee.done]);
    expectOk(A, B);
    expect(A.values.got).toContain('183');
    expectPbxMedia(A.values['sdp183.c']?.[0], A.values['sdp183.m']?.[0], 'the 183 relayed to the caller');
  }, 60_000);

  it('CANCEL while ringing: the caller gets 200 and 487, the ringing terminal gets CANCEL', async () => {
    const a = bench.addExtension();
    const b = bench.addExtension();
    const callee = await bench.terminal(b, 'uas-ring-cancelled');
    const caller = await bench.call(a, b.number, 'uac-cancel', { pauseMs: 1000 });
    const [A, B] = await Promise.all([caller.done, callee.done]);
    expectOk(A, B);
    expect(A.values.got).toEqual(expect.arrayContaining(['180', 'cancel-200', '487']));
    expect(B.values.got).toEqual(['cancel']);
    // "Reason: SIP;cause=487" or similar; never "completed elsewhere" for a caller's CANCEL
    expect(B.values.reason?.[0] ?? '').not.toMatch(/cause=200/);
  }, 60_000);

  it('busy: the callee answers 486, the caller gets 486', async () => {
    const a = bench.addExtension();
    const b = bench.addExtension();
    const callee = await bench.terminal(b, 'uas-busy');
    const caller = await bench.call(a, b.number, 'uac-rejected');
    const [A, B] = await Promise.all([caller.done, callee.done]);
    expectOk(A, B);
    expect(A.values.final).toEqual(['486']);
  }, 60_000);

  it('no answer: after the ring timeout (5 s) the terminal gets CANCEL and the caller 480', async () => {
    const a = bench.addExtension();
    const b = bench.addExtension({ ringTimeoutS: 5 });
    const callee = await bench.terminal(b, 'uas-ring-cancelled');
    const caller = await bench.call(a, b.number, 'uac-rejected');
    const [A, B] = await Promise.all([caller.done, callee.done]);
    expectOk(A, B);
    expect(A.values.final).toEqual(['480']);
    const rang = at(B, 'cancel') - at(B, 'invite');
    expect(rang, 'seconds the terminal rang').toBeGreaterThan(4.5);
    expect(rang, 'seconds the terminal rang').toBeLessThan(7.5);
  }, 60_000);

  it('an unknown number gets 404', async () => {
    const a = bench.addExtension();
    const r = await (await bench.call(a, '7999', 'uac-rejected')).done;
    expectOk(r);
    expect(r.values.final).toEqual(['404']);
  }, 60_000);

  it('simultaneous forking: three terminals ring, the first to answer wins, the others get CANCEL with Reason "Call completed elsewhere"', async () => {
    const a = bench.addExtension();
    const b = bench.addExtension({ terminals: 3, strategy: 'simultaneous' });
    const winner = await bench.terminal(b, 'uas-answer', { pauseMs: 1000 });
    // check_it in this scenario fails it unless Reason: SIP;cause=200;text="Call completed elsewhere"
    const loser1 = await bench.terminal(b, 'uas-ring-completed-elsewhere');
    const loser2 = await bench.terminal(b, 'uas-ring-completed-elsewhere');
    const caller = await bench.call(a, b.number, 'uac-call', { pauseMs: 2000 });
    const [A, W, L1, L2] = await Promise.all([caller.done, winner.done, loser1.done, loser2.done]);
    expectOk(A, W, L1, L2);
    for (const t of [W, L1, L2]) expect(t.values['invite.from']).toEqual([`sip:${a.number}`]);
    // the losers rang at the same time as the winner
    for (const l of [L1, L2]) expect(Math.abs(at(l, 'invite') - at(W, 'invite')), 'INVITEs sent together').toBeLessThan(0.5);
    expect(W.values.got).toEqual(['bye']);
  }, 60_000);

  it('sequential forking: the first terminal rings for the ring timeout (5 s) and is cancelled, the second answers', async () => {
    const a = bench.addExtension();
    const b = bench.addExtension({ terminals: 2, strategy: 'sequential', ringTimeoutS: 5 });
    // ASSUMPTION: terminals are hunted in the order they registered
    const first = await bench.terminal(b, 'uas-ring-cancelled');
    const second = await bench.terminal(b, 'uas-answer', { pauseMs: 500 });
    const caller = await bench.call(a, b.number, 'uac-call', { pauseMs: 1000, timeoutS: 40 });
    const [A, T1, T2] = await Promise.all([caller.done, first.done, second.done]);
    expectOk(A, T1, T2);
    const rang = at(T1, 'cancel') - at(T1, 'invite');
    expect(rang, 'seconds the first terminal rang').toBeGreaterThan(4.5);
    expect(rang, 'seconds the first terminal rang').toBeLessThan(7.5);
    expect(at(T2, 'invite'), 'the second terminal rings after the first').toBeGreaterThan(at(T1, 'invite') + 4.5);
    expect(at(A, '200') - at(A, 'invite'), 'the caller waited for the hunt').toBeGreaterThan(4.5);
  }, 60_000);

  it('blind transfer: B REFERs A to C; 202, NOTIFY sipfrags 100/200 to B, C rings and answers, A stays connected to C', async () => {
    const a = bench.addExtension();
    const b = bench.addExtension();
    const c = bench.addExtension();
    const transferor = await bench.terminal(b, 'uas-transferor', { keys: { transfer_to: `sip:${c.number}@${bench.target}` } });
    const target = await bench.terminal(c, 'uas-answer', { pauseMs: 500 });
    // A talks for 8 s (or 3 s after a re-INVITE, which it answers), then hangs up: C gets the BYE
    const caller = await bench.call(a, b.number, 'uac-call', { pauseMs: 8000 });
    const [A, B, C] = await Promise.all([caller.done, transferor.done, target.done]);
    expectOk(A, B, C);
    expect(B.values.got).toContain('202');
    const frags = B.values['notify.sipfrag'] ?? [];
    expect(frags.at(-1), `sipfrags ${JSON.stringify(frags)}`).toMatch(/^SIP\/2\.0 200/);
    for (const f of frags.slice(0, -1)) expect(f).toMatch(/^SIP\/2\.0 1\d\d/);
    expect(B.values.end?.[0]).toMatch(/^bye-(received|sent)$/);
    expect(C.values.got, "the caller's hang-up reached the transfer target").toEqual(['bye']);
    expect(A.values.got).toContain('bye-200');
  }, 60_000);

  it('hold and unhold: sendonly re-INVITE reaches the callee, its recvonly answer the caller; then sendrecv', async () => {
    const a = bench.addExtension();
    const b = bench.addExtension();
    const callee = await bench.terminal(b, 'uas-hold');
    const caller = await bench.call(a, b.number, 'uac-hold');
    const [A, B] = await Promise.all([caller.done, callee.done]);
    expectOk(A, B);
    expect(B.values['hold.dir']).toEqual(['a=sendonly']);
    expect(A.values['hold.dir']).toEqual(['a=recvonly']);
    // unhold: a=sendrecv, or no direction attribute (sendrecv by default)
    expect(['a=sendrecv', '']).toContain(B.values['unhold.dir']?.[0] ?? '');
    expect(['a=sendrecv', '']).toContain(A.values['unhold.dir']?.[0] ?? '');
  }, 60_000);
});

describe('a crash during a recorded call', () => {
  let pbx: PbxProcess;
  let restarted: PbxProcess | undefined;
  let bench: Bench;

  beforeAll(async () => {
    pbx = await startCallPbx();
    bench = new Bench(pbx);
  });
  afterAll(async () => {
    await bench.cleanup();
    await pbx.kill9();
    if (restarted) await restarted.stop();
  });

  it('kill -9 two seconds into a call: after the restart the record says failed / interrupted and the recording is a valid WAV', async () => {
    const t = pbx.cli('token', 'create', 'crash-e2e', '--json');
    expect(t.status, t.stderr).toBe(0);
    const token = (JSON.parse(t.stdout) as { token: string }).token;
    const a = bench.addExtension();
    const b = bench.addExtension();
    const callee = await bench.terminal(b, 'uas-answer');
    const caller = await bench.call(a, b.number, 'uac-call', { pauseMs: 30_000 });
    await waitForAnsweredCall(pbx, token);
    await new Promise((r) => setTimeout(r, 2000)); // RTP both ways, recorded
    await pbx.kill9();
    await Promise.all([caller.kill(), callee.kill()]); // their calls are dead with the PBX

    restarted = await startPbxProcess({ restart: pbx }); // same config, data dir and ports
    const record = expectInterruptedCall(cdrListCli(restarted), { caller: a.number, callee: b.number });
    expect(record.recordingId, JSON.stringify(record)).toBeTruthy();
    await expectRecordingWav(restarted, token, Number(record.recordingId)); // RIFF ok, data > 0, sizes = file size
  }, 90_000);
});
