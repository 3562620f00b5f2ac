// Outbound registration of trunks over real loopback UDP: our SipStack registers with a fake
// carrier (another SipStack with digest.ts). Refresh and retry timers are driven by hand.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { registry } from '../../src/metrics.ts';
import { parseDigestText } from '../../src/sip/digest.ts';
import type { SipRequest } from '../../src/sip/message.ts';
import { SipStack } from '../../src/sip/stack.ts';
import { TrunkRegistrations, type TrunkRegistrationStatus } from '../../src/trunks/trunk-registrations.ts';
import { FakeCarrier, logger, ManualTimers, trunkRow, until } from './fake-carrier.ts';

let pbx: SipStack;
let carrier: FakeCarrier;
let timers: ManualTimers;
let regs: TrunkRegistrations;

beforeEach(async () => {
  timers = new ManualTimers();
  // T1 = 20 ms: a REGISTER nobody answers times out (Timer F) in 1.3 s, not 32 s
  pbx = await SipStack.start({ udp: [{ host: '127.0.0.1', port: 0 }], logger, timers: { T1: 20, T2: 80, T4: 100 } });
  carrier = await FakeCarrier.start({ now: timers.now });
  regs = new TrunkRegistrations({ stack: pbx, log: logger, now: timers.now, setTimer: timers.setTimer, clearTimer: timers.clearTimer });
});

afterEach(async () => {
  const stopping = regs.stop();
  // stop() waits at most 1 s (a hand-driven timer here) for unregisters nobody answers
  await until(() => timers.pending.some((p) => p.ms === 1000) || timers.pending.length === 0, 1000, 'stop').catch(() => undefined);
  if (timers.pending.some((p) => p.ms === 1000)) timers.fire();
  await stopping;
  await Promise.all([pbx.close(), carrier.close()]);
});

const one = (): TrunkRegistrationStatus => regs.status()[0]!;
const waitState = (state: string, ms = 3000) => until(() => regs.status()[0]?.state === state, ms, `state ${state}`);
const auth = (r: SipRequest, header = 'authorization') => {
  const v = r.headers[header];
  return Array.isArray(v) ? parseDigestText(String(v[0] ?? '')) ?? fromParsed(v[0]) : undefined;
};
/** The parser hands Authorization over as an object with quotes kept. */
function fromParsed(h: unknown): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(h as Record<string, string>)) out[k] = v.replace(/^"(.*)"$/, '$1');
  return out;
}
async function gauge(trunk: string): Promise<number | undefined> {
  const m = await registry.getSingleMetric('pbx_trunk_registered')!.get();
  return m.values.find((v) => v.labels.trunk === trunk)?.value;
}

describe('trunk registration', () => {
  it('registers (answering the 401 with SHA-256), then refreshes at 80 % on the same Call-ID with re-used credentials', async () => {
    regs.sync([trunkRow({ port: carrier.port })]);
    expect(one().state).toBe('registering');
    expect(regs.isUsable(1)).toBe(false);
    await waitState('registered');

    const [first, second] = carrier.registers();
    expect(first!.uri).toBe(`sip:127.0.0.1:${carrier.port}`);
    expect(first!.headers.to.uri).toBe('sip:trunk1@127.0.0.1');
    expect(first!.headers.from.uri).toBe('sip:trunk1@127.0.0.1');
    expect(first!.headers.contact).toEqual([{ uri: `sip:trunk1@127.0.0.1:${pbx.boundPorts().udp[0]}`, params: {} }]);
    expect(first!.headers.expires).toBe('60');
    expect(first!.headers.authorization).toBeUndefined();
    const a = auth(second!)!;
    expect(a).toMatchObject({ username: 'trunk1', realm: 'carrier.example', algorithm: 'SHA-256', nc: '00000001', uri: first!.uri });
    expect(second!.headers['call-id']).toBe(first!.headers['call-id']);
    expect(second!.headers.cseq.seq).toBe(first!.headers.cseq.seq + 1);

    const t0 = timers.t;
    expect(one()).toMatchObject({ trunkId: 1, name: 'carrier-a', state: 'registered', lastStatus: 200, registeredAt: t0, expiresAt: t0 + 60_000, nextAttemptAt: t0 + 48_000 });
    expect(regs.isUsable(1)).toBe(true);
    expect(await gauge('carrier-a')).toBe(1);
    expect(timers.delays()).toEqual([48_000]);

    timers.fire();
    await until(() => carrier.registers().length === 3, 3000, 'refresh');
    await until(() => one().registeredAt === t0 + 48_000, 3000, 'refreshed status');
    const refresh = carrier.registers()[2]!;
    expect(refresh.headers['call-id']).toBe(first!.headers['call-id']);
    expect(refresh.headers.cseq.seq).toBe(second!.headers.cseq.seq + 1);
    expect(auth(refresh)).toMatchObject({ nonce: a.nonce, nc: '00000002' }); // accepted without a new challenge
    expect(one()).toMatchObject({ state: 'registered', expiresAt: t0 + 48_000 + 60_000 });
    expect(timers.delays()).toEqual([48_000]);
  });

  it('honours the expiry the registrar grants (Contact expires, or the Expires header) and refreshes 5 s early on short ones', async () => {
    carrier.maxExpires = 30;
    regs.sync([trunkRow({ port: carrier.port, registerExpiresS: 3600 })]);
    await waitState('registered');
    expect(one().expiresAt).toBe(timers.t + 30_000);
    expect(timers.delays()).toEqual([24_000]);

    carrier.grantVia = 'header';
    carrier.maxExpires = 20;
    timers.fire();
    await until(() => one().expiresAt === timers.t + 20_000, 3000, 'granted 20');
    expect(timers.delays()).toEqual([15_000]); // 80 % is 16 s, but at least 5 s before expiry
    expect(carrier.registers().at(-1)!.headers.expires).toBe('3600'); // we keep asking for what is configured
  });

  it('answers a stale=true challenge on a refresh and a 407 from a registrar behind a proxy', async () => {
    carrier.challengeAsProxy = true;
    // nonces live 30 s: the refresh at 48 s carries an expired one
    await carrier.close();
    carrier = await FakeCarrier.start({ now: timers.now, nonceLifetimeMs: 30_000 });
    carrier.challengeAsProxy = true;
    regs.sync([trunkRow({ port: carrier.port })]);
    await waitState('registered');
    expect(auth(carrier.registers()[1]!, 'proxy-authorization')?.username).toBe('trunk1');
    timers.fire();
    await until(() => carrier.registers().length === 4, 3000, 'stale round');
    await until(() => one().registeredAt === timers.t, 3000, 'refreshed');
    const [, second, refresh, answer] = carrier.registers();
    expect(auth(refresh!, 'proxy-authorization')?.nonce).toBe(auth(second!, 'proxy-authorization')?.nonce);
    expect(auth(answer!, 'proxy-authorization')?.nonce).not.toBe(auth(refresh!, 'proxy-authorization')?.nonce);
    expect(one().state).toBe('registered');
  });

  it('over TCP: Contact and Request-URI say transport=tcp, the Contact names our TCP listener', async () => {
    const pbxTcp = await SipStack.start({ tcp: [{ host: '127.0.0.1', port: 0 }], logger });
    const r = new TrunkRegistrations({ stack: pbxTcp, log: logger, now: timers.now, setTimer: timers.setTimer, clearTimer: timers.clearTimer });
    try {
      r.sync([trunkRow({ port: carrier.tcpPort, transport: 'tcp' })]);
      await until(() => r.status()[0]?.state === 'registered', 3000, 'registered over TCP');
      const reg = carrier.registers()[1]!;
      expect(reg.uri).toBe(`sip:127.0.0.1:${carrier.tcpPort};transport=tcp`);
      expect(reg.headers.contact).toEqual([{ uri: `sip:trunk1@127.0.0.1:${pbxTcp.boundPorts().tcp[0]};transport=tcp`, params: {} }]);
      expect(reg.headers.via[0]!.protocol).toBe('TCP');
      await r.stop();
      expect(carrier.bindings.size).toBe(0);
    } finally {
      await pbxTcp.close();
    }
  });

  it('over IPv6: an IPv6 literal host is used as it is, bracketed in URIs', async () => {
    const pbx6 = await SipStack.start({ udp: [{ host: '::1', port: 0 }], logger });
    const carrier6 = await FakeCarrier.start({ host: '::1' });
    const r = new TrunkRegistrations({ stack: pbx6, log: logger, now: timers.now, setTimer: timers.setTimer, clearTimer: timers.clearTimer });
    try {
      r.sync([trunkRow({ host: '::1', port: carrier6.port })]);
      await until(() => r.status()[0]?.state === 'registered', 3000, 'registered over IPv6');
      const reg = carrier6.registers()[1]!;
      expect(reg.uri).toBe(`sip:[::1]:${carrier6.port}`);
      expect(reg.headers.to.uri).toBe('sip:trunk1@[::1]');
      expect(reg.headers.contact).toEqual([{ uri: `sip:trunk1@[::1]:${pbx6.boundPorts().udp[0]}`, params: {} }]);
      await r.stop();
    } finally {
      await Promise.all([pbx6.close(), carrier6.close()]);
    }
  });

  it('a wrong password fails after one answer (no loop) and retries in 30, 60, 120 … 600 s', async () => {
    regs.sync([trunkRow({ port: carrier.port, password: 'wrong' })]);
    await waitState('failed');
    expect(carrier.registers()).toHaveLength(2);
    expect(one()).toMatchObject({ state: 'failed', lastStatus: 401, nextAttemptAt: timers.t + 30_000 });
    expect(one().lastError).toMatch(/credentials refused/);
    expect(regs.isUsable(1)).toBe(false);
    expect(await gauge('carrier-a')).toBe(0);
    const delays = [timers.delays()[0]];
    for (let i = 2; i <= 6; i++) {
      timers.fire();
      await until(() => carrier.registers().length === 2 * i && timers.pending.length === 1, 3000, `attempt ${i}`);
      delays.push(timers.delays()[0]);
    }
    expect(delays).toEqual([30_000, 60_000, 120_000, 240_000, 480_000, 600_000]);
  });

  it('a registrar that does not answer: failed (408), recovers when it is back, and the back-off starts over', async () => {
    carrier.mode = 'drop';
    regs.sync([trunkRow({ port: carrier.port })]);
    await waitState('failed', 5000);
    expect(one()).toMatchObject({ lastStatus: 408 });
    expect(timers.delays()).toEqual([30_000]);
    timers.fire();
    await until(() => timers.pending.length === 1, 5000, 'second failure');
    expect(timers.delays()).toEqual([60_000]);

    carrier.mode = 'answer';
    timers.fire();
    await waitState('registered');
    expect(regs.isUsable(1)).toBe(true);
    expect(one().lastError).toBeUndefined();

    carrier.mode = 'drop';
    timers.fire(); // the refresh
    await waitState('failed', 5000);
    expect(timers.delays()).toEqual([30_000]);
  });

  it('423 Interval Too Brief: retries at once with Min-Expires and keeps it for refreshes', async () => {
    carrier.minExpires = 120;
    regs.sync([trunkRow({ port: carrier.port, registerExpiresS: 60 })]);
    await waitState('registered');
    const expires = carrier.registers().map((r) => r.headers.expires);
    expect(expires).toEqual(['60', '60', '120']); // unauthenticated, 423, then accepted
    expect(one().expiresAt).toBe(timers.t + 120_000);
    timers.fire();
    await until(() => carrier.registers().length === 4, 3000, 'refresh');
    expect(carrier.registers()[3]!.headers.expires).toBe('120');
  });

  it('stop() unregisters (Expires: 0, same Call-ID, next CSeq) and leaves no timer behind', async () => {
    regs.sync([trunkRow({ port: carrier.port })]);
    await waitState('registered');
    expect(carrier.bindings.size).toBe(1);
    await regs.stop();
    const all = carrier.registers();
    const last = all.at(-1)!;
    expect(last.headers.expires).toBe('0');
    expect(last.headers['call-id']).toBe(all[0]!.headers['call-id']);
    expect(last.headers.cseq.seq).toBe(all.at(-2)!.headers.cseq.seq + 1);
    expect(carrier.bindings.size).toBe(0);
    expect(timers.pending).toHaveLength(0);
    expect(regs.status()).toEqual([]);
    expect(await gauge('carrier-a')).toBeUndefined();
  });

  it('stop() gives up after about a second when the carrier no longer answers', async () => {
    regs.sync([trunkRow({ port: carrier.port })]);
    await waitState('registered');
    carrier.mode = 'drop';
    let done = false;
    const stopping = regs.stop().then(() => (done = true));
    await until(() => carrier.registers().at(-1)?.headers.expires === '0', 3000, 'unregister sent');
    expect(done).toBe(false);
    expect(timers.delays()).toEqual([1000]);
    timers.fire();
    await stopping;
    expect(timers.pending).toHaveLength(0);
  });

  it('sync: starts, keeps, restarts on changed credentials, and stops (unregistering) removed trunks', async () => {
    const other = await FakeCarrier.start({ now: timers.now });
    try {
      const a = trunkRow({ id: 1, name: 'a', port: carrier.port });
      const b = trunkRow({ id: 2, name: 'b', port: other.port });
      const plain = trunkRow({ id: 3, name: 'ip-only', register: false });
      regs.sync([a, b, plain]);
      await until(() => regs.status().every((s) => s.state === 'registered'), 3000, 'both registered');
      expect(regs.status().map((s) => s.name)).toEqual(['a', 'b']);
      expect(regs.isUsable(3)).toBe(true); // does not register
      expect(regs.isUsable(99)).toBe(true);

      regs.sync([a, b, plain]); // nothing changed: no new REGISTER
      const before = carrier.registers().length;
      const callId = carrier.registers()[0]!.headers['call-id'];

      regs.sync([{ ...a, password: 'wrong' }]); // b removed, a restarted
      await until(() => other.bindings.size === 0, 3000, 'b unregistered');
      await until(() => regs.status()[0]?.state === 'failed', 3000, 'a failed');
      const after = carrier.registers().slice(before);
      expect(after[0]!.headers.expires).toBe('0'); // the old registration of a goes first
      expect(after[0]!.headers['call-id']).toBe(callId);
      expect(after[1]!.headers['call-id']).not.toBe(callId); // a new registration, new Call-ID
      expect(regs.status().map((s) => s.name)).toEqual(['a']);
      expect(regs.isUsable(2)).toBe(true);

      regs.sync([{ ...a, enabled: false }]);
      expect(regs.status()).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it('resolves a host name with the injected lookup, and a trunk without username fails without retrying', async () => {
    const looked: string[] = [];
    const r = new TrunkRegistrations({
      stack: pbx, log: logger, now: timers.now, setTimer: timers.setTimer, clearTimer: timers.clearTimer,
      lookup: async (h) => (looked.push(h), '127.0.0.1'),
    });
    try {
      r.sync([trunkRow({ host: 'sip.carrier.example', port: carrier.port }), trunkRow({ id: 2, name: 'nouser', username: null })]);
      await until(() => r.status()[0]?.state === 'registered', 3000, 'registered');
      expect(looked).toEqual(['sip.carrier.example']);
      expect(carrier.registers()[0]!.uri).toBe(`sip:sip.carrier.example:${carrier.port}`);
      expect(carrier.registers()[0]!.headers.to.uri).toBe('sip:trunk1@sip.carrier.example');
      expect(r.status()[1]).toMatchObject({ name: 'nouser', state: 'failed' });
      expect(r.status()[1]!.lastError).toMatch(/no username/);
      expect(r.status()[1]!.nextAttemptAt).toBeUndefined();
      expect(r.isUsable(2)).toBe(false);
    } finally {
      await r.stop();
    }
  });

  it('a failing lookup is a failure with back-off', async () => {
    const r = new TrunkRegistrations({
      stack: pbx, log: logger, now: timers.now, setTimer: timers.setTimer, clearTimer: timers.clearTimer,
      lookup: async () => {
        throw new Error('ENOTFOUND');
      },
    });
    r.sync([trunkRow({ host: 'nowhere.example' })]);
    await until(() => r.status()[0]?.state === 'failed', 3000, 'failed');
    expect(r.status()[0]!.lastError).toMatch(/cannot resolve nowhere.example: ENOTFOUND/);
    expect(r.status()[0]!.lastStatus).toBeUndefined();
    expect(timers.delays()).toEqual([30_000]);
    await r.stop();
    expect(timers.pending).toHaveLength(0);
  });
});
