// The recording retention job (R-BASIC-1: recordings are kept 6 months, configurable per
// tenant): deletes the files of recordings older than their tenant's `recording_retention_days`
// and marks the rows deleted (status 'deleted', deleted_at) — the call record keeps saying the
// call was recorded, and when the recording went. A file already gone counts as deleted.
// Runs once at start and then every `recording.retention_sweep_interval_s`; files are removed
// with async unlink in small batches, so a large first sweep does not stall calls.
import { unlink } from 'node:fs/promises';
import type { PbxDb } from '../db/open.ts';
import type { Logger } from '../log.ts';

export const DAY_MS = 86_400_000;

export interface RetentionOptions {
  log?: Logger;
  now?: () => number;
  /** Time between sweeps (config recording.retention_sweep_interval_s × 1000). */
  intervalMs: number;
  /** Rows read and files removed per step (default 200). */
  batchSize?: number;
  /** Removes one file (default fs.promises.unlink); tests inject failures. */
  removeFile?: (path: string) => Promise<void>;
}

export interface SweepReport {
  /** Files removed and rows marked deleted. */
  deleted: number;
  /** Rows whose file was already gone (marked deleted too). */
  missing: number;
  /** Files that could not be removed (left for the next sweep). */
  failed: number;
}

interface Candidate {
  id: number;
  path: string;
  started_at: number;
}

export class RecordingRetention {
  private readonly log: Logger | undefined;
  private readonly now: () => number;
  private readonly intervalMs: number;
  private readonly batchSize: number;
  private readonly removeFile: (path: string) => Promise<void>;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<SweepReport> | undefined;
  private stopped = false;

  constructor(
    private readonly db: PbxDb,
    opts: RetentionOptions,
  ) {
    this.log = opts.log;
    this.now = opts.now ?? Date.now;
    this.intervalMs = opts.intervalMs;
    this.batchSize = opts.batchSize ?? 200;
    this.removeFile = opts.removeFile ?? unlink;
  }

  /** Sweeps now, then every interval (timer unref'd: it never keeps the process alive). */
  start(): void {
    this.stopped = false;
    void this.runLogged();
    this.timer = setInterval(() => void this.runLogged(), this.intervalMs);
    this.timer.unref();
  }

  /** Stops the timer; a sweep under way finishes its current batch and stops. Resolves then. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  /** One pass over every tenant. Overlapping calls share the pass under way. */
  sweep(): Promise<SweepReport> {
    if (!this.running) {
      this.running = this.sweepAll().finally(() => {
        this.running = undefined;
      });
    }
    return this.running;
  }

  private async runLogged(): Promise<void> {
    try {
      const r = await this.sweep();
      if (r.deleted + r.missing + r.failed > 0) this.log?.info(r, 'recording retention: old recordings deleted');
    } catch (err) {
      this.log?.error({ err }, 'recording retention sweep failed');
    }
  }

  private async sweepAll(): Promise<SweepReport> {
    const s = this.db.sqlite;
    const report: SweepReport = { deleted: 0, missing: 0, failed: 0 };
    const tenants = s.prepare<[], { id: number; days: number }>('SELECT id, recording_retention_days AS days FROM tenant ORDER BY id').all();
    // Files still kept (deleted_at IS NULL: the partial index), oldest first, past the cutoff;
    // recordings still being written are left alone. (started_at, id) walks past failures.
    const batch = s.prepare<[number, number, number, number, number, number], Candidate>(
      `SELECT id, path, started_at FROM recording
       WHERE tenant_id = ? AND deleted_at IS NULL AND started_at < ? AND status != 'recording'
         AND (started_at > ? OR (started_at = ? AND id > ?))
       ORDER BY started_at, id LIMIT ?`,
    );
    const markDeleted = s.prepare("UPDATE recording SET status = 'deleted', deleted_at = ? WHERE id = ? AND deleted_at IS NULL");
    const now = this.now();
    for (const t of tenants) {
      const cutoff = now - t.days * DAY_MS;
      let afterAt = Number.MIN_SAFE_INTEGER;
      let afterId = -1;
      while (!this.stopped && this.db.sqlite.open) {
        const rows = batch.all(t.id, cutoff, afterAt, afterAt, afterId, this.batchSize);
        if (rows.length === 0) break;
        const done: number[] = [];
        await Promise.all(
          rows.map(async (r) => {
            try {
              await this.removeFile(r.path);
              report.deleted++;
              done.push(r.id);
            } catch (err) {
              if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
                report.missing++;
                done.push(r.id);
              } else {
                report.failed++;
                this.log?.warn({ err, recording: r.id, path: r.path }, 'recording retention: cannot delete the file; will retry at the next sweep');
              }
            }
          }),
        );
        if (!this.db.sqlite.open) break;
        const at = this.now();
        s.transaction(() => {
          for (const id of done) markDeleted.run(at, id);
        })();
        const last = rows.at(-1)!;
        afterAt = last.started_at;
        afterId = last.id;
        if (rows.length < this.batchSize) break;
      }
    }
    return report;
  }
}
