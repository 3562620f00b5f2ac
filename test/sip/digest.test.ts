import { describe, expect, it } from 'vitest';
import { computeResponse, DigestAuthenticator, parseDigestText } from '../../src/sip/digest.ts';
import { NonceIssuer } from '../../src/sip/nonce.ts';
import { authorize, parseChallenge } from '../support/sip-builder.ts';
import { Clock } from '../support/registrar-fakes.ts';

const REALM = 'pbx.example.com';
const URI = 'sip:pbx.example.com';
const accounts = new Map([['100', { password: 's3cret-100' }]]);
const lookup = (u: string) => accounts.get(u);

function setup(opts: ConstructorParameters<typeof DigestAuthenticator>[0] = {}) {
  const clock = new Clock();
  const digest = new DigestAuthenticator({ now: clock.now, ...opts });
  const challenge = (stale = false) => digest.challenge(REALM, stale).map(parseChallenge);
  const verify = (auth: ReturnType<typeof authorize>) => digest.verify({ method: 'REGISTER', uri: URI, authorization: [auth] }, REALM, lookup);
  return { clock, digest, challenge, verify };
}

describe('computeResponse', () => {
  // RFC 7616 §3.9.1 example (HTTP, but the computation is the same).
  const base = {
    username: 'Mufasa',
    realm: 'http-auth@example.org',
    password: 'Circle of Life',
    method: 'GET',
    uri: '/dir/index.html',
    nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
    nc: '00000001',
    cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
    qop: 'auth',
  };
  it('matches the RFC 7616 MD5 example', () => {
    expect(computeResponse({ ...base, algorithm: 'MD5' })).toBe('8ca523f5e9506fed4657c9700eebdbec');
  });
  it('matches the RFC 7616 SHA-256 example', () => {
    expect(computeResponse({ ...base, algorithm: 'SHA-256' })).toBe('753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
  });
});

describe('DigestAuthenticator.challenge', () => {
  it('offers MD5 first, then SHA-256, by default, with qop=auth and one nonce', () => {
    const { challenge } = setup();
    const [md5, sha] = challenge();
    expect(md5.algorithm).toBe('MD5');
    expect(sha.algorithm).toBe('SHA-256');
    for (const c of [md5, sha]) {
      expect(c.realm).toBe(REALM);
      expect(c.qop).toBe('auth');
      expect(c.stale).toBeUndefined();
    }
    expect(md5.nonce).toBe(sha.nonce);
  });
  it('follows the configured order and adds stale=true and opaque when asked', () => {
    const { challenge } = setup({ algorithms: ['SHA-256', 'MD5'], opaque: 'op1' });
    const cs = challenge(true);
    expect(cs.map((c) => c.algorithm)).toEqual(['SHA-256', 'MD5']);
    expect(cs.every((c) => c.stale === 'true' && c.opaque === 'op1')).toBe(true);
  });
  it('offers only the first algorithm when asked (clients that reject unknown algorithms)', () => {
    const { digest } = setup();
    const only = digest.challenge(REALM, false, true).map(parseChallenge);
    expect(only.map((c) => c.algorithm)).toEqual(['MD5']);
  });
  it('issues a different nonce every time', () => {
    const { challenge } = setup();
    expect(challenge()[0].nonce).not.toBe(challenge()[0].nonce);
  });
  it('rejects unknown algorithms at construction', () => {
    expect(() => new DigestAuthenticator({ algorithms: ['SHA-1' as never] })).toThrow(/unsupported algorithm/);
  });
});

describe('DigestAuthenticator.verify', () => {
  it('accepts a right MD5 response', () => {
    const { challenge, verify } = setup();
    const c = challenge()[0];
    const r = verify(authorize({ username: '100', password: 's3cret-100', realm: REALM, nonce: c.nonce, uri: URI }));
    expect(r).toMatchObject({ kind: 'ok', username: '100', algorithm: 'MD5' });
  });
  it('accepts a right SHA-256 response', () => {
    const { challenge, verify } = setup();
    const c = challenge()[1];
    const r = verify(authorize({ username: '100', password: 's3cret-100', realm: REALM, nonce: c.nonce, uri: URI, algorithm: 'SHA-256' }));
    expect(r).toMatchObject({ kind: 'ok', algorithm: 'SHA-256' });
  });
  it('accepts SHA-256-sess when offered', () => {
    const { challenge, verify } = setup({ algorithms: ['SHA-256-sess'] });
    const c = challenge()[0];
    const r = verify(authorize({ username: '100', password: 's3cret-100', realm: REALM, nonce: c.nonce, uri: URI, algorithm: 'SHA-256-sess' }));
    expect(r.kind).toBe('ok');
  });
  it('refuses an algorithm that was not offered', () => {
    const { challenge, verify } = setup({ algorithms: ['MD5'] });
    const c = challenge()[0];
    const r = verify(authorize({ username: '100', password: 's3cret-100', realm: REALM, nonce: c.nonce, uri: URI, algorithm: 'SHA-256' }));
    expect(r.kind).toBe('failed');
  });
  it('fails a wrong password and an unknown user alike', () => {
    const { challenge, verify } = setup();
    const n = challenge()[0].nonce;
    const wrong = verify(authorize({ username: '100', password: 'guess', realm: REALM, nonce: n, uri: URI }));
    const unknown = verify(authorize({ username: '999', password: 'guess', realm: REALM, nonce: n, uri: URI }));
    expect(wrong.kind).toBe('failed');
    expect(unknown.kind).toBe('failed');
  });
  it('answers no credentials, or credentials for another realm, with a plain challenge', () => {
    const { digest, challenge } = setup();
    expect(digest.verify({ method: 'REGISTER', uri: URI }, REALM, lookup)).toEqual({ kind: 'challenge', stale: false });
    const other = authorize({ username: '100', password: 's3cret-100', realm: 'elsewhere', nonce: challenge()[0].nonce, uri: URI });
    expect(digest.verify({ method: 'REGISTER', uri: URI, authorization: [other] }, REALM, lookup)).toEqual({ kind: 'challenge', stale: false });
  });
  it('says stale for an expired nonce with the right password, failed with a wrong one', () => {
    const { clock, challenge, verify } = setup({ nonceLifetimeMs: 300_000 });
    const n = challenge()[0].nonce;
    clock.advance(300_001);
    expect(verify(authorize({ username: '100', password: 's3cret-100', realm: REALM, nonce: n, uri: URI }))).toEqual({ kind: 'challenge', stale: true });
    expect(verify(authorize({ username: '100', password: 'nope', realm: REALM, nonce: n, uri: URI })).kind).toBe('failed');
  });
  it('says stale for a nonce issued before a restart (other secret) with the right password', () => {
    const { verify } = setup();
    const foreign = new DigestAuthenticator().challenge(REALM).map(parseChallenge)[0].nonce;
    expect(verify(authorize({ username: '100', password: 's3cret-100', realm: REALM, nonce: foreign, uri: URI }))).toEqual({ kind: 'challenge', stale: true });
  });
  it('rejects a replayed or lower nonce-count and accepts a higher one', () => {
    const { challenge, verify } = setup();
    const n = challenge()[0].nonce;
    const auth = (nc: string) => authorize({ username: '100', password: 's3cret-100', realm: REALM, nonce: n, uri: URI, nc });
    expect(verify(auth('00000001')).kind).toBe('ok');
    expect(verify(auth('00000001'))).toEqual({ kind: 'challenge', stale: true });
    expect(verify(auth('00000002')).kind).toBe('ok');
    expect(verify(auth('00000002')).kind).toBe('challenge');
    expect(verify(auth('00000001')).kind).toBe('challenge');
    expect(verify(auth('0000000a')).kind).toBe('ok');
  });
  it('never accepts a replay even after its nonce was forgotten under the memory cap', () => {
    const { clock, challenge, verify } = setup({ maxTrackedNonces: 2 });
    const auth = (nonce: string) => authorize({ username: '100', password: 's3cret-100', realm: REALM, nonce, uri: URI });
    const first = challenge()[0].nonce;
    expect(verify(auth(first)).kind).toBe('ok');
    clock.advance(1);
    expect(verify(auth(challenge()[0].nonce)).kind).toBe('ok');
    clock.advance(1);
    expect(verify(auth(challenge()[0].nonce)).kind).toBe('ok'); // pushes `first` out
    expect(verify(auth(first))).toEqual({ kind: 'challenge', stale: true });
  });
  it('requires qop=auth with nc and cnonce, and a digest uri naming the Request-URI', () => {
    const { challenge, verify } = setup();
    const n = challenge()[0].nonce;
    const good = authorize({ username: '100', password: 's3cret-100', realm: REALM, nonce: n, uri: URI });
    const { qop: _q, ...noQop } = good;
    expect(verify(noQop as typeof good).kind).toBe('failed');
    const { nc: _n, ...noNc } = good;
    expect(verify(noNc as typeof good).kind).toBe('failed');
    expect(verify(authorize({ username: '100', password: 's3cret-100', realm: REALM, nonce: n, uri: 'sip:other.example.com' })).kind).toBe('failed');
  });
  it('accepts an equivalent digest uri (host case, explicit default port)', () => {
    const { challenge, verify } = setup();
    const n = challenge()[0].nonce;
    expect(verify(authorize({ username: '100', password: 's3cret-100', realm: REALM, nonce: n, uri: 'sip:PBX.example.com:5060' })).kind).toBe('ok');
  });
  it('accepts raw header text too', () => {
    const { digest, challenge } = setup();
    const n = challenge()[0].nonce;
    const a = authorize({ username: '100', password: 's3cret-100', realm: REALM, nonce: n, uri: URI });
    const text = `Digest username=${a.username},realm=${a.realm}, nonce=${a.nonce}, uri=${a.uri}, response=${a.response}, algorithm=MD5, qop=auth, nc=${a.nc}, cnonce=${a.cnonce}`;
    expect(digest.verify({ method: 'REGISTER', uri: URI, authorization: [text] }, REALM, lookup).kind).toBe('ok');
  });
});

describe('parseDigestText', () => {
  it('unquotes values, handles escapes and lower-cases names', () => {
    expect(parseDigestText('Digest Username="a\\"b", realm="r", nc=00000001, qop=auth')).toEqual({ username: 'a"b', realm: 'r', nc: '00000001', qop: 'auth' });
    expect(parseDigestText('Basic abc')).toBeUndefined();
  });
});

describe('NonceIssuer', () => {
  it('binds a nonce to its realm and detects tampering and age', () => {
    const clock = new Clock();
    const issuer = new NonceIssuer({ now: clock.now, lifetimeMs: 1000 });
    const n = issuer.issue('a');
    expect(issuer.check(n, 'a').state).toBe('valid');
    expect(issuer.check(n, 'b').state).toBe('invalid');
    expect(issuer.check(n.slice(0, -2) + (n.endsWith('AA') ? 'AB' : 'AA'), 'a').state).toBe('invalid');
    expect(issuer.check('short', 'a').state).toBe('invalid');
    clock.advance(1000);
    expect(issuer.check(n, 'a').state).toBe('expired');
  });
});
