// Crash recovery of call records, run at start-up before calls are accepted: a process that was
// killed (kill -9, power loss, OOM) leaves call and leg rows without an end and recordings in
// status 'recording' whose WAV header is up to a second stale. Here:
//  - each such recording's WAV is repaired (media's repairRecordings: sizes from the file
//    length) and the row marked complete with its real length — or failed, with why;
//  - each open leg and call is closed as failed, "interrupted", hung up by the system, ending
//    at the last moment it is known to have been alive: its start, its answer, the end of its
//    legs, and the last write to its recording (the file's mtime, taken before the repair).
// Nothing is running yet, so every row still open belongs to the process that died.
import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { PbxDb } from '../db/open.ts';
import type { Logger } from '../log.ts';
import { repairRecordings } from '../media/index.ts';

export const INTERRUPTED_REASON = 'interrupted: server stopped during the call';

/** What media's repairRecordings reports per file (src/media/wav-writer.ts WavRepair). */
type WavRepair = Awaited<ReturnType<typeof repairRecordings>>[number];

export interface RecoveryOptions {
  log?: Logger;
  /** Repairs every WAV under a directory (default: media's repairRecordings). */
  repair?: (dir: string) => Promise<WavRepair[]>;
}

export interface RecoveryReport {
  calls: number;
  legs: number;
  recordings: { complete: number; failed: number };
  /** Ids of the calls closed (at most 100, for the log). */
  callIds: string[];
}

interface OpenRecording {
  id: number;
  call_id: string;
  path: string;
}

interface FileState {
  mtime?: number;
  repair?: WavRepair;
}

export async function recoverInterruptedCalls(db: PbxDb, opts: RecoveryOptions = {}): Promise<RecoveryReport> {
  const s = db.sqlite;
  const repair = opts.repair ?? repairRecordings;
  const recs = s.prepare<[], OpenRecording>("SELECT id, call_id, path FROM recording WHERE status = 'recording'").all();

  // The last write to each file, before repairing touches it.
  const files = new Map<string, FileState>();
  for (const r of recs) {
    const path = resolve(r.path);
    if (files.has(path)) continue;
    try {
      files.set(path, { mtime: Math.trunc(statSync(path).mtimeMs) });
    } catch {
      files.set(path, {});
    }
  }
  // repairRecordings works on a folder: each folder holding an interrupted recording is passed
  // once (recordings are laid out per tenant and day, so these are small).
  const dirs = new Set([...files].filter(([, f]) => f.mtime !== undefined).map(([p]) => dirname(p)));
  for (const dir of dirs) {
    for (const result of await repair(dir)) {
      const f = files.get(resolve(result.path));
      if (f) f.repair = result;
    }
  }

  const report: RecoveryReport = { calls: 0, legs: 0, recordings: { complete: 0, failed: 0 }, callIds: [] };

  const finishRecording = s.prepare('UPDATE recording SET status = ?, finished_at = ?, seconds = ?, bytes = ?, error = ? WHERE id = ?');
  const openLegs = s.prepare<[], { id: string; call_id: string; started_at: number; answered_at: number | null }>(
    'SELECT id, call_id, started_at, answered_at FROM call_leg WHERE ended_at IS NULL',
  );
  const endLeg = s.prepare("UPDATE call_leg SET ended_at = ?, disposition = 'failed', hangup_by = 'system', reason = ? WHERE id = ?");
  const openCalls = s.prepare<[], { id: string; started_at: number; answered_at: number | null }>('SELECT id, started_at, answered_at FROM call WHERE ended_at IS NULL');
  const lastLegTime = s
    .prepare<[string], number | null>('SELECT max(max(started_at, coalesce(answered_at, 0), coalesce(ended_at, 0))) FROM call_leg WHERE call_id = ?')
    .pluck();
  // The last write to the call's recordings (finished_at: the mtime for those repaired here).
  const lastRecordingTime = s
    .prepare<[string], number | null>('SELECT max(coalesce(finished_at, started_at)) FROM recording WHERE call_id = ?')
    .pluck();
  const endCall = s.prepare(
    `UPDATE call SET ended_at = @at,
       duration_s = (max(0, CAST(@at AS INTEGER) - started_at) + 999) / 1000,
       billable_s = CASE WHEN answered_at IS NULL THEN 0 ELSE (max(0, CAST(@at AS INTEGER) - answered_at) + 999) / 1000 END,
       disposition = 'failed', hangup_by = 'system', sip_code = NULL, reason = @reason
     WHERE id = @id`,
  );

  s.transaction(() => {
    for (const r of recs) {
      const f = files.get(resolve(r.path))!;
      let bytes: number | null = null;
      try {
        bytes = statSync(r.path).size;
      } catch {
        // missing: reported below
      }
      if (f.repair && f.repair.status !== 'failed' && bytes !== null) {
        finishRecording.run('complete', f.mtime ?? null, f.repair.seconds, bytes, null, r.id);
        report.recordings.complete++;
      } else {
        const why = bytes === null ? 'the recording file was missing after the restart' : `the file could not be repaired: ${f.repair?.error ?? 'not found by the repair pass'}`;
        finishRecording.run('failed', f.mtime ?? null, f.repair?.seconds ?? 0, bytes, why, r.id);
        report.recordings.failed++;
      }
    }
    for (const l of openLegs.all()) {
      // An answered leg was talking while its call's recording was being written.
      const alive = l.answered_at !== null ? (lastRecordingTime.get(l.call_id) ?? 0) : 0;
      endLeg.run(Math.max(l.started_at, l.answered_at ?? 0, alive), INTERRUPTED_REASON, l.id);
      report.legs++;
    }
    for (const c of openCalls.all()) {
      const at = Math.max(c.started_at, c.answered_at ?? 0, lastRecordingTime.get(c.id) ?? 0, lastLegTime.get(c.id) ?? 0);
      endCall.run({ at, reason: INTERRUPTED_REASON, id: c.id });
      report.calls++;
      if (report.callIds.length < 100) report.callIds.push(c.id);
    }
  }).immediate();

  if (report.calls + report.legs + recs.length > 0) {
    opts.log?.warn(
      { calls: report.calls, legs: report.legs, recordings: report.recordings, callIds: report.callIds },
      'call records recovered after an unclean stop: open calls closed as failed (interrupted), recordings repaired',
    );
  }
  return report;
}
