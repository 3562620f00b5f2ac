// Integration: calls between the network and the PBX through trunks (issue 5), the real PBX in
// process on loopback, every party scripted. Carriers are phones on 127.0.0.2 (the PBX knows a
// carrier by its source address), a tenant's own PBX is on 127.0.0.3, extensions on 127.0.0.1.
// Covers the switchboard (greeting, digits, operator, closed hours, retries), the blacklist,
// outbound calls with the tenant's number and the permission chain, trunk failover, direct
// lines, SIP-trunk hand-off both ways with its concurrency limit, and PSTN terminals.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freeUdpTcpPort } from '../support/free-port.ts';
import { SipPhone, sdpMedia, sleep, uriOf } from '../support/sip-phone.ts';
import { settleCalls, startTestPbx, waitForCalls, waitForRecord, type TestPbx } from '../support/test-pbx.ts';

const CARRIER = '127.0.0.2';
const TENANT_PBX = '127.0.0.3';
const MAIN = '+861088886666';
const DIRECT = '+861088887777';
const HANDOFF = '+861088889999';
const ANNOUNCING = '+861088885555';
const DROPPING = '+861088884444';

/** Saturday 2026-11-28 10:00 in Shanghai, then Monday 2026-11-30 10:00. */
const SATURDAY = Date.parse('2026-11-28T10:00:00+08:00');
const MONDAY = Date.parse('2026-11-30T10:00:00+08:00');

describe('calls through trunks', () => {
  let t: TestPbx;
  let clock = MONDAY;
  const ports = { carrier1: 0, carrier2: 0, pbx: 0 };
  const opened: SipPhone[] = [];

  /** A party on another loopback address, on the port its trunk names (one per port and test). */
  async function peer(host: string, port: number, user: string): Promise<SipPhone> {
    const open = opened.find((p) => p.host === host && p.port === port);
    if (open !== undefined) return open;
    const p = await SipPhone.open({ user, password: 'unused-password', pbxPort: t.sipPort, host, port });
    opened.push(p);
    return p;
  }

  beforeAll(async () => {
    ports.carrier1 = await freeUdpTcpPort(CARRIER);
    ports.carrier2 = await freeUdpTcpPort(CARRIER);
    ports.pbx = await freeUdpTcpPort(TENANT_PBX);
    t = await startTestPbx({
      extensions: [{ number: '800' }, { number: '801' }, { number: '802', pstn_terminals: ['13700000002'] }, { number: '803', outbound_deny: ['1390000'] }, { number: '811' }, { number: '812' }],
      trunks: [
        { name: 'carrier-a', kind: 'carrier', host: CARRIER, port: ports.carrier1, priority: 1, diversion: true },
        { name: 'carrier-b', kind: 'carrier', host: CARRIER, addresses: [], port: ports.carrier2, priority: 2 },
        { name: 'acme-pbx', kind: 'pbx', tenant: 'main', host: TENANT_PBX, port: ports.pbx },
      ],
      tenant: {
        operator: '800',
        outside_line_prefix: '9',
        ivr: { first_digit_timeout_s: 1, inter_digit_timeout_s: 1, max_attempts: 2 },
        voicemail: { silence_s: 2 },
        numbers: [
          { number: MAIN, mode: 'switchboard', main: true, blacklist: ['13800000001', '0755*'] },
          { number: DIRECT, mode: 'direct', terminals: [{ extension: '811' }, { extension: '812' }], ring_strategy: 'simultaneous' },
          { number: HANDOFF, mode: 'sipTrunk', trunk: 'acme-pbx', max_calls: 1 },
          { number: ANNOUNCING, mode: 'switchboard', blacklist: ['13800000001'], block_action: 'announcement' },
          { number: DROPPING, mode: 'switchboard', blacklist: ['13800000001'], block_action: 'drop' },
        ],
      },
      serviceClock: () => clock,
    });
  });
  afterEach(async () => {
    clock = MONDAY;
    for (const p of opened.splice(0)) await p.close();
    await settleCalls(t);
  });
  afterAll(async () => {
    await t?.stop();
  });

  /** A call from the network: the carrier sends the INVITE for `did` from `caller`. */
  async function fromNetwork(did: string, caller = '13912345678', carrierPort = ports.carrier1) {
    const carrier = await peer(CARRIER, carrierPort, 'carrier');
    const call = await carrier.call(did, { authenticate: false, user: caller });
    return { carrier, call };
  }

  async function pressDigits(call: Awaited<ReturnType<typeof fromNetwork>>['call'], digits: string) {
    for (const d of digits) {
      expect((await call.info('application/dtmf-relay', `Signal=${d}\r\nDuration=100\r\n`)).status).toBe(200);
    }
  }

  it('switchboard: the PBX answers with the greeting, the digits dialled ring the extension, both talk', async () => {
    const ext = await t.phone('801');
    const { carrier, call } = await fromNetwork('01088886666');
    const ok = await call.waitFinal();
    expect(ok.status).toBe(200);
    // the greeting plays to the caller
    await carrier.rtp.waitFor(10, (p) => p.payloadType === 8 || p.payloadType === 0);
    await pressDigits(call, '801#');
    const inc = await ext.incomingCall(0, 5000);
    expect(uriOf(inc.invite!.header('from'))).toContain('13912345678');
    await inc.waitRequest('ACK');
    const id = t.pbx.calls.list()[0]!.id;
    // audio both ways through the PBX after the connect
    await Promise.all([carrier.rtp.send(call.remoteMedia, 20), ext.rtp.send(inc.remoteMedia, 20)]);
    await ext.rtp.waitFor(15, (p) => p.payloadType === 8);
    expect((await call.bye()).status).toBe(200);
    await inc.waitRequest('BYE');
    const record = await waitForRecord(t, id);
    expect(record).toMatchObject({ direction: 'inbound', disposition: 'answered', callerNumber: '13912345678', calleeNumber: MAIN });
  });

  it('switchboard: no digit within the timeout rings the operator; outside service hours the caller hears "closed" and is let go', async () => {
    const operator = await t.phone('800');
    const first = await fromNetwork(MAIN);
    expect((await first.call.waitFinal()).status).toBe(200);
    const inc = await operator.incomingCall(0, 15_000);
    expect(inc.invite).toBeDefined();
    expect((await first.call.bye()).status).toBe(200);
    await waitForCalls(t, 0);

    clock = SATURDAY;
    const closed = await fromNetwork(MAIN);
    expect((await closed.call.waitFinal()).status).toBe(200);
    await closed.call.waitRequest('BYE', 20_000);
    expect(operator.incoming).toHaveLength(1); // the operator was not rung on Saturday
  });

  it('switchboard: an invalid extension is told and asked again; after the last attempt the operator rings', async () => {
    const operator = await t.phone('800');
    const { call } = await fromNetwork(MAIN);
    expect((await call.waitFinal()).status).toBe(200);
    await pressDigits(call, '999#');
    await sleep(300);
    expect(operator.incoming).toHaveLength(0);
    await pressDigits(call, '998#');
    const inc = await operator.incomingCall(0, 15_000);
    expect(inc.invite).toBeDefined();
    await call.bye();
  });

  it('blacklist: an exact number and a prefix are refused busy and recorded as blocked; others pass', async () => {
    const exact = await fromNetwork(MAIN, '13800000001');
    expect((await exact.call.waitFinal()).status).toBe(486);
    const prefixed = await fromNetwork(MAIN, '075588881234');
    expect((await prefixed.call.waitFinal()).status).toBe(486);
    await waitForCalls(t, 0);
    await sleep(200); // the records are written on their own thread
    const blocked = t.pbx.services.cdrs.list({ limit: 10 }).items.filter((r) => r.disposition === 'blocked');
    expect(blocked.length).toBeGreaterThanOrEqual(2);
    const unknown = await fromNetwork('+861000000000');
    expect((await unknown.call.waitFinal()).status).toBe(404);
  });

  it('blacklist: the announcement action plays "not available" then hangs up; drop answers and ends at once', async () => {
    const announced = await fromNetwork(ANNOUNCING, '13800000001');
    expect((await announced.call.waitFinal()).status).toBe(200);
    await announced.carrier.rtp.waitFor(50, (p) => p.payloadType === 8 || p.payloadType === 0);
    await announced.call.waitRequest('BYE', 15_000);
    const dropped = await fromNetwork(DROPPING, '13800000001');
    expect((await dropped.call.waitFinal()).status).toBe(200);
    await dropped.call.waitRequest('BYE', 3000);
    await waitForCalls(t, 0);
    await sleep(200);
    const latest = t.pbx.services.cdrs.list({ limit: 2 }).items;
    expect(latest.map((r) => r.disposition)).toEqual(['blocked', 'blocked']);
  });

  it('outbound: the carrier sees the main number, never the extension; the called number without the outside-line prefix', async () => {
    const carrier = await peer(CARRIER, ports.carrier1, 'carrier');
    const ext = await t.phone('801');
    const out = await ext.call('913700000001');
    const inc = await carrier.incomingCall(0, 5000);
    expect(inc.invite!.uri).toMatch(/^sip:13700000001@/);
    expect(uriOf(inc.invite!.header('from'))).toMatch(/^sip:01088886666@/);
    expect(uriOf(inc.invite!.header('p-asserted-identity'))).toMatch(/^sip:01088886666@/);
    expect(inc.invite!.header('from')).not.toContain('801@');
    expect(inc.invite!.header('contact')).not.toContain('801@');
    expect((await out.waitFinal()).status).toBe(200);
    expect((await out.bye()).status).toBe(200);
    await inc.waitRequest('BYE');
  });

  it('outbound: international is refused by default; a denied prefix is refused; emergency needs no prefix', async () => {
    const ext = await t.phone('803');
    expect((await (await ext.call('900442071234567')).waitFinal()).status).toBe(403);
    expect((await (await ext.call('913900001111')).waitFinal()).status).toBe(403);
    const carrier = await peer(CARRIER, ports.carrier1, 'carrier');
    const emergency = await ext.call('110');
    const inc = await carrier.incomingCall(0, 5000);
    expect(inc.invite!.uri).toMatch(/^sip:110@/);
    expect((await emergency.waitFinal()).status).toBe(200);
    await emergency.bye();
  });

  it('failover: the first carrier answers 503, the second takes the call', async () => {
    const a = await peer(CARRIER, ports.carrier1, 'carrier-a');
    a.answerMode = { kind: 'reject', status: 503 };
    const b = await peer(CARRIER, ports.carrier2, 'carrier-b');
    const ext = await t.phone('801');
    const out = await ext.call('913700000001');
    await a.incomingCall(0, 5000);
    const inc = await b.incomingCall(0, 5000);
    expect(inc.invite!.uri).toMatch(/^sip:13700000001@/);
    expect((await out.waitFinal()).status).toBe(200);
    await out.bye();
  });

  it('direct line: its terminals ring at once; they cannot call or transfer to each other', async () => {
    const one = await t.phone('811');
    const two = await t.phone('812');
    one.answerMode = { kind: 'ring' };
    two.answerMode = { kind: 'ring' };
    const { call } = await fromNetwork(DIRECT);
    const a = await one.incomingCall(0, 5000);
    await two.incomingCall(0, 5000);
    a.answer();
    expect((await call.waitFinal()).status).toBe(200);
    await a.waitRequest('ACK');
    const refer = await a.request('REFER', { headers: [`Refer-To: <sip:812@127.0.0.1:${t.sipPort}>`] });
    expect(refer.status).toBe(202);
    await a.waitRequest('NOTIFY', 5000, (n) => /SIP\/2\.0 [2-6]\d\d/.test(n.body) && !n.body.includes('100'));
    expect(a.requests('NOTIFY').at(-1)!.body.trim()).toBe('SIP/2.0 403 Forbidden');
    expect(two.incoming).toHaveLength(1); // 812 was not rung by the transfer
    await call.bye();
    await waitForCalls(t, 0);
    one.answerMode = { kind: 'answer' };
    expect((await (await two.call('811')).waitFinal()).status).toBe(403);
  });

  it('sipTrunk: network calls go to the tenant PBX; its calls go out with the number; over the purchased limit 503', async () => {
    const pbx = await peer(TENANT_PBX, ports.pbx, 'acme');
    pbx.answerMode = { kind: 'ring' };
    const first = await fromNetwork(HANDOFF);
    const atPbx = await pbx.incomingCall(0, 5000);
    expect(atPbx.invite!.uri).toMatch(/^sip:01088889999@/);
    // one call in progress: the second is over the limit of 1
    const second = await fromNetwork(HANDOFF, '13911112222');
    expect((await second.call.waitFinal()).status).toBe(503);
    atPbx.answer();
    expect((await first.call.waitFinal()).status).toBe(200);
    await first.call.bye();
    await waitForCalls(t, 0);

    const carrier = await peer(CARRIER, ports.carrier1, 'carrier');
    const out = await pbx.call('13700000009', { authenticate: false });
    const inc = await carrier.incomingCall(0, 5000);
    expect(uriOf(inc.invite!.header('from'))).toMatch(/^sip:01088889999@/);
    expect((await out.waitFinal()).status).toBe(200);
    await out.bye();
  });

  it('a PSTN terminal of an extension rings through the carrier as a forwarded leg with Diversion', async () => {
    const carrier = await peer(CARRIER, ports.carrier1, 'carrier');
    const caller = await t.phone('801');
    const out = await caller.call('802');
    const inc = await carrier.incomingCall(0, 5000);
    expect(inc.invite!.uri).toMatch(/^sip:13700000002@/);
    expect(inc.invite!.header('diversion')).toMatch(/01088886666/);
    expect((await out.waitFinal()).status).toBe(200);
    const id = t.pbx.calls.list()[0]!.id;
    await out.bye();
    const record = await waitForRecord(t, id);
    expect(record.legs.some((l) => l.forwarded)).toBe(true);
  });
});

describe('a trunk with a codec list', () => {
  let t: TestPbx;
  const ports = { pcma: 0, any: 0 };
  const opened: SipPhone[] = [];
  async function carrier(port: number): Promise<SipPhone> {
    const p = await SipPhone.open({ user: 'carrier', password: 'unused-password', pbxPort: t.sipPort, host: CARRIER, port });
    opened.push(p);
    return p;
  }

  beforeAll(async () => {
    ports.pcma = await freeUdpTcpPort(CARRIER);
    ports.any = await freeUdpTcpPort(CARRIER);
    t = await startTestPbx({
      extensions: [{ number: '801' }],
      trunks: [
        { name: 'pcma-only', kind: 'carrier', host: CARRIER, port: ports.pcma, priority: 1, codecs: ['PCMA', 'telephone-event'] },
        { name: 'any-codec', kind: 'carrier', host: CARRIER, addresses: [], port: ports.any, priority: 2 },
      ],
      tenant: { outside_line_prefix: '9', numbers: [{ number: MAIN, mode: 'switchboard', main: true }] },
    });
  });
  afterEach(async () => {
    for (const p of opened.splice(0)) await p.close();
    await settleCalls(t);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('is offered only its codecs; a call it shares none with goes to the next trunk', async () => {
    const pcma = await carrier(ports.pcma);
    const any = await carrier(ports.any);
    // the phone offers PCMA, PCMU and telephone-event: the PCMA-only trunk sees PCMA and events
    const ext = await t.phone('801');
    const out = await ext.call('913700000001');
    const inc = await pcma.incomingCall(0, 5000);
    expect(sdpMedia(inc.invite!.body).payloadTypes).toEqual([8, 101]);
    expect(inc.invite!.body).not.toMatch(/PCMU/);
    expect((await out.waitFinal()).status).toBe(200);
    await out.bye();
    await inc.waitRequest('BYE');
    // a phone with PCMU alone: the PCMA-only trunk is passed over, the other one is offered PCMU
    const mu = await t.phone('801', { payloadTypes: [0] });
    const second = await mu.call('913700000002');
    const other = await any.incomingCall(0, 5000);
    expect(other.invite!.uri).toMatch(/^sip:13700000002@/);
    expect(sdpMedia(other.invite!.body).payloadTypes).toEqual([0, 101]);
    expect((await second.waitFinal()).status).toBe(200);
    await second.bye();
    expect(pcma.requests('INVITE')).toHaveLength(1);
  });
});
