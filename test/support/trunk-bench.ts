// The carrier side of the trunk e2e tests (test/e2e/trunks.test.ts) and the IVR benchmark
// (bench/ivr): SIPp bound to another loopback address than the phones' 127.0.0.1 (the PBX knows a
// carrier by the SOURCE ADDRESS of its INVITE: a trunk's host), RFC 4733 telephone-event pcaps for
// SIPp's <exec play_pcap_audio>, and a UDP socket that stands in for a carrier's RTP port so that a
// test sees (and counts) the audio the PBX plays to the caller.
//
//   127.0.0.1   the PBX (SIP + RTP) and every extension's SIPp (test/support/sipp.ts)
//   127.0.0.2   carrier A (kind carrier, priority 10)
//   127.0.0.3   the tenant's own PBX (kind pbx, the sipTrunk number's trunk)
//   127.0.0.4   carrier B (kind carrier, priority 20: failover)
// A trunk's port is where the PBX sends calls OUT through it (a UAS SIPp listens there); calls IN
// from it only need the address (a UAC SIPp on any free port of that address).
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import path from 'node:path';
import { freeUdpPortBlock, freeUdpTcpPort, waitUdpBound } from './free-port.ts';
import { repoRoot, tempDir, type PbxProcess } from './pbx-process.ts';
import { alawToneWav, parseLogValues, TONE_FILE, type SippHandle, type SippOptions, type SippResult } from './sipp.ts';
import { LINEAR_TO_ALAW } from '../../src/media/g711.ts';

export const CARRIER_A_IP = '127.0.0.2';
export const TENANT_PBX_IP = '127.0.0.3';
export const CARRIER_B_IP = '127.0.0.4';

// ------------------------------------------------------------------ RFC 4733 pcaps

const EVENT_CODES = '0123456789*#ABCD';

export interface DtmfPcapOptions {
  /** Length of each key press (ms, a multiple of 20). Default 100. */
  eventMs?: number;
  /** Silence between two key presses (ms). Default 100. */
  gapMs?: number;
  /** Delay before the first event (ms): the pcap's first packet is sent at once by SIPp, so a
   * lead is a comfort-noise-free pause. Default 0. */
  leadMs?: number;
  payloadType?: number;
  ssrc?: number;
  /** UDP destination port written in the pcap (SIPp maps the lowest one to the peer's RTP port). */
  port?: number;
}

function ipChecksum(header: Buffer): number {
  let sum = 0;
  for (let i = 0; i < header.length; i += 2) sum += header.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function ethIpUdp(payload: Buffer, port: number): Buffer {
  const frame = Buffer.alloc(14 + 20 + 8 + payload.length);
  frame.writeUInt16BE(0x0800, 12); // Ethernet II, IPv4 (MACs zero)
  const ip = frame.subarray(14, 34);
  ip[0] = 0x45;
  ip.writeUInt16BE(20 + 8 + payload.length, 2);
  ip[8] = 64; // TTL
  ip[9] = 17; // UDP
  Buffer.from([127, 0, 0, 2]).copy(ip, 12);
  Buffer.from([127, 0, 0, 1]).copy(ip, 16);
  ip.writeUInt16BE(ipChecksum(ip), 10);
  frame.writeUInt16BE(port, 34); // UDP source port (SIPp rewrites both ports)
  frame.writeUInt16BE(port, 36);
  frame.writeUInt16BE(8 + payload.length, 38);
  payload.copy(frame, 42);
  return frame;
}

/**
 * A pcap (Ethernet, microsecond timestamps) of RFC 4733 telephone-event packets for `digits`
 * ('0'-'9', '*', '#', 'A'-'D'): per key an update every 20 ms (marker on the first, duration
 * growing by 160) and the end packet three times (same sequence number, RFC 4733 §2.5.1.4),
 * then `gapMs` of nothing; ',' is 500 ms more of nothing (a pause, as in a dial string). One SSRC; each event has its own timestamp (its start), so a repeated
 * digit is a new event. SIPp's play_pcap_audio sends the packets with the capture's timing.
 */
export function dtmfPcap(digits: string, o: DtmfPcapOptions = {}): Buffer {
  const eventMs = o.eventMs ?? 100;
  const gapMs = o.gapMs ?? 100;
  const pt = o.payloadType ?? 101;
  const port = o.port ?? 40000;
  const ssrc = o.ssrc ?? Math.floor(Math.random() * 0xffffffff);
  let seq = Math.floor(Math.random() * 0x8000);
  const ts0 = Math.floor(Math.random() * 0x7fffffff);
  const packets: Array<{ atMs: number; rtp: Buffer }> = [];
  const rtp = (marker: boolean, ts: number, event: number, end: boolean, duration: number) => {
    const b = Buffer.alloc(16);
    b[0] = 0x80;
    b[1] = (marker ? 0x80 : 0) | pt;
    b.writeUInt16BE(seq & 0xffff, 2);
    b.writeUInt32BE(ts >>> 0, 4);
    b.writeUInt32BE(ssrc >>> 0, 8);
    b[12] = event;
    b[13] = (end ? 0x80 : 0) | 10; // volume -10 dBm0
    b.writeUInt16BE(duration, 14);
    return b;
  };
  let t = o.leadMs ?? 0;
  for (const ch of digits) {
    if (ch === ',') {
      t += 500;
      continue;
    }
    const event = EVENT_CODES.indexOf(ch.toUpperCase());
    if (event < 0) throw new Error(`dtmfPcap: "${ch}" is not a DTMF key`);
    const ts = ts0 + t * 8;
    for (let k = 0; k * 20 < eventMs; k++) {
      packets.push({ atMs: t + k * 20, rtp: rtp(k === 0, ts, event, false, (k + 1) * 160) });
      seq++;
    }
    for (let r = 0; r < 3; r++) packets.push({ atMs: t + eventMs + r, rtp: rtp(false, ts, event, true, eventMs * 8) });
    seq++;
    t += eventMs + gapMs;
  }
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(1, 20); // LINKTYPE_ETHERNET
  const base = 1_700_000_000;
  const records = packets.map(({ atMs, rtp: payload }) => {
    const frame = ethIpUdp(payload, port);
    const rec = Buffer.alloc(16);
    const us = Math.round(atMs * 1000);
    rec.writeUInt32LE(base + Math.floor(us / 1_000_000), 0);
    rec.writeUInt32LE(us % 1_000_000, 4);
    rec.writeUInt32LE(frame.length, 8);
    rec.writeUInt32LE(frame.length, 12);
    return Buffer.concat([rec, frame]);
  });
  return Buffer.concat([header, ...records]);
}

/** How long SIPp takes to play dtmfPcap(digits, o), in ms (first to last packet). */
export function dtmfPcapMs(digits: string, o: DtmfPcapOptions = {}): number {
  const eventMs = o.eventMs ?? 100;
  const gapMs = o.gapMs ?? 100;
  const keys = digits.replace(/,/g, '').length;
  const pauses = digits.length - keys;
  return (o.leadMs ?? 0) + keys * (eventMs + gapMs) + pauses * 500 - gapMs + 2;
}

// ------------------------------------------------------------------ SIPp on any loopback address

export interface SippAtOptions extends Omit<SippOptions, 'scenario'> {
  /** Scenario file: absolute, or relative to the repo root. */
  scenario: string;
  /** Local address of SIP (-i), media (-mi) and the control socket (-ci). */
  ip: string;
  /** Files written into SIPp's working directory first (pcaps for play_pcap_audio="NAME"). */
  files?: Record<string, Buffer | string>;
}

interface Attempt {
  mediaPort: number;
  child: ChildProcess;
  done: Promise<SippResult>;
}

async function launchAt(o: SippAtOptions, port: number): Promise<Attempt> {
  const dir = tempDir('sipp-trunk-');
  const mediaPort = await freeUdpPortBlock(4, o.ip);
  const controlPort = await freeUdpTcpPort(o.ip);
  const timeoutS = o.timeoutS ?? 20;
  fs.writeFileSync(path.join(dir, TONE_FILE), alawToneWav());
  for (const [name, content] of Object.entries(o.files ?? {})) fs.writeFileSync(path.join(dir, name), content);
  const args = [
    ...(o.target ? [o.target] : []),
    '-sf', path.isAbsolute(o.scenario) ? o.scenario : path.join(repoRoot, o.scenario),
    '-i', o.ip,
    '-p', String(port),
    '-mi', o.ip,
    '-mp', String(mediaPort),
    '-ci', o.ip,
    '-cp', String(controlPort),
    '-m', String(o.calls ?? 1),
    '-t', o.transport ?? 'u1',
    '-timeout', `${timeoutS}s`,
    '-timeout_error',
    '-nostdin',
    '-trace_err',
    '-trace_msg',
    '-trace_logs',
  ];
  if (o.service !== undefined) args.push('-s', o.service);
  if (o.authUri !== undefined) args.push('-auth_uri', o.authUri);
  if (o.pauseMs !== undefined) args.push('-d', String(o.pauseMs));
  for (const [k, v] of Object.entries(o.keys ?? {})) args.push('-key', k, v);
  args.push(...(o.extraArgs ?? []));
  if (o.injection !== undefined) {
    const csv = path.join(dir, 'users.csv');
    fs.writeFileSync(csv, o.injection);
    args.push('-inf', csv);
  }
  const child = spawn('sipp', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const backstop = setTimeout(() => child.kill('SIGKILL'), (timeoutS + 15) * 1000);
  const done = new Promise<SippResult>((resolve) => {
    child.once('error', (err) => (out += `\nspawn sipp failed: ${err.message}`));
    child.once('close', (code, signal) => {
      clearTimeout(backstop);
      const read = (suffix: string) =>
        fs
          .readdirSync(dir)
          .filter((f) => f.endsWith(suffix))
          .map((f) => fs.readFileSync(path.join(dir, f), 'utf8'))
          .join('\n');
      const errors = read('_errors.log');
      const logs = read('_logs.log');
      const messages = read('_messages.log');
      fs.rmSync(dir, { recursive: true, force: true });
      resolve({
        code: code ?? (signal ? -1 : null),
        log: [
          `--- sipp ${args.join(' ')} (exit ${code}${signal ? `, ${signal}` : ''})`,
          out.slice(-3000),
          `--- errors\n${errors.slice(-4000)}`,
          `--- <log> lines\n${logs.slice(-3000)}`,
          `--- messages (tail)\n${messages.slice(-6000)}`,
        ].join('\n'),
        logs,
        messages,
        values: parseLogValues(logs),
      });
    });
  });
  return { mediaPort, child, done };
}

function bindFailure(r: SippResult): boolean {
  return (r.code === 254 || r.code === 255) && r.messages === '' && /errno = 98|Address already in use/.test(r.log);
}

/** startSipp (test/support/sipp.ts) for SIPp bound to `ip`, with files in its working directory. */
export async function startSippAt(o: SippAtOptions): Promise<SippHandle> {
  const port = o.port ?? (await freeUdpTcpPort(o.ip));
  let current = await launchAt(o, port);
  let killed = false;
  const done = (async () => {
    for (let attempt = 1; ; attempt++) {
      const r = await current.done;
      if (killed || attempt >= 3 || !bindFailure(r)) return r;
      current = await launchAt(o, port);
    }
  })();
  return {
    port,
    get mediaPort() {
      return current.mediaPort;
    },
    get pid() {
      return current.child.pid;
    },
    done,
    kill() {
      killed = true;
      const { child } = current;
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      return done;
    },
    async listening(timeoutMs = 5000) {
      const exitedFirst = done.then((r) => {
        throw new Error(`sipp exited before listening on ${o.ip}:${port}:\n${r.log}`);
      });
      exitedFirst.catch(() => undefined);
      await Promise.race([waitUdpBound(port, timeoutMs), exitedFirst]);
    },
  };
}

// ------------------------------------------------------------------ an RTP port of the test's own

export interface RtpPacketSeen {
  atMs: number;
  from: string;
  payloadType: number;
  marker: boolean;
  sequence: number;
  timestamp: number;
  ssrc: number;
  payload: Buffer;
}

/**
 * A UDP socket on `ip` (an even port) that a carrier scenario writes into its SDP (m=audio
 * [rtp_port]) instead of SIPp's own: every RTP packet the PBX sends the caller is kept, with
 * its arrival time, for the test to look at (greeting played, its codec, that it is not silence).
 */
export class RtpSink {
  readonly packets: RtpPacketSeen[] = [];

  private constructor(
    private readonly socket: dgram.Socket,
    readonly ip: string,
    readonly port: number,
  ) {
    socket.on('message', (msg, rinfo) => {
      if (msg.length < 12 || msg[0]! >> 6 !== 2) return;
      const cc = msg[0]! & 0x0f;
      this.packets.push({
        atMs: Date.now(),
        from: `${rinfo.address}:${rinfo.port}`,
        payloadType: msg[1]! & 0x7f,
        marker: (msg[1]! & 0x80) !== 0,
        sequence: msg.readUInt16BE(2),
        timestamp: msg.readUInt32BE(4),
        ssrc: msg.readUInt32BE(8),
        payload: msg.subarray(12 + 4 * cc),
      });
    });
  }

  static async open(ip: string): Promise<RtpSink> {
    for (let attempt = 0; ; attempt++) {
      const port = await freeUdpPortBlock(2, ip);
      const socket = dgram.createSocket('udp4');
      try {
        await new Promise<void>((resolve, reject) => {
          socket.once('error', reject);
          socket.bind(port, ip, () => {
            socket.off('error', reject);
            resolve();
          });
        });
        socket.on('error', () => undefined);
        return new RtpSink(socket, ip, port);
      } catch (e) {
        socket.close();
        if (attempt >= 5) throw e;
      }
    }
  }

  /** Packets that arrived in [fromMs, toMs) (epoch ms). */
  between(fromMs: number, toMs = Infinity): RtpPacketSeen[] {
    return this.packets.filter((p) => p.atMs >= fromMs && p.atMs < toMs);
  }

  close(): void {
    try {
      this.socket.close();
    } catch {
      /* closed already */
    }
  }
}

/**
 * The built-in prompts media/prompts/<language>/<id>.wav (16-bit PCM, 8 kHz) one after the other,
 * as the A-law bytes a PCMA call carries: the PBX's player sends exactly these (G.711 is a table),
 * so a packet whose payload is a slice of them is a packet of those prompts.
 */
export function promptAlaw(language: string, ...ids: string[]): Buffer {
  return Buffer.concat(
    ids.map((id) => {
      const wav = fs.readFileSync(path.join(repoRoot, 'media', 'prompts', language, `${id}.wav`));
      for (let o = 12; o + 8 <= wav.length; ) {
        const size = wav.readUInt32LE(o + 4);
        if (wav.toString('ascii', o, o + 4) === 'data') {
          const out = Buffer.alloc(size >> 1);
          for (let i = 0; i < out.length; i++) out[i] = LINEAR_TO_ALAW[wav.readInt16LE(o + 8 + 2 * i) & 0xffff]!;
          return out;
        }
        o += 8 + size + (size & 1);
      }
      throw new Error(`${id}.wav (${language}) has no data chunk`);
    }),
  );
}

/**
 * The PCMA packets whose 160-byte payload is a slice of `audio` (e.g. promptAlaw(...)), leaving
 * out near-silent ones (under 16 distinct byte values): pauses look alike in every prompt.
 */
export function packetsOf(packets: RtpPacketSeen[], audio: Buffer): RtpPacketSeen[] {
  return packets.filter((p) => p.payloadType === 8 && p.payload.length === 160 && new Set(p.payload).size >= 16 && audio.includes(p.payload));
}

/** A-law silence is 0xD5 (and 0x55); audio has many distinct byte values. */
export function distinctBytes(packets: RtpPacketSeen[]): number {
  const seen = new Set<number>();
  for (const p of packets) for (const b of p.payload) seen.add(b);
  return seen.size;
}

// ------------------------------------------------------------------ metrics

/** The value of a counter series in GET /metrics, e.g. ('pbx_calls_refused_total', {reason: 'number_limit'}); 0 when absent. */
export async function metricValue(pbx: PbxProcess, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await pbx.api('/metrics')).text();
  let total = 0;
  for (const line of text.split('\n')) {
    const m = new RegExp(`^${name}(?:\\{([^}]*)\\})?\\s+([0-9.eE+-]+)$`).exec(line);
    if (!m) continue;
    const have = m[1] ?? '';
    if (Object.entries(labels).every(([k, v]) => have.includes(`${k}="${v}"`))) total += Number(m[2]);
  }
  return total;
}
