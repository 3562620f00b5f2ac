// Starting the call records side of the server: crash recovery first (before any call is
// accepted), then the CDR writer on the call event bus and the recording retention job.
import type { Config } from '../config/schema.ts';
import type { Logger } from '../log.ts';
import type { CallEventBus } from '../calls/call-events.ts';
import type { Services } from '../services.ts';
import { CdrWriter } from './cdr-writer.ts';
import { recoverInterruptedCalls, type RecoveryReport } from './crash-recovery.ts';
import { RecordingRetention } from './retention.ts';

export interface CallRecordsOptions {
  services: Pick<Services, 'db' | 'cdrs'>;
  bus: CallEventBus;
  config: Pick<Config, 'recording'>;
  log?: Logger;
  now?: () => number;
}

export interface RunningCallRecords {
  readonly writer: CdrWriter;
  readonly retention: RecordingRetention;
  /** What crash recovery closed and repaired at this start. */
  readonly recovered: RecoveryReport;
  /** Stops the retention job, unsubscribes the writer and commits what it has queued. Call before services.close(). */
  stop(): Promise<void>;
}

export async function startCallRecords(opts: CallRecordsOptions): Promise<RunningCallRecords> {
  const { services, bus, config, log } = opts;
  const recovered = await recoverInterruptedCalls(services.db, log ? { log } : {});
  const writer = new CdrWriter(services.db, { ...(log ? { log } : {}), commitIntervalMs: 50 }).attach(bus);
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
      writer.stop();
    },
  };
}
