// The e2e voicemail / notices tests (test/e2e/voicemail.test.ts): an HTTP receiver that stands
// in for the tenant's webhook and the generic HTTP SMS gateway, audio pcaps for SIPp's
// <exec play_pcap_audio> (SIPp's own recording of real speech, or a generated tone), and readers
// for what the PBX stored: the voicemail WAV and where speech is in it — measured with the same
// rule as the PBX's message recorder (src/media/message-recorder.ts: 20 ms blocks, mean square
// at or above -45 dBov is voiced, three voiced blocks in a row are speech).
import fs from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import path from 'node:path';
import { repoRoot } from './pbx-process.ts';
import { ALAW_TO_LINEAR, LINEAR_TO_ALAW } from '../../src/media/g711.ts';

// ------------------------------------------------------------------ HTTP receiver

export interface ReceivedRequest {
  atMs: number;
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The body parsed as JSON, undefined if it is not JSON. */
  json: Record<string, unknown> | undefined;
  /** Answered 200; false for a request held unanswered (see `hold`). */
  answered: boolean;
}

/**
 * A tiny node:http server on 127.0.0.1 that keeps every request and answers 200 "{}". Listen on
 * a port of its own (0) or on a given one (a gateway that comes up late, after a restart).
 */
export class HttpReceiver {
  readonly requests: ReceivedRequest[] = [];
  /** How many of the next requests get no answer at all (a gateway that hangs); they stay open until close(). */
  hold = 0;
  private server: Server | undefined;
  port = 0;

  async listen(port = 0): Promise<this> {
    const server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        let json: Record<string, unknown> | undefined;
        try {
          json = JSON.parse(body) as Record<string, unknown>;
        } catch {
          json = undefined;
        }
        const answered = this.hold <= 0;
        if (!answered) this.hold--;
        this.requests.push({ atMs: Date.now(), method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, json, answered });
        if (!answered) return;
        res.setHeader('Content-Type', 'application/json');
        res.end('{}');
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.port = (server.address() as { port: number }).port;
    return this;
  }

  /** Requests to `pathname` (the URL without its query). */
  to(pathname: string): ReceivedRequest[] {
    return this.requests.filter((r) => r.url.split('?')[0] === pathname);
  }

  /** Waits until `cond` holds for the requests so far; throws (with what came) after `timeoutMs`. */
  async waitFor(what: string, cond: (requests: ReceivedRequest[]) => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!cond(this.requests)) {
      if (Date.now() > deadline)
        throw new Error(`HTTP receiver: ${what} not seen in ${timeoutMs} ms; got ${JSON.stringify(this.requests.map((r) => ({ url: r.url, body: r.body })), null, 1)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
}

// ------------------------------------------------------------------ pcaps of audio

/** SIPp's own capture of real speech (Debian sip-tester): PCMA, 30 ms packets, 7.05 s. */
export const SIPP_SPEECH_PCAP = '/usr/share/sip-tester/g711a.pcap';

export interface PcapRtp {
  /** Capture time relative to the first packet, ms. */
  atMs: number;
  payloadType: number;
  sequence: number;
  timestamp: number;
  ssrc: number;
  payload: Buffer;
}

/** The RTP packets of a classic pcap (microsecond timestamps, Ethernet / IPv4 / UDP). */
export function readPcapRtp(pcap: Buffer): PcapRtp[] {
  if (pcap.readUInt32LE(0) !== 0xa1b2c3d4) throw new Error('not a little-endian microsecond pcap');
  if (pcap.readUInt32LE(20) !== 1) throw new Error('pcap link type is not Ethernet');
  const out: PcapRtp[] = [];
  let first: number | undefined;
  for (let o = 24; o + 16 <= pcap.length; ) {
    const atUs = pcap.readUInt32LE(o) * 1e6 + pcap.readUInt32LE(o + 4);
    const len = pcap.readUInt32LE(o + 8);
    const frame = pcap.subarray(o + 16, o + 16 + len);
    o += 16 + len;
    if (frame.readUInt16BE(12) !== 0x0800 || frame[23] !== 17) continue;
    const udp = 14 + (frame[14]! & 0x0f) * 4;
    const rtp = frame.subarray(udp + 8);
    if (rtp.length < 12 || rtp[0]! >> 6 !== 2) continue;
    first ??= atUs;
    out.push({
      atMs: (atUs - first) / 1000,
      payloadType: rtp[1]! & 0x7f,
      sequence: rtp.readUInt16BE(2),
      timestamp: rtp.readUInt32BE(4),
      ssrc: rtp.readUInt32BE(8),
      payload: rtp.subarray(12 + 4 * (rtp[0]! & 0x0f)),
    });
  }
  return out;
}

/** The audio of a PCMA pcap as linear samples, each packet at its RTP timestamp (gaps are zero). */
export function pcapAudio(packets: PcapRtp[]): Int16Array {
  const audio = packets.filter((p) => p.payloadType === 8);
  if (audio.length === 0) return new Int16Array(0);
  const ts0 = audio[0]!.timestamp;
  const end = Math.max(...audio.map((p) => ((p.timestamp - ts0) >>> 0) + p.payload.length));
  const out = new Int16Array(end);
  for (const p of audio) {
    const at = (p.timestamp - ts0) >>> 0;
    for (let i = 0; i < p.payload.length; i++) out[at + i] = ALAW_TO_LINEAR[p.payload[i]!]!;
  }
  return out;
}

function pcapFile(records: Array<{ atMs: number; frame: Buffer }>): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(1, 20); // LINKTYPE_ETHERNET
  const base = 1_700_000_000;
  return Buffer.concat([
    header,
    ...records.map(({ atMs, frame }) => {
      const rec = Buffer.alloc(16);
      const us = Math.round(atMs * 1000);
      rec.writeUInt32LE(base + Math.floor(us / 1_000_000), 0);
      rec.writeUInt32LE(us % 1_000_000, 4);
      rec.writeUInt32LE(frame.length, 8);
      rec.writeUInt32LE(frame.length, 12);
      return Buffer.concat([rec, frame]);
    }),
  ]);
}

function udpFrame(payload: Buffer, port: number): Buffer {
  const frame = Buffer.alloc(42 + payload.length);
  frame.writeUInt16BE(0x0800, 12);
  const ip = frame.subarray(14, 34);
  ip[0] = 0x45;
  ip.writeUInt16BE(28 + payload.length, 2);
  ip[8] = 64;
  ip[9] = 17;
  Buffer.from([127, 0, 0, 2]).copy(ip, 12);
  Buffer.from([127, 0, 0, 1]).copy(ip, 16);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += ip.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  ip.writeUInt16BE(~sum & 0xffff, 10);
  frame.writeUInt16BE(port, 34);
  frame.writeUInt16BE(port, 36);
  frame.writeUInt16BE(8 + payload.length, 38);
  payload.copy(frame, 42);
  return frame;
}

/**
 * A pcap of `seconds` of a `hz` sine at about -13 dBm0 as PCMA RTP (PT 8, 20 ms packets, one
 * SSRC, consecutive sequence numbers and timestamps) for SIPp's play_pcap_audio.
 */
export function tonePcap(seconds: number, hz = 440, o: { ssrc?: number; port?: number } = {}): Buffer {
  const ssrc = o.ssrc ?? Math.floor(Math.random() * 0xffffffff);
  const seq0 = Math.floor(Math.random() * 0x8000);
  const ts0 = Math.floor(Math.random() * 0x7fffffff);
  const records: Array<{ atMs: number; frame: Buffer }> = [];
  const packets = Math.round((seconds * 1000) / 20);
  for (let k = 0; k < packets; k++) {
    const rtp = Buffer.alloc(12 + 160);
    rtp[0] = 0x80;
    rtp[1] = (k === 0 ? 0x80 : 0) | 8;
    rtp.writeUInt16BE((seq0 + k) & 0xffff, 2);
    rtp.writeUInt32BE((ts0 + k * 160) >>> 0, 4);
    rtp.writeUInt32BE(ssrc >>> 0, 8);
    for (let i = 0; i < 160; i++) {
      const n = k * 160 + i;
      rtp[12 + i] = LINEAR_TO_ALAW[Math.round(7000 * Math.sin((2 * Math.PI * hz * n) / 8000)) & 0xffff]!;
    }
    records.push({ atMs: k * 20, frame: udpFrame(rtp, o.port ?? 40000) });
  }
  return pcapFile(records);
}

/**
 * Pcaps one after the other in one pcap (each keeps its own packets and timing; `gapMs` of
 * nothing between them), e.g. a message and then the '#' that ends it: one play_pcap_audio.
 * The UDP ports are made those of the first (SIPp maps the lowest to the peer's RTP port).
 */
export function joinPcaps(gapMs: number, ...pcaps: Buffer[]): Buffer {
  const records: Array<{ atMs: number; frame: Buffer }> = [];
  let offset = 0;
  let port: number | undefined;
  for (const pcap of pcaps) {
    let first: number | undefined;
    let last = 0;
    for (let o = 24; o + 16 <= pcap.length; ) {
      const atUs = pcap.readUInt32LE(o) * 1e6 + pcap.readUInt32LE(o + 4);
      const len = pcap.readUInt32LE(o + 8);
      const frame = Buffer.from(pcap.subarray(o + 16, o + 16 + len));
      o += 16 + len;
      first ??= atUs;
      last = (atUs - first) / 1000;
      const udp = 14 + (frame[14]! & 0x0f) * 4;
      port ??= frame.readUInt16BE(udp + 2);
      frame.writeUInt16BE(port, udp);
      frame.writeUInt16BE(port, udp + 2);
      records.push({ atMs: offset + last, frame });
    }
    offset += last + gapMs;
  }
  return pcapFile(records);
}

// ------------------------------------------------------------------ WAV and speech

export interface Wav {
  format: number;
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  /** The data chunk as 16-bit samples (PCM16 only). */
  samples: Int16Array;
  /** Length of the data chunk in seconds. */
  seconds: number;
}

export function readWav(file: string): Wav {
  const b = fs.readFileSync(file);
  if (b.toString('ascii', 0, 4) !== 'RIFF' || b.toString('ascii', 8, 12) !== 'WAVE') throw new Error(`${file} is not a RIFF/WAVE file`);
  let fmt: { format: number; channels: number; sampleRate: number; bitsPerSample: number } | undefined;
  for (let o = 12; o + 8 <= b.length; ) {
    const id = b.toString('ascii', o, o + 4);
    const size = b.readUInt32LE(o + 4);
    if (id === 'fmt ') fmt = { format: b.readUInt16LE(o + 8), channels: b.readUInt16LE(o + 10), sampleRate: b.readUInt32LE(o + 12), bitsPerSample: b.readUInt16LE(o + 22) };
    if (id === 'data') {
      if (!fmt) throw new Error(`${file}: data before fmt`);
      const data = b.subarray(o + 8, Math.min(b.length, o + 8 + size));
      const samples = new Int16Array(fmt.bitsPerSample === 16 ? data.length >> 1 : 0);
      for (let i = 0; i < samples.length; i++) samples[i] = data.readInt16LE(2 * i);
      return { ...fmt, samples, seconds: data.length / (fmt.sampleRate * fmt.channels * (fmt.bitsPerSample / 8)) };
    }
    o += 8 + size + (size & 1);
  }
  throw new Error(`${file} has no data chunk`);
}

/**
 * Where speech is in 8 kHz audio, in seconds from its start: the first and the end of the last
 * run of at least three voiced 20 ms blocks (mean square ≥ -45 dBov), as the message recorder
 * decides; undefined when there is none.
 */
export function speechSpan(samples: Int16Array, thresholdDbov = -45): { start: number; end: number } | undefined {
  const BLOCK = 160;
  const rms = 32768 * 10 ** (thresholdDbov / 20);
  const limit = BLOCK * rms * rms;
  let run = 0;
  let start: number | undefined;
  let end: number | undefined;
  for (let b = 0; (b + 1) * BLOCK <= samples.length; b++) {
    let e = 0;
    for (let i = b * BLOCK; i < (b + 1) * BLOCK; i++) e += samples[i]! * samples[i]!;
    if (e >= limit) {
      run++;
      if (run >= 3) {
        start ??= (b - 2) * BLOCK;
        end = (b + 1) * BLOCK;
      }
    } else run = 0;
  }
  return start === undefined || end === undefined ? undefined : { start: start / 8000, end: end / 8000 };
}

/** Linear samples as A-law bytes (G.711 is a table: A-law → linear → A-law gives the bytes back). */
export function toAlaw(samples: Int16Array): Buffer {
  const out = Buffer.alloc(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = LINEAR_TO_ALAW[samples[i]! & 0xffff]!;
  return out;
}

/** Seconds of built-in prompts. */
export function promptsSeconds(language: string, ...ids: string[]): number {
  return ids.reduce((s, id) => s + readWav(path.join(repoRoot, 'media', 'prompts', language, `${id}.wav`)).seconds, 0);
}

/** Built-in prompts media/prompts/<language>/<id>.wav one after the other, as the A-law a PCMA call carries. */
export function promptsAlaw(language: string, ...ids: string[]): Buffer {
  return Buffer.concat(ids.map((id) => toAlaw(readWav(path.join(repoRoot, 'media', 'prompts', language, `${id}.wav`)).samples)));
}

/**
 * The PCMA packets whose 160-byte payload is a slice of `audio` (e.g. promptsAlaw(...)): the
 * PBX's player sends a prompt's bytes as they are. Every packet counts, a pure tone's too (the
 * beep has few distinct byte values).
 */
export function slicesOf<P extends { payloadType: number; payload: Buffer }>(packets: P[], audio: Buffer): P[] {
  return packets.filter((p) => p.payloadType === 8 && p.payload.length === 160 && audio.includes(p.payload));
}
