// A tiny HTTP receiver on 127.0.0.1 (port 0) for webhook and SMS gateway tests: it records
// every request and answers with what `reply` says (200 "ok" by default).
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';

export interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Receiver {
  url: string;
  requests: Received[];
  /** How to answer the next requests (default 200 "ok"). */
  reply: (r: Received) => { status?: number; body?: string; delayMs?: number };
  /** Resolves once `n` requests arrived (rejects after timeoutMs). */
  waitFor(n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const requests: Received[] = [];
  const waiters: Array<() => void> = [];
  const rec: Receiver = {
    url: '',
    requests,
    reply: () => ({}),
    waitFor: (n, timeoutMs = 5000) =>
      new Promise((resolve, reject) => {
        const check = () => requests.length >= n;
        if (check()) return resolve();
        const t = setTimeout(() => reject(new Error(`receiver: ${requests.length} of ${n} requests within ${timeoutMs} ms`)), timeoutMs);
        waiters.push(() => {
          if (!check()) return;
          clearTimeout(t);
          resolve();
        });
      }),
    close: () => new Promise((res) => (server.closeAllConnections(), server.close(() => res()))),
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Received = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(r);
      for (const w of [...waiters]) w();
      const a = rec.reply(r);
      const answer = () => {
        res.writeHead(a.status ?? 200, { 'Content-Type': 'application/json' });
        res.end(a.body ?? 'ok');
      };
      if (a.delayMs) setTimeout(answer, a.delayMs);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  rec.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return rec;
}

/** A pino logger whose JSON lines land in `lines` (level debug). */
export function captureLog(): { log: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString('utf8').split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { log: pino({ level: 'debug', base: undefined }, stream), lines };
}

/** Waits until `cond` holds (polling), or throws after timeoutMs. */
export async function until(cond: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
