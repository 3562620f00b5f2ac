// Runs SIPp (Debian sip-tester 3.6.1) against a server on loopback, bounded in calls and time.
// runSipp waits for the run; startSipp starts it in the background (a UAS that must be listening
// before the call, several terminals at once) and hands back a handle to wait on or kill.
// Everything binds 127.0.0.1: SIP (-i, -p), media (-mi, -mp) and SIPp's control socket (-ci, -cp).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freeUdpPortBlock, freeUdpTcpPort, waitUdpBound } from './free-port.ts';
import { repoRoot, tempDir } from './pbx-process.ts';
import { LINEAR_TO_ALAW } from '../../src/media/g711.ts';

export interface SippResult {
  code: number | null;
  /** SIPp's output, error log, <log> lines and message trace (tails), for assertion messages. */
  log: string;
  /** The scenario's <log> action lines (-trace_logs), whole. */
  logs: string;
  /** The SIP message trace (-trace_msg), whole. */
  messages: string;
  /** The <log> lines of the form key=value, by key, in order ("got=180" -> values.got = ['180']). */
  values: Record<string, string[]>;
}

export interface SippOptions {
  scenario: string; // path relative to the repo root
  /** host:port of the server; absent for a UAS that only waits for calls. */
  target?: string;
  injection?: string; // CSV text
  calls?: number;
  transport?: 'u1' | 't1';
  extraArgs?: string[];
  timeoutS?: number;
  /** Local SIP port (-p); a free one by default. A registered terminal reuses its REGISTER port. */
  port?: number;
  /** -s: [service], the user part of the Request-URI (the number dialled). */
  service?: string;
  /** -auth_uri without "sip:" (SIPp adds it): the digest uri= for a request whose Request-URI is
   * not sip:<remote_ip>:<remote_port>, e.g. an INVITE to sip:1002@127.0.0.1:5070. */
  authUri?: string;
  /** -d: the length of every <pause/> without milliseconds=. */
  pauseMs?: number;
  /** -key NAME VALUE: generic [NAME] keywords. */
  keys?: Record<string, string>;
}

export interface SippHandle {
  /** The local SIP port SIPp listens on. */
  readonly port: number;
  /** SIPp's media port base (-mp). */
  readonly mediaPort: number;
  readonly pid: number | undefined;
  /** Resolves when SIPp exits (by itself, by -timeout, or killed). */
  readonly done: Promise<SippResult>;
  /** SIGKILL, if still running; resolves with the result. */
  kill(): Promise<SippResult>;
  /** Resolves once SIPp has its SIP port bound (a UAS ready for calls); throws, with SIPp's log,
   * if it exits first or takes longer than `timeoutMs`. */
  listening(timeoutMs?: number): Promise<void>;
}

/** The WAV every scenario's rtp_stream plays: rtp_stream="tone-pcma.wav,-1,8". */
export const TONE_FILE = 'tone-pcma.wav';

/**
 * 1 s of a 440 Hz tone as an 8 kHz mono A-law WAV with the canonical 44-byte header (SIPp skips
 * the RIFF header and sends the rest as PCMA payload, 160 bytes per 20 ms packet).
 */
export function alawToneWav(seconds = 1, hz = 440): Buffer {
  const samples = 8000 * seconds;
  const wav = Buffer.alloc(44 + samples);
  wav.write('RIFF', 0, 'ascii');
  wav.writeUInt32LE(36 + samples, 4);
  wav.write('WAVE', 8, 'ascii');
  wav.write('fmt ', 12, 'ascii');
  wav.writeUInt32LE(16, 16);
  wav.writeUInt16LE(6, 20); // WAVE_FORMAT_ALAW
  wav.writeUInt16LE(1, 22); // mono
  wav.writeUInt32LE(8000, 24);
  wav.writeUInt32LE(8000, 28); // bytes per second
  wav.writeUInt16LE(1, 32); // block align
  wav.writeUInt16LE(8, 34); // bits per sample
  wav.write('data', 36, 'ascii');
  wav.writeUInt32LE(samples, 40);
  for (let i = 0; i < samples; i++) {
    const linear = Math.round(8000 * Math.sin((2 * Math.PI * hz * i) / 8000));
    wav[44 + i] = LINEAR_TO_ALAW[linear & 0xffff]!;
  }
  return wav;
}

/** key=value <log> lines by key. */
export function parseLogValues(logs: string): Record<string, string[]> {
  const values: Record<string, string[]> = {};
  for (const line of logs.split('\n')) {
    const m = /^([A-Za-z][\w.-]*)=(.*)$/.exec(line);
    if (m) (values[m[1]!] ??= []).push(m[2]!);
  }
  return values;
}

/** Epoch seconds of a [timestamp] value ("2026-11-23\t05:36:12.152907\t1795412172.152907"). */
export function sippTimestamp(value: string | undefined): number {
  const m = /(\d+\.\d+)\s*$/.exec(value ?? '');
  if (!m) throw new Error(`not a SIPp [timestamp]: ${JSON.stringify(value)}`);
  return Number(m[1]);
}

interface Attempt {
  mediaPort: number;
  child: ChildProcess;
  done: Promise<SippResult>;
}

async function launch(options: SippOptions, port: number): Promise<Attempt> {
  const dir = tempDir('sipp-');
  const mediaPort = await freeUdpPortBlock(4);
  const controlPort = await freeUdpTcpPort();
  const timeoutS = options.timeoutS ?? 20;
  fs.writeFileSync(path.join(dir, TONE_FILE), alawToneWav());
  const args = [
    ...(options.target ? [options.target] : []),
    '-sf', path.join(repoRoot, options.scenario),
    '-i', '127.0.0.1',
    '-p', String(port),
    '-mi', '127.0.0.1',
    '-mp', String(mediaPort),
    '-ci', '127.0.0.1',
    '-cp', String(controlPort),
    '-m', String(options.calls ?? 1),
    '-t', options.transport ?? 'u1',
    '-timeout', `${timeoutS}s`,
    '-timeout_error',
    '-nostdin',
    '-trace_err',
    '-trace_msg',
    '-trace_logs',
  ];
  if (options.service !== undefined) args.push('-s', options.service);
  if (options.authUri !== undefined) args.push('-auth_uri', options.authUri);
  if (options.pauseMs !== undefined) args.push('-d', String(options.pauseMs));
  for (const [k, v] of Object.entries(options.keys ?? {})) args.push('-key', k, v);
  args.push(...(options.extraArgs ?? []));
  if (options.injection !== undefined) {
    const csv = path.join(dir, 'users.csv');
    fs.writeFileSync(csv, options.injection);
    args.push('-inf', csv);
  }
  const child = spawn('sipp', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  // SIPp ends itself at -timeout; this is the backstop if it does not.
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

/** SIPp could not bind one of its sockets at start-up (another process took a port we picked). */
function bindFailure(r: SippResult): boolean {
  return (r.code === 254 || r.code === 255) && r.messages === '' && /errno = 98|Address already in use/.test(r.log);
}

export async function startSipp(options: SippOptions): Promise<SippHandle> {
  const port = options.port ?? (await freeUdpTcpPort());
  let current = await launch(options, port);
  let killed = false;
  const done = (async () => {
    // Up to 3 starts: the media and control ports are picked again after a bind failure.
    for (let attempt = 1; ; attempt++) {
      const r = await current.done;
      if (killed || attempt >= 3 || !bindFailure(r)) return r;
      current = await launch(options, port);
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
        throw new Error(`sipp exited before listening on ${port}:\n${r.log}`);
      });
      exitedFirst.catch(() => undefined);
      await Promise.race([waitUdpBound(port, timeoutMs), exitedFirst]);
    },
  };
}

export async function runSipp(options: SippOptions): Promise<SippResult> {
  return (await startSipp(options)).done;
}
