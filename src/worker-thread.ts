// Starting one of our worker-thread entry files (media workers, the call-record writer). Run
// from source under tsx, a .ts entry loads through tsx's require hook: its ESM loader hooks do
// not reach worker threads on Node 20. A parent started with --input-type=module would make the
// eval'd bootstrap ESM (no require), so that flag is not passed on.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

export function startWorkerThread(entry: URL, workerData: unknown): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, { workerData });
  const tsx = createRequire(import.meta.url).resolve('tsx/cjs/api');
  const code = `require(${JSON.stringify(tsx)}).register(); require(${JSON.stringify(fileURLToPath(entry))});`;
  const execArgv = process.execArgv.filter((a) => !a.startsWith('--input-type'));
  return new Worker(code, { eval: true, workerData, execArgv });
}
