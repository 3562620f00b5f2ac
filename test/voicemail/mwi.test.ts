// MWI over real loopback SIP: a SipStack with the registrar and the MWI SUBSCRIBE handler behind
// the ingress, as the server wires them, over a temporary database; phones are raw UDP scripts.
import { writeFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { applyConfig } from '../../src/config/index.ts';
import { createLogger } from '../../src/log.ts';
import { openServices } from '../../src/services.ts';
import { SipStack } from '../../src/sip/stack.ts';
import { createIngress } from '../../src/sip/ingress.ts';
import { RequestAuthenticator } from '../../src/sip/request-authenticator.ts';
import { AuthFailureLimiter, DigestAuthenticator, LocationService, Registrar, ScannerFilter } from '../../src/sip/registrar/index.ts';
import { startMwi, type RunningMwi, type VoicemailMessage } from '../../src/voicemail/index.ts';
import { tempServices } from '../fixtures.ts';
import { MwiPhone, summaryOf } from './mwi-phone.ts';
import type { SipMessage } from '../support/sip-phone.ts';

const log = createLogger('silent');
const YAML = `
tenants:
  - name: main
    default: true
    extensions:
      - { number: 1001, password: secret-1001-pw }
      - { number: 1002, password: secret-1002-pw }
      - { number: 1003, password: secret-1003-pw }
`;

let env: ReturnType<typeof tempServices>;
let sip: SipStack;
let location: LocationService;
let mwi: RunningMwi;
let authenticator: RequestAuthenticator;
let port: number;
let tenantId: number;
const ids = new Map<string, number>();
const phones: MwiPhone[] = [];

beforeAll(async () => {
  env = tempServices(YAML);
  applyConfig(env.services.db, env.config, env.services.audit);
  tenantId = env.services.tenants.resolve('main').id;
  for (const n of ['1001', '1002', '1003']) ids.set(n, env.services.extensions.show(tenantId, n).id);
  sip = await SipStack.start({ udp: [{ host: '127.0.0.1', port: 0 }], logger: log });
  port = sip.boundPorts().udp[0]!;
  location = new LocationService({ store: env.services.bindings, log });
  const digest = new DigestAuthenticator();
  const limiter = new AuthFailureLimiter({ store: env.services.blockStore, maxFailures: 100_000, log });
  authenticator = new RequestAuthenticator({ accounts: env.services.accounts, digest, limiter, log });
  const registrar = new Registrar({ accounts: env.services.accounts, location, digest, limiter, authenticator, log });
  mwi = startMwi({ stack: sip, location, store: env.services.voicemail, authenticator, log, minExpiresS: 2 });
  sip.onRequest(
    createIngress({
      sourceGuard: limiter,
      userAgentGuard: new ScannerFilter(),
      allow: ['REGISTER', 'SUBSCRIBE', 'NOTIFY'],
      handlers: { REGISTER: (i) => registrar.handle(i), SUBSCRIBE: (i) => mwi.onSubscribe(i) },
    }),
  );
});

afterAll(async () => {
  mwi.stop();
  await sip.close();
  env.cleanup();
});

beforeEach(() => {
  // every test starts with empty boxes and no registrations
  for (const m of env.services.voicemail.list({})) env.services.voicemail.delete(m.id);
  for (const id of ids.values()) location.removeAll(id);
});

afterEach(async () => {
  for (const p of phones.splice(0)) await p.close();
});

async function phone(user: string, o: { register?: boolean } = {}): Promise<MwiPhone> {
  const p = await MwiPhone.open({ user, password: `secret-${user}-pw`, pbxPort: port });
  phones.push(p);
  if (o.register !== false) expect(await p.register()).toBe(200);
  return p;
}

function leave(user: string, caller = '13800138000'): VoicemailMessage {
  const store = env.services.voicemail;
  const extensionId = ids.get(user)!;
  const path = store.pathFor({ tenantId, extensionId, at: Date.now(), callId: `c${Math.random()}` });
  writeFileSync(path, Buffer.alloc(44));
  return store.add({ tenantId, extensionId, callerNumber: caller, path, receivedAt: Date.now(), durationS: 3 });
}

const inDialog = (p: MwiPhone) => (m: SipMessage) => m.callId === p.callId;
const outOfDialog = (p: MwiPhone) => (m: SipMessage) => m.callId !== p.callId;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('MWI subscriptions (RFC 3842 / RFC 6665)', () => {
  it('challenges, subscribes, NOTIFYs at once, on every change, on refresh, and terminates on unsubscribe', async () => {
    const p = await phone('1001');
    const ok = await p.subscribe();
    expect(ok.status).toBe(200);
    expect(ok.header('expires')).toBe('3600');
    expect(ok.toTag).toBeDefined();
    expect(mwi.subscriptionCount()).toBe(1);

    const first = await p.waitNotify(1, inDialog(p));
    expect(first.header('event')).toBe('message-summary');
    expect(first.header('subscription-state')).toMatch(/^active;expires=(3600|3599)$/);
    expect(first.header('content-type')).toBe('application/simple-message-summary');
    expect(first.fromTag).toBe(ok.toTag);
    expect(first.toTag).toBe(p.fromTag);
    expect(first.uri).toBe(p.contact);
    expect(summaryOf(first)).toEqual({ waiting: 'no', account: 'sip:1001@127.0.0.1', voice: '0/0 (0/0)' });

    const m = leave('1001');
    const second = await p.waitNotify(2, inDialog(p));
    expect(summaryOf(second)).toMatchObject({ waiting: 'yes', voice: '1/0 (0/0)' });
    expect(second.cseq.seq).toBeGreaterThan(first.cseq.seq);

    env.services.voicemail.markHeard(m.id);
    const third = await p.waitNotify(3, inDialog(p));
    expect(summaryOf(third)).toMatchObject({ waiting: 'no', voice: '0/1 (0/0)' });

    const refreshed = await p.refresh(120);
    expect(refreshed.status).toBe(200);
    expect(refreshed.header('expires')).toBe('120');
    const fourth = await p.waitNotify(4, inDialog(p));
    expect(fourth.header('subscription-state')).toMatch(/^active;expires=1(20|19)$/);

    const bye = await p.refresh(0);
    expect(bye.status).toBe(200);
    const last = await p.waitNotify(5, inDialog(p));
    expect(last.header('subscription-state')).toMatch(/^terminated/);
    expect(summaryOf(last)).toMatchObject({ voice: '0/1 (0/0)' });
    expect(mwi.subscriptionCount()).toBe(0);
    expect([first, second, third, fourth, last].map((n) => n.cseq.seq)).toEqual([...[first, second, third, fourth, last].map((n) => n.cseq.seq)].sort((a, b) => a - b));

    // no longer subscribed but registered: its NOTIFYs now come unsolicited, out of any dialog
    leave('1001');
    const unsolicited = await p.waitNotify(1, outOfDialog(p));
    expect(summaryOf(unsolicited)).toMatchObject({ waiting: 'yes', voice: '1/1 (0/0)' });
    expect(p.notifies(inDialog(p))).toHaveLength(5);
    expect((await p.refresh(60)).status).toBe(481);
  });

  it('refuses what it cannot serve: other events (489), wrong credentials, too-short Expires (423), unknown dialogs (481), other body types (406)', async () => {
    const p = await phone('1002', { register: false });
    const presence = await p.subscribe({ event: 'presence' });
    expect(presence.status).toBe(489);
    expect(presence.header('allow-events')).toBe('message-summary');
    expect((await p.subscribe({ password: 'wrong-password' })).status).toBe(407);
    const brief = await p.subscribe({ expires: 1 });
    expect(brief.status).toBe(423);
    expect(brief.header('min-expires')).toBe('2');
    expect((await p.refresh(60, { toTag: 'nosuchtag' })).status).toBe(481);
    expect((await p.subscribe({ accept: 'application/pidf+xml' })).status).toBe(406);
    expect(mwi.subscriptionCount()).toBe(0);
  });

  it('a SUBSCRIBE with Expires 0 is a fetch: one NOTIFY with the state, terminated', async () => {
    leave('1002');
    const p = await phone('1002', { register: false });
    expect((await p.subscribe({ expires: 0 })).status).toBe(200);
    const n = await p.waitNotify(1);
    expect(n.header('subscription-state')).toMatch(/^terminated/);
    expect(summaryOf(n)).toMatchObject({ waiting: 'yes', voice: '1/0 (0/0)' });
    expect(mwi.subscriptionCount()).toBe(0);
  });

  it('ends a subscription that expires (terminated;reason=timeout), or whose NOTIFY is answered 481', async () => {
    const p = await phone('1002', { register: false });
    expect((await p.subscribe({ expires: 2 })).status).toBe(200);
    await p.waitNotify(1);
    const end = await p.waitNotify(2, () => true, 4000);
    expect(end.header('subscription-state')).toBe('terminated;reason=timeout');
    expect(mwi.subscriptionCount()).toBe(0);

    const q = await phone('1003', { register: false });
    expect((await q.subscribe()).status).toBe(200);
    await q.waitNotify(1);
    q.notifyStatus = 481;
    leave('1003');
    await q.waitNotify(2);
    await sleep(100);
    expect(mwi.subscriptionCount()).toBe(0);
    leave('1003');
    await sleep(200);
    expect(q.notifies()).toHaveLength(2);
  });
});

describe('unsolicited MWI', () => {
  it('NOTIFYs every registered contact that did not subscribe, out of dialog, to where it registered from', async () => {
    const iad = await phone('1003');
    const subscriber = await phone('1003');
    expect((await subscriber.subscribe()).status).toBe(200);
    await subscriber.waitNotify(1);
    leave('1003', '+8613900000000');
    const n = await iad.waitNotify(1);
    expect(n.uri).toBe(iad.contact);
    expect(n.toTag).toBeUndefined();
    expect(n.header('event')).toBe('message-summary');
    expect(n.header('subscription-state')).toBe('active');
    expect(n.header('content-type')).toBe('application/simple-message-summary');
    expect(summaryOf(n)).toEqual({ waiting: 'yes', account: 'sip:1003@127.0.0.1', voice: '1/0 (0/0)' });
    // the subscriber hears it in its subscription only
    await subscriber.waitNotify(2, inDialog(subscriber));
    await sleep(100);
    expect(subscriber.notifies(outOfDialog(subscriber))).toHaveLength(0);
    // another extension's phone hears nothing
    const other = await phone('1002');
    leave('1003');
    await iad.waitNotify(2);
    await sleep(100);
    expect(other.notifies()).toHaveLength(0);
  });

  it('tells a phone that registers anew when new messages wait, and stays quiet when none do', async () => {
    const quiet = await phone('1002');
    await sleep(100);
    expect(quiet.notifies()).toHaveLength(0);
    leave('1001');
    const late = await phone('1001');
    expect(summaryOf(await late.waitNotify(1))).toMatchObject({ waiting: 'yes', voice: '1/0 (0/0)' });
  });

  it('after a restart, tells each registered phone its box once, at its first refresh', async () => {
    const waiting = await phone('1001');
    const cleared = await phone('1002');
    await sleep(100);
    expect(waiting.notifies()).toHaveLength(0);
    // down while a message comes for 1001 (and, for all we know, 1002's lamp was on)
    mwi.stop();
    leave('1001');
    mwi = startMwi({ stack: sip, location, store: env.services.voicemail, authenticator, log, minExpiresS: 2 });
    await sleep(100);
    expect(waiting.notifies()).toHaveLength(0);
    expect(await waiting.register()).toBe(200);
    expect(summaryOf(await waiting.waitNotify(1))).toMatchObject({ waiting: 'yes', voice: '1/0 (0/0)' });
    expect(await cleared.register()).toBe(200);
    expect(summaryOf(await cleared.waitNotify(1))).toMatchObject({ waiting: 'no', voice: '0/0 (0/0)' });
    // later refreshes are quiet
    expect(await waiting.register()).toBe(200);
    expect(await cleared.register()).toBe(200);
    await sleep(150);
    expect(waiting.notifies()).toHaveLength(1);
    expect(cleared.notifies()).toHaveLength(1);
  });
});

describe('changes made by another process', () => {
  it('reconcile() after the CLI deleted a message brings the lamp in line', async () => {
    const p = await phone('1001', { register: false });
    const m = leave('1001');
    expect((await p.subscribe()).status).toBe(200);
    expect(summaryOf(await p.waitNotify(1))).toMatchObject({ waiting: 'yes' });
    const cli = openServices(env.config);
    try {
      cli.voicemail.delete(m.id, { actor: 'cli:test' });
    } finally {
      cli.close();
    }
    expect(mwi.reconcile()).toBe(1);
    expect(summaryOf(await p.waitNotify(2))).toMatchObject({ waiting: 'no', voice: '0/0 (0/0)' });
  });
});
