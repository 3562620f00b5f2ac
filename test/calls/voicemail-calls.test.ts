// Integration: voicemail and the notices calls cause (issue 6), the real PBX in process on
// loopback. A carrier on 127.0.0.2 calls the switchboard and dials an extension that is not
// registered: the caller leaves a message (a tone for speech, then silence ends it), which is
// stored with its duration, announced to the tenant's webhook (a tiny HTTP receiver here) and
// reported to the reserved mobile as a missed call; the owner listens by *97 and deletes it.
// The hang-up SMS goes once to a mobile caller and never to a landline; a call forwarded to a
// PSTN terminal pushes the real caller to that mobile.
import { createServer, type Server } from 'node:http';
import { existsSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freeUdpTcpPort } from '../support/free-port.ts';
import { SipPhone, sleep, type PhoneCall } from '../support/sip-phone.ts';
import { settleCalls, startTestPbx, waitForCalls, type TestPbx } from '../support/test-pbx.ts';

const CARRIER = '127.0.0.2';
const MAIN = '+861088886666';

describe('voicemail and call notices', () => {
  let t: TestPbx;
  let receiver: Server;
  const hooks: Array<Record<string, unknown>> = [];
  let carrierPort = 0;
  const opened: SipPhone[] = [];

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        hooks.push(JSON.parse(body) as Record<string, unknown>);
        res.end('{}');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const hookPort = (receiver.address() as { port: number }).port;
    carrierPort = await freeUdpTcpPort(CARRIER);
    t = await startTestPbx({
      extensions: [{ number: '800' }, { number: '801', voicemail_pin: '1234' }, { number: '802', pstn_terminals: ['13700000002'] }],
      trunks: [{ name: 'carrier', kind: 'carrier', host: CARRIER, port: carrierPort }],
      tenant: {
        company: 'Acme',
        operator: '800',
        reserved_mobile: '13900000000',
        ivr: { first_digit_timeout_s: 2, inter_digit_timeout_s: 1 },
        voicemail: { silence_s: 2 },
        messages: { hangup_sms: { enabled: true, text: 'Thanks for calling {company}.' }, incoming_call: { sms: true } },
        webhook: { url: `http://127.0.0.1:${hookPort}/hook` },
        numbers: [{ number: MAIN, mode: 'switchboard', main: true }],
      },
    });
  });
  afterEach(async () => {
    for (const p of opened.splice(0)) await p.close();
    await settleCalls(t);
  });
  afterAll(async () => {
    await t?.stop();
    await new Promise((r) => receiver?.close(r));
  });

  async function carrier(): Promise<SipPhone> {
    const open = opened.find((p) => p.host === CARRIER);
    if (open) return open;
    const p = await SipPhone.open({ user: 'carrier', password: 'unused-password', pbxPort: t.sipPort, host: CARRIER, port: carrierPort });
    opened.push(p);
    return p;
  }

  async function press(call: PhoneCall, digits: string): Promise<void> {
    for (const d of digits) expect((await call.info('application/dtmf-relay', `Signal=${d}\r\nDuration=100\r\n`)).status).toBe(200);
  }

  /** Waits until the PBX has sent audio and then stopped for a while (a prompt ended). */
  async function promptsEnd(phone: SipPhone, quietMs = 600, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = -1;
    let since = Date.now();
    while (Date.now() < deadline) {
      const n = phone.rtp.received.length;
      if (n !== last) {
        last = n;
        since = Date.now();
      } else if (n > 0 && Date.now() - since >= quietMs) return;
      await sleep(50);
    }
    throw new Error('the prompts did not end');
  }

  function outbox(purpose: string) {
    return t.pbx.services.outbox.list({ purpose: purpose as never, limit: 50 });
  }

  it('an unanswered extension takes a message: stored with its duration, the webhook told, the reserved mobile gets the missed call', async () => {
    const c = await carrier();
    const call = await c.call(MAIN, { authenticate: false, user: '13912345678' });
    expect((await call.waitFinal()).status).toBe(200);
    await press(call, '801#');
    await sleep(300);
    c.rtp.received.length = 0;
    await promptsEnd(c); // "no answer", "leave a message", beep
    await c.rtp.send(call.remoteMedia, 75, 8, 440); // 1.5 s of "speech"
    const silence = c.rtp.send(call.remoteMedia, 200, 8); // then silence: 2 s of it end the message
    await call.waitRequest('BYE', 15_000);
    await silence;
    await waitForCalls(t, 0);

    const [message] = t.pbx.services.voicemail.list({ tenantId: 1, extensionId: 2 });
    expect(message).toBeDefined();
    expect(message!.callerNumber).toBe('13912345678');
    expect(message!.durationS).toBeGreaterThan(1.2);
    expect(message!.durationS).toBeLessThan(3);
    expect(existsSync(message!.path)).toBe(true);

    await until(() => hooks.some((h) => h.event === 'voicemail'));
    expect(hooks.find((h) => h.event === 'voicemail')).toMatchObject({ event: 'voicemail', box: '801', caller: '13912345678' });
    const missed = outbox('missed-call');
    expect(missed).toHaveLength(1);
    expect(missed[0]).toMatchObject({ channel: 'sms', recipient: '13900000000' });
    expect(missed[0]!.body).toContain('13912345678');
  });

  it('*97: the owner enters the PIN and deletes the message', async () => {
    const [message] = t.pbx.services.voicemail.list({ tenantId: 1, extensionId: 2 });
    expect(message).toBeDefined();
    const owner = await t.phone('801');
    const call = await owner.call('*97');
    expect((await call.waitFinal()).status).toBe(200);
    await press(call, '1234#');
    await sleep(500);
    await press(call, '7');
    await until(() => t.pbx.services.voicemail.get(message!.id).status === 'deleted', 15_000);
    expect(existsSync(message!.path)).toBe(false);
    await call.bye();
  });

  it('the hang-up SMS goes once per period to a mobile caller, never to a landline', async () => {
    const c = await carrier();
    for (const caller of ['13811112222', '13811112222', '01062345678']) {
      const call = await c.call(MAIN, { authenticate: false, user: caller });
      expect((await call.waitFinal()).status).toBe(200);
      expect((await call.bye()).status).toBe(200);
      await waitForCalls(t, 0);
    }
    const sms = outbox('hangup-sms');
    expect(sms.filter((m) => m.recipient === '13811112222')).toHaveLength(1);
    expect(sms.filter((m) => m.recipient.includes('62345678'))).toHaveLength(0);
    expect(sms[0]!.body).toBe('Thanks for calling Acme.');
  });

  it('a call forwarded to a PSTN terminal pushes the real caller to that mobile', async () => {
    const c = await carrier();
    c.answerMode = { kind: 'ring' };
    const call = await c.call(MAIN, { authenticate: false, user: '13955556666' });
    expect((await call.waitFinal()).status).toBe(200);
    await press(call, '802#');
    const forwarded = await c.incomingCall(0, 10_000);
    expect(forwarded.invite!.uri).toMatch(/^sip:13700000002@/);
    await until(() => outbox('incoming-call').length > 0);
    const [notice] = outbox('incoming-call');
    expect(notice).toMatchObject({ channel: 'sms', recipient: '13700000002' });
    expect(notice!.body).toContain('13955556666');
    await call.bye();
  });
});

async function until(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(50);
  }
}
