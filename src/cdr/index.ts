// Call records (the CDR) and recordings (R-CDR-1, R-BASIC-1):
//   startCallRecords (call-records.ts)  what the server runs at start: crash recovery, then the
//                                       writer on the call event bus and the retention job; stop()
//   CdrWriter (cdr-writer.ts)           bus subscriber writing call / call_leg / recording rows
//                                       (inserted at start, completed at end; group-committed)
//   ThreadedCdrWriter                   the same on a thread of its own (what the server runs for a
//     (cdr-writer-thread.ts, -worker.ts) database file): events posted every 50 ms, flush() waits
//   recoverInterruptedCalls             closes calls and legs left open by a crash as failed
//     (crash-recovery.ts)               (interrupted), repairs and completes their recordings
//   RecordingRetention (retention.ts)   deletes recordings past their tenant's retention, marks them deleted
//   CdrService (cdr-service.ts)         list (tenant, since/until, extension, disposition, cursor),
//                                       get with legs and recordings, recordings and their files
//   recordingsDir / prepareRecordingPath  where recordings go (<dir>/<tenant>/<day>/<call>.wav)
//     (recording-paths.ts)
//   call, callLeg, recording (schema.ts)  the tables
export { startCallRecords, type CallRecordsOptions, type RunningCallRecords } from './call-records.ts';
export { CdrWriter, type CdrWriterOptions } from './cdr-writer.ts';
export { ThreadedCdrWriter, type ThreadedCdrWriterOptions } from './cdr-writer-thread.ts';
export { recoverInterruptedCalls, INTERRUPTED_REASON, type RecoveryOptions, type RecoveryReport } from './crash-recovery.ts';
export { RecordingRetention, DAY_MS, type RetentionOptions, type SweepReport } from './retention.ts';
export {
  CdrService,
  parseTime,
  checkDisposition,
  type CallRecord,
  type CalleeKind,
  type CallDetail,
  type LegRecord,
  type RecordingInfo,
  type RecordingFile,
  type RecordingStatus,
  type CdrFilter,
  type RecordingFilter,
  type CdrPage,
} from './cdr-service.ts';
export { recordingsDir, prepareRecordingPath } from './recording-paths.ts';
export { call, callLeg, recording, DISPOSITIONS, HANGUP_BY, RECORDING_STATUSES, type CallRow, type CallLegRow, type RecordingRow } from './schema.ts';
