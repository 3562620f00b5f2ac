// Integration: trunks that authenticate, through the whole server. A carrier that wants the PBX
// registered (and challenges its INVITEs) gets a REGISTER at start and the call after a 407;
// a tenant PBX that proves itself with digest credentials (not its address) sends calls out.
import { afterAll, describe, expect, it } from 'vitest';
import { CARRIER_SDP, FakeCarrier, REALM, until } from '../trunks/fake-carrier.ts';
import { SipPhone } from '../support/sip-phone.ts';
import { settleCalls, startTestPbx, type TestPbx } from '../support/test-pbx.ts';

describe('trunks that authenticate', () => {
  let t: TestPbx | undefined;
  let carrier: FakeCarrier | undefined;
  afterAll(async () => {
    if (t) await settleCalls(t).catch(() => undefined);
    await t?.stop();
    await carrier?.close();
  });

  it('registers with the carrier at start, answers its INVITE challenge, and a tenant PBX with digest credentials calls out through it', async () => {
    carrier = await FakeCarrier.start({ host: '127.0.0.4', username: 'acct-42', password: 'carrier-pw' });
    const invites: string[] = [];
    carrier.onInvite = (inc) => {
      if (!carrier!.authenticate(inc, true)) return; // 407 first
      invites.push(String(inc.request.headers['p-asserted-identity'] ?? ''));
      inc.respond(200, 'OK', { body: CARRIER_SDP, contentType: 'application/sdp' });
    };
    t = await startTestPbx({
      extensions: [{ number: '801' }],
      trunks: [
        { name: 'registering', kind: 'carrier', host: '127.0.0.4', port: carrier.port, register: true, username: 'acct-42', password: 'carrier-pw', register_expires_s: 600 },
        { name: 'acme-pbx', kind: 'pbx', tenant: 'main', host: '192.0.2.10', inbound_auth: 'digest', inbound_username: 'acme-trunk', inbound_password: 'acme-trunk-pw' },
      ],
      tenant: { numbers: [{ number: '+861088889999', mode: 'sipTrunk', trunk: 'acme-pbx', max_calls: 2 }] },
    });
    await until(() => carrier!.bindings.size === 1, 5000, 'the PBX registered with the carrier');
    const credentials = JSON.stringify(carrier.registers().at(-1)!.headers.authorization);
    expect(credentials).toContain('acct-42');
    expect(credentials).toContain(REALM);

    // the tenant PBX (on 127.0.0.1 like a phone, so known only by its credentials)
    const pbx = await SipPhone.open({ user: 'acme-trunk', password: 'acme-trunk-pw', pbxPort: t.sipPort });
    try {
      const wrong = await pbx.call('13700000001', { password: 'not-the-password' });
      expect((await wrong.waitFinal()).status).toBe(407);
      const out = await pbx.call('13700000001');
      expect((await out.waitFinal(10_000)).status).toBe(200);
      expect(invites).toHaveLength(1);
      expect(invites[0]).toContain('01088889999');
      // the carrier challenges requests inside the call too: hold (re-INVITE) and BYE get through
      carrier.challengeInDialog = true;
      expect((await out.reinvite('sendonly')).status).toBe(200);
      expect((await out.bye()).status).toBe(200);
      const inDialog = (method: string) => carrier!.requests.filter((r) => r.method === method && r.headers.to.params.tag !== undefined);
      await until(() => inDialog('BYE').length === 2, 5000, 'the BYE again with credentials');
      for (const method of ['INVITE', 'BYE']) {
        const [challenged, answered] = inDialog(method);
        expect(challenged!.headers['proxy-authorization']).toBeUndefined();
        expect(JSON.stringify(answered!.headers['proxy-authorization'])).toContain('acct-42');
        expect(answered!.headers.cseq.seq).toBeGreaterThan(challenged!.headers.cseq.seq);
      }
    } finally {
      await pbx.close();
    }
  });
});
