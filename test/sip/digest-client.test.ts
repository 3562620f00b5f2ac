// The client side of digest: published vectors (RFC 7616 §3.9.1, RFC 2617 §3.5, RFC 2069
// corrected by its erratum), challenge parsing and choice, quoting, nc counting, and round trips
// through our own server-side verifier (digest.ts).
import { describe, expect, it } from 'vitest';
import { challengeOf, DigestClient, parseChallenges, pickChallenge } from '../../src/sip/digest-client.ts';
import { DigestAuthenticator, parseDigestText, type DigestAlgorithm } from '../../src/sip/digest.ts';
import type { SipResponse } from '../../src/sip/message.ts';
import { parseMessage } from '../../src/sip/parse.ts';

const MUFASA = { username: 'Mufasa', password: 'Circle of Life' };

describe('RFC 7616 §3.9.1 example', () => {
  const common = 'realm="http-auth@example.org", qop="auth, auth-int", nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"';
  const challenges = [`Digest ${common}, algorithm=SHA-256`, `Digest ${common}, algorithm=MD5`];
  const client = () => new DigestClient({ cnonce: () => 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ' });

  it('picks SHA-256 over MD5 and computes the published response', () => {
    const c = pickChallenge(challenges)!;
    expect(c.algorithm).toBe('SHA-256');
    const value = client().authorize(c, MUFASA, 'GET', '/dir/index.html');
    const p = parseDigestText(value)!;
    expect(p).toMatchObject({
      username: 'Mufasa', realm: 'http-auth@example.org', uri: '/dir/index.html', algorithm: 'SHA-256',
      nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v', nc: '00000001', cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
      qop: 'auth', opaque: 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS',
      response: '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1',
    });
  });

  it('computes the published MD5 response when MD5 is all there is', () => {
    const c = pickChallenge([challenges[1]!])!;
    expect(c.algorithm).toBe('MD5');
    const p = parseDigestText(client().authorize(c, MUFASA, 'GET', '/dir/index.html'))!;
    expect(p.response).toBe('8ca523f5e9506fed4657c9700eebdbec');
    expect(p.algorithm).toBe('MD5');
  });

  it('reads the two challenges comma-joined in one header just the same', () => {
    const cs = parseChallenges([challenges.join(', ')]);
    expect(cs.map((c) => c.algorithm)).toEqual(['SHA-256', 'MD5']);
    expect(cs.every((c) => c.qop === 'auth' && c.realm === 'http-auth@example.org' && c.opaque?.startsWith('FQhe'))).toBe(true);
  });
});

describe('older forms', () => {
  it('RFC 2617 §3.5: qop=auth, MD5 named by nobody, so no algorithm is sent back', () => {
    const c = pickChallenge(['Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"'])!;
    expect(c).toMatchObject({ algorithm: 'MD5', algorithmGiven: false, qop: 'auth' });
    const value = new DigestClient({ cnonce: () => '0a4f113b' }).authorize(c, { username: 'Mufasa', password: 'Circle Of Life' }, 'GET', '/dir/index.html');
    const p = parseDigestText(value)!;
    expect(p.response).toBe('6629fae49393a05397450978507c4ef1');
    expect(p.algorithm).toBeUndefined();
    expect(p.opaque).toBe('5ccc069c403ebaf9f0171e9517f40e41');
  });

  it('RFC 2069 (no qop): no cnonce, nc or qop; the example response as corrected by the erratum', () => {
    const c = pickChallenge(['Digest realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"'])!;
    expect(c.qop).toBeUndefined();
    const value = new DigestClient({ cnonce: () => 'unused' }).authorize(c, { username: 'Mufasa', password: 'CircleOfLife' }, 'GET', '/dir/index.html');
    const p = parseDigestText(value)!;
    expect(p.response).toBe('1949323746fe6a43ef61f9606e7febea');
    expect(p.cnonce).toBeUndefined();
    expect(p.nc).toBeUndefined();
    expect(p.qop).toBeUndefined();
    expect(value).toContain('opaque="5ccc069c403ebaf9f0171e9517f40e41"');
  });
});

describe('challenge parsing and choice', () => {
  it('skips other schemes, unknown algorithms, auth-int-only and nonce-less challenges', () => {
    const cs = parseChallenges([
      'Basic realm="x"',
      'Digest realm="a", nonce="n1", algorithm=SHA-1024',
      'Digest realm="a", nonce="n2", qop="auth-int"',
      'Digest realm="a"',
      'Digest realm="a", nonce="n3", algorithm=md5-sess, stale=TRUE',
    ]);
    expect(cs).toEqual([{ realm: 'a', nonce: 'n3', algorithm: 'MD5-sess', algorithmGiven: true, qop: undefined, stale: true }]);
  });

  it('ranks SHA-512-256 > SHA-256 > MD5 whatever the order listed', () => {
    const list = (algs: string[]) => algs.map((a, i) => `Digest realm="r", nonce="n${i}", algorithm=${a}, qop="auth"`);
    expect(pickChallenge(list(['MD5', 'SHA-256']))!.algorithm).toBe('SHA-256');
    expect(pickChallenge(list(['MD5', 'SHA-512-256', 'SHA-256']))!.algorithm).toBe('SHA-512-256');
    expect(pickChallenge(list(['MD5-sess', 'MD5']))!.algorithm).toBe('MD5');
    expect(pickChallenge(['Basic realm="x"'])).toBeUndefined();
    expect(pickChallenge(undefined)).toBeUndefined();
  });

  it('reads the parsed headers of a real 401 and a 407 and names the answering header', () => {
    const text = (status: string, name: string) =>
      `SIP/2.0 ${status}\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>;tag=2\r\nCall-ID: c\r\nCSeq: 1 REGISTER\r\n` +
      `${name}: Digest realm="carrier", nonce="abc", algorithm=MD5, qop="auth", opaque="o\\"q"\r\n${name}: Digest realm="carrier", nonce="abc", algorithm=SHA-256, qop="auth"\r\nContent-Length: 0\r\n\r\n`;
    const parse = (t: string) => {
      const r = parseMessage(Buffer.from(t, 'latin1'));
      if (r.kind !== 'message') throw new Error('unparsed');
      return r.message as SipResponse;
    };
    const c401 = challengeOf(parse(text('401 Unauthorized', 'WWW-Authenticate')))!;
    expect(c401.header).toBe('authorization');
    expect(c401.challenge.algorithm).toBe('SHA-256');
    const c407 = challengeOf(parse(text('407 Proxy Authentication Required', 'Proxy-Authenticate')))!;
    expect(c407.header).toBe('proxy-authorization');
    const md5Only = parseChallenges(parse(text('401 Unauthorized', 'WWW-Authenticate')).headers['www-authenticate']);
    expect(md5Only[0]!.opaque).toBe('o"q');
    expect(challengeOf(parse(text('403 Forbidden', 'WWW-Authenticate')))).toBeUndefined();
  });
});

describe('Authorization values', () => {
  const challenge = pickChallenge(['Digest realm="r", nonce="n1", algorithm=SHA-256, qop="auth"'])!;

  it('counts nc per nonce', () => {
    const client = new DigestClient();
    const nc = (c: typeof challenge) => parseDigestText(client.authorize(c, MUFASA, 'REGISTER', 'sip:r'))!.nc;
    expect(nc(challenge)).toBe('00000001');
    expect(nc(challenge)).toBe('00000002');
    expect(nc({ ...challenge, nonce: 'n2' })).toBe('00000001');
    expect(nc(challenge)).toBe('00000003');
  });

  it('draws a fresh cnonce per request from the injected source', () => {
    let i = 0;
    const client = new DigestClient({ cnonce: () => `c${++i}` });
    expect(parseDigestText(client.authorize(challenge, MUFASA, 'INVITE', 'sip:1@r'))!.cnonce).toBe('c1');
    expect(parseDigestText(client.authorize(challenge, MUFASA, 'INVITE', 'sip:1@r'))!.cnonce).toBe('c2');
  });

  it('quotes what is quoted (escaping " and \\), leaves algorithm, qop and nc bare', () => {
    const value = new DigestClient({ cnonce: () => 'cn' }).authorize(challenge, { username: 'a"b\\c', password: 'p' }, 'REGISTER', 'sip:r');
    expect(value).toMatch(/^Digest username="a\\"b\\\\c", realm="r", nonce="n1", uri="sip:r", response="[0-9a-f]{64}", algorithm=SHA-256, cnonce="cn", qop=auth, nc=00000001$/);
    expect(parseDigestText(value)!.username).toBe('a"b\\c');
  });
});

describe('round trips through our own verifier (digest.ts)', () => {
  const REALM = 'carrier.example';
  const URI = 'sip:carrier.example';
  const accounts = new Map([['trunk1', { password: 'pa"ss\\word' }]]);
  const lookup = (u: string) => accounts.get(u);

  for (const algorithms of [['MD5', 'SHA-256'], ['SHA-256', 'MD5'], ['MD5'], ['SHA-512-256', 'MD5-sess'], ['SHA-256-sess']] as DigestAlgorithm[][]) {
    it(`answers a challenge offering ${algorithms.join(', ')} with the strongest, accepted`, () => {
      const server = new DigestAuthenticator({ algorithms, opaque: 'op"aque' });
      const c = pickChallenge(server.challenge(REALM))!;
      const value = new DigestClient().authorize(c, { username: 'trunk1', password: 'pa"ss\\word' }, 'REGISTER', URI);
      const result = server.verify({ method: 'REGISTER', uri: URI, authorization: [value] }, REALM, lookup);
      expect(result).toMatchObject({ kind: 'ok', username: 'trunk1', algorithm: c.algorithm });
      expect(c.algorithm).toBe([...algorithms].sort((a, b) => rank(a) - rank(b))[0]);
    });
  }

  it('reuses a nonce with a higher nc (accepted) and fails with a wrong password', () => {
    const server = new DigestAuthenticator();
    const c = pickChallenge(server.challenge(REALM))!;
    const client = new DigestClient();
    const verify = (password: string) =>
      server.verify({ method: 'REGISTER', uri: URI, authorization: [client.authorize(c, { username: 'trunk1', password }, 'REGISTER', URI)] }, REALM, lookup).kind;
    expect(verify('pa"ss\\word')).toBe('ok');
    expect(verify('pa"ss\\word')).toBe('ok');
    expect(verify('wrong')).toBe('failed');
  });

  it('is accepted by the verifier when sent through the parser as an INVITE Proxy-Authorization', () => {
    const server = new DigestAuthenticator({ algorithms: ['SHA-256'] });
    const c = pickChallenge(server.challenge(REALM))!;
    const value = new DigestClient().authorize(c, { username: 'trunk1', password: 'pa"ss\\word' }, 'INVITE', 'sip:+8613800000000@carrier.example');
    const text =
      'INVITE sip:+8613800000000@carrier.example SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1\r\nMax-Forwards: 70\r\nFrom: <sip:a@b>;tag=1\r\n' +
      `To: <sip:+8613800000000@carrier.example>\r\nCall-ID: c\r\nCSeq: 2 INVITE\r\nProxy-Authorization: ${value}\r\nContent-Length: 0\r\n\r\n`;
    const parsed = parseMessage(Buffer.from(text, 'latin1'));
    if (parsed.kind !== 'message' || !('method' in parsed.message)) throw new Error('unparsed');
    const req = parsed.message;
    expect(server.verify({ method: req.method, uri: req.uri, authorization: req.headers['proxy-authorization'] }, REALM, lookup).kind).toBe('ok');
  });
});

function rank(a: DigestAlgorithm): number {
  return ['SHA-512-256', 'SHA-512-256-sess', 'SHA-256', 'SHA-256-sess', 'MD5', 'MD5-sess'].indexOf(a);
}
