#!/usr/bin/env node
// A throwaway UDP "registrar" used to check how SIPp copes with challenges (NOT a benchmark
// target, NOT the PBX): it challenges every REGISTER without Authorization and checks MD5 digests.
//
//   node bench/register/fake-registrar.mjs --port 15070 --users /tmp/u/users.csv \
//        [--challenge md5|dual|dual-noalg|sha256] [--qop] [--single-use]
//
//   md5         one WWW-Authenticate: Digest ... algorithm=MD5
//   dual        two: MD5 first (algorithm=MD5), then SHA-256 (RFC 8760 order)
//   dual-noalg  two: MD5 first WITHOUT algorithm=, then SHA-256
//   sha256      one SHA-256 challenge only
//   --qop       challenges carry qop="auth"
//   --single-use  a nonce is accepted once; a re-used one gets a fresh 401 (stale=true)
// Logs each verdict on stderr. Loopback only.
import { createHash, randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '15070' },
    users: { type: 'string' },
    challenge: { type: 'string', default: 'md5' },
    qop: { type: 'boolean', default: false },
    'single-use': { type: 'boolean', default: false },
    realm: { type: 'string', default: 'bench' },
  },
});
const realm = values.realm;
const passwords = new Map();
if (values.users) {
  for (const line of readFileSync(values.users, 'utf8').split('\n').slice(1)) {
    const [u, p] = line.split(';');
    if (u) passwords.set(u, p);
  }
}
const h = (algo, s) => createHash(algo === 'SHA-256' ? 'sha256' : 'md5').update(s).digest('hex');
const nonces = new Map(); // nonce -> used?

function challenges(stale) {
  const nonce = randomBytes(12).toString('hex');
  nonces.set(nonce, false);
  const common = `realm="${realm}", nonce="${nonce}"${values.qop ? ', qop="auth"' : ''}${stale ? ', stale=true' : ''}`;
  const md5 = `WWW-Authenticate: Digest ${common}, algorithm=MD5`;
  const md5NoAlg = `WWW-Authenticate: Digest ${common}`;
  const sha = `WWW-Authenticate: Digest ${common}, algorithm=SHA-256`;
  return { md5: [md5], dual: [md5, sha], 'dual-noalg': [md5NoAlg, sha], sha256: [sha] }[values.challenge];
}

function param(header, name) {
  const m = new RegExp(`(?:^|[\\s,])${name}\\s*=\\s*(?:"([^"]*)"|([^\\s,]+))`, 'i').exec(header);
  return m ? (m[1] ?? m[2]) : undefined;
}

const sock = createSocket('udp4');
sock.on('message', (buf, rinfo) => {
  const msg = buf.toString();
  const [head] = msg.split('\r\n\r\n');
  const lines = head.split('\r\n');
  const [method] = lines[0].split(' ');
  if (method !== 'REGISTER') return;
  const hdr = (n) => lines.filter((l) => l.toLowerCase().startsWith(n.toLowerCase() + ':'));
  const copy = [...hdr('Via'), ...hdr('From'), ...hdr('To').map((t) => (t.includes('tag=') ? t : `${t};tag=fr${process.pid}`)), ...hdr('Call-ID'), ...hdr('CSeq')];
  const reply = (code, reason, extra = []) => {
    const out = [`SIP/2.0 ${code} ${reason}`, ...copy, ...extra, 'Content-Length: 0', '', ''].join('\r\n');
    sock.send(out, rinfo.port, rinfo.address);
  };
  const auth = hdr('Authorization')[0];
  if (!auth) return reply(401, 'Unauthorized', challenges(false));
  const algo = param(auth, 'algorithm') ?? 'MD5';
  const user = param(auth, 'username');
  const nonce = param(auth, 'nonce');
  const uri = param(auth, 'uri');
  const qop = param(auth, 'qop');
  const pw = passwords.get(user);
  if (!nonces.has(nonce)) {
    console.error(`unknown nonce from ${user}`);
    return reply(401, 'Unauthorized', challenges(true));
  }
  if (values['single-use'] && nonces.get(nonce)) {
    console.error(`re-used nonce from ${user}: re-challenge`);
    return reply(401, 'Unauthorized', challenges(true));
  }
  nonces.set(nonce, true);
  const ha1 = h(algo, `${user}:${realm}:${pw}`);
  const ha2 = h(algo, `REGISTER:${uri}`);
  const expected = qop
    ? h(algo, `${ha1}:${nonce}:${param(auth, 'nc')}:${param(auth, 'cnonce')}:${qop}:${ha2}`)
    : h(algo, `${ha1}:${nonce}:${ha2}`);
  const ok = pw !== undefined && expected === param(auth, 'response');
  console.error(`${user} algorithm=${algo} qop=${qop ?? '-'} -> ${ok ? 200 : 401}  [${auth}]`);
  if (ok) reply(200, 'OK', [...hdr('Contact').map((c) => `${c};expires=${/Expires:\s*0\b/i.test(head) ? 0 : 600}`)]);
  else reply(401, 'Unauthorized', challenges(false));
});
sock.bind(Number(values.port), '127.0.0.1', () => console.error(`fake registrar on 127.0.0.1:${values.port} (${values.challenge}${values.qop ? ', qop' : ''}${values['single-use'] ? ', single-use nonces' : ''})`));
