// Starting the call records side of the server: crash recovery first (before any call is
// accepted), then the CDR writer on the call event bus and the recording retention job.
import type { Config } from '../config/schema.ts';
import type { Logger } from '../log.ts';
import type { CallEventBus } from '../calls/call-events.ts';
import type { Services } from '../services.ts';
import { dirname } from 'node:path';
import { CdrWriter } from './cdr-writer.ts';
import { ThreadedCdrWriter } from './cdr-writer-thread.ts';
import { recoverInterruptedCalls, type RecoveryReport } from './crash-recovery.ts';
import { RecordingRetention } from './retention.ts';

export interface CallRecordsOptions {
  services: Pick<Services, 'db' | 'cdrs'>;
  bus: CallEventBus;
  config: Pick<Config, 'recording'> & Partial<Pick<Config, 'log'>>;
  log?: Logger;
  now?: () => number;
  /** Keep the writer on this thread even for a database file. */
  inThread?: boolean;
}

export interface RunningCallRecords {
  /** The writer: on its own thread for a database file, in this thread for an in-memory one. */
  readonly writer: { flush(): void };
  readonly retention: RecordingRetention;
  /** What crash recovery closed and repaired at this start. */
  readonly recovered: RecoveryReport;
  /** Stops the retention job, unsubscribes the writer and commits what it has queued. Call before services.close(). */
  stop(): Promise<void>;
}

export async function startCallRecords(opts: CallRecordsOptions): Promise<RunningCallRecords> {
  const { services, bus, config, log } = opts;
  const recovered = await recoverInterruptedCalls(services.db, log ? { log } : {});
  // A file database gets the writer thread (cdr-writer-thread.ts says why); ':memory:' (tests)
  // cannot be shared with a thread and keeps the writer here, committing every 50 ms.
  const file = services.db.sqlite.name;
  const writer =
    file === ':memory:' || opts.inThread
      ? new CdrWriter(services.db, { ...(log ? { log } : {}), commitIntervalMs: 50 }).attach(bus)
      : (await ThreadedCdrWriter.start({ dataDir: dirname(file), logLevel: config.log?.level ?? 'info', ...(log ? { log } : {}) })).attach(bus);
  services.cdrs.attachWriter(writer);
  const retention = new RecordingRetention(services.db, {
    intervalMs: config.recording.retention_sweep_interval_s * 1000,
    ...(log ? { log } : {}),
    ...(opts.now ? { now: opts.now } : {}),
  });
  retention.start();
  return {
    writer,
    retention,
    recovered,
    async stop() {
      await retention.stop();
      await writer.stop();
    },
  };
}
