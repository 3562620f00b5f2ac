// Runs the real PBX as a user would (bin/pbx start --config FILE) in its own process, on
// free loopback ports and a temporary data directory, for integration and e2e tests.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freeTcpPort, freeUdpTcpPort } from './free-port.ts';

export const repoRoot = path.resolve(import.meta.dirname, '..', '..');
const pbxBin = path.join(repoRoot, 'bin', 'pbx');

export interface PbxProcessOptions {
  /** Reuse a data directory (restart tests); a new temporary one by default. */
  dataDir?: string;
  /** Extra YAML appended under the top level (e.g. tenants or sip.security overrides). */
  extraYaml?: string;
  /** YAML placed inside the `sip:` block (indented by the caller with 2 spaces). */
  sipYaml?: string;
  /**
   * Start again a PBX that has exited (stop, kill9): same config file, data directory and
   * ports, nothing rewritten (crash-recovery tests). The other options are ignored.
   */
  restart?: PbxProcess;
}

export interface PbxProcess {
  readonly sipPort: number;
  readonly apiPort: number;
  readonly dataDir: string;
  readonly configPath: string;
  readonly child: ChildProcess;
  /** Everything the process wrote so far (stdout + stderr). */
  output(): string;
  /** Runs `bin/pbx ARGS --config <this config>` and returns its result. */
  cli(...args: string[]): { status: number | null; stdout: string; stderr: string };
  /** Sends a signal and waits for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** kill -9 (no shutdown code runs: a crash) and waits until the process is gone. */
  kill9(): Promise<void>;
  api(pathname: string, init?: RequestInit): Promise<Response>;
}

export function tempDir(prefix = 'pbx-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function runCli(configPath: string, args: string[]) {
  const r = spawnSync(pbxBin, [...args, '--config', configPath], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export async function startPbxProcess(options: PbxProcessOptions = {}): Promise<PbxProcess> {
  const previous = options.restart;
  if (previous && previous.child.exitCode === null && previous.child.signalCode === null)
    throw new Error('restart: the previous pbx process is still running (stop or kill9 it first)');
  const dataDir = previous?.dataDir ?? options.dataDir ?? tempDir();
  const sipPort = previous?.sipPort ?? (await freeUdpTcpPort());
  const apiPort = previous?.apiPort ?? (await freeTcpPort());
  const configPath = previous?.configPath ?? path.join(dataDir, 'pbx-test.yaml');
  if (!previous)
    fs.writeFileSync(
      configPath,
      [
        `data_dir: ${JSON.stringify(dataDir)}`,
        'log:',
        '  level: info',
        'sip:',
        `  udp: { host: 127.0.0.1, port: ${sipPort} }`,
        `  tcp: { host: 127.0.0.1, port: ${sipPort} }`,
        options.sipYaml ?? '',
        `api: { host: 127.0.0.1, port: ${apiPort} }`,
        options.extraYaml ?? '',
      ].join('\n'),
    );
  const child = spawn(pbxBin, ['start', '--config', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const api = (pathname: string, init?: RequestInit) => fetch(`http://127.0.0.1:${apiPort}${pathname}`, init);
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`pbx exited during start-up (${child.exitCode}):\n${out}`);
    try {
      if ((await api('/health')).ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`pbx did not become healthy in 30 s:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  return {
    sipPort,
    apiPort,
    dataDir,
    configPath,
    child,
    output: () => out,
    cli: (...args: string[]) => runCli(configPath, args),
    api,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
