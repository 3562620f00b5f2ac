// The reference RTP load instruments (../shared/tools/rtp-load: gen, sink, relay) as the media
// benchmarks run them: built once into a temp folder, each run a child process that prints one
// JSON line at exit. Shared by bench/media-relay and bench/calls-concurrent.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Where the instruments' sources are: shared/ sits beside the repository (the team's layout and CI's). */
export const DEFAULT_TOOLS_DIR = fileURLToPath(new URL('../../shared/tools/rtp-load', import.meta.url));

/** Builds gen, sink and relay from `toolsDir` into `binDir`. */
export function buildInstruments(toolsDir: string, binDir: string): void {
  execFileSync('make', ['-s', '-C', toolsDir, `BIN=${binDir}`], { stdio: ['ignore', 'ignore', 'inherit'] });
}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}

/** Runs an instrument; `result` is the JSON line it prints at exit (killed after `timeoutMs`). */
export function runJson(cmd: string, args: string[], timeoutMs: number, onStderr?: (s: string) => void): { child: ChildProcess; result: Promise<Record<string, number>> } {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => onStderr?.(d.toString()));
  const result = withTimeout(
    new Promise<Record<string, number>>((resolve, reject) => {
      child.on('exit', (code) => {
        try {
          resolve(JSON.parse(out.trim().split('\n').pop()!));
        } catch {
          reject(new Error(`${cmd} exited ${code} without JSON: ${out}`));
        }
      });
    }),
    timeoutMs,
    cmd,
  );
  result.catch(() => child.kill('SIGKILL'));
  return { child, result };
}
