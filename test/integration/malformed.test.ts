// R-REL-1 against the whole server: every RFC 4475 torture message over UDP and TCP, judged
// against its MANIFEST entry, plus a corpus of garbage; then a phone must still register.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPbxProcess, type PbxProcess } from '../support/pbx-process.ts';
import { judgeTorture } from '../support/rfc4475.ts';
import { register, tcpExchange, udpExchange, type Reply } from '../support/sip-client.ts';

const reaction = (r: Reply | 'drop') => (r === 'drop' ? 'drop' : r.status);

function request(headers: string[], body = ''): string {
  return [...headers, `Content-Length: ${Buffer.byteLength(body)}`, '', body].join('\r\n');
}

const base = [
  'OPTIONS sip:127.0.0.1 SIP/2.0',
  'Via: SIP/2.0/UDP 127.0.0.1:5997;branch=z9hG4bKmalformed1',
  'Max-Forwards: 70',
  'From: <sip:probe@127.0.0.1>;tag=1',
  'To: <sip:127.0.0.1>',
  'Call-ID: malformed-1@test',
  'CSeq: 1 OPTIONS',
];

/** Messages no stack should choke on; none of them may crash the server. */
const garbage: Array<[string, Buffer | string]> = [
  ['binary noise', Buffer.from(Array.from({ length: 1500 }, (_, i) => (i * 7919) % 256))],
  ['NUL bytes', Buffer.alloc(600)],
  ['truncated start line', 'OPTIONS sip:127.0.0.1 SI'],
  ['truncated headers', base.slice(0, 4).join('\r\n')],
  ['no Call-ID', request(base.filter((h) => !h.startsWith('Call-ID')))],
  ['no CSeq', request(base.filter((h) => !h.startsWith('CSeq')))],
  ['no Via', request(base.filter((h) => !h.startsWith('Via')))],
  ['no From/To', request(base.filter((h) => !h.startsWith('From') && !h.startsWith('To')))],
  ['Content-Length: abc', [...base, 'Content-Length: abc', '', ''].join('\r\n')],
  ['Content-Length: -5', [...base, 'Content-Length: -5', '', ''].join('\r\n')],
  ['Content-Length larger than the body', [...base, 'Content-Length: 5000', '', 'v=0'].join('\r\n')],
  ['64 KiB header', request([...base, `X-Big: ${'a'.repeat(64 * 1024)}`])],
  ['1000 Via headers', request([...base, ...Array.from({ length: 1000 }, (_, i) => `Via: SIP/2.0/UDP 10.0.0.${i % 250}:5060;branch=z9hG4bK${i}`)])],
  ['bad CSeq number', request(base.map((h) => (h.startsWith('CSeq') ? 'CSeq: 99999999999999999999 OPTIONS' : h)))],
  ['CSeq method mismatch', request(base.map((h) => (h.startsWith('CSeq') ? 'CSeq: 1 INVITE' : h)))],
  ['SIP/7.0', request(base.map((h, i) => (i === 0 ? 'OPTIONS sip:127.0.0.1 SIP/7.0' : h)))],
  ['only CRLFs', '\r\n\r\n\r\n\r\n'],
  ['65 KB of spaces', ' '.repeat(65_000)],
];

describe('malformed SIP against the running PBX', () => {
  let pbx: PbxProcess;
  beforeAll(async () => {
    pbx = await startPbxProcess();
    expect(pbx.cli('ext', 'add', '5001', '--password', 'secret-5001-pw').status).toBe(0);
  });
  afterAll(async () => {
    await pbx.stop();
  });

  for (const transport of ['udp', 'tcp'] as const) {
    it(`handles every RFC 4475 torture message over ${transport.toUpperCase()} as the RFC says`, async () => {
      const exchange = transport === 'udp' ? udpExchange : tcpExchange;
      const verdicts = await judgeTorture(async (v) => {
        // Over TCP a stream message without Content-Length cannot be framed: the RFC's UDP
        // vectors are sent as they are, and the judge accepts a closed connection as a drop.
        return reaction(await exchange(pbx.sipPort, v.data, 700));
      });
      const failed = verdicts.filter((v) => !v.ok && !(transport === 'tcp' && v.reaction === 'drop'));
      expect(failed, JSON.stringify(failed, null, 1)).toEqual([]);
      expect(verdicts.length).toBeGreaterThanOrEqual(49);
    });
  }

  it('survives a corpus of garbage over UDP and TCP, answering 400 where it can', async () => {
    const reactions: Record<string, unknown> = {};
    for (const [name, data] of garbage) {
      reactions[`udp ${name}`] = reaction(await udpExchange(pbx.sipPort, data, 400));
      reactions[`tcp ${name}`] = reaction(await tcpExchange(pbx.sipPort, data, 400));
    }
    for (const [name, r] of Object.entries(reactions)) {
      // 1000 Via headers (~50 KB) is large but valid SIP: answering it is right too.
      const allowed = name.endsWith('1000 Via headers') ? [200, 513, 'drop'] : [400, 413, 416, 481, 505, 513, 'drop'];
      expect(allowed, name).toContain(r);
    }
    expect(reactions['udp no Call-ID']).toBe('drop'); // cannot be answered without Call-ID
    expect(reactions['udp Content-Length: abc']).toBe(400);
    expect(reactions['udp SIP/7.0']).toBe(505);
    const metrics = await (await pbx.api('/metrics')).text();
    expect(metrics).toMatch(/^pbx_sip_malformed_total\{transport="udp",reaction="400"\} [1-9]/m);
    expect(metrics).toMatch(/^pbx_sip_malformed_total\{transport="udp",reaction="drop"\} [1-9]/m);
  });

  it('still registers a phone afterwards', async () => {
    expect(pbx.child.exitCode).toBeNull();
    const reply = await register({ port: pbx.sipPort, user: '5001', password: 'secret-5001-pw' });
    expect(reply !== 'drop' && reply.status).toBe(200);
  });
});
