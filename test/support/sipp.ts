// Runs SIPp (Debian sip-tester) against a server on loopback, bounded in calls and time.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freeUdpTcpPort } from './free-port.ts';
import { repoRoot, tempDir } from './pbx-process.ts';

export interface SippResult {
  code: number | null;
  /** SIPp's error log and message trace, for assertion messages. */
  log: string;
}

export interface SippOptions {
  scenario: string; // path relative to the repo root
  target: string; // host:port
  injection?: string; // CSV text
  calls?: number;
  transport?: 'u1' | 't1';
  extraArgs?: string[];
  timeoutS?: number;
}

export async function runSipp(options: SippOptions): Promise<SippResult> {
  const dir = tempDir('sipp-');
  const port = await freeUdpTcpPort();
  const args = [
    options.target,
    '-sf', path.join(repoRoot, options.scenario),
    '-i', '127.0.0.1',
    '-p', String(port),
    '-m', String(options.calls ?? 1),
    '-t', options.transport ?? 'u1',
    '-timeout', `${options.timeoutS ?? 20}s`,
    '-nostdin',
    '-trace_err',
    '-trace_msg',
    ...(options.extraArgs ?? []),
  ];
  if (options.injection !== undefined) {
    const csv = path.join(dir, 'users.csv');
    fs.writeFileSync(csv, options.injection);
    args.push('-inf', csv);
  }
  const child = spawn('sipp', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  const logs = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .map((f) => `--- ${f}\n${fs.readFileSync(path.join(dir, f), 'utf8').slice(-6000)}`)
    .join('\n');
  fs.rmSync(dir, { recursive: true, force: true });
  return { code, log: `${out.slice(-3000)}\n${logs}` };
}
