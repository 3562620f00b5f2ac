// The CDR writer on a thread of its own. Writing call records is ~10 % of the main thread's
// work at high call rates (measured at 500 calls/s), and a commit of a 50 ms batch stalls the
// event loop for milliseconds — right in call set-up latency. Here the main thread only queues
// bus events and posts them every 50 ms; the thread (cdr-writer-worker.ts) commits them on its
// own connection (WAL: readers are never blocked, the registrar's writes wait at most for one
// commit). `flush()` posts what is queued and waits — synchronously, in shared memory — until the
// thread has committed it, so a read (API, CLI in the process, tests) sees every event published.
import type { Worker } from 'node:worker_threads';
import { startWorkerThread } from '../worker-thread.ts';
import type { Logger } from '../log.ts';
import type { CallEventBus } from '../calls/call-events.ts';
import { CDR_EVENTS, type CdrEvent } from './cdr-writer.ts';

const workerEntry = new URL('./cdr-writer-worker.ts', import.meta.url);

export interface ThreadedCdrWriterOptions {
  dataDir: string;
  logLevel: string;
  log?: Logger;
  /** How often queued events go to the thread (default 50 ms). */
  intervalMs?: number;
  /** Longest flush() waits for the thread (default 5 s). */
  flushTimeoutMs?: number;
}

export class ThreadedCdrWriter {
  private readonly worker: Worker;
  private readonly committed: Int32Array;
  private readonly intervalMs: number;
  private readonly flushTimeoutMs: number;
  private readonly log: Logger | undefined;
  private pending: CdrEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private seq = 0;
  private detach: Array<() => void> = [];
  private stopped = false;

  private constructor(worker: Worker, committed: Int32Array, o: ThreadedCdrWriterOptions) {
    this.worker = worker;
    this.committed = committed;
    this.intervalMs = o.intervalMs ?? 50;
    this.flushTimeoutMs = o.flushTimeoutMs ?? 5000;
    this.log = o.log;
  }

  static async start(o: ThreadedCdrWriterOptions): Promise<ThreadedCdrWriter> {
    const done = new SharedArrayBuffer(4);
    const workerData = { cdrWriter: { dataDir: o.dataDir, logLevel: o.logLevel, done } };
    const worker = startWorkerThread(workerEntry, workerData);
    await new Promise<void>((resolve, reject) => {
      worker.once('message', () => resolve());
      worker.once('error', reject);
    });
    const w = new ThreadedCdrWriter(worker, new Int32Array(done), o);
    worker.on('error', (err) => o.log?.error({ err }, 'the call-record writer thread failed; call records are not written'));
    return w;
  }

  attach(bus: CallEventBus): this {
    for (const name of CDR_EVENTS) this.detach.push(bus.on(name, (e) => this.enqueue([name, e] as CdrEvent)));
    return this;
  }

  enqueue(op: CdrEvent): void {
    if (this.stopped) return;
    this.pending.push(op);
    this.timer ??= setTimeout(() => this.post(), this.intervalMs);
  }

  /** Posts what is queued; returns the batch number the thread will report when it is committed. */
  private post(): number {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length > 0) {
      const ops = this.pending;
      this.pending = [];
      this.worker.postMessage({ ops, seq: ++this.seq });
    }
    return this.seq;
  }

  /** Every event published so far is committed when this returns (or the wait timed out, logged). */
  flush(): void {
    const target = this.post();
    const deadline = Date.now() + this.flushTimeoutMs;
    let seen: number;
    while ((seen = Atomics.load(this.committed, 0)) < target) {
      const left = deadline - Date.now();
      if (left <= 0 || Atomics.wait(this.committed, 0, seen, left) === 'timed-out') {
        this.log?.warn({ waitedMs: this.flushTimeoutMs }, 'call records not yet committed by the writer thread');
        return;
      }
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    for (const off of this.detach) off();
    this.detach = [];
    this.flush();
    this.stopped = true;
    this.worker.postMessage({ close: true });
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => void this.worker.terminate().then(() => resolve()), 2000);
      this.worker.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }
}
