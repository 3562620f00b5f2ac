import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.ts';
import { SipStack } from '../../src/sip/stack.ts';

describe('TLS transport', () => {
  let dir: string;
  let cert: string;
  let key: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sip-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
    key = readFileSync(join(dir, 'key.pem'), 'utf8');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exchanges OPTIONS over TLS (raw client) and via request() between two stacks', async () => {
    const logger = createLogger('silent');
    const a = await SipStack.start({ tls: [{ host: '127.0.0.1', port: 0, cert, key }], logger });
    const b = await SipStack.start({ tls: [{ host: '127.0.0.1', port: 0, cert, key }], logger });
    a.onRequest((inc) => inc.respond(200));
    try {
      const port = a.boundPorts().tls[0]!;
      const text = await new Promise<string>((resolve, reject) => {
        const s = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
          s.write('OPTIONS sip:a@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TLS 127.0.0.1:1;branch=z9hG4bKtls\r\nMax-Forwards: 70\r\n' +
            'To: <sip:a@127.0.0.1>\r\nFrom: <sip:b@127.0.0.1>;tag=1\r\nCall-ID: tls1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n');
        });
        let buf = '';
        const timer = setTimeout(() => reject(new Error('no answer')), 5000);
        s.on('data', (d) => {
          buf += d.toString();
          if (buf.includes('\r\n\r\n')) {
            clearTimeout(timer);
            s.destroy();
            resolve(buf);
          }
        });
        s.on('error', reject);
      });
      expect(text.startsWith('SIP/2.0 200 OK\r\n')).toBe(true);
      const res = await b.request(
        { method: 'OPTIONS', uri: `sips:a@127.0.0.1:${port}`, content: '',
          headers: { via: [], to: { uri: 'sip:a@127.0.0.1', params: {} }, from: { uri: 'sip:b@127.0.0.1', params: { tag: '2' } }, 'call-id': 'tls2', cseq: { seq: 1, method: 'OPTIONS' } } },
        { target: { transport: 'tls', address: '127.0.0.1', port } },
      );
      expect(res.status).toBe(200);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
