import { describe, expect, it } from 'vitest';
import { authorize, parseChallenge } from '../../support/sip-builder.ts';
import { createHarness, lan, REALM } from './harness.ts';

const ME = 'sip:100@192.0.2.10:5060';

describe('Registrar: authentication', () => {
  it('challenges a REGISTER without credentials with MD5 then SHA-256', () => {
    const h = createHarness();
    const r = h.send({ user: '100', contacts: [ME] });
    expect(r.last?.status).toBe(401);
    expect(r.header('WWW-Authenticate').map(parseChallenge).map((c) => c.algorithm)).toEqual(['MD5', 'SHA-256']);
    expect(h.bindingStore.rows.size).toBe(0);
  });

  it('registers with MD5 and answers 200 with the binding, its expiry and Date', () => {
    const h = createHarness();
    const r = h.registerWithAuth({ user: '100', contacts: [ME] }, 'pw-100');
    expect(r.last?.status).toBe(200);
    expect(r.header('Contact')).toEqual([`<${ME}>;expires=3600`]);
    expect(r.header('Date')[0]).toBe(new Date(h.clock.t).toUTCString());
    expect([...h.bindingStore.rows.values()]).toMatchObject([{ extensionId: 100, user: '100', contact: ME, natted: false, expiresAt: h.clock.t + 3_600_000 }]);
  });

  it('registers with SHA-256', () => {
    const h = createHarness();
    const r = h.registerWithAuth({ user: '100', contacts: [ME] }, 'pw-100', lan(), { algorithm: 'SHA-256' });
    expect(r.last?.status).toBe(200);
  });

  it('answers a wrong password and an unknown user identically (no enumeration)', () => {
    const h = createHarness();
    const wrong = h.registerWithAuth({ user: '100', contacts: [ME] }, 'wrong');
    const unknown = h.registerWithAuth({ user: '555', contacts: ['sip:555@192.0.2.10'] }, 'wrong');
    const shape = (r: typeof wrong) => ({
      status: r.last?.status,
      reason: r.last?.reason,
      headerNames: Object.keys(r.last?.extra?.headers ?? {}),
      challenges: r.header('WWW-Authenticate').map((v) => v.replace(/nonce="[^"]*"/, 'nonce="…"')),
    });
    expect(shape(wrong)).toEqual(shape(unknown));
    expect(shape(wrong).status).toBe(401);
    expect(shape(wrong).challenges[0]).toBe(`Digest realm="${REALM}", nonce="…", algorithm=MD5, qop="auth"`);
  });

  it('answers an expired nonce with the right password by 401 stale=true, without counting a failure', () => {
    const h = createHarness();
    const first = h.send({ user: '100', contacts: [ME] });
    const c = parseChallenge(first.header('WWW-Authenticate')[0]);
    h.clock.advance(301_000);
    for (let i = 0; i < 12; i++) {
      const auth = authorize({ username: '100', password: 'pw-100', realm: c.realm, nonce: c.nonce, uri: `sip:${REALM}`, nc: (i + 1).toString(16).padStart(8, '0') });
      const r = h.send({ user: '100', contacts: [ME], authorization: [auth] });
      expect(r.last?.status).toBe(401);
      expect(parseChallenge(r.header('WWW-Authenticate')[0]).stale).toBe('true');
    }
    expect(h.limiter.isBlocked('192.0.2.10')).toBe(false);
  });

  it('rejects a replayed nonce-count with a stale challenge', () => {
    const h = createHarness();
    const first = h.send({ user: '100', contacts: [ME] });
    const c = parseChallenge(first.header('WWW-Authenticate')[0]);
    const auth = authorize({ username: '100', password: 'pw-100', realm: c.realm, nonce: c.nonce, uri: `sip:${REALM}` });
    expect(h.send({ user: '100', contacts: [ME], authorization: [auth] }).last?.status).toBe(200);
    const replay = h.send({ user: '100', contacts: [ME], authorization: [auth] });
    expect(replay.last?.status).toBe(401);
    expect(parseChallenge(replay.header('WWW-Authenticate')[0]).stale).toBe('true');
  });

  it('refuses with 403 when the authenticated user registers another AOR', () => {
    const h = createHarness();
    const r = h.registerWithAuth({ user: '101', contacts: ['sip:101@192.0.2.10'] }, 'pw-100', lan(), { username: '100' });
    expect(r.last?.status).toBe(403);
  });

  it('blocks a source after 10 failures in 60 s: it then gets no answer at all, others still do', () => {
    const h = createHarness();
    for (let i = 0; i < 10; i++) {
      expect(h.registerWithAuth({ user: '100', contacts: [ME] }, `guess${i}`, lan(5060, '203.0.113.66')).last?.status).toBe(401);
    }
    const dropped = h.registerWithAuth({ user: '100', contacts: [ME] }, 'pw-100', lan(5060, '203.0.113.66'));
    expect(dropped.responses).toEqual([]);
    expect(h.blockStore.rows.has('203.0.113.66')).toBe(true);
    expect(h.registerWithAuth({ user: '100', contacts: [ME] }, 'pw-100').last?.status).toBe(200);

    h.clock.advance(15 * 60_000);
    expect(h.registerWithAuth({ user: '100', contacts: [ME] }, 'pw-100', lan(5060, '203.0.113.66')).last?.status).toBe(200);
  });

  it('drops known scanner User-Agents silently', () => {
    const h = createHarness();
    const r = h.send({ user: '100', contacts: [ME], userAgent: 'friendly-scanner' });
    expect(r.responses).toEqual([]);
  });
});

describe('Registrar: bindings (RFC 3261 §10.3)', () => {
  it('answers 423 with Min-Expires for a too brief interval, and stores nothing', () => {
    const h = createHarness();
    const r = h.registerWithAuth({ user: '100', contacts: [ME], expires: '30' }, 'pw-100');
    expect(r.last?.status).toBe(423);
    expect(r.header('Min-Expires')).toEqual(['60']);
    const p = h.registerWithAuth({ user: '100', contacts: [{ uri: ME, expires: '10' }], expires: '3600' }, 'pw-100');
    expect(p.last?.status).toBe(423);
    expect(h.bindingStore.rows.size).toBe(0);
  });

  it('lowers an interval above the maximum to the maximum; the contact param wins over Expires', () => {
    const h = createHarness({ registrar: { maxExpires: 1800 } });
    expect(h.registerWithAuth({ user: '100', contacts: [ME], expires: '7200' }, 'pw-100').header('Contact')).toEqual([`<${ME}>;expires=1800`]);
    expect(h.registerWithAuth({ user: '100', contacts: [{ uri: ME, expires: '120' }], expires: '600' }, 'pw-100').header('Contact')).toEqual([`<${ME}>;expires=120`]);
  });

  it('unregisters one contact with Expires: 0', () => {
    const h = createHarness();
    const other = 'sip:100@192.0.2.11:5060';
    h.registerWithAuth({ user: '100', contacts: [ME, other] }, 'pw-100');
    const r = h.registerWithAuth({ user: '100', contacts: [ME], expires: '0' }, 'pw-100');
    expect(r.last?.status).toBe(200);
    expect(r.header('Contact')).toEqual([`<${other}>;expires=3600`]);
    expect([...h.bindingStore.rows.values()].map((b) => b.contact)).toEqual([other]);
  });

  it('unregisters everything with Contact: * and Expires: 0; * with another Expires is 400', () => {
    const h = createHarness();
    h.registerWithAuth({ user: '100', contacts: [ME, 'sip:100@192.0.2.11'] }, 'pw-100');
    expect(h.registerWithAuth({ user: '100', contacts: '*', expires: '3600' }, 'pw-100').last?.status).toBe(400);
    expect(h.registerWithAuth({ user: '100', contacts: '*' }, 'pw-100').last?.status).toBe(400);
    const r = h.registerWithAuth({ user: '100', contacts: '*', expires: '0' }, 'pw-100');
    expect(r.last?.status).toBe(200);
    expect(r.header('Contact')).toEqual([]);
    expect(h.bindingStore.rows.size).toBe(0);
    expect(h.location.contactsOf(100)).toEqual([]);
  });

  it('returns the current bindings for a REGISTER without Contact', () => {
    const h = createHarness();
    h.registerWithAuth({ user: '100', contacts: [ME] }, 'pw-100');
    h.clock.advance(600_000);
    const r = h.registerWithAuth({ user: '100' }, 'pw-100');
    expect(r.last?.status).toBe(200);
    expect(r.header('Contact')).toEqual([`<${ME}>;expires=3000`]);
  });

  it('refreshes a binding in place (same contact, higher CSeq)', () => {
    const h = createHarness();
    h.registerWithAuth({ user: '100', contacts: [ME] }, 'pw-100');
    h.clock.advance(1000);
    h.registerWithAuth({ user: '100', contacts: [`${ME};ob`] }, 'pw-100');
    expect(h.location.contactsOf(100)).toHaveLength(1);
    expect([...h.bindingStore.rows.values()].map((b) => b.contact)).toEqual([`${ME};ob`]);
  });

  it('rejects an out-of-order CSeq on the same Call-ID with 500 and changes nothing', () => {
    const h = createHarness();
    const first = h.send({ user: '100', contacts: [ME], cseq: 20 });
    const c = parseChallenge(first.header('WWW-Authenticate')[0]);
    const auth = (nc: string) => [authorize({ username: '100', password: 'pw-100', realm: c.realm, nonce: c.nonce, uri: `sip:${REALM}`, nc })];
    expect(h.send({ user: '100', contacts: [ME], cseq: 21, authorization: auth('00000001') }).last?.status).toBe(200);
    const late = h.send({ user: '100', contacts: [ME], expires: '0', cseq: 21, authorization: auth('00000002') });
    expect(late.last?.status).toBe(500);
    expect(late.header('Retry-After')).toHaveLength(1);
    expect(h.location.contactsOf(100)).toHaveLength(1);
    // A different Call-ID (e.g. after a reboot) is not subject to the CSeq order.
    expect(h.send({ user: '100', contacts: [ME], expires: '0', cseq: 1, callId: 'other', authorization: auth('00000003') }).last?.status).toBe(200);
    expect(h.location.contactsOf(100)).toHaveLength(0);
  });

  it('terminal limit: a rebooted phone with a new port replaces the old binding (limit 1)', () => {
    const h = createHarness();
    h.registerWithAuth({ user: '101', contacts: ['sip:101@192.0.2.20:5060'], callId: 'boot-1' }, 'pw-101', lan(5060, '192.0.2.20'));
    h.clock.advance(10_000);
    const r = h.registerWithAuth({ user: '101', contacts: ['sip:101@192.0.2.20:5062'], callId: 'boot-2' }, 'pw-101', lan(5062, '192.0.2.20'));
    expect(r.last?.status).toBe(200);
    expect(r.header('Contact')).toEqual(['<sip:101@192.0.2.20:5062>;expires=3600']);
    expect([...h.bindingStore.rows.values()].map((b) => b.contact)).toEqual(['sip:101@192.0.2.20:5062']);
  });

  it('terminal limit: the binding expiring soonest is the one replaced (limit 3)', () => {
    const h = createHarness();
    h.registerWithAuth({ user: '100', contacts: [{ uri: 'sip:100@192.0.2.31', expires: '3600' }], callId: 'a' }, 'pw-100', lan(5060, '192.0.2.31'));
    h.registerWithAuth({ user: '100', contacts: [{ uri: 'sip:100@192.0.2.32', expires: '120' }], callId: 'b' }, 'pw-100', lan(5060, '192.0.2.32'));
    h.registerWithAuth({ user: '100', contacts: [{ uri: 'sip:100@192.0.2.33', expires: '1800' }], callId: 'c' }, 'pw-100', lan(5060, '192.0.2.33'));
    const r = h.registerWithAuth({ user: '100', contacts: ['sip:100@192.0.2.34'], callId: 'd' }, 'pw-100', lan(5060, '192.0.2.34'));
    expect(r.last?.status).toBe(200);
    expect(h.location.contactsOf(100).map((b) => b.contact).sort()).toEqual(['sip:100@192.0.2.31', 'sip:100@192.0.2.33', 'sip:100@192.0.2.34']);
  });

  it('terminal limit: one REGISTER carrying more contacts than the limit is 403', () => {
    const h = createHarness();
    const r = h.registerWithAuth({ user: '101', contacts: ['sip:101@192.0.2.20:5060', 'sip:101@192.0.2.20:5062'] }, 'pw-101', lan(5060, '192.0.2.20'));
    expect(r.last).toMatchObject({ status: 403, reason: 'Too Many Contacts' });
  });

  it('marks a contact behind NAT and stores the source it came from', () => {
    const h = createHarness();
    const src = { transport: 'udp' as const, address: '203.0.113.5', port: 40_123 };
    h.registerWithAuth({ user: '100', contacts: ['sip:100@192.168.1.10:5060'] }, 'pw-100', src);
    expect(h.location.contactsOf(100)[0]).toMatchObject({ natted: true, source: src, contact: 'sip:100@192.168.1.10:5060' });
    expect([...h.bindingStore.rows.values()][0]).toMatchObject({ natted: true, source: src });
  });

  it('treats a port mismatch as NAT, and a matching address/port as direct', () => {
    const h = createHarness();
    h.registerWithAuth({ user: '100', contacts: ['sip:100@192.0.2.10'] }, 'pw-100', lan(5060));
    h.registerWithAuth({ user: '100', contacts: ['sip:100@192.0.2.11:5060'] }, 'pw-100', lan(31_000, '192.0.2.11'));
    const byContact = Object.fromEntries(h.location.contactsOf(100).map((b) => [b.contact, b.natted]));
    expect(byContact).toEqual({ 'sip:100@192.0.2.10': false, 'sip:100@192.0.2.11:5060': true });
  });

  it('answers 400 to a bad Expires or Contact', () => {
    const h = createHarness();
    expect(h.registerWithAuth({ user: '100', contacts: [ME], expires: 'soon' }, 'pw-100').last?.status).toBe(400);
    expect(h.registerWithAuth({ user: '100', contacts: ['not a uri'] }, 'pw-100').last?.status).toBe(400);
  });
});
