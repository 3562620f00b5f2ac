// Free loopback ports for tests that start a server in another process. A port free for
// both UDP and TCP is wanted because SIP listens on both with the same number.
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';

function tcpFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

function udpPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    socket.once('error', reject);
    socket.bind(0, host, () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}

/** A port number currently free on loopback for UDP and TCP alike. */
export async function freeUdpTcpPort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await udpPort(host);
    if (await tcpFree(port, host)) return port;
  }
  throw new Error('no free UDP+TCP port found in 50 attempts');
}

/** A TCP port currently free on loopback. */
export async function freeTcpPort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function udpFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    socket.once('error', () => resolve(false));
    socket.bind(port, host, () => socket.close(() => resolve(true)));
  });
}

// Ports this process has handed out for media blocks: concurrent tests never get the same one.
const mediaBlocksGiven = new Set<number>();

/**
 * The first of `count` consecutive UDP ports, even, all free on loopback now: a base for
 * SIPp's -mp (its RTP stream binds the base and base + 2; + 1 and + 3 are the RTCP neighbours).
 * Taken at random from 30000-32767, below Linux's ephemeral range, so that the ports the
 * kernel assigns to bind(0) elsewhere (and freeUdpTcpPort) do not land on it, and never the
 * same base twice in one process. Another process may still take it: callers retry on EADDRINUSE.
 */
export async function freeUdpPortBlock(count = 4, host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const base = 30000 + 2 * Math.floor(Math.random() * ((32767 - count - 30000) / 2));
    if (mediaBlocksGiven.has(base)) continue;
    let free = true;
    for (let p = base; p < base + count && free; p++) free = await udpFree(p, host);
    if (!free) continue;
    for (let p = base - count + 1; p < base + count; p++) mediaBlocksGiven.add(p);
    return base;
  }
  throw new Error(`no ${count} consecutive free UDP ports found in 100 attempts`);
}

/**
 * Resolves once some process has UDP `port` bound (any local address), read from /proc/net/udp
 * and /proc/net/udp6 so that probing never takes the port itself; bounded by `timeoutMs`. Where
 * /proc is not readable it just waits 500 ms.
 */
export async function waitUdpBound(port: number, timeoutMs = 5000): Promise<void> {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')} `;
  const bound = () => {
    let any = false;
    for (const file of ['/proc/net/udp', '/proc/net/udp6']) {
      let text: string;
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch {
        continue;
      }
      any = true;
      // "  sl  local_address rem_address ...": the local address is the second column.
      for (const line of text.split('\n')) if (line.trim().split(/\s+/)[1]?.concat(' ').endsWith(hex)) return true;
    }
    return any ? false : undefined;
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = bound();
    if (state === undefined) return new Promise((r) => setTimeout(r, 500));
    if (state) return;
    if (Date.now() > deadline) throw new Error(`nothing bound UDP port ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
